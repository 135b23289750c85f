"""Project configuration: settings, URLs and the WSGI/ASGI entry points.

Importing the Celery application here makes ``@shared_task`` bind to it in
every process that loads Django (web, worker, management commands).
"""

from celery_app import app as celery_app

__all__ = ("celery_app",)
