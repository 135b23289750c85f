"""Retention: remove what the privacy notice says is removed, when it says.

The periods are settings (``SPARRING_RETENTION_*``, config/settings/base.py),
read from the environment; the privacy notice (templates/legal/privacy_*.html)
renders the same settings, and tests/unit/test_retention.py checks both. Beat runs
``apply_retention`` daily (``sparring.tasks.apply_retention``); a coordinator or
operator may run ``manage.py apply_retention [--dry-run]``.

By ``clock.now()``:

* **Outbox** (``SPARRING_RETENTION_EMAIL_DAYS`` after sending): the text, HTML
  and attachments of a sent e-mail are blanked; the recipient, subject,
  template and times stay as the delivery record. After the case period
  (``SPARRING_RETENTION_CASE_YEARS``) the row is deleted.
* **Survey links**: the personal codes (hashes, address) of a closed survey are
  deleted (the answers never referred to them).
* **Accounts** unused (last login, else joined) for
  ``SPARRING_RETENTION_ACCOUNT_MONTHS``: deactivated and anonymised — names,
  e-mail and password removed, username ``deleted-<id>`` — so that cases, audit
  rows and attachments referring to the row stay valid. Not touched: coordinators,
  staff and superusers (they run the programme and are removed by a superuser),
  and a person still on a case that is neither final nor a draft (its applicant or consultant).
  Their invitations and API tokens are deleted; decided requests for access
  older than the period lose their personal fields.
* **Cases** final for ``SPARRING_RETENTION_CASE_YEARS`` (``closed_at``): contact
  name, e-mail and phone, staff representative, the application's free texts,
  the files of attachments (rows too), the case conversation (messages, read
  states), the survey answers' free texts, and the
  personal fields' old/new values in the case's audit rows are removed. Every
  figure of ``programme_stats`` (counts, days, participants, grades, regions,
  sectors, themes) stays as it was: no row it counts is deleted.

Every run is idempotent: a second run finds nothing to change and records nothing.
A run that changes something records one ``RETENTION_APPLIED`` audit row with the counts.
"""

import datetime
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce

from . import clock
from .audit import AuditAction, audit_record
from .models import Attachment, AuditEvent, Case, OutboundEmail, User

#: The case fields holding personal data or free text about people (blanked).
CASE_PERSONAL_FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "staff_representative",
    "development_need",
    "goal",
    "target_group",
    "preferred_period",
)


@dataclass
class RetentionResult:
    """What one run changed (or, dry, would change): numbers of rows."""

    email_bodies_blanked: int = 0
    emails_deleted: int = 0
    survey_links_deleted: int = 0
    accounts_anonymised: int = 0
    access_requests_anonymised: int = 0
    cases_anonymised: int = 0
    attachments_deleted: int = 0
    messages_deleted: int = 0
    survey_texts_blanked: int = 0
    follow_up_links_deleted: int = 0
    follow_up_texts_blanked: int = 0

    def total(self) -> int:
        return sum(asdict(self).values())


