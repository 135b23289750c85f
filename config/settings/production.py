"""Production settings: everything secure, nothing defaulted that must be chosen.

Requires DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; DATABASE_URL and REDIS_URL
point at PostgreSQL and Redis. `manage.py check --deploy` passes with no warnings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEMO_APPS, INSTALLED_APPS, SECRET_KEY, env_bool

DEBUG = False
# No demo data, replay or benchmark commands in production.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in DEMO_APPS]
if not SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY for production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# One reverse proxy of our own in front (docs/operations.md): the client address for
# rate limits is the last X-Forwarded-For entry it appended (sparring/client_address.py).
SPARRING_TRUSTED_PROXY_HOPS = int(os.environ.get("SPARRING_TRUSTED_PROXY_HOPS", "1"))
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Signing in securely (issue 15): cookies bound to this host only, sent over HTTPS only
# (the __Host- prefix makes the browser enforce Secure, Path=/ and no Domain).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
LANGUAGE_COOKIE_NAME = "__Host-sparring_language"
LANGUAGE_COOKIE_PATH = "/"
