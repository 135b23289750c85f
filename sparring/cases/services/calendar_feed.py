"""The consultant's personal calendar feed: make, revoke and read it by its secret.

The feed's address carries a random secret (``secrets.token_urlsafe``, 256 bits);
only its SHA-256 is stored (``procurement.CalendarFeed``), so a database copy
cannot be used to read anyone's calendar. One feed per consultant: making a new
one replaces the old, revoking deletes it; both are audited (never the secret).
"""

import hashlib
import secrets

from django.db import transaction

from procurement.models import CalendarFeed, Consultant
from sparring import access
from sparring.audit import audit_record
from sparring.models import SessionDay

from ..transitions import require

#: The days a feed lists: proposed (tentative), confirmed and held.
FEED_STATUSES = (
    SessionDay.Status.PROPOSED,
    SessionDay.Status.CONFIRMED,
    SessionDay.Status.HELD,
)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a feed secret, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, actor) -> str:
    """Make the actor's calendar feed (replacing any earlier one) and return its secret.

    The secret is not stored and cannot be shown again; the old address stops working.

    Raises:
        PermissionDenied: the actor is not an active consultant.
    """
    require(access.is_consultant(actor))
    consultant = actor.consultant
    token = secrets.token_urlsafe(32)
    replaced = CalendarFeed.objects.filter(consultant=consultant).delete()[0] > 0
    CalendarFeed.objects.create(consultant=consultant, token_hash=token_hash(token))
    audit_record(
        actor=actor,
        action="calendar_feed_created",
        subject=consultant,
        data={"replaced": replaced},
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, actor) -> bool:
    """Revoke the actor's calendar feed; its address stops working at once.

    Returns:
        whether there was a feed to revoke.

    Raises:
        PermissionDenied: the actor is not an active consultant.
    """
    require(access.is_consultant(actor))
    deleted = CalendarFeed.objects.filter(consultant=actor.consultant).delete()[0] > 0
    if deleted:
        audit_record(actor=actor, action="calendar_feed_revoked", subject=actor.consultant)
    return deleted


def feed_consultant(token: str) -> Consultant | None:
    """The active consultant whose feed the secret opens (``None``: unknown or revoked)."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("consultant__user")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if feed is None:
        return None
    consultant = feed.consultant
    if not access.is_consultant(consultant.user) or not consultant.user.is_active:
        return None
    return consultant


def feed_days(consultant: Consultant):
    """All the consultant's days that the feed lists, with their cases, in one query."""
    return (
        SessionDay.objects.filter(case__consultant=consultant, status__in=FEED_STATUSES)
        .select_related("case__organisation")
        .order_by("date", "start_time", "pk")
    )
