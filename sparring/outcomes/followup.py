"""The follow-up impact survey: sent some months after closing, reminded once, closed.

Rules (issue "After the sparring"; the programme's aim was lasting change in the work
community, `../shared/reference/programme-facts.md`):

- ``SPARRING_FOLLOW_UP_AFTER_MONTHS`` (default 4) calendar months after a case closed,
  its contact person gets two single-use links in the case's language: one to answer,
  one to hand on to the staff representative named in the application.
- A case whose follow-up date passed more than ``SPARRING_FOLLOW_UP_OPEN_DAYS`` ago
  (e.g. a case closed before the follow-up existed) gets none: a survey about events
  long past is not sent.
- ``SPARRING_FOLLOW_UP_REMINDER_DAYS`` (default 14) after sending, a single reminder
  goes to the contact person if a link is unanswered; ``SPARRING_FOLLOW_UP_OPEN_DAYS``
  (default 28) after sending, the survey closes.
- Each link answers once. Answers are read on the case by its coordinators and
  consultant, and in the statistics under the survey's disclosure rule (no figure from
  fewer than five answers, ``figures.py``).

``follow_up_sweep`` does all of it on the product's clock; beat runs it hourly and the
embedded default's ``timer_loop`` every minute. It is idempotent: each case gets one
follow-up (a unique row), one reminder (``reminded_at``), one closing.
"""

from __future__ import annotations

import calendar
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sparring import clock
from sparring.audit import AuditAction, audit_record
from sparring.cases.states import CaseStatus
from sparring.models import Case
from sparring.notifications import Recipient, notify, site_url

from .models import FollowUp, FollowUpAnswer, FollowUpInvitation

BULLETS = "-–—•*·"


