"""Which settings module a process uses when ``DJANGO_SETTINGS_MODULE`` is not set.

Production-safe by default: ``manage.py`` and the Celery app (``celery_app.py``)
fall back to ``config.settings.production`` (DEBUG off; it refuses to start
without ``DJANGO_SECRET_KEY``), so a worker started without the variable never
runs with DEBUG on. A developer's checkout says it is local with the marker file
``var/local-settings`` (``make run`` writes it) or by setting the variable; the
Makefile sets ``config.settings.local`` for its own targets, pytest uses
``config.settings.test`` (pyproject.toml). ``wsgi.py`` and ``asgi.py`` always
default to production. No Django import here: this runs before settings load.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_MARKER = ROOT / "var" / "local-settings"
LOCAL = "config.settings.local"
PRODUCTION = "config.settings.production"


def default_settings_module(environ=os.environ, marker: Path = LOCAL_MARKER) -> str:
    """The settings module to use.

    Args:
        environ: the process environment (``DJANGO_SETTINGS_MODULE`` wins when set).
        marker: the file whose presence marks a developer's checkout.

    Returns:
        ``DJANGO_SETTINGS_MODULE`` if set, else the local settings if ``marker``
        exists, else the production settings.
    """
    explicit = environ.get("DJANGO_SETTINGS_MODULE", "").strip()
    if explicit:
        return explicit
    return LOCAL if marker.exists() else PRODUCTION


def use_default_settings() -> str:
    """Set ``DJANGO_SETTINGS_MODULE`` in this process to ``default_settings_module()``."""
    module = default_settings_module()
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    return module
