"""The audit trail: what may be recorded, who may read it, and writing it.

Every service that changes state calls ``audit_record`` with an ``AuditAction``
(a step that moves its case hands the row, ``audit_event``, to ``case_move``).
Each action is declared once below with its label (shown on the case timeline
and in the admin) and its ``Visibility`` (who reads it on the case timeline).
Edits of records keep the old and the new value of each changed field
(``field_changes``/``audit_edit``).
"""

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import access
from .models import AuditEvent


class Visibility(models.TextChoices):
    """Who may read an event on the case timeline (coordinators read every event)."""

    EVERYONE = "everyone", _("everyone on the case")
    EVERYONE_BUT_COMMENT = (
        "everyone_but_comment",
        _("everyone on the case; the comment coordinators only"),
    )
    COORDINATORS = "coordinators", _("coordinators only")
    BIDDER = "bidder", _("coordinators and the supplier whose offer it is")


class AuditAction(models.TextChoices):
    """Every action the audit trail records: value, visibility, label.

    The values are the strings stored in ``AuditEvent.action``; never change one
    without a data migration. Actions without a case (records, people, jobs) are
    read in the admin only and are marked coordinators-only.
    """

    def __new__(cls, value: str, visibility: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.visibility = Visibility(visibility)
        return member

    # The application
    CASE_DRAFT_SAVED = "case_draft_saved", Visibility.EVERYONE, _("Draft saved")
    CASE_EDITED = "case_edited", Visibility.EVERYONE, _("Application edited")
    CASE_SUBMITTED = "case_submitted", Visibility.EVERYONE, _("Application submitted")
    CASE_RESUBMITTED = (
        "case_resubmitted",
        Visibility.EVERYONE,
        _("Amended application submitted"),
    )
    DRAFT_DELETED = "draft_deleted", Visibility.COORDINATORS, _("Draft deleted")
    ATTACHMENT_ADDED = "attachment_added", Visibility.EVERYONE, _("File added")
    ATTACHMENT_REMOVED = "attachment_removed", Visibility.EVERYONE, _("File removed")
    # Review
    CASE_TAKEN = "case_taken", Visibility.EVERYONE_BUT_COMMENT, _("Taken by a coordinator")
    # Assignment: the responsible coordinator (Case.handler)
    CASE_HANDED = "case_handed", Visibility.COORDINATORS, _("Handed to a colleague")
    CASE_RELEASED = "case_released", Visibility.COORDINATORS, _("Released by the coordinator")
    REVIEW_REMINDER_SENT = "review_reminder_sent", Visibility.EVERYONE, _("Review reminder sent")
    CASE_APPROVED = "case_approved", Visibility.EVERYONE, _("Approved")
    CASE_RETURNED = "case_returned", Visibility.EVERYONE, _("Returned for amendment")
    CASE_REJECTED = "case_rejected", Visibility.EVERYONE, _("Rejected")
    # Call-off: offers to one consultant, or a mini-competition between suppliers
    CASE_OFFERED = "case_offered", Visibility.EVERYONE_BUT_COMMENT, _("Offered to a consultant")
    OFFER_ACCEPTED = "offer_accepted", Visibility.EVERYONE, _("Offer accepted")
    OFFER_DECLINED = "offer_declined", Visibility.COORDINATORS, _("Offer declined")
    OFFER_EXPIRED = "offer_expired", Visibility.COORDINATORS, _("Offer expired")
    COMPETITION_OPENED = (
        "competition_opened",
        Visibility.COORDINATORS,
        _("Mini-competition opened"),
    )
    TENDER_SUBMITTED = (
        "tender_submitted",
        Visibility.BIDDER,
        _("Offer made in the mini-competition"),
    )
    TENDER_CHANGED = "tender_changed", Visibility.BIDDER, _("Offer changed in the mini-competition")
    COMPETITION_CANCELLED = (
        "competition_cancelled",
        Visibility.COORDINATORS,
        _("Mini-competition cancelled"),
    )
    # Dates and days
    DATES_PROPOSED = "dates_proposed", Visibility.EVERYONE, _("Dates proposed")
    DATES_DECLINED = "dates_declined", Visibility.EVERYONE, _("Other dates asked for")
    DATES_CONFIRMED = "dates_confirmed", Visibility.EVERYONE, _("Dates confirmed")
    DAY_HELD = "day_held", Visibility.EVERYONE, _("Day held")
    DAY_RESCHEDULED = "day_rescheduled", Visibility.EVERYONE, _("Day moved")
    DAY_CANCELLED = "day_cancelled", Visibility.EVERYONE, _("Day cancelled")
    DAY_ADDED = "day_added", Visibility.EVERYONE, _("Day added")
    # Report and feedback
    REPORT_DRAFT_SAVED = "report_draft_saved", Visibility.EVERYONE, _("Report draft saved")
    REPORT_SUBMITTED = "report_submitted", Visibility.EVERYONE, _("Report filed")
    REPORT_RETURNED = (
        "report_returned",
        Visibility.EVERYONE,
        _("Report returned for correction"),
    )
    REPORT_CORRECTED = "report_corrected", Visibility.EVERYONE, _("Corrected report filed")
    REPORT_PDF_MADE = "report_pdf_made", Visibility.EVERYONE, _("Report PDF made")
    REPORT_REMINDER_SENT = "report_reminder_sent", Visibility.EVERYONE, _("Report reminder sent")
    SURVEY_LINKS_SENT = "survey_links_sent", Visibility.EVERYONE, _("Feedback links sent")
    SURVEY_CODES_PRINTED = (
        "survey_codes_printed",
        Visibility.EVERYONE,
        _("A sheet of feedback codes printed"),
    )
    SURVEY_REMINDERS_SENT = (
        "survey_reminders_sent",
        Visibility.EVERYONE,
        _("Feedback reminders sent"),
    )
    FEEDBACK_ENDED = "feedback_ended", Visibility.EVERYONE, _("Feedback period ended")
    # The case conversation (the text is on the conversation, read by its parties)
    MESSAGE_POSTED = "message_posted", Visibility.COORDINATORS, _("Message written")
    INTERNAL_NOTE_ADDED = (
        "internal_note_added",
        Visibility.COORDINATORS,
        _("Internal note written"),
    )
    # The deadlines of the waiting steps (issue 14)
    DEADLINE_REMINDER_SENT = "deadline_reminder_sent", Visibility.EVERYONE, _("Reminder sent")
    DEADLINE_SECOND_REMINDER_SENT = (
        "deadline_second_reminder_sent",
        Visibility.EVERYONE,
        _("Second reminder sent"),
    )
    DEADLINE_ESCALATED = (
        "deadline_escalated",
        Visibility.COORDINATORS,
        _("Coordinators told: a step is late"),
    )
    # The end
    CASE_CLOSED = "case_closed", Visibility.EVERYONE, _("Case closed")
    CASE_WITHDRAWN = "case_withdrawn", Visibility.EVERYONE, _("Withdrawn by the applicant")
    CASE_CANCELLED = "case_cancelled", Visibility.EVERYONE, _("Cancelled by a coordinator")
    # After the sparring: the development act (sparring/outcomes)
    ACT_SUBMITTED = (
        "act_submitted",
        Visibility.EVERYONE,
        _("Development act sent for publication"),
    )
    ACT_PUBLISHED = "act_published", Visibility.EVERYONE, _("Development act published")
    ACT_RETURNED = (
        "act_returned",
        Visibility.EVERYONE,
        _("Development act returned for amendment"),
    )
    ACT_WITHDRAWN = "act_withdrawn", Visibility.EVERYONE, _("Development act withdrawn")
    FOLLOW_UP_SENT = "follow_up_sent", Visibility.EVERYONE, _("Follow-up survey sent")
    FOLLOW_UP_REMINDED = (
        "follow_up_reminded",
        Visibility.EVERYONE,
        _("Follow-up survey reminder sent"),
    )
    FOLLOW_UP_ANSWERED = "follow_up_answered", Visibility.EVERYONE, _("Follow-up survey answered")
    FOLLOW_UP_CLOSED = "follow_up_closed", Visibility.EVERYONE, _("Follow-up survey closed")
    # People, organisations and the framework agreement (no case)
    USER_CREATED = "user_created", Visibility.COORDINATORS, _("User created")
    USER_PASSWORD_SET = (
        "user_password_set",
        Visibility.COORDINATORS,
        _("Password set by an administrator"),
    )
    USER_INVITED = "user_invited", Visibility.COORDINATORS, _("Invitation sent")
    INVITATION_ACCEPTED = (
        "invitation_accepted",
        Visibility.COORDINATORS,
        _("Invitation accepted, password set"),
    )
    PASSWORD_RESET_REQUESTED = (
        "password_reset_requested",
        Visibility.COORDINATORS,
        _("Password reset link sent"),
    )
    PASSWORD_RESET = "password_reset", Visibility.COORDINATORS, _("Password reset by its owner")
    USER_DEACTIVATED = "user_deactivated", Visibility.COORDINATORS, _("Person deactivated")
    USER_REACTIVATED = "user_reactivated", Visibility.COORDINATORS, _("Person reactivated")
    ACCESS_REQUESTED = "access_requested", Visibility.COORDINATORS, _("Access requested")
    ACCESS_APPROVED = "access_approved", Visibility.COORDINATORS, _("Access request approved")
    ACCESS_DECLINED = "access_declined", Visibility.COORDINATORS, _("Access request declined")
    CALL_CREATED = "call_created", Visibility.COORDINATORS, _("Call for applications created")
    CALL_CHANGED = "call_changed", Visibility.COORDINATORS, _("Call for applications changed")
    CALL_OPENED = "call_opened", Visibility.COORDINATORS, _("Call for applications opened")
    CALL_CLOSED = "call_closed", Visibility.COORDINATORS, _("Call for applications closed")
    RETENTION_APPLIED = (
        "retention_applied",
        Visibility.COORDINATORS,
        _("Retention applied: old personal data removed"),
    )
    SUBJECT_ACCESS_EXPORTED = (
        "subject_access_exported",
        Visibility.COORDINATORS,
        _("Data held about a person exported"),
    )
    DEMO_ADVANCED = "demo_advanced", Visibility.COORDINATORS, _("Demo: case moved in time")
    ORGANISATION_CREATED = (
        "organisation_created",
        Visibility.COORDINATORS,
        _("Organisation registered"),
    )
    AGREEMENT_CREATED = (
        "agreement_created",
        Visibility.COORDINATORS,
        _("Framework agreement registered"),
    )
    SUPPLIER_CREATED = "supplier_created", Visibility.COORDINATORS, _("Supplier registered")
    CONSULTANT_CREATED = "consultant_created", Visibility.COORDINATORS, _("Consultant registered")
    CONSULTANT_PROFILE_UPDATED = (
        "consultant_profile_updated",
        Visibility.COORDINATORS,
        _("Consultant profile updated"),
    )
    UNAVAILABILITY_ADDED = (
        "unavailability_added",
        Visibility.COORDINATORS,
        _("Unavailable period added"),
    )
    UNAVAILABILITY_REMOVED = (
        "unavailability_removed",
        Visibility.COORDINATORS,
        _("Unavailable period removed"),
    )
    # Any record, through the staff pages or the admin
    RECORD_CREATED = "record_created", Visibility.COORDINATORS, _("Record created")
    RECORD_CHANGED = "record_changed", Visibility.COORDINATORS, _("Record changed")
    RECORD_DELETED = "record_deleted", Visibility.COORDINATORS, _("Record deleted")
    # Background jobs of the flow
    JOB_COMPLETED = "job_completed", Visibility.COORDINATORS, _("Background job completed")
    JOB_FAILED = "job_failed", Visibility.COORDINATORS, _("Background job failed")
    JOB_RETRIED = "job_retried", Visibility.COORDINATORS, _("Background job retried")
    JOB_REQUEUED = "job_requeued", Visibility.COORDINATORS, _("Background job queued again")
    # The outbox (no case)
    EMAIL_RESENT = "email_resent", Visibility.COORDINATORS, _("E-mail sent again")
    # Signing in (no case; issue 15): read by coordinators in the admin's audit trail
    LOGIN_SUCCEEDED = "login_succeeded", Visibility.COORDINATORS, _("Logged in")
    LOGIN_FAILED = "login_failed", Visibility.COORDINATORS, _("Login failed")
    LOGIN_LOCKED_OUT = (
        "login_locked_out",
        Visibility.COORDINATORS,
        _("Login locked after repeated failures"),
    )
    LOGIN_UNLOCKED = "login_unlocked", Visibility.COORDINATORS, _("Login lock lifted")
    PASSWORD_RESET_LIMITED = (
        "password_reset_limited",
        Visibility.COORDINATORS,
        _("Password reset refused: too many requests"),
    )
    SECOND_FACTOR_ENROLLED = (
        "second_factor_enrolled",
        Visibility.COORDINATORS,
        _("Authenticator app set up"),
    )
    RECOVERY_CODE_USED = "recovery_code_used", Visibility.COORDINATORS, _("Recovery code used")
    SECOND_FACTOR_RESET = (
        "second_factor_reset",
        Visibility.COORDINATORS,
        _("Authenticator app reset by an administrator"),
    )
    # Personal API tokens (no case)
    API_TOKEN_CREATED = "api_token_created", Visibility.COORDINATORS, _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", Visibility.COORDINATORS, _("API token revoked")
    CALENDAR_FEED_CREATED = (
        "calendar_feed_created",
        Visibility.COORDINATORS,
        _("Calendar feed link made"),
    )
    CALENDAR_FEED_REVOKED = (
        "calendar_feed_revoked",
        Visibility.COORDINATORS,
        _("Calendar feed link revoked"),
    )


def subject_of(instance: models.Model) -> str:
    """The stable name of a record in the audit trail: ``app_label.model:pk``."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def audit_event(
    *,
    actor: Any | None,
    action: AuditAction | str,
    subject: models.Model | str,
    comment: str = "",
    data: dict | None = None,
    case: models.Model | None = None,
) -> AuditEvent:
    """The audit row ``audit_record`` writes, made but not saved.

    The one place of what an audit row holds: the action checked against
    ``AuditAction``, an anonymous actor recorded as nobody, the subject named by
    ``subject_of``, ``created`` now (``clock.now``). ``audit_record`` saves it at
    once; a step that moves its case passes it to ``transitions.case_move(audit=...)``,
    which writes it with the move (on PostgreSQL in the same statement).

    Args: as ``audit_record``.

    Raises:
        ValueError: ``action`` is not in ``AuditAction``.
    """
    try:
        action = AuditAction(action)
    except ValueError:
        raise ValueError(
            f"{action!r} is not an AuditAction; declare it in sparring/audit.py"
        ) from None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent(
        actor=actor,
        action=action.value,
        subject=subject if isinstance(subject, str) else subject_of(subject),
        comment=comment,
        data=data or {},
        case=case,
    )


def audit_record(
    *,
    actor: Any | None,
    action: AuditAction | str,
    subject: models.Model | str,
    comment: str = "",
    data: dict | None = None,
    case: models.Model | None = None,
) -> AuditEvent:
    """Add one row to the audit trail inside the caller's transaction.

    ``action`` is an ``AuditAction`` (or its value). ``data`` must be JSON-safe;
    use ``json_safe`` for dates, decimals and records. The row is ``audit_event``'s.

    Raises ValueError for an action that is not in ``AuditAction``: an event
    nobody can label or place on a timeline is a bug, caught at the first test.
    """
    event = audit_event(
        actor=actor, action=action, subject=subject, comment=comment, data=data, case=case
    )
    event.save(force_insert=True)
    return event


def action_label(action: str) -> str:
    """The label of a stored action in the active language (an unknown one: a generic label)."""
    try:
        return AuditAction(action).label
    except ValueError:
        return _("Other event")


# ------------------------------------------------------------------------------
# Old -> new values of edited records
# ------------------------------------------------------------------------------

# Never copied into the audit trail, only noted as changed.
SECRET_FIELDS = frozenset({"password"})
HIDDEN = "(hidden)"


def json_safe(value: Any) -> Any:
    """``value`` as JSON can store it: dates and times ISO 8601 (aware ones in UTC),
    decimals and UUIDs as strings, records as their primary key, files as their name,
    lists element-wise."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | datetime.timedelta):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [json_safe(v) for v in value]
    return str(value)


def snapshot(
    instance: models.Model, fields: Iterable[str] | None = None, *, hide_secrets: bool = True
) -> dict[str, Any]:
    """The JSON-safe values of ``instance``'s fields (all editable ones by default).

    Foreign keys give the primary key, many-to-many fields the sorted primary keys
    (the instance must be saved), secret fields the ``HIDDEN`` marker.
    """
    opts = instance._meta
    if fields is None:
        fields = [
            f.name
            for f in (*opts.concrete_fields, *opts.many_to_many)
            if f.editable and not f.primary_key
        ]
    values: dict[str, Any] = {}
    for name in fields:
        try:
            field = opts.get_field(name)
        except models.FieldDoesNotExist:
            values[name] = json_safe(getattr(instance, name, None))
            continue
        if name in SECRET_FIELDS and hide_secrets:
            values[name] = HIDDEN
        elif field.many_to_many:
            values[name] = (
                sorted(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
            )
        elif field.is_relation and field.concrete:
            values[name] = json_safe(getattr(instance, field.attname))
        elif field.concrete:
            values[name] = json_safe(field.value_from_object(instance))
    return values


def field_changes(
    before: models.Model | dict | None,
    after: models.Model | dict,
    fields: Iterable[str] | None = None,
) -> dict[str, list]:
    """``{field: [old, new]}`` for every field whose value differs, JSON-safe.

    ``before``/``after`` are instances (read through ``snapshot``) or dicts of
    values; ``before`` None means a new record (every old value None). A secret
    field that changed is listed with ``HIDDEN`` for both values.
    """
    fields = list(fields) if fields is not None else None
    new = after if isinstance(after, dict) else snapshot(after, fields, hide_secrets=False)
    new = {k: json_safe(v) for k, v in new.items()}
    if before is None:
        old = dict.fromkeys(new)
    else:
        old = before if isinstance(before, dict) else snapshot(before, fields, hide_secrets=False)
        old = {k: json_safe(v) for k, v in old.items()}
    names = set(old) | set(new)
    if fields is not None:
        names &= set(fields)
    changes = {}
    for name in sorted(names):
        if old.get(name) != new.get(name):
            secret = name in SECRET_FIELDS
            changes[name] = [HIDDEN, HIDDEN] if secret else [old.get(name), new.get(name)]
    return changes


def audit_edit(
    *,
    actor: Any | None,
    action: AuditAction | str,
    subject: models.Model,
    before: models.Model | dict | None,
    after: models.Model | dict | None = None,
    fields: Iterable[str] | None = None,
    comment: str = "",
    data: dict | None = None,
    case: models.Model | None = None,
) -> AuditEvent:
    """Record an edit of ``subject`` with ``data["changed"] = {field: [old, new]}``.

    ``before`` is the record as it was (an unsaved copy, a fresh read from the
    database or a dict; None for a new record), ``after`` the record as saved
    (``subject`` by default). Raises ValueError for an unknown action.
    """
    changed = field_changes(before, subject if after is None else after, fields)
    return audit_record(
        actor=actor,
        action=action,
        subject=subject,
        comment=comment,
        data={**(data or {}), "changed": changed},
        case=case,
    )


def stored_values(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any] | None:
    """The "before" of an edit: the values the database holds for ``instance`` now,
    read at once (many-to-many included), or None for a record not saved yet.

    Take it before saving; pass it as ``before`` to ``audit_edit``. Secret fields
    are kept for the comparison only (``field_changes`` never writes them out).
    """
    if instance.pk is None:
        return None
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    if stored is None:
        return None
    values = snapshot(stored, hide_secrets=False)
    return {k: v for k, v in values.items() if k not in set(exclude)}


# ------------------------------------------------------------------------------
# The case timeline
# ------------------------------------------------------------------------------


def _event_supplier(event: AuditEvent) -> int | None:
    """The supplier whose tender a tender event records."""
    supplier = (event.data or {}).get("supplier")
    if supplier is not None:
        return supplier
    consultant = getattr(event.actor, "consultant", None) if event.actor_id else None
    return consultant.supplier_id if consultant is not None else None


def may_see(event: AuditEvent, *, full: bool, supplier: int | None = None) -> bool:
    """Whether a reader sees ``event`` on the case timeline.

    ``full``: the reader is a coordinator (sees everything). ``supplier``: the
    reader is a consultant of this supplier (sees its own mini-competition offers).
    Events with an unknown action are shown to coordinators only.
    """
    if full:
        return True
    try:
        visibility = AuditAction(event.action).visibility
    except ValueError:
        return False
    if visibility == Visibility.COORDINATORS:
        return False
    if visibility == Visibility.BIDDER:
        return supplier is not None and _event_supplier(event) == supplier
    return True


def timeline(events: Iterable[AuditEvent], *, full: bool, viewer: Any = None) -> list[AuditEvent]:
    """The events a reader may see, each with ``label``; comments that are not theirs blanked.

    ``full``: the reader is a coordinator. ``viewer``: the reader, when known; a
    consultant sees the tender events of their own supplier. Issue 15: competition
    and tender events never reach the applicant or the other bidders.
    """
    supplier = None
    if not full and viewer is not None:
        if access.is_consultant(viewer):
            supplier = viewer.consultant.supplier_id
    shown = []
    for event in events:
        if not may_see(event, full=full, supplier=supplier):
            continue
        event.label = action_label(event.action)
        if not full and AuditAction(event.action).visibility == Visibility.EVERYONE_BUT_COMMENT:
            event.comment = ""
        shown.append(event)
    return shown
