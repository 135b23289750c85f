"""Writing to the case conversation and marking it read.

Rules: who writes for which party and who reads what live in ``sparring/access.py``
(``message_party``, ``MESSAGE_AUDIENCES``, ``visible_messages``); who is e-mailed
in ``recipients`` below, with the texts in ``sparring/notifications.py``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_record
from sparring.models import Case
from sparring.notifications import (
    Recipient,
    applicant_side,
    consultant_of,
    coordinators,
    notify,
)

from .models import BODY_MAX_LENGTH, Audience, CaseMessage, Party, ReadState

EVENT_BY_PARTY = {
    Party.APPLICANT: "message_from_applicant",
    Party.CONSULTANT: "message_from_consultant",
    Party.COORDINATORS: "message_from_coordinator",
}


def clean_body(body: str) -> str:
    """The message text without surrounding white space.

    Raises:
        ValidationError: ``{"body": ...}`` when it is empty or longer than
            ``BODY_MAX_LENGTH`` (4 000) characters.
    """
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message first: it is empty.")})
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            {
                "body": _("The message is %(length)s characters long; at most %(max)s fit.")
                % {"length": len(body), "max": BODY_MAX_LENGTH}
            }
        )
    return body


def recipients(message: CaseMessage) -> list[Recipient]:
    """Who is e-mailed about ``message``: each party that reads it except the author's own
    person; an internal note is e-mailed to nobody.

    The coordinators' side is the case's responsible coordinator (``Case.handler``,
    issue 14.3) when there is an active one, else every active coordinator.
    """
    if message.audience == Audience.INTERNAL:
        return []
    case = message.case
    parties = {message.author_party}
    if message.audience == Audience.EVERYONE:
        parties |= {Party.APPLICANT, Party.CONSULTANT, Party.COORDINATORS}
    else:
        parties.add(message.audience)
    parties.add(Party.COORDINATORS)  # coordinators read every message
    found: list[Recipient] = []
    if Party.APPLICANT in parties:
        found += applicant_side(case)
    if Party.CONSULTANT in parties:
        found += consultant_of(case)
    if Party.COORDINATORS in parties:
        handler = case.handler
        if handler is not None and handler.is_active and handler.email:
            found.append(Recipient(handler.email, handler.language, handler))
        else:
            found += coordinators()
    author_email = (message.author.email if message.author else "").lower()
    return [r for r in found if r.email and r.email.lower() != author_email]


def message_post(*, actor, case: Case, audience: str, body: str) -> CaseMessage:
    """``actor`` writes ``body`` on ``case``'s conversation, addressed to ``audience``.

    The recipients (``recipients``) are e-mailed in their language after commit;
    the message is audited as ``message_posted`` (``internal_note_added`` for an
    internal note) with its id and audience, not its text.

    Args:
        audience: an ``Audience`` value allowed for the actor's party
            (``access.MESSAGE_AUDIENCES``).
        body: the text, 1–4 000 characters after trimming.

    Raises:
        PermissionDenied: the actor is no party of the case (e.g. a consultant not
            assigned to it, a steering group member).
        ValidationError: an empty or too long text, or an audience the actor's
            party may not choose.
    """
    party = access.message_party(actor, case)
    if party is None:
        raise PermissionDenied
    body = clean_body(body)
    if audience not in access.MESSAGE_AUDIENCES[party]:
        raise ValidationError({"audience": _("Choose whom the message is for.")})
    with transaction.atomic():
        message = CaseMessage.objects.create(
            case=case,
            author=actor,
            author_party=party,
            audience=audience,
            body=body,
            created=clock.now(),
        )
        audit_record(
            actor=actor,
            action="internal_note_added" if audience == Audience.INTERNAL else "message_posted",
            subject=message,
            case=case,
            data={"message": message.pk, "party": party, "audience": audience},
        )
        to = recipients(message)
        if to:
            notify(EVENT_BY_PARTY[Party(party)], case, to, comment=body)
        # The author has read what they wrote.
        conversation_mark_read(user=actor, case=case, up_to=message.pk)
    return message


def conversation_mark_read(*, user, case: Case, up_to: int) -> None:
    """Note that ``user`` has read ``case``'s conversation up to message id ``up_to``.

    Never moves the marker back. Not audited: reading changes no record of the case.
    """
    if not up_to or not getattr(user, "is_authenticated", False):
        return
    state, created = ReadState.objects.get_or_create(
        case=case, user=user, defaults={"last_read": up_to, "read_at": clock.now()}
    )
    if not created and state.last_read < up_to:
        ReadState.objects.filter(pk=state.pk, last_read__lt=up_to).update(
            last_read=up_to, read_at=clock.now()
        )
