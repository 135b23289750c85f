"""Invitations to set a password, and requests for access from unregistered organisations."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.models import Organisation
from sparring.regions import Region
from sparring.validators import DateTimeField as RangedDateTimeField


def token_digest(token: str) -> str:
    """The stored form of a link's secret: its SHA-256, so the table alone opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use, expiring link that lets an invited person set their password.

    The person's account exists from the moment they are invited (without a usable
    password); the link only sets the password. Only the digest of the link's
    secret is stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = RangedDateTimeField(_("sent"), default=clock.now, editable=False)
    expires_at = RangedDateTimeField(_("expires"))
    used_at = RangedDateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created:%Y-%m-%d})"

    def is_usable(self, at=None) -> bool:
        """Not used yet, not expired and its person still active."""
        at = at or clock.now()
        return self.used_at is None and at < self.expires_at and self.user.is_active


class AccessRequest(models.Model):
    """Someone of an organisation not yet registered asks for access.

    A coordinator approves it (the organisation is registered and the person
    invited as its applicant) or declines it with a reason that is mailed to them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    business_id = models.CharField(_("Business ID"), max_length=9, db_index=True)
    name_fi = models.CharField(_("official name in Finnish"), max_length=200)
    name_sv = models.CharField(_("official name in Swedish"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Organisation.Kind.choices)
    region = models.CharField(_("region"), max_length=2, choices=Region.choices)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="fi"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created = RangedDateTimeField(_("sent"), default=clock.now, editable=False)
    decided_at = RangedDateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-created", "-pk"]
        constraints = [
            # Two requests for one organisation can never wait at once.
            models.UniqueConstraint(
                fields=["business_id"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_business_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_fi} ({self.business_id})"

    def display_name(self, language: str | None = None) -> str:
        """The organisation's name as requested, in ``language`` (default: the active one)."""
        from sparring.models import localized_name

        return localized_name(self.name_fi, self.name_sv, language)

    @property
    def person_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# ------------------------------------------------------------------------------
# Signing in securely (issue 15): throttling, the password reset's limit, the
# second factor. The rules are in ``security.py`` and ``twofactor.py``.
# ------------------------------------------------------------------------------


class LoginFailure(models.Model):
    """One failed attempt to sign in (a wrong password or second-factor code).

    Counted per account and per client address to lock either out for a while
    (``security.lockout_of``); removed when the lockout is lifted or after a
    successful login (the account's own), and otherwise simply ages out of the window.
    """

    username = models.CharField(_("username"), max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True, db_index=True)
    created = RangedDateTimeField(_("when"), default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.username} {self.ip_address or ''} {self.created:%Y-%m-%d %H:%M}"


class PasswordResetRequest(models.Model):
    """One request for a password reset link, known address or not.

    Every request leaves a row, so the per-address limit counts every request and
    the page does the same work whoever asks. The address is kept only until the
    background task has looked it up (then blanked); its digest stays for the limit.
    """

    email_digest = models.CharField(max_length=64, db_index=True, editable=False)
    email = models.CharField(max_length=254, blank=True, editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created = RangedDateTimeField(default=clock.now, db_index=True, editable=False)
    handled_at = RangedDateTimeField(null=True, blank=True)
    limited = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.email_digest[:12]} {self.created:%Y-%m-%d %H:%M}"


class SecondFactor(models.Model):
    """A person's authenticator app (TOTP, RFC 6238): its shared secret, in base32.

    Unconfirmed (``confirmed_at`` empty) while the person enrols; ``last_step`` is
    the last time step accepted, so a code is never accepted twice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="second_factor",
    )
    secret = models.CharField(max_length=64, editable=False)
    created = RangedDateTimeField(default=clock.now, editable=False)
    confirmed_at = RangedDateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    last_step = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(models.Model):
    """A single-use code that replaces the authenticator app once; only its digest is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_digest = models.CharField(max_length=64, editable=False)
    created = RangedDateTimeField(default=clock.now, editable=False)
    used_at = RangedDateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} ({'used' if self.used_at else 'unused'})"
