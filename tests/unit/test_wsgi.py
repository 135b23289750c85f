"""The WSGI entry point (config/wsgi.py) freezes what it loaded at start-up (issue 17)."""

import subprocess
import sys

from django.conf import settings


def test_the_server_process_freezes_its_start_up_objects():
    """gunicorn imports config.wsgi in each worker: after the import the URL configuration
    is loaded and the start-up objects are in the garbage collector's permanent
    generation (gc.freeze), so full collections during requests do not scan them."""
    code = (
        "import gc, sys\n"
        "import config.wsgi\n"
        "print(gc.get_freeze_count(), 'sparring.urls' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "SECRET_KEY": "test-only-not-secret",
        },
        timeout=120,
    )
    frozen, urls_loaded = result.stdout.split()
    assert int(frozen) > 10_000
    assert urls_loaded == "True"
