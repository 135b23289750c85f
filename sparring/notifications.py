"""Who is told what when a case moves, in each recipient's own language.

Every message is one entry of ``MESSAGES``: a subject and paragraphs, written
as translatable strings with named placeholders; ``templates/emails/case_event.*``
lays them out as plain text and HTML. ``notify`` queues the messages in the
outbox, so they are sent after the transaction commits.

Every link in a message is one its recipient can open: the case page only for a
recipient who has an account that may see the case (``access.visible_cases``),
otherwise the page the event names (a survey, a tender) or none. Links start with
``settings.SITE_URL``.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from . import access
from .emails import email_queue_many, render_email
from .models import OutboundEmail
from .workdays import day_label


@dataclass(frozen=True)
class Recipient:
    """Where a message goes. ``user`` is the account behind the address, when known."""

    email: str
    language: str
    user: Any = None


MESSAGES: dict[str, tuple[Any, list[Any]]] = {
    "submitted_applicant": (
        _("Your application %(reference)s was received"),
        [
            _(
                "Thank you. Your application for sparring (%(reference)s) was received and a coordinator will review it."
            ),
            _(
                "You will get a message when a decision has been made. You can follow the case on its page."
            ),
        ],
    ),
    "submitted_coordinator": (
        _("New application %(reference)s to review"),
        [
            _(
                "%(organisation)s submitted an application for sparring (%(reference)s). It is waiting for review."
            )
        ],
    ),
    "resubmitted_coordinator": (
        _("Amended application %(reference)s to review"),
        [
            _(
                "%(organisation)s amended its application %(reference)s. It is waiting for review again."
            )
        ],
    ),
    "returned": (
        _("Your application %(reference)s needs amending"),
        [
            _("A coordinator returned your application %(reference)s for amendment:"),
            "%(comment)s",
            _("Amend the application on its page and submit it again."),
        ],
    ),
    "rejected": (
        _("Decision on your application %(reference)s"),
        [
            _("Unfortunately your application %(reference)s could not be approved. The reason:"),
            "%(comment)s",
        ],
    ),
    "approved": (
        _("Your application %(reference)s was approved"),
        [
            _("Your application %(reference)s was approved for %(days)s day(s) of sparring."),
            _(
                "Next a consultant of the framework agreement is called off; you will be told who it is."
            ),
        ],
    ),
    "case_handed": (
        _("Case %(reference)s was handed to you"),
        [
            _(
                "%(comment)s handed you the case %(reference)s of %(organisation)s. You are now its responsible coordinator."
            ),
            _("You find it under “My cases” on your home page."),
        ],
    ),
    "offered": (
        _("Offer: sparring %(reference)s for %(organisation)s"),
        [
            _("You are offered the sparring %(reference)s for %(organisation)s (%(days)s day(s))."),
            _(
                "Please accept or decline by %(deadline)s. Without an answer the offer expires and goes to the next consultant."
            ),
        ],
    ),
    "competition_invited": (
        _("Invitation to offer: sparring %(reference)s for %(organisation)s"),
        [
            _(
                "Your supplier is invited to a mini-competition for the sparring %(reference)s for %(organisation)s (%(days)s day(s))."
            ),
            _(
                "Offer the dates, your approach and the day price by %(deadline)s. Offers stay sealed until then."
            ),
        ],
    ),
    "offer_accepted_coordinator": (
        _("%(consultant)s accepted %(reference)s"),
        [_("%(consultant)s accepted the sparring %(reference)s for %(organisation)s.")],
    ),
    "offer_accepted_applicant": (
        _("A consultant for your sparring %(reference)s"),
        [
            _("%(consultant)s (%(supplier)s) will facilitate your sparring %(reference)s."),
            _("The consultant will propose dates; you confirm them on the case page."),
        ],
    ),
    "offer_declined_coordinator": (
        _("%(consultant)s declined %(reference)s"),
        [
            _("%(consultant)s declined the sparring %(reference)s: %(comment)s"),
            _("Call off the next consultant."),
        ],
    ),
    "offer_expired_coordinator": (
        _("Offer for %(reference)s expired"),
        [
            _(
                "%(consultant)s did not answer the offer for %(reference)s in time. Call off the next consultant."
            )
        ],
    ),
    "offer_expired_consultant": (
        _("Your offer for %(reference)s expired"),
        [
            _(
                "The offer for the sparring %(reference)s expired without an answer; a coordinator offers the case to another consultant."
            )
        ],
    ),
    "dates_proposed": (
        _("Dates proposed for your sparring %(reference)s"),
        [
            _("%(consultant)s proposed these dates for the sparring %(reference)s:"),
            "%(dates)s",
            _("Confirm them, or ask for other dates, on the case page."),
        ],
    ),
    "dates_declined": (
        _("Other dates wanted for %(reference)s"),
        [
            _("%(organisation)s asked for other dates for the sparring %(reference)s:"),
            "%(comment)s",
        ],
    ),
    "dates_confirmed": (
        _("Sparring %(reference)s: the dates are confirmed"),
        [
            _("The dates of the sparring %(reference)s are confirmed:"),
            "%(dates)s",
            _("The calendar invitation is attached."),
        ],
    ),
    "day_rescheduled": (
        _("Sparring %(reference)s: a day was moved"),
        [
            _("A day of the sparring %(reference)s was moved. The new time:"),
            "%(dates)s",
            _("Reason: %(comment)s"),
        ],
    ),
    "day_added": (
        _("Sparring %(reference)s: a new day"),
        [
            _("A day was added to the sparring %(reference)s to replace a cancelled one:"),
            "%(dates)s",
            _("The calendar invitation is attached."),
        ],
    ),
    "day_cancelled": (
        _("Sparring %(reference)s: a day was cancelled"),
        [
            _("A day of the sparring %(reference)s was cancelled:"),
            "%(dates)s",
            _("Reason: %(comment)s"),
        ],
    ),
    "report_returned": (
        _("The report on %(reference)s needs correcting"),
        [
            _("A coordinator returned the report on the sparring %(reference)s for correction:"),
            "%(comment)s",
            _("Correct it on the case page; a new PDF version is made when you file it again."),
        ],
    ),
    "report_reminder": (
        _("Reminder: the report on %(reference)s"),
        [
            _(
                "The report on the sparring %(reference)s for %(organisation)s has not been filed yet. Please file it on the case page."
            )
        ],
    ),
    "review_reminder": (
        _("Reminder: %(reference)s is waiting for review"),
        [
            _(
                "The application %(reference)s from %(organisation)s has waited for review since %(submitted)s."
            )
        ],
    ),
    # The deadlines of the waiting steps (issue 14; cases/services/deadlines.py)
    "deadline_reminder": (
        _("Reminder: %(reference)s is waiting for you"),
        [
            _("The sparring %(reference)s for %(organisation)s is waiting for this step:"),
            "%(step)s",
            _("It was due by %(deadline)s. Please take the step on the case page."),
        ],
    ),
    "deadline_second_reminder": (
        _("Second reminder: %(reference)s is waiting for you"),
        [
            _("The sparring %(reference)s for %(organisation)s is still waiting for this step:"),
            "%(step)s",
            _(
                "It was due by %(deadline)s. If it is not taken soon, the coordinators of the programme are told."
            ),
        ],
    ),
    "deadline_escalation": (
        _("Late: %(reference)s has waited past its deadline"),
        [
            _(
                "The sparring %(reference)s for %(organisation)s has waited past its deadline (%(deadline)s) despite two reminders:"
            ),
            "%(step)s",
            _("The case is on the late cases page."),
        ],
    ),
    "report_filed": (
        _("The report on %(reference)s is ready"),
        [
            _(
                "%(consultant)s filed the report on the sparring %(reference)s. You can read it, and download it as PDF, on the case page."
            ),
            _("The participants' feedback survey is open now."),
        ],
    ),
    "report_filed_applicant": (
        _("The report on %(reference)s is ready: share the feedback survey"),
        [
            _(
                "%(consultant)s filed the report on the sparring %(reference)s. You can read it, and download it as PDF, on the case page."
            ),
            _(
                "The participants' feedback survey is open now. Everyone who took part answers once, with a one-time code of their own, at this address (the answers are anonymous):"
            ),
            "%(link)s",
            _(
                "On the case page you can mail a code to each participant's e-mail address, or print a sheet of codes to hand out in the workshop room."
            ),
        ],
    ),
    "message_from_applicant": (
        _("New message on %(reference)s from the applicant"),
        [
            _("%(organisation)s wrote on the sparring %(reference)s:"),
            "%(comment)s",
            _("Read and answer the message on the case page."),
        ],
    ),
    "message_from_consultant": (
        _("New message on %(reference)s from the consultant"),
        [
            _("%(consultant)s wrote on the sparring %(reference)s:"),
            "%(comment)s",
            _("Read and answer the message on the case page."),
        ],
    ),
    "message_from_coordinator": (
        _("New message on %(reference)s from the programme's coordinators"),
        [
            _("A coordinator wrote on the sparring %(reference)s:"),
            "%(comment)s",
            _("Read and answer the message on the case page."),
        ],
    ),
    "survey_invitation": (
        _("Feedback on the sparring of %(organisation)s"),
        [
            _(
                "You took part in a sparring of %(organisation)s. Please tell us how it went: the survey takes about three minutes and your answer is anonymous."
            ),
            "%(link)s",
            _(
                "If the link does not fill in your code, type it on the survey page: %(comment)s. The code is personal: it accepts one answer."
            ),
            _("The survey is open until %(deadline)s."),
        ],
    ),
    "survey_reminder": (
        _("Reminder: feedback on the sparring of %(organisation)s"),
        [
            _(
                "We have not yet received your feedback on the sparring of %(organisation)s. Your answer is anonymous."
            ),
            "%(link)s",
            _(
                "If the link does not fill in your code, type it on the survey page: %(comment)s. Your earlier code works too, once."
            ),
            _("The survey is open until %(deadline)s."),
        ],
    ),
    "closing_due": (
        _("Sparring %(reference)s is ready to be closed"),
        [
            _(
                "The feedback period of the sparring %(reference)s for %(organisation)s is over. Close the case on its page."
            )
        ],
    ),
    "closed": (
        _("Sparring %(reference)s is closed"),
        [_("The sparring %(reference)s for %(organisation)s is closed. Thank you!")],
    ),
    "withdrawn": (
        _("Sparring %(reference)s was withdrawn"),
        [_("%(organisation)s withdrew the application %(reference)s. The reason:"), "%(comment)s"],
    ),
    "follow_up_invitation": (
        _("How is it going? A follow-up of the sparring %(reference)s"),
        [
            _(
                "A few months have passed since the sparring of %(organisation)s (%(reference)s). The programme asks how the work has gone on: were the recommended follow-up actions carried out, what changed, and would you recommend sparring to others. Answering takes about five minutes."
            ),
            "%(link)s",
            _(
                "Each link can be used to answer once. The answers are read by the programme's coordinators and your consultant, and in anonymous programme statistics."
            ),
        ],
    ),
    "follow_up_reminder": (
        _("Reminder: the follow-up of the sparring %(reference)s"),
        [
            _(
                "The follow-up survey of the sparring of %(organisation)s (%(reference)s) is still waiting for an answer. These links work as well as the earlier ones:"
            ),
            "%(link)s",
        ],
    ),
    "act_submitted_coordinator": (
        _("Development act of %(reference)s to approve"),
        [
            _(
                "%(organisation)s sent the outcome of its sparring (%(reference)s) to be published as a development act. Read it and approve it, or return it with a comment."
            )
        ],
    ),
    "act_published": (
        _("Your development act is published"),
        [
            _(
                "A coordinator approved the development act of your sparring (%(reference)s): it is now on the public page of development acts."
            ),
            _("You can change or withdraw it on the case page at any time."),
        ],
    ),
    "act_returned": (
        _("Your development act was returned for amendment"),
        [
            _(
                "A coordinator returned the development act of your sparring (%(reference)s) for amendment:"
            ),
            "%(comment)s",
            _("Change it on the case page and send it again."),
        ],
    ),
    "cancelled": (
        _("Sparring %(reference)s was cancelled"),
        [_("A coordinator cancelled the case %(reference)s. The reason:"), "%(comment)s"],
    ),
}


def site_url(path: str) -> str:
    """``path`` (from ``reverse``) as an absolute address on ``settings.SITE_URL``."""
    return settings.SITE_URL.rstrip("/") + path


def case_url(case) -> str:
    return site_url(reverse("sparring:case_detail", args=[case.pk]))


def can_open_case(recipient: Recipient, case) -> bool:
    """Whether the recipient has an active account that may open the case page.

    A contact person or a participant without an account, and a consultant whose
    offer expired, cannot; their messages carry no link to the case.
    """
    return recipient.email.lower() in who_can_open_case([recipient], case)


def who_can_open_case(recipients: list[Recipient], case) -> set[str]:
    """The addresses (lower case) of ``recipients`` whose account may open the case page.

    The rule is ``can_open_case``'s (``access.visible_cases`` of an active account; a
    recipient without ``user`` by the accounts of their address). Costs at most two
    queries whatever the number of recipients: one for the accounts behind addresses
    given without one, one asking of the case whether each account sees it; none for
    accounts ``access.sees_case_in_memory`` decides (coordinators, applicants, the
    assigned consultant).
    """
    by_email: dict[str, list] = {}
    unknown = []
    read_before = getattr(case, "_accounts_by_email", {})  # step_people read them
    for recipient in recipients:
        if not recipient.email:
            continue
        if recipient.user is not None:
            by_email.setdefault(recipient.email.lower(), []).append(recipient.user)
        elif recipient.email.lower() in read_before:
            by_email.setdefault(recipient.email.lower(), []).extend(
                read_before[recipient.email.lower()]
            )
        else:
            unknown.append(recipient.email)
    if unknown:
        query = Q()
        for email in unknown:
            query |= Q(email__iexact=email)
        accounts = (
            get_user_model().objects.filter(query, is_active=True).select_related("consultant")
        )
        wanted = {email.lower() for email in unknown}
        for user in accounts:
            # matched case-insensitively by the database; kept under each address asked for
            if user.email.lower() in wanted:
                by_email.setdefault(user.email.lower(), []).append(user)
    checks = {}
    known: set[str] = set()
    for email, users in by_email.items():
        for user in users:
            if not user.is_active or email in known:
                continue
            in_memory = access.sees_case_in_memory(user, case)
            if in_memory is not None:
                if in_memory:
                    known.add(email)
                continue
            visible = access.visible_cases(user).filter(pk=OuterRef("pk"))
            checks[f"open_{len(checks)}"] = (email, Exists(visible))
    if not checks:
        return known
    answer = (
        type(case)
        .objects.filter(pk=case.pk)
        .values(**{name: exists for name, (_email, exists) in checks.items()})
        .first()
    )
    if answer is None:
        return set()
    return known | {email for name, (email, _exists) in checks.items() if answer[name]}


def format_days(days, *, with_weekday: bool = False) -> str:
    """Each day on a line: date, time and place.

    Args:
        days: session days.
        with_weekday: also the weekday and a holiday's name, in the active language
            (e-mail does; the timeline's stored comment stays free of any language).
    """
    lines = []
    for day in days:
        where = day.place or day.remote_link
        date_text = (
            day_label(day.date)
            if with_weekday
            else formats.date_format(day.date, "SHORT_DATE_FORMAT")
        )
        lines.append(
            f"{date_text} "
            f"{formats.time_format(day.start_time, 'TIME_FORMAT')}–"
            f"{formats.time_format(day.end_time, 'TIME_FORMAT')}, {where}"
        )
    return "\n".join(lines)


def applicant_side(case) -> list[Recipient]:
    """The applicant who filed the case and the contact person named in it."""
    recipients = [Recipient(case.created_by.email, case.created_by.language, case.created_by)]
    if case.contact_email.lower() != case.created_by.email.lower():
        recipients.append(Recipient(case.contact_email, case.language))
    return recipients


def coordinators() -> list[Recipient]:
    users = get_user_model().objects.filter(role="coordinator", is_active=True).exclude(email="")
    return [Recipient(u.email, u.language, u) for u in users]


def consultant_of(case, consultant=None) -> list[Recipient]:
    consultant = consultant or case.consultant
    if consultant is None:
        return []
    return [Recipient(consultant.user.email, consultant.user.language, consultant.user)]


def step_people(case, *, coordinators: bool = False, consultant=None) -> list[Recipient]:
    """Read in one query the people a step's messages go to (issue 17: one query per
    step instead of one per party).

    Sets on the instances what ``applicant_side``, ``consultant_of`` and
    ``who_can_open_case`` then read without a query: the case's ``created_by``; the
    account and supplier of the consultant (``consultant``, else the case's); the
    active accounts behind the case's contact address. Who is told stays each
    function's rule; this only reads them together.

    Args:
        case: the case the step moves.
        coordinators: also read the active coordinators (returned, as ``coordinators()``).
        consultant: the consultant the messages name, when not (yet) the case's.

    Returns:
        The coordinators' recipients when ``coordinators`` is true, else an empty list.
    """
    User = get_user_model()
    if consultant is None and case.consultant_id is not None:
        if type(case).consultant.is_cached(case):
            consultant = case.consultant
    consultant_id = consultant.pk if consultant is not None else case.consultant_id
    wanted = Q(pk=case.created_by_id)
    if consultant is not None:
        wanted |= Q(pk=consultant.user_id)
    elif consultant_id is not None:
        wanted |= Q(consultant__pk=consultant_id)
    contact = (case.contact_email or "").lower()
    if contact:
        wanted |= Q(email__iexact=contact, is_active=True)
    if coordinators:
        wanted |= Q(role="coordinator", is_active=True) & ~Q(email="")
    found = []
    accounts = []
    for user in User.objects.filter(wanted).select_related("consultant__supplier"):
        if user.pk == case.created_by_id:
            case.created_by = user
        own = getattr(user, "consultant", None)  # None: not a consultant
        if own is not None and own.pk == consultant_id:
            if consultant is None:
                case.consultant = own
            else:
                type(consultant).user.field.set_cached_value(consultant, user)
                if not type(consultant).supplier.is_cached(consultant):
                    type(consultant).supplier.field.set_cached_value(consultant, own.supplier)
        if contact and user.is_active and user.email.lower() == contact:
            accounts.append(user)
        if coordinators and user.role == "coordinator" and user.is_active and user.email:
            found.append(Recipient(user.email, user.language, user))
    if contact:
        case._accounts_by_email = {contact: accounts}
    return found


def notify(
    event: str,
    case,
    recipients: list[Recipient],
    *,
    comment: str = "",
    days=(),
    consultant=None,
    deadline=None,
    attachments_for=None,
    link: str = "",
    open_url: str = "",
    open_label=None,
    step=None,
) -> None:
    """Queue the ``event`` message about ``case`` to each recipient, in their language.

    One INSERT for all recipients and one delivery task after commit
    (``emails.email_queue_many``); the text is rendered once per language and link,
    and who may open the case is asked in one query (``who_can_open_case``), so the
    queries do not grow with the number of recipients (issue 17).

    Args:
        link: an address written into the text (``%(link)s``), e.g. a personal survey link.
        open_url: the page the message's link opens instead of the case page (absolute,
            see ``site_url``), with ``open_label`` as its text. Without it the message
            links to the case page for recipients who can open it (``can_open_case``).
        step: what the case waits for (``%(step)s``, a lazy text translated for each recipient).
    """
    subject, paragraphs = MESSAGES[event]
    read_once = _ReadOnce(days=lambda: list(days), consultant=lambda: consultant or case.consultant)
    unique: list[Recipient] = []
    seen = set()
    for recipient in recipients:
        if not recipient.email or recipient.email.lower() in seen:
            continue
        seen.add(recipient.email.lower())
        unique.append(recipient)
    if not unique:
        return
    openers = set() if open_url else who_can_open_case(unique, case)
    rendered: dict[tuple[str, bool], dict[str, str]] = {}  # one rendering per language and link
    messages = []
    for recipient in unique:
        opens = recipient.email.lower() in openers
        key = (recipient.language, opens)
        if key not in rendered:
            rendered[key] = render_email(
                template="case_event",
                context=_context(
                    subject,
                    paragraphs,
                    case,
                    recipient.language,
                    opens=opens,
                    comment=comment,
                    days=read_once.days,
                    consultant=read_once.consultant,
                    deadline=deadline,
                    link=link,
                    open_url=open_url,
                    open_label=open_label,
                    step=step,
                ),
                language=recipient.language,
            )
        messages.append(
            OutboundEmail(
                to=recipient.email,
                template="case_event",
                language=recipient.language,
                attachments=(attachments_for(recipient) if attachments_for else None) or [],
                **rendered[key],
            )
        )
    gathered = getattr(_gathering, "messages", None)
    if gathered is not None:
        gathered.extend(messages)
    else:
        email_queue_many(messages)


_gathering = threading.local()


@contextmanager
def sent_together() -> Iterator[None]:
    """The messages of every ``notify`` inside the block go to the outbox in one INSERT
    when the block ends (a step that tells the applicant and the coordinators sends
    one insert, not two; issue 17). Nothing is queued if the block raises; a block
    inside another is part of the outer one. Use it inside the step's transaction.
    """
    if getattr(_gathering, "messages", None) is not None:
        yield
        return
    _gathering.messages = []
    try:
        yield
        messages = _gathering.messages
    finally:
        _gathering.messages = None
    email_queue_many(messages)


class _ReadOnce:
    """Values of a step read at most once, when a message first needs them."""

    def __init__(self, **makers) -> None:
        self._makers = makers
        self._values: dict[str, Any] = {}

    def __getattr__(self, name: str):
        makers = self.__dict__["_makers"]
        if name not in makers:
            raise AttributeError(name)

        def value():
            if name not in self._values:
                self._values[name] = makers[name]()
            return self._values[name]

        return value


class _Values(dict):
    """A message's placeholders, each computed the first time its text asks for it:
    a message that names no consultant reads no consultant or supplier."""

    def __init__(self, makers: dict[str, Any]) -> None:
        super().__init__()
        self.makers = makers

    def __missing__(self, key: str) -> Any:
        value = self.makers[key]()
        self[key] = value
        return value


def _context(
    subject,
    paragraphs,
    case,
    language: str,
    *,
    opens: bool,
    comment,
    days,
    consultant,
    deadline,
    link,
    open_url,
    open_label,
    step,
) -> dict[str, Any]:
    """The ``case_event`` template's context for a recipient reading ``language``.

    ``days`` and ``consultant`` are functions (read once for the whole step, and
    only if the message uses them)."""
    with translation.override(language):
        values = _Values(
            {
                "reference": lambda: case.reference or "",
                "organisation": lambda: case.organisation.display_name(language),
                "days": lambda: case.days,
                "comment": lambda: comment,
                "dates": lambda: format_days(days(), with_weekday=True),
                "consultant": lambda: str(consultant()) if consultant() else "",
                "supplier": lambda: consultant().supplier.display_name() if consultant() else "",
                "deadline": lambda: (
                    formats.date_format(timezone.localtime(deadline), "SHORT_DATETIME_FORMAT")
                    if deadline
                    else ""
                ),
                "link": lambda: link,
                "step": lambda: str(step) if step else "",
                "submitted": lambda: (
                    formats.date_format(timezone.localdate(case.submitted_at), "SHORT_DATE_FORMAT")
                    if case.submitted_at
                    else ""
                ),
            }
        )
        if open_url:
            url, label = open_url, str(open_label or _("Open the page"))
        elif opens:
            url, label = case_url(case), str(_("Open the case"))
        else:
            url, label = "", ""
        return {
            "subject_line": " ".join((str(subject) % values).split()),
            "paragraphs": [str(p) % values for p in paragraphs],
            "open_url": url,
            "open_label": label,
            "site_name": settings.SITE_NAME,
        }
