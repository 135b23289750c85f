"""Settings of ``make bench``'s servers and commands: the embedded default without DEBUG.

DEBUG keeps every query in memory and serves tracebacks, which a measurement must
not pay for; mail goes to memory (the outbox rows are still written and delivered).
"""

from .local import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
