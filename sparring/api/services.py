"""Making and revoking personal API tokens (atomic, audited)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import AuditAction, audit_record

from .models import ApiToken, token_generate, token_hash

MAX_ACTIVE_TOKENS = 10  # per person; a revoked token does not count


@transaction.atomic
def api_token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """Make a personal API token for ``actor``.

    Args:
        actor: the logged-in person; the token acts as them.
        name: what the token is for (1–100 characters).

    Returns:
        The token record and its secret. The secret is not stored (only its
        SHA-256) and cannot be shown again.

    Raises:
        PermissionDenied: the actor is not a logged-in, active person.
        ValidationError: no name, a name too long, or already MAX_ACTIVE_TOKENS active tokens.

    Audit: ``api_token_created`` with the name and the prefix (never the secret).
    """
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name: what is it for?")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name can have at most 100 characters.")})
    # Lock the person's row so that two requests at once cannot pass the limit.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {
                "name": _("You have %(count)s active tokens; revoke one before making another.")
                % {"count": active}
            }
        )
    key = token_generate()
    token = ApiToken.objects.create(
        user=actor, name=name, key_hash=token_hash(key), prefix=key[:12]
    )
    audit_record(
        actor=actor,
        action=AuditAction.API_TOKEN_CREATED,
        subject=token,
        data={"name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> bool:
    """Revoke ``token``: from the next request on it gets 401.

    Args:
        actor: the token's owner, or a coordinator (who may revoke anyone's token,
            e.g. one that leaked or belongs to someone who left).
        token: the token to revoke.

    Returns:
        True when revoked now; False when it had been revoked already (nothing changes).

    Raises:
        PermissionDenied: the actor neither owns the token nor is a coordinator.

    Audit: ``api_token_revoked`` with the name and the prefix.
    """
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied
    if token.user_id != actor.pk and not access.is_coordinator(actor):
        raise PermissionDenied
    now = clock.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not revoked:
        return False
    token.revoked_at = now
    audit_record(
        actor=actor,
        action=AuditAction.API_TOKEN_REVOKED,
        subject=token,
        data={"name": token.name, "prefix": token.prefix, "owner": token.user_id},
    )
    return True
