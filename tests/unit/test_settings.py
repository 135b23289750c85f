"""The embedded default and services mode come from the same settings module."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables the test session itself sets, which a fresh process must not inherit.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}

PROBE = """
import json, django
from django.conf import settings
django.setup()
from workflow.lock import flow_lock
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "email": settings.EMAIL_BACKEND,
    "lock": type(flow_lock).__name__,
    "language": settings.LANGUAGE_CODE,
    "tz": settings.TIME_ZONE,
}))
"""


def settings_with(env: dict, module: str = "config.settings.local", tmp_path=None) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    if tmp_path is not None:
        clean["SPARRING_VAR_DIR"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_environment_means_sqlite_in_process_tasks_and_mail_to_files(tmp_path):
    embedded = settings_with({}, tmp_path=tmp_path)
    assert embedded["engine"] == "django.db.backends.sqlite3"
    assert embedded["name"] == str(tmp_path / "sparring.sqlite3")
    assert embedded["eager"] is True
    assert embedded["broker"] == "memory://"
    assert embedded["email"] == "config.email.ConsoleAndFileBackend"
    assert embedded["lock"] == "CacheLock"
    assert embedded["language"] == "fi"
    assert embedded["tz"] == "Europe/Helsinki"


def test_database_and_redis_urls_switch_to_services_mode(tmp_path):
    services = settings_with(
        {
            "DATABASE_URL": "postgres://u:p@db.invalid:5432/sparring",
            "REDIS_URL": "redis://r.invalid:6379/1",
        },
        tmp_path=tmp_path,
    )
    assert services["engine"] == "django.db.backends.postgresql"
    assert services["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert services["broker"] == "redis://r.invalid:6379/1"
    assert services["eager"] is False
    assert services["lock"] == "SelectForUpdateLock"


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-production-like-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "sparraus.example.fi",
        "SPARRING_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_installs_no_demo_code_and_has_no_seed_commands(tmp_path):
    """The replay, demo data and benchmarks (sparring.demo) are for make run and tests only."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-production-like-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "sparraus.example.fi",
        "SPARRING_VAR_DIR": str(tmp_path),
    }
    probe = (
        "import django, json; django.setup(); from django.conf import settings; "
        "from django.core.management import get_commands; "
        "print(json.dumps([settings.INSTALLED_APPS, sorted(get_commands())]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    apps, commands = json.loads(out.stdout.strip().splitlines()[-1])
    assert "sparring.demo" not in apps and "sparring.cases" in apps
    assert not {"seed_programme", "seed_demo", "bench_pdf", "bench_statistics"} & set(commands)
    assert "programme_stats" in commands


def test_embedded_email_goes_to_console_and_files(tmp_path, capsys):
    from django.core.mail import EmailMessage

    from config.email import ConsoleAndFileBackend

    backend = ConsoleAndFileBackend(file_path=str(tmp_path))
    sent = backend.send_messages(
        [EmailMessage("Aihe", "Viesti", "a@example.invalid", ["b@example.invalid"])]
    )
    assert sent == 1
    assert "Aihe" in capsys.readouterr().out
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and "Viesti" in files[0].read_text()


def test_production_cookies_are_host_bound_and_sessions_are_limited(tmp_path):
    """Issue 15: __Host- cookies (Secure, Path=/, no Domain), passwords of 12 characters,
    idle and absolute session limits, and the account security middleware."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-production-like-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "sparraus.example.fi",
        "SPARRING_VAR_DIR": str(tmp_path),
    }
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in ['SESSION_COOKIE_NAME', "
        "'CSRF_COOKIE_NAME', 'LANGUAGE_COOKIE_NAME', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE', 'SESSION_COOKIE_DOMAIN', "
        "'CSRF_COOKIE_DOMAIN', 'LANGUAGE_COOKIE_DOMAIN', 'SESSION_COOKIE_PATH', "
        "'CSRF_COOKIE_PATH', 'LANGUAGE_COOKIE_PATH', 'AUTH_PASSWORD_VALIDATORS', "
        "'SESSION_COOKIE_AGE', 'SPARRING_SESSION_IDLE_MINUTES_PRIVILEGED', 'MIDDLEWARE']}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    for kind in ("SESSION", "CSRF", "LANGUAGE"):
        assert found[f"{kind}_COOKIE_NAME"].startswith("__Host-")
        assert found[f"{kind}_COOKIE_SECURE"] is True
        assert found[f"{kind}_COOKIE_DOMAIN"] is None
        assert found[f"{kind}_COOKIE_PATH"] == "/"
    lengths = [
        v.get("OPTIONS", {}).get("min_length")
        for v in found["AUTH_PASSWORD_VALIDATORS"]
        if v["NAME"].endswith("MinimumLengthValidator")
    ]
    assert lengths == [12]
    assert found["SESSION_COOKIE_AGE"] <= 12 * 3600
    assert found["SPARRING_SESSION_IDLE_MINUTES_PRIVILEGED"] == 30
    assert "sparring.accounts.middleware.AccountSecurityMiddleware" in found["MIDDLEWARE"]


# ------------------------------------------------------------------------------
# Production-safe defaults (issue 15, item 8): no DEBUG in a worker started bare
# ------------------------------------------------------------------------------


def test_without_the_variable_or_the_marker_the_default_is_production(tmp_path):
    from config.environment import default_settings_module

    absent = tmp_path / "local-settings"
    assert default_settings_module({}, marker=absent) == "config.settings.production"
    absent.touch()
    assert default_settings_module({}, marker=absent) == "config.settings.local"
    explicit = {"DJANGO_SETTINGS_MODULE": "config.settings.test"}
    assert default_settings_module(explicit, marker=absent) == "config.settings.test"


def _bare_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env["SPARRING_VAR_DIR"] = str(tmp_path)
    return env


def test_a_celery_worker_started_without_settings_runs_production_not_debug(tmp_path):
    """The marker lives in the checkout's var/; this checkout's tests must not have it."""
    from config.environment import LOCAL_MARKER

    if LOCAL_MARKER.exists():  # a developer ran `make run` here: simulate a bare server
        import pytest

        pytest.skip("var/local-settings exists in this checkout (make run writes it)")
    probe = "import celery_app, os; print(os.environ['DJANGO_SETTINGS_MODULE'])"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=_bare_env(tmp_path), capture_output=True
    )
    assert out.stdout.decode().strip() == "config.settings.production"
    # manage.py refuses to start production settings without a secret: never DEBUG
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_bare_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
