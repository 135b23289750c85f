"""The Celery application.

Broker, result backend and every other option come from Django settings (the
``CELERY_`` namespace), so the worker and beat run with exactly the configuration
the web process has.

    celery -A celery_app worker --loglevel=info
    celery -A celery_app beat --loglevel=info
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("sparring")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