@dataclass(frozen=True)
class Cutoffs:
    """The moments before which each kind of data is removed (aware datetimes)."""

    email: datetime.datetime
    account: datetime.datetime
    case: datetime.datetime


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """``moment`` moved back by whole calendar months (the 31st to the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - datetime.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def cutoffs(now: datetime.datetime | None = None) -> Cutoffs:
    """The cut-off moments for ``now`` (default ``clock.now()``) from the settings."""
    now = now or clock.now()
    return Cutoffs(
        email=now - datetime.timedelta(days=settings.SPARRING_RETENTION_EMAIL_DAYS),
        account=months_before(now, settings.SPARRING_RETENTION_ACCOUNT_MONTHS),
        case=months_before(now, 12 * settings.SPARRING_RETENTION_CASE_YEARS),
    )


def _anonymised_username(user_id: int) -> str:
    return f"deleted-{user_id}"


def _old_cases(cut: Cutoffs):
    from .cases import states

    return Case.objects.filter(status__in=states.FINAL).filter(
        Q(closed_at__lt=cut.case) | Q(closed_at__isnull=True, created__lt=cut.case)
    )


def _accounts_due(cut: Cutoffs):
    from .cases import states

    # an abandoned draft does not keep an account alive
    on_open_cases = Case.objects.exclude(status__in=states.FINAL).exclude(status=Case.Status.DRAFT)
    busy = set(on_open_cases.values_list("created_by_id", flat=True))
    busy |= set(
        on_open_cases.filter(consultant__isnull=False).values_list("consultant__user_id", flat=True)
    )
    return (
        User.objects.annotate(last_use=Coalesce("last_login", "date_joined"))
        .filter(last_use__lt=cut.account, is_superuser=False, is_staff=False)
        .exclude(role=User.Role.COORDINATOR)
        .exclude(pk__in=busy)
        .exclude(
            Q(is_active=False)
            & Q(email="")
            & Q(first_name="")
            & Q(last_name="")
            & Q(username__startswith="deleted-")
        )
    )


def _scrub_event_data(data: dict) -> dict | None:
    """The audit data without old/new values of personal fields; None when unchanged."""
    changed = data.get("changed") if isinstance(data, dict) else None
    if not isinstance(changed, dict):
        return None
    kept = {k: v for k, v in changed.items() if k not in CASE_PERSONAL_FIELDS}
    removed = [k for k in changed if k not in kept]
    if not removed:
        return None
    cleaned = dict(data)
    cleaned["changed"] = kept | {k: ["", ""] for k in removed}
    if all(changed[k] == ["", ""] for k in removed):
        return None
    return cleaned


def apply_retention(*, dry_run: bool = False) -> RetentionResult:
    """Remove what is past its retention period (see the module docstring).

    Args:
        dry_run: count what would change and change nothing.

    Returns:
        The numbers of rows changed (or that would be).

    Idempotent; atomic (a failure leaves everything as it was; files of
    attachments are deleted from storage only after the transaction commits).
    Periods: ``SPARRING_RETENTION_EMAIL_DAYS``, ``_ACCOUNT_MONTHS``, ``_CASE_YEARS``
    (the privacy notice, templates/legal/privacy_*.html).
    """
    from .accounts.models import AccessRequest, Invitation
    from .api.models import ApiToken
    from .conversation.models import CaseMessage, ReadState
    from .outcomes.models import FollowUp, FollowUpAnswer, FollowUpInvitation
    from .surveys.models import SurveyAnswer, SurveyLink

    cut = cutoffs()
    result = RetentionResult()
    with transaction.atomic():
        # Outbox
        bodies = OutboundEmail.objects.filter(sent_at__lt=cut.email).exclude(
            body_text="", body_html="", attachments=[]
        )
        old_rows = OutboundEmail.objects.filter(sent_at__lt=cut.case)
        result.emails_deleted = old_rows.count()
        result.email_bodies_blanked = bodies.exclude(sent_at__lt=cut.case).count()
        # Survey links of closed surveys
        links = SurveyLink.objects.filter(
            Q(survey__closed=True) | Q(survey__closes_at__lte=clock.now())
        )
        result.survey_links_deleted = links.count()
        # Accounts
        accounts = list(_accounts_due(cut))
        result.accounts_anonymised = len(accounts)
        requests = (
            AccessRequest.objects.exclude(status=AccessRequest.Status.PENDING)
            .filter(created__lt=cut.account)
            .exclude(first_name="", last_name="", email="", phone="", title="")
        )
        result.access_requests_anonymised = requests.count()
        # Cases
        blank = {field: "" for field in CASE_PERSONAL_FIELDS}
        any_personal = Q()
        for field in CASE_PERSONAL_FIELDS:
            any_personal |= ~Q(**{field: ""})
        old_cases = _old_cases(cut)
        cases = old_cases.filter(any_personal)
        result.cases_anonymised = cases.count()
        attachments = list(Attachment.objects.filter(case__in=old_cases))
        result.attachments_deleted = len(attachments)
        old_messages = CaseMessage.objects.filter(case__in=old_cases)
        result.messages_deleted = old_messages.count()
        texts = SurveyAnswer.objects.filter(survey__case__in=old_cases).exclude(best="", improve="")
        result.survey_texts_blanked = texts.count()
        # The follow-up survey: its links once it has closed; its free texts with the case
        follow_up_links = FollowUpInvitation.objects.filter(
            follow_up__status=FollowUp.Status.CLOSED
        )
        result.follow_up_links_deleted = follow_up_links.count()
        follow_up_texts = FollowUpAnswer.objects.filter(follow_up__case__in=old_cases).exclude(
            what_changed=""
        )
        result.follow_up_texts_blanked = follow_up_texts.count()
        if dry_run or not result.total():
            return result

        old_rows.delete()
        bodies.update(body_text="", body_html="", attachments=[])
        links.delete()
        for user in accounts:
            user.username = _anonymised_username(user.pk)
            user.first_name = user.last_name = user.email = ""
            user.is_active = False
            user.password = make_password(None)
            user.save(
                update_fields=[
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "is_active",
                    "password",
                ]
            )
        account_ids = [user.pk for user in accounts]
        Invitation.objects.filter(user_id__in=account_ids).delete()
        ApiToken.objects.filter(user_id__in=account_ids).delete()
        requests.update(first_name="", last_name="", email="", phone="", title="")
        case_ids = list(cases.values_list("pk", flat=True))
        Case.objects.filter(pk__in=case_ids).update(**blank)
        for event in AuditEvent.objects.filter(case__in=old_cases).exclude(data={}):
            cleaned = _scrub_event_data(event.data)
            if cleaned is not None:
                AuditEvent.objects.filter(pk=event.pk).update(data=cleaned)
        files = [a.file for a in attachments if a.file]
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
        texts.update(best="", improve="")
        old_messages.delete()
        ReadState.objects.filter(case__in=old_cases).delete()
        follow_up_links.delete()
        follow_up_texts.update(what_changed="")
        audit_record(
            actor=None,
            action=AuditAction.RETENTION_APPLIED,
            subject="retention",
            data=asdict(result),
        )
    return result


# ------------------------------------------------------------------------------
# Subject access: everything held about one person (GDPR Art. 15)
# ------------------------------------------------------------------------------
def _row(instance, fields) -> dict:
    from .audit import json_safe

    return {field: json_safe(getattr(instance, field)) for field in fields}


def subject_access(*, email: str) -> dict:
    """All data held about the person with ``email`` (any letter case), JSON-safe.

    Covers: their accounts, the cases they created or are the contact person of
    (the application's fields, attachments' names), requests for access, survey
    links, e-mails sent to them (with the text still kept) and the audit rows of
    their actions. Survey answers are anonymous and cannot be found by person.
    Reads only; the caller records the export (``AuditAction.SUBJECT_ACCESS_EXPORTED``).
    """
    from .accounts.models import AccessRequest
    from .surveys.models import SurveyLink

    email = email.strip()
    users = list(User.objects.filter(email__iexact=email))
    user_fields = ("username", "first_name", "last_name", "email", "role", "language")
    user_fields += ("is_active", "date_joined", "last_login")
    cases = Case.objects.filter(Q(contact_email__iexact=email) | Q(created_by__in=users))
    case_fields = ("reference", "status", "created", "submitted_at", "closed_at", "unit")
    case_fields += CASE_PERSONAL_FIELDS
    request_fields = ("created", "status", "name_fi", "first_name", "last_name", "email")
    request_fields += ("phone", "title", "reason")
    email_fields = ("created", "sent_at", "to", "subject", "body_text")
    return {
        "email": email,
        "exported_at": clock.now().isoformat(),
        "accounts": [
            _row(u, user_fields) | {"organisation": str(u.organisation or "")} for u in users
        ],
        "cases": [
            _row(c, case_fields)
            | {
                "organisation": str(c.organisation),
                "attachments": [str(a) for a in c.attachments.all()],
            }
            for c in cases.select_related("organisation").prefetch_related("attachments")
        ],
        "access_requests": [
            _row(r, request_fields) for r in AccessRequest.objects.filter(email__iexact=email)
        ],
        "survey_links": [
            # whether the person has answered is shown to no one (issue 13), not even here
            {"case": str(link.survey.case), "survey_closes_at": link.survey.closes_at.isoformat()}
            for link in SurveyLink.objects.filter(email__iexact=email).select_related(
                "survey__case"
            )
        ],
        "emails": [_row(m, email_fields) for m in OutboundEmail.objects.filter(to__iexact=email)],
        "actions": [
            _row(e, ("created", "action", "subject", "comment"))
            for e in AuditEvent.objects.filter(actor__in=users)
        ],
    }


def subject_access_export(*, actor, email: str) -> tuple[dict, str]:
    """``subject_access(email)`` recorded in the audit trail, and its JSON text.

    Args:
        actor: the coordinator exporting (None: an operator's ``manage.py subject_access``).
        email: the person's e-mail address.
    The audit row names no one (the e-mail is not in it): it records who exported,
    when, and how many rows of each kind. Raises PermissionDenied if ``actor`` is
    given and is not a coordinator.
    """
    import json

    from django.core.exceptions import PermissionDenied

    from . import access
    from .audit import AuditAction, audit_record

    if actor is not None and not access.is_coordinator(actor):
        raise PermissionDenied
    with transaction.atomic():
        data = subject_access(email=email)
        counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
        audit_record(
            actor=actor,
            action=AuditAction.SUBJECT_ACCESS_EXPORTED,
            subject="subject_access",
            data=counts,
        )
    return data, json.dumps(data, ensure_ascii=False, indent=2, default=str)
