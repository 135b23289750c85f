"""Personal API tokens: a script acts as the person who made the token, nothing more."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sparring import clock
from sparring.validators import DateTimeField as RangedDateTimeField

# Every token starts with this, so that a leaked one is easy to recognise in logs
# and by secret scanners.
TOKEN_PREFIX = "spr_"  # noqa: S105 (a public marker, not a secret)


def token_generate() -> str:
    """A new secret: the prefix and 32 random bytes, URL-safe (about 47 characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(key: str) -> str:
    """SHA-256 of the secret, hex. Only this is stored.

    A plain hash is enough (no salt or slow hash): the secret has 256 random
    bits, so it cannot be guessed from the hash, and the hash can be looked up.
    """
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. The secret is shown once, when it is made; only its hash is kept.

    A token acts with its owner's role and permissions as they are at each
    request. Revoking it (``revoked_at``) refuses it at once with 401.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the script using it.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12,
        editable=False,
        help_text="The first characters of the secret, to recognise it.",
    )
    created = RangedDateTimeField(_("created"), default=clock.now, editable=False)
    last_used_at = RangedDateTimeField(_("last used"), null=True, blank=True)
    revoked_at = RangedDateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class CaseTally(models.Model):
    """How many cases exist: one row (``id`` 1), kept by the database's triggers
    (``api.case_tally``), so that the coordinator's case list reads its ``count`` rather
    than counting every case (issue 17). PostgreSQL only; no code writes it."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    cases = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.cases)
