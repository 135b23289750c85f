"""Settings for the test suite (pytest)."""

import os

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env_bool

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]

# A flow that only the tests use (the Celery bridge scenarios) lives here.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.jobflow"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The integration tests' worker processes write the mail they send to files,
# so a test can count each message (nothing lost, nothing sent twice).
if os.environ.get("SPARRING_TEST_MAIL_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["SPARRING_TEST_MAIL_DIR"]

# Tasks run in-process in tests, also when REDIS_URL is set; the integration
# tests switch to the real broker and start their own worker processes, which
# get CELERY_TASK_ALWAYS_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
# ... and inline, in the request's thread, so a test sees their effects at once
# (tests/unit/workflow/test_job_bridge.py runs the thread mode on purpose).
SPARRING_TASKS_IN_THREAD = False

# Read-mostly lists (sparring.list_cache) are built on every request in tests (their
# versions are counts, ids and times, which a frozen clock and reused ids could repeat
# across tests); the tests of the cache turn it on.
SPARRING_LIST_CACHE_SECONDS = 0
