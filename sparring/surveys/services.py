"""The participants' feedback survey: open on the report, closed on the timer, anonymous.

One way in (issue 13): a **one-time code** per participant. The applicant (or a
coordinator) either mails personal codes to the participants' addresses or prints
a sheet of codes to hand out in the workshop room; each code is a ``SurveyLink``,
stored only as hashes (``SurveyCode``), and takes one answer. There is no shared
link, so one person cannot answer twice, and no limit per client address that a
crowd behind one office network could hit with valid codes: only wrong codes are
counted per trusted client address (``sparring/client_address.py``), and code
checks per survey, sized for a 100-person session.

The code travels in a POST body (typed, or filled in from the link's URL
fragment ``/survey/#code=…`` by static/js/survey.js), never in a path or query
that an access log would keep. Nothing stored links an answer to a person, a
code or a time; who has answered is shown to no one; reminders go from the
system to those whose code is unused, at most once a day per survey.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_record
from sparring.cases import deadlines
from sparring.models import Case
from sparring.notifications import Recipient, notify, site_url

from . import disclosure
from .models import Survey, SurveyAnswer, SurveyCode, SurveyFormUse, SurveyLink, code_hash, new_code

logger = logging.getLogger(__name__)

RESULTS_VISIBLE_FROM = disclosure.MIN_ANSWERS  # kept for the API's import
MAX_LINKS_PER_SURVEY = 500
MAX_CODES_PER_SHEET = 150
# Wrong codes from one trusted client address in RATE_WINDOW before it must wait: an
# office of 100 behind one address typing a few wrong codes stays well under it, a
# guesser gets 60 tries of 2**60 per window.
WRONG_CODES_PER_CLIENT = 60
# Code checks per survey in RATE_WINDOW: a 100-person session checks 100 codes (and a
# few again); a flood against one survey waits.
CODE_CHECKS_PER_SURVEY = 300
RATE_WINDOW = 15 * 60  # seconds
REMINDER_INTERVAL = timedelta(hours=24)  # one round of reminders per survey per day


class SurveyError(Exception):
    message = _("The survey cannot be answered.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class SurveyClosed(SurveyError):
    message = _("This survey is closed. Thank you for your interest.")


class AlreadyAnswered(SurveyError):
    message = _("This code has been used already: it takes one answer. Thank you!")


class WrongCode(SurveyError):
    message = _("This code is not valid. Check that you typed it as printed, e.g. ABCD-EFGH-JKLM.")


class TooManyAnswers(SurveyError):
    message = _(
        "Too many wrong codes or attempts came from here in a short time. Please try again in 15 minutes."
    )


class RemindedRecently(SurveyError):
    message = _("Reminders were sent less than a day ago. They can be sent once a day.")


def survey_open(*, case: Case, read: bool = True) -> Survey | None:
    """Open the survey when the report is filed (inside the caller's transaction).

    Idempotent: a case has one survey (a survey opened before is kept as it is). One
    ``INSERT … ON CONFLICT DO NOTHING`` and one read, without the savepoint of
    ``get_or_create`` (issue 17: two statements instead of four); with ``read=False``
    the insert only, and None is returned (the report's filing does not use the survey).
    """
    Survey.objects.bulk_create(
        [Survey(case=case, closes_at=deadlines.feedback_closes_at())], ignore_conflicts=True
    )
    return Survey.objects.get(case=case) if read else None


@dataclass(frozen=True)
class SurveyShare:
    """What the applicant shares with the participants while the survey is open.

    Attributes:
        url: the survey page where participants type their one-time code (absolute, on
            ``settings.SITE_URL``; the same for every survey).
        sheet_url: the case page's survey section, where the applicant mails codes or
            prints a sheet of codes (absolute).
        closes_at: when the survey closes (aware datetime).
    """

    url: str
    sheet_url: str
    closes_at: object


def survey_share(case: Case) -> SurveyShare | None:
    """Where the participants answer and where their one-time codes are handed out, for
    ``case``, or None when there is no open survey (there is no shared link: issue 13).

    The one place the case page's "share the survey" box, the printable sheet and
    the report-filed e-mail read the survey's address from (issue 16.6); the
    address itself is the survey service's business (issue 13 may change it).
    """
    try:
        survey = case.survey  # cached on the case once read
    except Survey.DoesNotExist:
        return None
    if not survey.is_open():
        return None
    return SurveyShare(
        url=survey_page_url(),
        sheet_url=site_url(reverse("sparring:case_detail", args=[case.pk])) + "#survey-heading",
        closes_at=survey.closes_at,
    )


def survey_close(*, case: Case) -> None:
    Survey.objects.filter(case=case).update(closed=True)


def survey_close_due() -> int:
    """Flag closed every survey whose closing time has passed; returns how many.

    The flag records what the clock already says (``Survey.is_open`` and
    ``disclosure.closed_q``: closed once flagged or past ``closes_at``, which no service
    moves), so no figure or page changes. Its use is the figures' (issue 17): the
    trigger queues each flagged survey's case, the fold-in moves it into the rollup,
    and the statistics page reads per case only the surveys not flagged
    (``statistics.rolled.Pending``), which the beat keeps to those of the last minute.
    Called by the beat before each fold-in (``statistics.tasks.fold_in_figures``). One
    statement.
    """
    return Survey.objects.filter(closed=False, closes_at__lte=clock.now()).update(closed=True)


def _rate_key(kind: str, value) -> str:
    return f"survey-rate:{kind}:{value}"


def survey_check_code(*, code: str, client: str) -> tuple[Survey, SurveyLink]:
    """The survey and participant a one-time code opens, if it may still answer.

    Args:
        code: as typed or filled in (any case, with or without dashes).
        client: the trusted client address (``sparring.client_address``), used only as
            a key of the rate limit in the cache, never stored.
    Raises:
        TooManyAnswers: this client sent ``WRONG_CODES_PER_CLIENT`` wrong codes in the
            window, or the survey had ``CODE_CHECKS_PER_SURVEY`` checks.
        WrongCode, SurveyClosed, AlreadyAnswered.
    The limits fail open when the cache is down.
    """
    client_key = _rate_key("wrong", client_hash(client))
    if _rate_count(client_key) >= WRONG_CODES_PER_CLIENT:
        raise TooManyAnswers
    link = (
        SurveyLink.objects.select_related("survey__case__organisation")
        .filter(codes__code_hash=code_hash(code))
        .first()
    )
    return _check_link(link, client_key)


def _check_link(link: SurveyLink | None, client_key: str) -> tuple[Survey, SurveyLink]:
    """``survey_check_code``'s rules for a code looked up already (``link`` None: no such
    code), after the client's own limit was checked; ``client_key`` counts a wrong code."""
    if link is None:
        _rate_count_up(client_key)
        raise WrongCode
    survey_key = _rate_key("survey", link.survey_id)
    if _rate_count(survey_key) >= CODE_CHECKS_PER_SURVEY:
        raise TooManyAnswers
    _rate_count_up(survey_key)
    if not link.survey.is_open():
        raise SurveyClosed
    if link.answered:
        raise AlreadyAnswered
    return link.survey, link


def client_hash(client: str) -> str:
    import hashlib

    from django.conf import settings

    return hashlib.sha256(f"{settings.SECRET_KEY}:{client}".encode()).hexdigest()[:32]


ANSWER_FIELDS = ("overall", "goal_reached", "facilitation", "usefulness", "best", "improve")


def survey_answer(
    *,
    code: str,
    data: dict,
    client: str,
    submission_token: uuid.UUID | None = None,
) -> Survey:
    """Store one anonymous answer with a one-time code, and use the code up.

    ``submission_token`` is the one-time value the answer form carries: the
    same form sent again (the connection dropped before the thanks page) is
    not a second answer, it finds the first one and succeeds. The answer row
    gets a random key and holds no code, person, address or time.

    Raises:
        WrongCode, TooManyAnswers, SurveyClosed, AlreadyAnswered; ValidationError for
        grades out of range (the form prevents them).
    """
    # One look-up of the code serves both checks below (issue 17: an answer is a few
    # queries, so that a room of participants answering at once is not kept waiting).
    link = (
        SurveyLink.objects.select_related("survey").filter(codes__code_hash=code_hash(code)).first()
    )
    if submission_token is not None and link is not None:
        if _already_saved(link.survey, submission_token):
            return link.survey
    client_key = _rate_key("wrong", client_hash(client))
    if _rate_count(client_key) >= WRONG_CODES_PER_CLIENT:
        raise TooManyAnswers
    survey, link = _check_link(link, client_key)
    answer = SurveyAnswer(survey=survey, **{f: data.get(f) for f in ANSWER_FIELDS})
    answer.best = (answer.best or "").strip()
    answer.improve = (answer.improve or "").strip()
    # The survey was just read and the key is a new random UUID: only the fields are
    # checked here (a grade out of 1–5 is not one of the field's choices); the database's
    # own constraints still hold.
    answer.full_clean(exclude=["survey"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            if submission_token is not None:
                SurveyFormUse.objects.create(survey=survey, token=submission_token)
            claimed = SurveyLink.objects.filter(pk=link.pk, answered=False).update(answered=True)
            if claimed != 1:
                raise AlreadyAnswered
            answer.save(force_insert=True)
    except IntegrityError:
        if submission_token is not None and _already_saved(survey, submission_token):
            return survey  # the same form, sent twice at the same moment
        raise AlreadyAnswered from None  # a token of another survey's form
    return survey


def survey_answer_saved(*, code: str, submission_token: str) -> bool:
    """True if an answer sent with this form's one-time token is stored already
    (an unreadable or empty token, or an unknown code: False)."""
    try:
        parsed = uuid.UUID(str(submission_token))
    except ValueError:
        return False
    link = SurveyLink.objects.filter(codes__code_hash=code_hash(code)).first()
    return link is not None and _already_saved(link.survey, parsed)


def _already_saved(survey: Survey, submission_token: uuid.UUID) -> bool:
    return SurveyFormUse.objects.filter(survey=survey, token=submission_token).exists()


def _rate_count(key: str) -> int:
    """Counted in the window for this key; 0 if the cache is down (fails open)."""
    try:
        return cache.get(key, 0)
    except Exception:
        logger.warning("Survey rate limit not checked: the cache is unavailable", exc_info=True)
        return 0


def _rate_count_up(key: str) -> None:
    try:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, RATE_WINDOW)
    except Exception:
        logger.warning("Survey rate limit not counted: the cache is unavailable", exc_info=True)


def _applicant_or_coordinator(actor, case: Case) -> bool:
    return access.is_coordinator(actor) or access.is_case_applicant(actor, case)


def _open_survey(actor, case: Case) -> Survey:
    if not _applicant_or_coordinator(actor, case):
        raise PermissionDenied
    survey = Survey.objects.filter(case=case).first()
    if survey is None or not survey.is_open():
        raise SurveyClosed
    return survey


def _new_code(link: SurveyLink) -> str:
    """A new one-time code for ``link``, stored as its hash; the code itself is returned
    once, to be mailed or printed, and kept nowhere."""
    while True:
        code = new_code()
        try:
            with transaction.atomic():
                SurveyCode.objects.create(link=link, code_hash=code_hash(code))
            return code
        except IntegrityError:  # pragma: no cover - 2**60 codes
            continue


def survey_add_participants(*, actor, case: Case, emails: str) -> int:
    """Mail a personal one-time code to each address given (one per line or separated by
    commas); an address that has its code already gets none. Returns how many were sent.

    Raises PermissionDenied (not the case's applicant or a coordinator), SurveyClosed,
    ValidationError (an invalid address, none, or more than 500 in all).
    """
    survey = _open_survey(actor, case)
    addresses = []
    for raw in emails.replace(",", "\n").replace(";", "\n").split():
        address = raw.strip().lower()
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(
                {"emails": _("%(address)s is not an e-mail address.") % {"address": raw}}
            ) from exc
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ValidationError({"emails": _("Give at least one e-mail address.")})
    if survey.links.count() + len(addresses) > MAX_LINKS_PER_SURVEY:
        raise ValidationError({"emails": _("A survey can have at most 500 personal links.")})
    created = 0
    with transaction.atomic():
        for address in addresses:
            try:
                with transaction.atomic():
                    link = SurveyLink.objects.create(survey=survey, email=address)
            except IntegrityError:
                continue  # that address has its code already
            created += 1
            _send_code(case, link, _new_code(link), "survey_invitation")
        audit_record(
            actor=actor,
            action="survey_links_sent",
            subject=case,
            case=case,
            data={"count": created},
        )
    return created


def survey_issue_codes(*, actor, case: Case, count: int) -> list[str]:
    """A sheet of ``count`` one-time codes to print and hand out in the workshop room
    (one per participant without a mailed code). The codes are returned once and
    stored only as hashes: a lost sheet is replaced by printing a new one.

    Raises PermissionDenied, SurveyClosed, ValidationError (count not 1–150, or more
    than 500 codes in all).
    """
    survey = _open_survey(actor, case)
    if not 1 <= count <= MAX_CODES_PER_SHEET:
        raise ValidationError({"count": _("A sheet has 1–150 codes.")})
    if survey.links.count() + count > MAX_LINKS_PER_SURVEY:
        raise ValidationError({"count": _("A survey can have at most 500 codes.")})
    with transaction.atomic():
        codes = [_new_code(SurveyLink.objects.create(survey=survey)) for _n in range(count)]
        audit_record(
            actor=actor,
            action="survey_codes_printed",
            subject=case,
            case=case,
            data={"count": count},
        )
    return codes


def survey_remind(*, actor, case: Case) -> int:
    """Mail a reminder, with a new code, to each mailed participant whose code is unused.

    The system picks the recipients; the actor learns neither who nor how many
    (the page says only that reminders were sent). At most one round per survey
    per ``REMINDER_INTERVAL``, however often the button is pressed.

    Raises PermissionDenied, SurveyClosed, RemindedRecently.
    """
    survey = _open_survey(actor, case)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        now = clock.now()
        if survey.reminded_at is not None and now - survey.reminded_at < REMINDER_INTERVAL:
            raise RemindedRecently
        links = list(survey.links.filter(answered=False).exclude(email=""))
        for link in links:
            _send_code(case, link, _new_code(link), "survey_reminder")
        survey.reminded_at = now
        survey.save(update_fields=["reminded_at"])
        audit_record(actor=actor, action="survey_reminders_sent", subject=case, case=case)
    return len(links)


def survey_page_url() -> str:
    """The survey page's address, the same for every survey and participant."""
    return site_url(reverse("sparring:survey_start"))


def _send_code(case: Case, link: SurveyLink, code: str, event: str) -> None:
    notify(
        event,
        case,
        [Recipient(link.email, case.language)],
        link=f"{survey_page_url()}#code={code}",
        comment=code,
        deadline=link.survey.closes_at,
    )


@dataclass
class Results:
    """What a reader of the case sees of its survey (the disclosure rule,
    sparring/surveys/disclosure.py): counts always, grades and free texts only
    once the survey has closed with at least 5 answers."""

    answers: int
    participants: int | None
    overall: float | None
    goal_reached: float | None
    facilitation: float | None
    usefulness: float | None
    visible: bool
    programme_overall: float | None
    texts: list[str]

    @property
    def response_percent(self) -> int | None:
        rate = self.response_rate
        return None if rate is None else round(rate * 100)

    @property
    def response_rate(self) -> float | None:
        if not self.participants:
            return None
        return min(self.answers / self.participants, 1.0)


def survey_results(*, user, case: Case) -> Results | None:
    """The case's survey as the disclosure rule lets any reader of the case see it.

    The number of answers and the response rate at any time; the averages and the
    free texts (sorted, so that their order tells nothing) only when the survey has
    closed with at least ``disclosure.MIN_ANSWERS`` answers, for coordinators as for
    the applicant and the consultant. The programme's average counts whole units only.
    ``user`` must be able to read the case (the caller checks it). None: no survey.
    """
    survey = Survey.objects.filter(case=case).first()
    if survey is None:
        return None
    answers = SurveyAnswer.objects.filter(survey=survey)
    count = answers.count()
    visible = disclosure.case_grades_visible(survey=survey, answers=count)
    figures = dict.fromkeys(("overall", "goal_reached", "facilitation", "usefulness"))
    texts: list[str] = []
    if visible:
        figures = answers.aggregate(
            overall=Avg("overall"),
            goal_reached=Avg("goal_reached"),
            facilitation=Avg("facilitation"),
            usefulness=Avg("usefulness"),
        )
        for best, improve in answers.values_list("best", "improve"):
            texts += [text for text in (best, improve) if text]
        texts.sort()
    programme = disclosure.released(Case.objects.all(), whole_calls=True).grade
    report = getattr(case, "report", None)
    return Results(
        answers=count,
        participants=report.participants if report else None,
        visible=visible,
        programme_overall=programme,
        texts=texts,
        **figures,
    )
