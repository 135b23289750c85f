"""The embedded default (SQLite) makes concurrent writers wait, never "database is locked"
(issue 15, item 7): four applicants submitting at the same moment all get their case."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}


def test_sqlite_transactions_take_the_write_lock_at_begin_and_wait_for_it():
    from config.settings import base

    if base.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return  # services mode: PostgreSQL
    options = base.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 20
    assert "journal_mode=WAL" in options["init_command"]
    assert settings.DATABASES  # the test settings load


def test_four_concurrent_submissions_on_a_file_database_all_succeed(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "SPARRING_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "tests.unit.probes.sqlite_concurrency", "4"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"statuses": [302, 302, 302, 302], "submitted": 4}, result.stderr[-3000:]
