"""The responsible coordinator of a case (``Case.handler``): take, hand to a colleague, release.

A case that has been submitted and has not ended (``states.ASSIGNABLE``) may have
one responsible coordinator. Every change is a compare-and-set on the case's
version (``transitions.case_move``, the status unchanged), so a page made before
someone else took or handed the case is refused as stale, and it is audited. The
colleague a case is handed to is told by e-mail in their language.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sparring import access
from sparring.audit import audit_event
from sparring.models import Case
from sparring.notifications import Recipient, notify

from .. import states
from ..transitions import StaleCase, case_move, require


def colleagues():
    """The active coordinators a case can be handed to, by name."""
    return (
        get_user_model()
        .objects.filter(role="coordinator", is_active=True)
        .order_by("first_name", "last_name", "pk")
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def case_take(*, actor, case: Case, version: int | None) -> Case:
    """A coordinator takes responsibility for the case (or takes it over from a colleague).

    Args:
        version: the case version the actor's page showed (``None``: no check).

    Raises:
        PermissionDenied: the actor is not a coordinator.
        StaleCase: the case changed meanwhile or has ended (or is a draft).
    """
    require(access.is_coordinator(actor))
    previous = case.handler
    audit = audit_event(
        actor=actor,
        action="case_taken",
        subject=case,
        case=case,
        comment=_name(previous) if previous else "",
        data={"from": previous.pk if previous else None},
    )
    case_move(case, source=states.ASSIGNABLE, version=version, audit=audit, handler=actor)
    return case


@transaction.atomic
def case_hand(*, actor, case: Case, to, version: int | None, note: str = "") -> Case:
    """Hand the case to a named colleague, who becomes responsible and is told by e-mail.

    Args:
        to: the colleague (an active coordinator, not the one responsible now).
        version: the case version the actor's page showed (``None``: no check).
        note: a few words for the colleague, kept on the coordinators' timeline.

    Raises:
        PermissionDenied: the actor is not a coordinator.
        ValidationError: ``to`` is not an active coordinator, or is responsible already.
        StaleCase: the case changed meanwhile or has ended.
    """
    require(access.is_coordinator(actor))
    if to is None or not colleagues().filter(pk=to.pk).exists():
        raise ValidationError({"to": _("Choose an active coordinator.")})
    if case.handler_id == to.pk:
        raise ValidationError(
            {"to": _("%(name)s is responsible for the case already.") % {"name": _name(to)}}
        )
    previous = case.handler
    audit = audit_event(
        actor=actor,
        action="case_handed",
        subject=case,
        case=case,
        comment=" ".join(f"{_name(to)}. {note.strip()}".split()).strip(),
        data={"from": previous.pk if previous else None, "to": to.pk},
    )
    case_move(case, source=states.ASSIGNABLE, version=version, audit=audit, handler=to)
    if to.pk != actor.pk and to.email:
        notify("case_handed", case, [Recipient(to.email, to.language, to)], comment=_name(actor))
    return case


@transaction.atomic
def case_release(*, actor, case: Case, version: int | None) -> Case:
    """Nobody is responsible for the case any more: it goes back to the queue.

    Raises:
        PermissionDenied: the actor is not a coordinator.
        StaleCase: the case changed meanwhile, has ended, or has nobody responsible.
    """
    require(access.is_coordinator(actor))
    previous = case.handler
    if previous is None:
        raise StaleCase
    audit = audit_event(
        actor=actor,
        action="case_released",
        subject=case,
        case=case,
        comment=_name(previous),
        data={"from": previous.pk},
    )
    case_move(case, source=states.ASSIGNABLE, version=version, audit=audit, handler=None)
    return case


@transaction.atomic
def cases_hand(*, actor, cases: Iterable[Case], to) -> list[Case]:
    """Hand several cases to one colleague at once (the bulk action of the lists).

    All or nothing: every case must still be assignable; each is audited and the
    colleague gets one e-mail per case, as when handed one by one. The actor
    confirmed the list on a page that named every case, so no version is checked.

    Raises:
        PermissionDenied, ValidationError, StaleCase: as ``case_hand``.
    """
    require(access.is_coordinator(actor))
    handed = []
    for case in cases:
        if case.handler_id == getattr(to, "pk", None):
            continue  # already theirs: nothing to do
        handed.append(case_hand(actor=actor, case=case, to=to, version=None))
    return handed
