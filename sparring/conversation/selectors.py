"""Reading the case conversation: what a person sees and what is new to them."""

from dataclasses import dataclass, field

from sparring import access
from sparring.models import Case

from .models import CaseMessage, ReadState


@dataclass
class Conversation:
    """The conversation as one reader sees it.

    Attributes:
        messages: the messages the reader may read, oldest first; each has ``unread``
            (True for a message by someone else newer than the reader's read marker).
        unread: how many of them are unread.
        newest: the id of the newest message shown (0 when none), to mark read.
        party: the reader's party (``access.message_party``), None for no party.
        last_read: the reader's read marker (the newest message id read; 0: none).
    """

    messages: list[CaseMessage] = field(default_factory=list)
    unread: int = 0
    newest: int = 0
    party: str | None = None
    last_read: int = 0


def conversation_for(user, case: Case) -> Conversation:
    """The messages of ``case`` that ``user`` may read, with the unread marker (3 queries)."""
    party = access.message_party(user, case)
    if party is None:
        return Conversation()
    state = ReadState.objects.filter(case=case, user=user).only("last_read").first()
    last_read = state.last_read if state else 0
    messages = list(access.visible_messages(user, case).select_related("author"))
    unread = 0
    for message in messages:
        message.unread = message.pk > last_read and message.author_id != user.pk
        unread += message.unread
    return Conversation(
        messages=messages,
        unread=unread,
        newest=messages[-1].pk if messages else 0,
        party=party,
        last_read=last_read,
    )


def unread_count(user, case: Case) -> int:
    """How many messages of ``case`` are new to ``user`` (2 queries)."""
    if access.message_party(user, case) is None:
        return 0
    last_read = (
        ReadState.objects.filter(case=case, user=user).values_list("last_read", flat=True).first()
        or 0
    )
    return access.visible_messages(user, case).filter(pk__gt=last_read).exclude(author=user).count()


def cases_with_unread(user, limit: int = 20) -> list[dict]:
    """The cases where ``user`` has unread messages, newest message first, at most
    ``limit``: ``{"case": Case, "unread": n}`` each (2 queries, however many cases)."""
    from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    read_up_to = ReadState.objects.filter(case=OuterRef("case"), user=user).values("last_read")[:1]
    rows = list(
        access.visible_messages(user)
        .exclude(author=user)
        .annotate(read_up_to=Coalesce(Subquery(read_up_to), Value(0), output_field=IntegerField()))
        .filter(pk__gt=F("read_up_to"))
        .values("case")
        .annotate(unread=Count("pk"), newest=Max("pk"))
        .order_by("-newest")[:limit]
    )
    cases = Case.objects.select_related("organisation").in_bulk([row["case"] for row in rows])
    return [{"case": cases[row["case"]], "unread": row["unread"]} for row in rows]
