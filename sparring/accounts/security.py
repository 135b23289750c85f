"""Signing in securely (issue 15, OWASP ASVS 4.0.3 V2/V3): the one place for these rules.

* **Throttling and lockout.** Failed logins (wrong password, wrong second-factor
  code) are counted per account and per client address inside a sliding window
  (``SPARRING_LOGIN_WINDOW_MINUTES``). An account with
  ``SPARRING_LOGIN_FAILURES_PER_ACCOUNT`` failures, or an address with
  ``SPARRING_LOGIN_FAILURES_PER_ADDRESS``, is locked until the window has passed
  since its last failure; a coordinator can lift the lock earlier
  (``lockout_lift``). Every success, failure and lockout is in the audit trail.
* **The client's address** is ``REMOTE_ADDR`` unless the product runs behind a
  trusted reverse proxy: ``SPARRING_TRUSTED_PROXY_HOPS`` proxies append to
  ``X-Forwarded-For``, and the address is read that many entries from the right
  (never the left, which the client writes).
* **Password reset** does the same work for every address, known or not: it
  records the request and hands the lookup to the background (``password_reset_send``),
  which queues the e-mail in the outbox. At most ``SPARRING_PASSWORD_RESET_PER_HOUR``
  requests per address in an hour lead to an e-mail.
* **Sessions** started by a password login end after
  ``SPARRING_SESSION_IDLE_MINUTES`` without a request
  (``SPARRING_SESSION_IDLE_MINUTES_PRIVILEGED`` for coordinators and staff) and
  ``SPARRING_SESSION_MAX_HOURS`` after the login in any case.
"""

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest

from sparring import access, clock
from sparring.audit import AuditAction, audit_record
from sparring.background import dispatch
from sparring.client_address import client_address

from .models import LoginFailure, PasswordResetRequest

# Keys of the session (set at a password login; see ``login_started``).
SESSION_LOGIN_AT = "sparring_login_at"  # POSIX seconds of the password login
SESSION_SEEN_AT = "sparring_seen_at"  # POSIX seconds of the last request
SESSION_SECOND_FACTOR = "sparring_second_factor"  # "pending" until the code is given
SECOND_FACTOR_PENDING = "pending"
SECOND_FACTOR_DONE = "done"

# How long failed logins and password reset requests are kept (longer than any window).
KEEP_RECORDS = timedelta(days=1)

PASSWORD_RESET_TASK = "sparring.accounts.tasks.password_reset_send"  # noqa: S105 (a task name)


# ------------------------------------------------------------------------------
# The client's address
# ------------------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client that sent ``request``, or None if unknown.

    The one rule for the address behind our proxies is ``sparring.client_address``
    (setting ``SPARRING_TRUSTED_PROXY_HOPS``, see operations.md); an entry that is not
    an IP address gives None.
    """
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_address(request).strip()))
    except ValueError:
        return None


# ------------------------------------------------------------------------------
# Throttling and lockout
# ------------------------------------------------------------------------------


def _username_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _window() -> timedelta:
    return timedelta(minutes=settings.SPARRING_LOGIN_WINDOW_MINUTES)


@dataclass(frozen=True)
class Lockout:
    """Why and until when logging in is refused."""

    by_account: bool
    until: datetime


def lockout_of(*, username: str, ip: str | None) -> Lockout | None:
    """The lockout in force for ``username`` or the address ``ip``, or None.

    Locked: ``SPARRING_LOGIN_FAILURES_PER_ACCOUNT`` failures for the account (any
    letter case), or ``SPARRING_LOGIN_FAILURES_PER_ADDRESS`` from the address, in the
    last ``SPARRING_LOGIN_WINDOW_MINUTES``; it lasts until that long after the last one.
    """
    since = clock.now() - _window()
    recent = LoginFailure.objects.filter(created__gt=since)
    account = recent.filter(username=_username_key(username)).aggregate(
        n=Count("pk"), last=Max("created")
    )
    if username and account["n"] >= settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT:
        return Lockout(by_account=True, until=account["last"] + _window())
    if ip:
        address = recent.filter(ip_address=ip).aggregate(n=Count("pk"), last=Max("created"))
        if address["n"] >= settings.SPARRING_LOGIN_FAILURES_PER_ADDRESS:
            return Lockout(by_account=False, until=address["last"] + _window())
    return None


def _user_subject(username: str) -> tuple[Any | None, str]:
    user = get_user_model()._default_manager.filter(username__iexact=username).first()
    if user is not None:
        return user, f"sparring.user:{user.pk}"
    return None, f"login:{_username_key(username)[:100]}"


def login_failed(*, username: str, request: HttpRequest | None, step: str = "password") -> None:
    """Record a failed login (``step``: "password" or "second_factor") and, when this
    failure makes the account or the address locked, the lockout; both audited."""
    ip = client_ip(request)
    with transaction.atomic():
        # Failures (usernames, addresses) are kept one day at most, then forgotten.
        LoginFailure.objects.filter(created__lt=clock.now() - KEEP_RECORDS).delete()
        already = lockout_of(username=username, ip=ip)
        LoginFailure.objects.create(username=_username_key(username), ip_address=ip)
        _user, subject = _user_subject(username)
        audit_record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            subject=subject,
            data={"ip": ip, "step": step},
        )
        if already is None:
            lockout = lockout_of(username=username, ip=ip)
            if lockout is not None:
                audit_record(
                    actor=None,
                    action=AuditAction.LOGIN_LOCKED_OUT,
                    subject=subject,
                    data={
                        "ip": ip,
                        "by": "account" if lockout.by_account else "address",
                        "until": lockout.until.isoformat(),
                    },
                )


def login_succeeded(*, user: Any, request: HttpRequest | None) -> None:
    """Audit a password login and forget the account's earlier failures."""
    LoginFailure.objects.filter(username=_username_key(user.get_username())).delete()
    audit_record(
        actor=user,
        action=AuditAction.LOGIN_SUCCEEDED,
        subject=user,
        data={"ip": client_ip(request)},
    )


