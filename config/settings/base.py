"""Settings shared by every environment.

Everything that differs between the embedded default and services mode is read
from the environment here, so that local, test and production differ only in
what they must:

* no environment variables: SQLite under ``var/``, background work in-process
  after commit, e-mail to the console and to ``var/mail/``;
* ``DATABASE_URL`` and ``REDIS_URL``: PostgreSQL, Redis as the Celery broker,
  result backend and cache, a real workflow lock.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

# ------------------------------------------------------------------------------
# Paths
# ------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SPARRING_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# A form sent without a valid token gets the product's translated page (sparring/errors.py).
CSRF_FAILURE_VIEW = "sparring.errors.csrf_failure"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_NAME = "Sparraus"

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's form templates, overridable from templates/ (FORM_RENDERER)
]
THIRD_PARTY_APPS = [
    "rules.apps.AutodiscoverRulesConfig",
    "viewflow",
    "viewflow.workflow",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files, no CDN
]
LOCAL_APPS = [
    "procurement",
    "sparring",  # the shared records (people, organisations, calls, cases, audit, outbox)
    "sparring.accounts",
    "sparring.cases",
    "sparring.reports",
    "sparring.surveys",
    "sparring.conversation",
    "sparring.statistics",
    "sparring.outcomes",
    "sparring.api",
    "workflow",
]
# Demo data, the 2021-2022 replay and the benchmarks: local and test settings add it,
# production does not install it.
DEMO_APPS = ["sparring.demo"]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS + DEMO_APPS

# Forms render through the project's templates: templates/django/forms/field.html
# (label without a colon, required marker) and widgets/select_option.html (a prompt
# instead of "---------").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (below), Cache-Control: no-store, Permissions-Policy.
    "csp.middleware.CSPMiddleware",
    "sparring.middleware.SecurityHeadersMiddleware",
    # Without a broker, background work a request queues runs in a thread (background.py).
    "sparring.background.RequestScopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Line breaks posted as CR LF count once, as the browser's maxlength counted them.
    "sparring.middleware.LineBreaksMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A logged-in person's own language (set at login, kept by the cookie); see sparring/languages.py.
    "sparring.languages.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Session time limits and the second factor (issue 15; sparring/accounts/security.py).
    "sparring.accounts.middleware.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
]

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere.
# The product's templates have no inline script, style or event handler (JS and
# CSS are static files); the only inline pieces are viewflow's on /staff/ (its
# theme <style> and Turbo's progress bar), which carry the request's nonce. See
# docs/operations.md, "Security headers".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "sparring.context_processors.product",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'sparring.sqlite3'}",
        # Persistent connections on PostgreSQL (a new one costs a refused step more than
        # the step itself: issue 17's race benchmark), checked before each request reuses
        # one, so a restarted server costs one failed check, not an error page.
        conn_max_age=int(
            os.environ.get(
                "DATABASE_CONN_MAX_AGE", "60" if DATABASE_URL.startswith("postgres") else "0"
            )
        ),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # A writer waits for the other instead of failing at once (web + timer loop +
    # concurrent users): every transaction takes the write lock when it begins
    # (BEGIN IMMEDIATE, Django 5.1+), so none fails with "database is locked" when
    # a read turns into a write; the busy timeout (seconds) bounds the wait. WAL lets
    # readers go on while one writes. See docs/operations.md, "SQLite and locking".
    _options["transaction_mode"] = "IMMEDIATE"
    _options["timeout"] = int(os.environ.get("SQLITE_TIMEOUT", "20"))
    _options["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
USES_POSTGRESQL = DATABASES["default"]["ENGINE"].endswith("postgresql")
if USES_POSTGRESQL:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # A database that is down answers "unavailable" (a 503 page) in seconds, not a hang.
    _options.setdefault("connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")))
    # A row lock (the flow lock is SELECT ... FOR UPDATE) is not waited for
    # forever: after this the statement fails, a request answers 503 and a
    # task retries with backoff.
    _options.setdefault(
        "options", f"-c lock_timeout={int(os.environ.get('DATABASE_LOCK_TIMEOUT', '30'))}s"
    )

# ------------------------------------------------------------------------------
# Redis: cache, Celery broker and result backend
# ------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "sparring"),
            # Redis down: fail in a second, never hang a request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ------------------------------------------------------------------------------
# Celery
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Nobody reads a task's result: none is stored, and queueing a task never
# touches the result backend (a web request never waits on it).
CELERY_TASK_IGNORE_RESULT = True
# Without a broker, tasks run in the web process; they are still queued with
# delay_on_commit, so they run after the transaction that asked for them commits.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Without a broker, background work a web request queues (a report's PDF, e-mail) runs
# in a thread of the web process after commit: the request answers at once and the
# page shows the progress (sparring/background.py dispatch); commands run it inline.
# The tests run it inline too (test.py).
SPARRING_TASKS_IN_THREAD = env_bool("SPARRING_TASKS_IN_THREAD", True)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "sparring")
# A dead worker's job is taken by another within about two minutes: its message
# becomes visible again after the visibility timeout (90 s) and workers look for
# such messages every 10 x 3 s. The timeout stays above every task's hard time
# limit (75 s) and every retry countdown (at most 60 s), or a healthy task would
# be delivered twice (harmless, the tasks are idempotent, but wasted work).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "90")),
    # How often a worker looks for such abandoned messages: every
    # interval x throttle seconds.
    "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_RESTORE_THROTTLE", "3")),
    # Redis down: the web's post-commit dispatch gives up in seconds (the
    # reconciliation sweep queues the work later) instead of hanging.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing retries briefly, then dispatch gives up and logs (sparring.background).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 75
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_BEAT_SCHEDULER = "workflow.beat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    "fire-due-workflow-timers": {
        "task": "workflow.tasks.fire_workflow_timers",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The database is the truth: queue again what it says is pending.
    "requeue-pending-work": {
        "task": "workflow.tasks.requeue_pending",
        "schedule": float(os.environ.get("SPARRING_SWEEP_INTERVAL", "60")),
        "options": {"expires": 55},
    },
    # Retention: what the privacy notice says is deleted, when it says (sparring/retention.py).
    "apply-retention": {
        "task": "sparring.tasks.apply_retention",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600},
    },
    # The follow-up impact survey: send, remind once, close (sparring/outcomes/followup.py).
    "follow-up-sweep": {
        "task": "sparring.outcomes.tasks.follow_up_sweep",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # The figures' aggregates: fold the queued changes in (sparring/statistics/aggregates.py).
    "fold-in-figures": {
        "task": "sparring.statistics.tasks.fold_in_figures",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "worker-heartbeat": {
        "task": "workflow.tasks.worker_heartbeat",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}
# The reconciliation sweep queues again a job or e-mail pending longer than
# this (seconds; a running job: longer than SPARRING_REQUEUE_STARTED_AFTER,
# which must stay above the tasks' hard time limit, 75 s).
# Rows read per query by the streamed exports (the case list's CSV; sparring/exports.py):
# one query per chunk, and the memory of one chunk, whatever the programme's size.
SPARRING_EXPORT_CHUNK_ROWS = int(os.environ.get("SPARRING_EXPORT_CHUNK_ROWS", "2000"))
# Rows at most in the case list's XLSX (not streamable): more asks for the CSV or a filter.
SPARRING_XLSX_EXPORT_MAX_ROWS = int(os.environ.get("SPARRING_XLSX_EXPORT_MAX_ROWS", "10000"))
SPARRING_REQUEUE_AFTER = int(os.environ.get("SPARRING_REQUEUE_AFTER", "60"))
SPARRING_REQUEUE_STARTED_AFTER = int(os.environ.get("SPARRING_REQUEUE_STARTED_AFTER", "120"))
# E-mail with a broker and workers: a step's commit queues one flush of the outbox this
# many seconds later (a debounce), which delivers the messages of every step committed
# meanwhile in one batch (sparring/emails.py flush_soon). The embedded default delivers
# at once. None below: batched exactly when Celery is not eager (the bench forces True).
# The longest a read-mostly list is served from the cache (seconds; sparring.list_cache:
# the development acts' feed, the case list's organisations): a change its version sees
# (an act published or withdrawn, an organisation added) shows at once, any other (a
# renamed theme, sector or organisation) within this. 0: built on every request.
SPARRING_LIST_CACHE_SECONDS = int(os.environ.get("SPARRING_LIST_CACHE_SECONDS", "600"))
SPARRING_EMAIL_FLUSH_SECONDS = int(os.environ.get("SPARRING_EMAIL_FLUSH_SECONDS", "3"))
SPARRING_EMAIL_BATCHED = None
# A background job or e-mail pending longer than this counts as stuck on the
# coordinators' page, on their home and in the health check (seconds).
SPARRING_STUCK_AFTER = int(os.environ.get("SPARRING_STUCK_AFTER", "600"))

# ------------------------------------------------------------------------------
# Authentication and permissions
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "sparring.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "sparring.accounts.backends.CaseInsensitiveModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS V2.1.1: at least 12 characters (SPARRING_PASSWORD_MIN_LENGTH).
    {
        "NAME": "sparring.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("SPARRING_PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# Signing in securely (issue 15; the rules: sparring/accounts/security.py, twofactor.py;
# operations.md "Signing in")
# ------------------------------------------------------------------------------
# Failed logins (password or second-factor code) within the window lock the account,
# or the client address, until the window has passed since the last failure.
SPARRING_LOGIN_WINDOW_MINUTES = int(os.environ.get("SPARRING_LOGIN_WINDOW_MINUTES", "15"))
SPARRING_LOGIN_FAILURES_PER_ACCOUNT = int(
    os.environ.get("SPARRING_LOGIN_FAILURES_PER_ACCOUNT", "5")
)
SPARRING_LOGIN_FAILURES_PER_ADDRESS = int(
    os.environ.get("SPARRING_LOGIN_FAILURES_PER_ADDRESS", "20")
)
# Reverse proxies in front of the product that append the client's address to
# X-Forwarded-For (0: none, the address is REMOTE_ADDR).
# Reset links sent for one address in an hour, at most.
SPARRING_PASSWORD_RESET_PER_HOUR = int(os.environ.get("SPARRING_PASSWORD_RESET_PER_HOUR", "3"))
# A session started by a password login ends after this long without a request
# (coordinators and staff: the _PRIVILEGED figure), and this long after the login.
SPARRING_SESSION_IDLE_MINUTES = int(os.environ.get("SPARRING_SESSION_IDLE_MINUTES", "120"))
SPARRING_SESSION_IDLE_MINUTES_PRIVILEGED = int(
    os.environ.get("SPARRING_SESSION_IDLE_MINUTES_PRIVILEGED", "30")
)
SPARRING_SESSION_MAX_HOURS = int(os.environ.get("SPARRING_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SPARRING_SESSION_MAX_HOURS * 3600

# ------------------------------------------------------------------------------
# Languages, time and formats
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "fi"
LANGUAGES = [
    ("fi", _("Finnish")),
    ("sv", _("Swedish")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "sparring_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ------------------------------------------------------------------------------
# Static and uploaded files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # files go through views that check who may read them

# ------------------------------------------------------------------------------
# E-mail
# ------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sparraus <sparraus@example.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "config.email.ConsoleAndFileBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# ------------------------------------------------------------------------------
# Product settings
# ------------------------------------------------------------------------------
# Where the programme's own administration answers questions about the service.
PROGRAMME_CONTACT_EMAIL = os.environ.get("PROGRAMME_CONTACT_EMAIL", "sparraus@example.invalid")

# Retention (sparring/retention.py, applied daily by beat; the privacy notice
# renders these numbers, so it always states what the job does):
# the text and attachments of a sent e-mail are blanked this many days after sending,
# The follow-up impact survey after closing (sparring/outcomes/followup.py).
SPARRING_FOLLOW_UP_AFTER_MONTHS = int(os.environ.get("SPARRING_FOLLOW_UP_AFTER_MONTHS", "4"))
SPARRING_FOLLOW_UP_REMINDER_DAYS = int(os.environ.get("SPARRING_FOLLOW_UP_REMINDER_DAYS", "14"))
SPARRING_FOLLOW_UP_OPEN_DAYS = int(os.environ.get("SPARRING_FOLLOW_UP_OPEN_DAYS", "28"))
SPARRING_RETENTION_EMAIL_DAYS = int(os.environ.get("SPARRING_RETENTION_EMAIL_DAYS", "90"))
# an account not used (logged in) for this many months is deactivated and anonymised,
SPARRING_RETENTION_ACCOUNT_MONTHS = int(os.environ.get("SPARRING_RETENTION_ACCOUNT_MONTHS", "12"))
# the personal data of a case is anonymised this many years after it closed.
SPARRING_RETENTION_CASE_YEARS = int(os.environ.get("SPARRING_RETENTION_CASE_YEARS", "10"))

# The controller of the personal data (named by the privacy notice, templates/legal/).
SPARRING_CONTROLLER_NAME = os.environ.get("SPARRING_CONTROLLER_NAME", "Sparraus-ohjelma")
SPARRING_CONTROLLER_ADDRESS = os.environ.get("SPARRING_CONTROLLER_ADDRESS", "")
SPARRING_CONTROLLER_EMAIL = os.environ.get(
    "SPARRING_CONTROLLER_EMAIL", "tietosuoja@example.invalid"
)

# Client addresses for rate limits (sparring/client_address.py, docs/operations.md):
# how many reverse proxies of our own append to the header; 0: REMOTE_ADDR is the client.
SPARRING_TRUSTED_PROXY_HOPS = int(os.environ.get("SPARRING_TRUSTED_PROXY_HOPS", "0"))
SPARRING_CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"

# ------------------------------------------------------------------------------
# REST API (/api/v1/, docs/api.md)
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # A token first: a request without credentials then gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sparring.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "sparring.api.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "sparring.api.throttling.AnonRateThrottle",
        "sparring.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "sparring.api.views.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per client address (anonymous) or per person (all their tokens and the session).
SPARRING_API_RATES = {
    "anon": os.environ.get("SPARRING_API_ANON_RATE", "60/minute"),
    "user": os.environ.get("SPARRING_API_USER_RATE", "600/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sparraus API",
    "DESCRIPTION": "Open calls, the programme's figures, the cases and tasks of the caller, "
    "the coordinators' ledger, and the call-offs as OCDS open data. See docs/api.md.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "sparring.models.Case.Status",
        "DayStatusEnum": "sparring.models.SessionDay.Status",
        "DaysEnum": [(1, "1"), (2, "2")],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sparring.api.schema.add_error_responses",
    ],
}
# Open data (OCDS): the ocid prefix registered with the Open Contracting Partnership,
# and the programme as the buyer of the call-offs.
SPARRING_OCDS_PREFIX = os.environ.get("SPARRING_OCDS_PREFIX", "ocds-sparraus")
SPARRING_OCDS_BUYER_NAME = os.environ.get("SPARRING_OCDS_BUYER_NAME", "Sparraus-ohjelma")
SPARRING_OCDS_BUYER_ID = os.environ.get("SPARRING_OCDS_BUYER_ID", "")
# Who runs and who funds the programme, by language (fi, sv, en; Finnish where one is
# empty): printed on every report PDF (body, running header and footer).
SPARRING_PROGRAMME_IDENTITY = {
    "programme": {
        "fi": os.environ.get("SPARRING_PROGRAMME_NAME_FI", "Sparraus-ohjelma"),
        "sv": os.environ.get("SPARRING_PROGRAMME_NAME_SV", "Sparrningsprogrammet"),
        "en": os.environ.get("SPARRING_PROGRAMME_NAME_EN", "The sparring programme"),
    },
    "funder": {
        "fi": os.environ.get("SPARRING_FUNDER_NAME_FI", "TYÖ2030-ohjelma"),
        "sv": os.environ.get("SPARRING_FUNDER_NAME_SV", "TYÖ2030-programmet"),
        "en": os.environ.get("SPARRING_FUNDER_NAME_EN", "The TYÖ2030 programme"),
    },
}

# ------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # No token in a logged path (sparring/log_redaction.py, issue 13).
    "filters": {"redact_tokens": {"()": "sparring.log_redaction.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's access lines, through the filter too
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# ------------------------------------------------------------------------------
# Case deadlines (working days skip weekends and Finnish public holidays)
# ------------------------------------------------------------------------------
# The flow that drives a new case (an existing case names its own: case.process.flow_class).
SPARRING_CASE_FLOW = "workflow.flows.SparringFlow"
SPARRING_REVIEW_REMINDER_WORKING_DAYS = int(
    os.environ.get("SPARRING_REVIEW_REMINDER_WORKING_DAYS", "5")
)
SPARRING_OFFER_EXPIRY_WORKING_DAYS = int(os.environ.get("SPARRING_OFFER_EXPIRY_WORKING_DAYS", "5"))
SPARRING_REPORT_REMINDER_DAYS = int(os.environ.get("SPARRING_REPORT_REMINDER_DAYS", "14"))
SPARRING_FEEDBACK_DAYS = int(os.environ.get("SPARRING_FEEDBACK_DAYS", "14"))
SPARRING_INVITATION_DAYS = int(os.environ.get("SPARRING_INVITATION_DAYS", "7"))
# Each waiting step's deadline rule (issue 14; the steps of sparring/cases/steps.py,
# computed in sparring/cases/deadlines.py), in working days: the step is due "due"
# working days after it starts waiting (None: the step's own rule -- review: the review
# reminder above; report: SPARRING_REPORT_REMINDER_DAYS after the last day held; deliver:
# counted from the last planned day); the party who must act is reminded on the due date
# and again "second" working days later; "escalate" working days after the due date the
# coordinators are told (offer: None, its expiry tells them).
SPARRING_STEP_DEADLINES = {
    "review": {"due": None, "second": 3, "escalate": 5},
    "amend": {"due": 10, "second": 5, "escalate": 10},
    "call_off": {"due": 3, "second": 2, "escalate": 4},
    # due: the offer's own deadline (offer_deadline, 5 working days; it then expires and
    # the coordinators are told); the consultant is reminded after 3 working days and
    # again a working day later, both before the offer expires.
    "offer": {"due": None, "remind": 3, "second": 1, "escalate": None},
    "schedule": {"due": 10, "second": 5, "escalate": 10},
    "confirm": {"due": 5, "second": 3, "escalate": 5},
    "deliver": {"due": 3, "second": 3, "escalate": 5},
    "report": {"due": None, "second": 5, "escalate": 10},
    "close": {"due": 5, "second": 3, "escalate": 5},
}
# The address the product's links in e-mail start with.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
