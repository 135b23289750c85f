"""Django's login signals, handed to ``security`` (connected in ``AccountsConfig.ready``)."""

from .security import login_failed, login_started


def on_logged_in(sender, request, user, **kwargs):
    """A password login (marked by the backend or the invitation page) starts a secured
    session; ``Client.force_login`` in tests does not (it proves no password)."""
    if request is not None and getattr(user, "_sparring_password_login", False):
        login_started(request, user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    """Count and audit a wrong password (``credentials`` has the password masked)."""
    username = credentials.get("username") or ""
    if username:
        login_failed(username=str(username), request=request)
