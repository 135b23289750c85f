"""The embedded default: what `make run` starts on a developer's machine."""

import os
import secrets

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, VAR_DIR

DEBUG = True

# The address `make run` serves on (the Makefile passes HOST and PORT). Links in
# e-mail and on the pages start with SITE_URL, so without an explicit SITE_URL it
# follows them: `make run PORT=8101` links to http://127.0.0.1:8101.
HOST = os.environ.get("HOST") or "127.0.0.1"
PORT = os.environ.get("PORT") or "8000"
_LISTEN_EVERYWHERE = {"0.0.0.0", "::", "[::]"}  # noqa: S104 (a listening address, not a bind here)
_served_at = VAR_DIR / "local-settings"  # `make run` writes the address it serves on
_remembered = _served_at.read_text().strip() if _served_at.exists() else ""
if not os.environ.get("SITE_URL") and not os.environ.get("PORT") and _remembered.startswith("http"):
    # a command run beside the server (demo_advance, seed_demo): the server's address
    SITE_URL = _remembered
elif not os.environ.get("SITE_URL"):
    _link_host = "127.0.0.1" if HOST in _LISTEN_EVERYWHERE else HOST
    if ":" in _link_host and not _link_host.startswith("["):
        _link_host = f"[{_link_host}]"  # an IPv6 address in a URL
    SITE_URL = f"http://{_link_host}:{PORT}"
# Answer on the host it serves on (any host when it listens on every interface),
# so that another HOST does not get "400 Bad Request" pages.
ALLOWED_HOSTS = (
    ["*"] if HOST in _LISTEN_EVERYWHERE else list(dict.fromkeys([*ALLOWED_HOSTS, HOST.strip("[]")]))
)

# A random key made once per checkout and kept under var/, never committed.
_secret_file = VAR_DIR / "secret_key"
if not SECRET_KEY:  # noqa: F405
    if not _secret_file.exists():
        _secret_file.write_text(secrets.token_urlsafe(50))
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()
