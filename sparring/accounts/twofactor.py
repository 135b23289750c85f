"""The second factor (issue 15, ASVS V2.7/V2.8): an authenticator app and recovery codes.

TOTP as in RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits, one step of clock drift
either way), which every authenticator app reads from the QR code of an
``otpauth://`` address. A code is accepted once (``SecondFactor.last_step``).
Ten single-use recovery codes are shown once at enrolment; only their SHA-256
digests are stored (each has 60 random bits, and wrong guesses count as failed
logins, so a fast hash is enough). A superuser can reset a lost device.

Who needs a second factor and when it is asked for: ``security.needs_second_factor``
and ``middleware.AccountSecurityMiddleware``.
"""

import base64
import hashlib
import hmac
import secrets
import struct
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from sparring import clock
from sparring.audit import AuditAction, audit_record

from .models import RecoveryCode, SecondFactor, token_digest

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def new_secret() -> str:
    """A fresh shared secret: 160 random bits in base32 (what authenticator apps read)."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def totp(secret: str, step: int) -> str:
    """The code of ``secret`` (base32) for the time step ``step`` (RFC 6238 / RFC 4226)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def current_step() -> int:
    """The TOTP time step now (on the product's clock, which is the real one outside tests)."""
    return int(clock.now().timestamp()) // STEP_SECONDS


def current_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret`` (the tests' helper uses it)."""
    return totp(secret, current_step())


def provisioning_uri(user: Any, secret: str) -> str:
    """The ``otpauth://`` address the QR code carries: the product's name, the username."""
    issuer = settings.SITE_NAME
    label = quote(f"{issuer}:{user.get_username()}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG markup, made on the server (no CDN, no script)."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=5, title=None, dark="#000", light="#fff")


def enrolment_start(*, user: Any) -> SecondFactor:
    """The unconfirmed authenticator of ``user`` (made now if there is none).

    Raises ValueError if ``user`` already has a confirmed one (a superuser resets it first).
    """
    factor = SecondFactor.objects.filter(user=user).first()
    if factor is not None and factor.confirmed_at is not None:
        raise ValueError("already enrolled")
    if factor is None:
        factor = SecondFactor.objects.create(user=user, secret=new_secret())
    return factor


def _matching_step(factor: SecondFactor, code: str) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != DIGITS:
        return None
    now = current_step()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if step > factor.last_step and hmac.compare_digest(totp(factor.secret, step), code):
            return step
    return None


def _new_recovery_codes(user: Any) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_digest=token_digest(code)) for code in codes
    )
    return codes


def enrolment_confirm(*, user: Any, code: str) -> list[str] | None:
    """Confirm the authenticator of ``user`` with a code it shows; audited.

    Returns the new recovery codes (to be shown once), or None if the code is wrong
    (the caller counts that as a failed login).
    """
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user=user).first()
        if factor is None or factor.confirmed_at is not None:
            return None
        step = _matching_step(factor, code)
        if step is None:
            return None
        factor.confirmed_at = clock.now()
        factor.last_step = step
        factor.save(update_fields=["confirmed_at", "last_step"])
        codes = _new_recovery_codes(user)
        audit_record(actor=user, action=AuditAction.SECOND_FACTOR_ENROLLED, subject=user)
    return codes


def is_enrolled(user: Any) -> bool:
    """True if ``user`` has a confirmed authenticator app."""
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def verify(*, user: Any, code: str) -> bool:
    """True if ``code`` is the authenticator's current code (not used before) or an unused
    recovery code of ``user``; a recovery code is used up and its use audited."""
    with transaction.atomic():
        factor = (
            SecondFactor.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if factor is None:
            return False
        step = _matching_step(factor, code)
        if step is not None:
            factor.last_step = step
            factor.save(update_fields=["last_step"])
            return True
        normalised = "".join(ch for ch in code.lower() if ch.isalnum())
        if len(normalised) != 12:
            return False
        formatted = "-".join(normalised[i : i + 4] for i in range(0, 12, 4))
        used = RecoveryCode.objects.filter(
            user=user, code_digest=token_digest(formatted), used_at__isnull=True
        ).update(used_at=clock.now())
        if not used:
            return False
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        audit_record(
            actor=user, action=AuditAction.RECOVERY_CODE_USED, subject=user, data={"left": left}
        )
        return True


def second_factor_reset(*, actor: Any, user: Any) -> None:
    """Remove the authenticator and recovery codes of ``user`` (a lost phone): they set up
    a new one at their next login. Audited.

    Raises PermissionDenied unless ``actor`` is a superuser.
    """
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied
    with transaction.atomic():
        SecondFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(actor=actor, action=AuditAction.SECOND_FACTOR_RESET, subject=user)


def enrol_for_demo(*, user: Any, secret: str) -> None:
    """Give ``user`` a confirmed authenticator with ``secret`` (seed_demo and tests only:
    the demo prints the secret so that a stranger can log in as the coordinator)."""
    SecondFactor.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": clock.now(), "last_step": 0}
    )