class FollowUpError(Exception):
    """A link that cannot be answered; ``message`` is shown to the visitor."""

    message = _("This link does not work. Check that the whole address was copied.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months (negative: minus), the day clamped to
    the month's last day (31 January + 1 month = 28/29 February)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def digest(token: str) -> str:
    """The stored form of a link's secret (SHA-256): the table alone opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def follow_up_actions(text: str) -> list[str]:
    """The report's recommended follow-up as a list: one action per non-empty line,
    bullets and numbering removed; at most 10 actions of at most 300 characters."""
    actions = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip(BULLETS).strip()
        head, _sep, rest = line.partition(". ")
        if head.isdigit() and rest:
            line = rest.strip()
        if line:
            actions.append(line[:300])
    return actions[:10]


def follow_up_url(token: str) -> str:
    """The absolute address of a follow-up link."""
    return site_url(reverse("sparring:follow_up_answer", args=[token]))


@dataclass
class SweepResult:
    sent: int = 0
    reminded: int = 0
    closed: int = 0

    def total(self) -> int:
        return self.sent + self.reminded + self.closed


def _settings() -> tuple[int, int, int]:
    return (
        settings.SPARRING_FOLLOW_UP_AFTER_MONTHS,
        settings.SPARRING_FOLLOW_UP_REMINDER_DAYS,
        settings.SPARRING_FOLLOW_UP_OPEN_DAYS,
    )


def follow_up_sweep(now: datetime | None = None) -> SweepResult:
    """Send the follow-ups that are due, remind once, close those whose time is up.

    Args:
        now: the moment to sweep at (default: the product's clock).
    Returns:
        how many were sent, reminded and closed. Safe to run at any time, in parallel
        too: each step is decided on a locked row or a unique constraint.
    """
    now = now or clock.now()
    after_months, reminder_days, open_days = _settings()
    result = SweepResult()
    closed_by = add_months(now, -after_months)
    not_before = add_months(now - timedelta(days=open_days), -after_months)
    due = Case.objects.filter(
        status=CaseStatus.CLOSED,
        closed_at__lte=closed_by,
        closed_at__gt=not_before,
        follow_up__isnull=True,
    ).values_list("pk", flat=True)
    for case_id in list(due):
        if _send(case_id, now, open_days):
            result.sent += 1
    for follow_up_id in (
        FollowUp.objects.filter(
            status=FollowUp.Status.OPEN,
            reminded_at__isnull=True,
            sent_at__lte=now - timedelta(days=reminder_days),
            closes_at__gt=now,
            invitations__answered_at__isnull=True,
        )
        .values_list("pk", flat=True)
        .distinct()
    ):
        if _remind(follow_up_id, now):
            result.reminded += 1
    for follow_up_id in FollowUp.objects.filter(
        status=FollowUp.Status.OPEN, closes_at__lte=now
    ).values_list("pk", flat=True):
        if _close(follow_up_id):
            result.closed += 1
    return result


def _contact(case: Case) -> list[Recipient]:
    return [Recipient(case.contact_email, case.language)]


def _new_tokens(follow_up: FollowUp, field: str) -> dict[str, str]:
    """A fresh secret for each unanswered invitation, its digest stored in ``field``."""
    tokens = {}
    for invitation in follow_up.invitations.filter(answered_at__isnull=True):
        token = secrets.token_urlsafe(24)
        setattr(invitation, field, digest(token))
        invitation.save(update_fields=[field])
        tokens[invitation.role] = token
    return tokens


def _links(case: Case, tokens: dict[str, str]) -> str:
    """The message's paragraph of links, in the active language."""
    lines = []
    if FollowUpInvitation.Role.CONTACT in tokens:
        lines.append(
            _("Your link: %(url)s")
            % {"url": follow_up_url(tokens[FollowUpInvitation.Role.CONTACT])}
        )
    if FollowUpInvitation.Role.STAFF_REPRESENTATIVE in tokens:
        lines.append(
            _("The link of the staff representative (%(name)s) — please hand it on: %(url)s")
            % {
                "name": case.staff_representative,
                "url": follow_up_url(tokens[FollowUpInvitation.Role.STAFF_REPRESENTATIVE]),
            }
        )
    return "\n".join(lines)


def _send(case_id: int, now: datetime, open_days: int) -> bool:
    try:
        with transaction.atomic():
            case = Case.objects.select_related("report", "organisation").get(pk=case_id)
            report = getattr(case, "report", None)
            follow_up = FollowUp.objects.create(
                case=case,
                language=case.language,
                actions=follow_up_actions(report.follow_up if report else ""),
                sent_at=now,
                closes_at=now + timedelta(days=open_days),
            )
            for role in FollowUpInvitation.Role.values:
                FollowUpInvitation.objects.create(
                    follow_up=follow_up, role=role, token_digest=digest(secrets.token_urlsafe(24))
                )
            tokens = _new_tokens(follow_up, "token_digest")
            audit_record(
                actor=None, action=AuditAction.FOLLOW_UP_SENT, subject=follow_up, case=case
            )
            _notify("follow_up_invitation", case, tokens)
    except IntegrityError:  # another sweep sent it at the same moment
        return False
    return True


def _notify(event: str, case: Case, tokens: dict[str, str]) -> None:
    from django.utils import translation

    for recipient in _contact(case):
        with translation.override(recipient.language):
            link = _links(case, tokens)
        notify(event, case, [recipient], link=link)


def _remind(follow_up_id: int, now: datetime) -> bool:
    with transaction.atomic():
        follow_up = (
            FollowUp.objects.select_for_update()
            .select_related("case")
            .filter(pk=follow_up_id, reminded_at__isnull=True, status=FollowUp.Status.OPEN)
            .first()
        )
        if follow_up is None:
            return False
        tokens = _new_tokens(follow_up, "reminder_digest")
        follow_up.reminded_at = now
        follow_up.save(update_fields=["reminded_at"])
        if tokens:
            audit_record(
                actor=None,
                action=AuditAction.FOLLOW_UP_REMINDED,
                subject=follow_up,
                case=follow_up.case,
            )
            _notify("follow_up_reminder", follow_up.case, tokens)
    return bool(tokens)


def _close(follow_up_id: int) -> bool:
    with transaction.atomic():
        updated = FollowUp.objects.filter(pk=follow_up_id, status=FollowUp.Status.OPEN).update(
            status=FollowUp.Status.CLOSED
        )
        if updated:
            follow_up = FollowUp.objects.select_related("case").get(pk=follow_up_id)
            audit_record(
                actor=None,
                action=AuditAction.FOLLOW_UP_CLOSED,
                subject=follow_up,
                case=follow_up.case,
                data={"answers": follow_up.answers.count()},
            )
    return bool(updated)


def invitation_for(token: str, *, now: datetime | None = None) -> FollowUpInvitation:
    """The invitation a link opens.

    Raises FollowUpError (its ``message`` for the visitor) for an unknown link, a
    follow-up that has closed, or a link already answered.
    """
    key = digest(token or "")
    invitation = (
        FollowUpInvitation.objects.select_related("follow_up__case__organisation")
        .filter(Q(token_digest=key) | Q(reminder_digest=key))
        .first()
    )
    if invitation is None:
        raise FollowUpError()
    follow_up = invitation.follow_up
    if follow_up.status != FollowUp.Status.OPEN or follow_up.closes_at <= (now or clock.now()):
        raise FollowUpError(_("The follow-up survey has closed. Thank you all the same."))
    if invitation.answered_at is not None:
        raise FollowUpError(_("This link has been used to answer already. Thank you!"))
    return invitation


def follow_up_answer(*, token: str, data: dict[str, Any]) -> FollowUpAnswer:
    """Record the answer given through a link; the link is then used up.

    Args:
        token: the secret of the link.
        data: ``actions_done`` (one of yes/partly/no per action of the follow-up, in
            order), ``what_changed`` (text, ≤ 2000 characters), ``impact`` (1–5),
            ``recommend`` (bool).
    Raises:
        FollowUpError: see ``invitation_for`` (also when the same link is answered
            twice at the same moment: one answer is kept).
        ValidationError: an answer that does not fit the follow-up.
    """
    now = clock.now()
    with transaction.atomic():
        invitation = invitation_for(token, now=now)
        invitation = FollowUpInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.answered_at is not None:
            raise FollowUpError(_("This link has been used to answer already. Thank you!"))
        follow_up = invitation.follow_up
        done = list(data.get("actions_done") or [])
        if len(done) != len(follow_up.actions) or not set(done) <= set(FollowUpAnswer.Done.values):
            raise ValidationError(_("Say for each follow-up action whether it was carried out."))
        answer = FollowUpAnswer(
            follow_up=follow_up,
            role=invitation.role,
            actions_done=done,
            what_changed=(data.get("what_changed") or "").strip(),
            impact=data.get("impact"),
            recommend=bool(data.get("recommend")),
            answered_at=now,
        )
        answer.full_clean(exclude=["follow_up"])
        answer.save()
        invitation.answered_at = now
        invitation.save(update_fields=["answered_at"])
        audit_record(
            actor=None,
            action=AuditAction.FOLLOW_UP_ANSWERED,
            subject=follow_up,
            case=follow_up.case,
            data={"role": invitation.role},
        )
    return answer
