"""The embedded default: what `make run` starts on a developer's machine."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = True

# A random key made once per checkout and kept under var/, never committed.
_secret_file = VAR_DIR / "secret_key"
if not SECRET_KEY:  # noqa: F405
    if not _secret_file.exists():
        _secret_file.write_text(secrets.token_urlsafe(50))
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()
