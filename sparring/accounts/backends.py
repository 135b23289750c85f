"""Signing in with the username in any letter case.

Invited people's usernames are their e-mail addresses, which people type with
capitals as often as not (``Anna.Virtanen@Espoo.fi``). Usernames are made unique
without regard to case (``accounts.services``), so a case-insensitive match names
one person; if old data has two that differ only in case, only the exact spelling
signs in.

An account or address locked after repeated failures (``security.lockout_of``) does
not sign in, even with the right password, until the lockout ends.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class CaseInsensitiveModelBackend(ModelBackend):
    """Django's ``ModelBackend`` with ``username__iexact``; everything else unchanged."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """The active user whose username matches ``username`` in any case and whose
        password is ``password``; None otherwise (with the same hashing work either way)."""
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        from .security import client_ip, lockout_of, mark_password_login

        if lockout_of(username=username, ip=client_ip(request)) is not None:
            # Locked (too many failures): not even a right password signs in until it ends.
            user_model().set_password(password)  # the same work as a check
            return None
        matches = list(user_model._default_manager.filter(username__iexact=username)[:2])
        exact = [user for user in matches if user.username == username]
        user = exact[0] if exact else (matches[0] if len(matches) == 1 else None)
        if user is None:
            user_model().set_password(password)  # as slow as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return mark_password_login(user)
        return None