@dataclass(frozen=True)
class LockedOut:
    """A lockout in force, as the coordinators' page lists it."""

    kind: str  # "account" or "address"
    key: str  # the username (lower case) or the address
    failures: int
    until: datetime


def lockouts() -> list[LockedOut]:
    """Every account and address locked now, the latest failure first (at most 200)."""
    since = clock.now() - _window()
    recent = LoginFailure.objects.filter(created__gt=since)
    found = []
    for kind, field, limit in (
        ("account", "username", settings.SPARRING_LOGIN_FAILURES_PER_ACCOUNT),
        ("address", "ip_address", settings.SPARRING_LOGIN_FAILURES_PER_ADDRESS),
    ):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .exclude(**{field: ""})
            .values(field)
            .annotate(n=Count("pk"), last=Max("created"))
            .filter(n__gte=limit)
            .order_by("-last")[:100]
        )
        found += [
            LockedOut(kind=kind, key=row[field], failures=row["n"], until=row["last"] + _window())
            for row in rows
        ]
    return sorted(found, key=lambda lock: lock.until, reverse=True)


def lockout_lift(*, actor: Any, kind: str, key: str) -> int:
    """Lift the lockout of an account (``kind`` "account", ``key`` the username) or an
    address ("address", the IP) at once; audited. Returns the failures forgotten.

    Raises PermissionDenied unless ``actor`` is a coordinator, ValueError for another kind.
    """
    from django.core.exceptions import PermissionDenied

    if not access.is_coordinator(actor):
        raise PermissionDenied
    if kind == "account":
        failures = LoginFailure.objects.filter(username=_username_key(key))
        subject = _user_subject(key)[1]
    elif kind == "address":
        failures = LoginFailure.objects.filter(ip_address=key)
        subject = f"address:{key}"
    else:
        raise ValueError(kind)
    with transaction.atomic():
        count, _ = failures.delete()
        audit_record(
            actor=actor, action=AuditAction.LOGIN_UNLOCKED, subject=subject, data={"by": kind}
        )
    return count


# ------------------------------------------------------------------------------
# Sessions
# ------------------------------------------------------------------------------


def needs_second_factor(user: Any) -> bool:
    """Coordinators, and everyone who can open ``/admin/`` or ``/staff/``, log in with a
    second factor (issue 15, ASVS V2.7/V2.8)."""
    return bool(
        user.is_authenticated
        and (user.is_staff or user.is_superuser or access.is_coordinator(user))
    )


def mark_password_login(user: Any) -> Any:
    """Mark ``user`` as having just proven their password (the backend does this after
    a correct password; the invitation page after the password is set)."""
    user._sparring_password_login = True
    return user


def login_started(request: HttpRequest, user: Any) -> None:
    """Start the security of a session after a password login: audit it, clear the
    account's failures, note the time, and ask for the second factor if the person
    needs one. Called by the ``user_logged_in`` signal for a password login only;
    ``Client.force_login`` in tests starts no such session (see tests/conftest.py)."""
    login_succeeded(user=user, request=request)
    now = clock.now().timestamp()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    if needs_second_factor(user):
        request.session[SESSION_SECOND_FACTOR] = SECOND_FACTOR_PENDING


def idle_limit(user: Any) -> timedelta:
    """How long a session of ``user`` may go without a request."""
    minutes = (
        settings.SPARRING_SESSION_IDLE_MINUTES_PRIVILEGED
        if needs_second_factor(user)
        else settings.SPARRING_SESSION_IDLE_MINUTES
    )
    return timedelta(minutes=minutes)


def session_expired(request: HttpRequest) -> bool:
    """True if the session of a password login has been idle too long or has reached its
    absolute lifetime; otherwise notes this request's time (at most once a minute)."""
    login_at = request.session.get(SESSION_LOGIN_AT)
    if login_at is None:
        return False
    now = clock.now().timestamp()
    seen_at = request.session.get(SESSION_SEEN_AT, login_at)
    if now - login_at > settings.SPARRING_SESSION_MAX_HOURS * 3600:
        return True
    if now - seen_at > idle_limit(request.user).total_seconds():
        return True
    if now - seen_at > 60:
        request.session[SESSION_SEEN_AT] = now
    return False


# ------------------------------------------------------------------------------
# Password reset
# ------------------------------------------------------------------------------


def email_digest(email: str) -> str:
    """The stored form of an address in the reset limit (lower case, SHA-256)."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def password_reset_request(*, email: str, request: HttpRequest | None) -> PasswordResetRequest:
    """Ask for a reset link for ``email``: the same queries whether or not anyone has
    the address (count, insert, hand to the background after commit), so neither the
    answer nor its time tells who has an account.

    Beyond ``SPARRING_PASSWORD_RESET_PER_HOUR`` requests for the address within an
    hour, the request is recorded as limited and no e-mail is sent.
    """
    digest = email_digest(email)
    with transaction.atomic():
        recent = PasswordResetRequest.objects.filter(
            email_digest=digest, created__gt=clock.now() - timedelta(hours=1)
        ).count()
        row = PasswordResetRequest.objects.create(
            email_digest=digest,
            email=email.strip(),
            ip_address=client_ip(request),
            limited=recent >= settings.SPARRING_PASSWORD_RESET_PER_HOUR,
        )
        transaction.on_commit(lambda: dispatch(PASSWORD_RESET_TASK, args=[row.pk]))
    return row
