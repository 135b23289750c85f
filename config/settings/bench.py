"""Settings of ``make bench``'s servers and commands: the embedded default without DEBUG.

DEBUG keeps every query in memory and serves tracebacks, which a measurement must
not pay for; mail goes to memory (the outbox rows are still written and delivered).
"""

import os

from .local import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# The survey benchmark's server adds its baseline view (sparring/demo/bench/survey_urls.py).
ROOT_URLCONF = os.environ.get("BENCH_ROOT_URLCONF") or ROOT_URLCONF  # noqa: F405

# The list benchmark's 20 clients ask for one person's API pages hundreds of times a
# minute (``bench_lists --requests`` per page and size): at the product's 600 a minute
# the last pages were answered 429 and not measured. The throttle is still checked on
# every request (the same work), at a rate the benchmark does not reach.
SPARRING_API_RATES = {
    **SPARRING_API_RATES,  # noqa: F405
    "user": os.environ.get("SPARRING_API_USER_RATE", "100000/minute"),
}
