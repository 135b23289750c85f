"""The Celery application.

Broker, result backend and every other option come from Django settings (the
``CELERY_`` namespace), so the worker and beat run with exactly the configuration
the web process has.

    celery -A celery_app worker --loglevel=info
    celery -A celery_app beat --loglevel=info
"""

from celery import Celery

# Made before config is imported: config/__init__.py imports this module's ``app``.
app = Celery("sparring")

from config.environment import use_default_settings  # noqa: E402

# Production unless DJANGO_SETTINGS_MODULE or the local marker (var/local-settings)
# says otherwise: a worker started without the variable never runs with DEBUG on.
use_default_settings()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
