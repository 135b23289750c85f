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


def unread_messages(user, *, among=None):
    """The messages new to ``user`` across every case where ``user`` is a party (a
    queryset): those ``user`` may read (``access.visible_messages``), written by someone
    else, newer than ``user``'s read marker of the message's case (no marker: 0).
    ``among``: of these cases only (ids, as ``visible_messages`` takes them).

    The one definition of "unread" for the homes' box; ``unread_count`` applies the
    same rule to one case.
    """
    from django.db.models import Exists, OuterRef

    # "newer than the marker" written as "no marker at or past it" (the same rows: one
    # marker per reader and case, message ids > 0) so that PostgreSQL joins the markers
    # after the case filter instead of looking one up per message (issue 17).
    read = ReadState.objects.filter(case=OuterRef("case"), user=user, last_read__gte=OuterRef("pk"))
    return access.visible_messages(user, among=among).exclude(author=user).exclude(Exists(read))


#: How many of the newest unread messages ``cases_with_unread`` reads to find its cases,
#: per case shown (issue 17): a case has a few messages, so this window nearly always
#: holds ``limit`` different cases.
UNREAD_WINDOW_PER_CASE = 5


def cases_with_unread(user, limit: int = 20) -> list[dict]:
    """The cases where ``user`` has unread messages (``unread_messages``), the case with
    the newest unread message first, at most ``limit``: ``{"case": Case, "unread": n}``
    each.

    Issue 17: the cases are found from the newest unread messages (read backwards along
    the message id index, ``limit * UNREAD_WINDOW_PER_CASE`` of them), not by grouping
    every message of every case, and the counts are taken for those cases only. This is
    exact: a case missing from a window that holds ``limit`` different cases has its
    newest unread message older than all of the window's. When the window holds fewer
    cases and more messages remain (many unread messages on few cases), one grouping of
    all unread messages finds them instead. 2 queries (1 when nothing is unread; 3 in
    that rare case), however many cases there are. The counts apply the visibility rule
    to the listed cases only (``among``: session 11).
    """
    from django.db.models import Count, Max, OuterRef, Subquery

    unread = unread_messages(user)
    window = limit * UNREAD_WINDOW_PER_CASE
    newest: dict[int, int] = {}  # case id -> its newest unread message id, newest first
    rows = list(unread.order_by("-pk").values_list("case_id", "pk")[:window])
    for case_id, pk in rows:
        newest.setdefault(case_id, pk)
    if len(newest) < limit and len(rows) == window:
        newest = dict(
            unread.values_list("case")
            .annotate(newest=Max("pk"))
            .order_by("-newest")
            .values_list("case", "newest")[:limit]
        )
    case_ids = list(newest)[:limit]
    if not case_ids:
        return []
    count = (
        unread_messages(user, among=case_ids)
        .filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    cases = (
        Case.objects.select_related("organisation")
        .annotate(unread_messages=Subquery(count))
        .in_bulk(case_ids)
    )
    return [{"case": cases[pk], "unread": cases[pk].unread_messages} for pk in case_ids]
