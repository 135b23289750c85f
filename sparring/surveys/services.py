"""The participants' feedback survey: open on the report, closed on the timer, anonymous.

Two ways in: the case link the applicant shares (one answer per browser, rate
limited) and personal links when the applicant gives the participants' e-mail
addresses (one answer per link; reminders only to those who have not answered).
Nothing stored links an answer to a person, a link or a token.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sparring import access, clock
from sparring.audit import audit_record
from sparring.cases import deadlines
from sparring.models import Case
from sparring.notifications import Recipient, notify, site_url

from .models import Survey, SurveyAnswer, SurveyFormUse, SurveyLink

logger = logging.getLogger(__name__)

RESULTS_VISIBLE_FROM = 5  # answers before the applicant and the consultant see a case's results
PUBLIC_ANSWERS_PER_HOUR = 60  # per survey and client, through the shared case link
MAX_LINKS_PER_SURVEY = 500


class SurveyError(Exception):
    message = _("The survey cannot be answered.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class SurveyClosed(SurveyError):
    message = _("This survey is closed. Thank you for your interest.")


class AlreadyAnswered(SurveyError):
    message = _(
        "This survey has been answered already with this link or in this browser. Thank you!"
    )


class TooManyAnswers(SurveyError):
    message = _("Too many answers came from here in a short time. Please try again later.")


def survey_open(*, case: Case) -> Survey:
    """Open the survey when the report is filed (inside the caller's transaction)."""
    survey, _created = Survey.objects.get_or_create(
        case=case,
        defaults={"closes_at": deadlines.feedback_closes_at()},
    )
    return survey


@dataclass(frozen=True)
class SurveyShare:
    """What the applicant shares with the participants while the survey is open.

    Attributes:
        url: the survey's shared address (absolute, on ``settings.SITE_URL``).
        sheet_url: the printable sheet with the address (absolute).
        closes_at: when the survey closes (aware datetime).
    """

    url: str
    sheet_url: str
    closes_at: object


def survey_share(case: Case) -> SurveyShare | None:
    """The link and printable sheet the survey service offers for ``case``, or None
    when there is no open survey.

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
        url=site_url(reverse("sparring:survey", args=[survey.token])),
        sheet_url=site_url(reverse("sparring:survey_sheet", args=[case.pk])),
        closes_at=survey.closes_at,
    )


def survey_close(*, case: Case) -> None:
    Survey.objects.filter(case=case).update(closed=True)


def resolve(token: str) -> tuple[Survey, SurveyLink | None]:
    """The survey a token opens: the shared case link, or a personal link."""
    survey = Survey.objects.select_related("case__organisation").filter(token=token).first()
    if survey is not None:
        return survey, None
    link = (
        SurveyLink.objects.select_related("survey__case__organisation").filter(token=token).first()
    )
    if link is None:
        raise SurveyError(
            _("This survey link is not valid. Check that you copied the whole address.")
        )
    return link.survey, link


def _client_key(survey: Survey, client: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{survey.token}:{client}".encode()).hexdigest()
    return f"survey-rate:{digest}"


ANSWER_FIELDS = ("overall", "goal_reached", "facilitation", "usefulness", "best", "improve")


def survey_answer(
    *,
    token: str,
    data: dict,
    client: str,
    already_in_browser: bool,
    submission_token: uuid.UUID | None = None,
) -> Survey:
    """Store one anonymous answer. ``client`` is only used, hashed, for the rate limit in the cache.

    ``submission_token`` is the one-time value the answer form carries: the
    same form sent again (the connection dropped before the thanks page) is
    not a second answer, it finds the first one and succeeds. The rate limit
    of the shared link fails open: with the cache down the answer is stored.
    """
    survey, link = resolve(token)
    if submission_token is not None and _already_saved(survey, submission_token):
        return survey
    if not survey.is_open():
        raise SurveyClosed
    if link is None:
        if already_in_browser:
            raise AlreadyAnswered
        if _rate_count(_client_key(survey, client)) >= PUBLIC_ANSWERS_PER_HOUR:
            raise TooManyAnswers
    answer = SurveyAnswer(survey=survey, **{f: data.get(f) for f in ANSWER_FIELDS})
    answer.best = (answer.best or "").strip()
    answer.improve = (answer.improve or "").strip()
    answer.full_clean()
    try:
        with transaction.atomic():
            if submission_token is not None:
                SurveyFormUse.objects.create(survey=survey, token=submission_token)
            if link is not None:
                claimed = SurveyLink.objects.filter(pk=link.pk, answered=False).update(
                    answered=True
                )
                if claimed != 1:
                    raise AlreadyAnswered
            answer.save()
    except IntegrityError:
        if submission_token is not None and _already_saved(survey, submission_token):
            return survey  # the same form, sent twice at the same moment
        raise AlreadyAnswered from None  # a token of another survey's form
    if link is None:
        _rate_count_up(_client_key(survey, client))
    return survey


def survey_answer_saved(*, survey: Survey, submission_token: str) -> bool:
    """True if an answer sent with this form's one-time token is stored already
    (an unreadable or empty token: False)."""
    try:
        parsed = uuid.UUID(str(submission_token))
    except ValueError:
        return False
    return _already_saved(survey, parsed)


def _already_saved(survey: Survey, submission_token: uuid.UUID) -> bool:
    return SurveyFormUse.objects.filter(survey=survey, token=submission_token).exists()


def _rate_count(key: str) -> int:
    """Answers counted for this client in the last hour; 0 if the cache is down (fails open)."""
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
            cache.set(key, 1, 3600)
    except Exception:
        logger.warning("Survey rate limit not counted: the cache is unavailable", exc_info=True)


def _applicant_or_coordinator(actor, case: Case) -> bool:
    return access.is_coordinator(actor) or access.is_case_applicant(actor, case)


def survey_add_participants(*, actor, case: Case, emails: str) -> int:
    """Send personal links to the addresses given (one per line or separated by commas)."""
    if not _applicant_or_coordinator(actor, case):
        raise PermissionDenied
    try:
        survey = case.survey  # cached on the case once read
    except Survey.DoesNotExist:
        return None
    if not survey.is_open():
        raise SurveyClosed
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
                continue  # that address has its link already
            created += 1
            _send_link(case, link, "survey_invitation")
        audit_record(
            actor=actor,
            action="survey_links_sent",
            subject=case,
            case=case,
            data={"count": created},
        )
    return created


def survey_remind(*, actor, case: Case) -> int:
    """Remind only those who have not answered."""
    if not _applicant_or_coordinator(actor, case):
        raise PermissionDenied
    try:
        survey = case.survey  # cached on the case once read
    except Survey.DoesNotExist:
        return None
    if not survey.is_open():
        raise SurveyClosed
    with transaction.atomic():
        links = list(survey.links.filter(answered=False).select_for_update())
        for link in links:
            _send_link(case, link, "survey_reminder")
        SurveyLink.objects.filter(pk__in=[link.pk for link in links]).update(
            reminded_at=clock.now()
        )
        audit_record(
            actor=actor,
            action="survey_reminders_sent",
            subject=case,
            case=case,
            data={"count": len(links)},
        )
    return len(links)


def _send_link(case: Case, link: SurveyLink, event: str) -> None:
    url = site_url(reverse("sparring:survey", args=[link.token]))
    notify(
        event,
        case,
        [Recipient(link.email, case.language)],
        link=url,
        deadline=link.survey.closes_at,
    )


@dataclass
class Results:
    answers: int
    participants: int | None
    overall: float | None
    goal_reached: float | None
    facilitation: float | None
    usefulness: float | None
    visible: bool
    programme_overall: float | None

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
    """The case's figures; the grades only for coordinators, or from 5 answers up."""
    survey = Survey.objects.filter(case=case).first()
    if survey is None:
        return None
    figures = SurveyAnswer.objects.filter(survey=survey).aggregate(
        answers=Count("pk"),
        overall=Avg("overall"),
        goal_reached=Avg("goal_reached"),
        facilitation=Avg("facilitation"),
        usefulness=Avg("usefulness"),
    )
    visible = access.is_coordinator(user) or figures["answers"] >= RESULTS_VISIBLE_FROM
    # The programme average could give away a case's own grade while few other
    # answers exist; below the threshold it is shown to coordinators only.
    others = SurveyAnswer.objects.exclude(survey=survey).count()
    programme = None
    if access.is_coordinator(user) or others >= RESULTS_VISIBLE_FROM:
        programme = SurveyAnswer.objects.aggregate(overall=Avg("overall"))["overall"]
    report = getattr(case, "report", None)
    return Results(
        answers=figures["answers"],
        participants=report.participants if report else None,
        overall=figures["overall"] if visible else None,
        goal_reached=figures["goal_reached"] if visible else None,
        facilitation=figures["facilitation"] if visible else None,
        usefulness=figures["usefulness"] if visible else None,
        visible=visible,
        programme_overall=programme,
    )
