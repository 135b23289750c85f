"""The application: drafts, edits, submission, files, deleting a draft."""

import os
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from sparring import access, clock, uploads
from sparring.audit import AuditAction, audit_event, audit_record, field_changes, snapshot
from sparring.models import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_CASE,
    Attachment,
    Call,
    Case,
)
from sparring.notifications import applicant_side, coordinators, notify, sent_together, step_people

from .. import states
from ..transitions import CaseError, StepNotAvailable, case_move, flow_start, require, step_run

CASE_FIELDS = (
    "unit",
    "whole_organisation",
    "sector",
    "theme",
    "development_need",
    "goal",
    "target_group",
    "estimated_participants",
    "requested_days",
    "preferred_period",
    "language",
    "contact_name",
    "contact_email",
    "contact_phone",
    "staff_representative",
)


# What an application needs before it is sent; a draft saves with any subset (issue 14, item 7).
REQUIRED_TO_SUBMIT = (
    "theme",
    "development_need",
    "goal",
    "target_group",
    "estimated_participants",
    "requested_days",
    "contact_name",
    "contact_email",
    "staff_representative",
)


def missing_to_submit(values: dict) -> dict[str, str]:
    """What the application still lacks before it can be sent, field by field.

    The one place of the rule: the application form checks it when "send" is pressed,
    ``case_submit`` before a draft or an amended application is sent. A draft is saved
    whatever it lacks.

    Args:
        values: the application's fields (``CASE_FIELDS``) by name; a missing key counts as empty.

    Returns:
        ``{field: message}`` in the active language; empty when the application is complete.
    """
    missing: dict[str, str] = {}
    for name in REQUIRED_TO_SUBMIT:
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            label = Case._meta.get_field(name).verbose_name
            missing[name] = str(
                _("Fill in “%(field)s” before sending the application.")
                % {"field": str(label).capitalize()}
            )
    if not values.get("whole_organisation"):
        if not values.get("sector"):
            missing["sector"] = str(
                _("Choose the sector, or tick 'concerns the whole organisation'.")
            )
        if not (values.get("unit") or "").strip():
            missing["unit"] = str(_("Name the unit or team the sparring is for."))
    return missing


def _require_complete(case: Case) -> None:
    missing = missing_to_submit({name: getattr(case, name) for name in CASE_FIELDS})
    if missing:
        raise ValidationError(missing)


def _apply_fields(case: Case, data: dict) -> list[str]:
    changed = []
    for field in CASE_FIELDS:
        if field in data and getattr(case, field) != data[field]:
            setattr(case, field, data[field])
            changed.append(field)
    if case.whole_organisation:
        case.sector = None
    return changed


class AlreadySaved(CaseError):
    """The same application form was sent again (double click, resend)."""

    message = _("This application was saved already; here it is.")

    def __init__(self, case: Case):
        super().__init__()
        self.case = case


# The same application sent again within this time is the one already saved (the form
# opened again with the browser's Back button has a new token but the same texts).
SAME_APPLICATION_WITHIN = timedelta(hours=1)
SAME_APPLICATION_FIELDS = ("unit", "development_need", "goal", "target_group")


def _same_application(actor, call: Call, data: dict) -> Case | None:
    """A case the actor made in the last ``SAME_APPLICATION_WITHIN`` for the same call
    with the same texts (``SAME_APPLICATION_FIELDS``, at least one of them filled in), or
    None. A stranger's finding: Back and re-submit made a second, identical application."""
    texts = {field: (data.get(field) or "").strip() for field in SAME_APPLICATION_FIELDS}
    if not any(texts.values()):
        return None
    candidates = Case.objects.filter(
        call=call,
        organisation=actor.organisation,
        created_by=actor,
        created__gte=clock.now() - SAME_APPLICATION_WITHIN,
    ).order_by("-pk")
    for case in candidates[:20]:
        if all((getattr(case, f) or "").strip() == v for f, v in texts.items()):
            return case
    return None


@transaction.atomic
def case_create(*, actor, call: Call, data: dict, token=None) -> Case:
    """Save a new application as a draft of the actor's organisation.

    ``token`` comes from the form; a second request with the same token finds the
    case the first one made (AlreadySaved) instead of making another, and so does a form
    with a new token but the same texts as the actor's application of the last hour
    (``_same_application``: the page opened again with the browser's Back button).
    """
    require(access.is_applicant(actor))
    if token is not None:
        existing = Case.objects.filter(
            submission_token=token, organisation=actor.organisation
        ).first()
        if existing is not None:
            raise AlreadySaved(existing)
    if not call.is_open():
        raise CaseError(_("This call is not open for applications."))
    same = _same_application(actor, call, data) if token is not None else None
    if same is not None:  # the form sent again after going Back: a new token, the same texts
        raise AlreadySaved(same)
    case = Case(
        call=call, organisation=actor.organisation, created_by=actor, submission_token=token
    )
    _apply_fields(case, data)
    # the call, the actor and their organisation are rows in hand: not looked up again
    case.full_clean(exclude=["submission_token", "call", "organisation", "created_by"])
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # the same form, sent twice at the same moment
        raise AlreadySaved(Case.objects.get(submission_token=token)) from None
    audit_record(actor=actor, action="case_draft_saved", subject=case, case=case)
    return case


@transaction.atomic
def case_update(*, actor, case: Case, data: dict, version: int) -> Case:
    """Change a draft, or an application returned for amendment."""
    require(access.is_case_applicant(actor, case))
    case_move(case, source=states.APPLICANT_EDITS, version=version)
    before = snapshot(case, CASE_FIELDS)
    _apply_fields(case, data)
    case.full_clean()
    case.save(update_fields=[*CASE_FIELDS, "version"])
    audit_record(
        actor=actor,
        action=AuditAction.CASE_EDITED,
        subject=case,
        case=case,
        data={"changed": field_changes(before, case, CASE_FIELDS)},
    )
    return case


def _next_reference(case: Case) -> str:
    year = clock.today().year
    prefix = f"SP-{year}-"
    last = Case.objects.filter(reference__startswith=prefix).aggregate(m=Max("reference"))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def case_submit(*, actor, case: Case, version: int) -> Case:
    """Submit a draft (starting the case flow) or an amended application.

    Raises:
        ValidationError: a field the application needs is empty (``missing_to_submit``).
        CaseError: the draft's call has closed.
    """
    require(access.is_case_applicant(actor, case))
    if case.status == Case.Status.DRAFT:
        if not case.call.is_open():
            raise CaseError(_("The call closed before the application was submitted."))
        _require_complete(case)
        submitted = {"target": Case.Status.SUBMITTED, "submitted_at": clock.now()}
        # The reference in the same compare-and-set (issue 17: one UPDATE, not two), and
        # the audit row with it (one statement on PostgreSQL).
        for _attempt in range(5):
            audit = audit_event(actor=actor, action="case_submitted", subject=case, case=case)
            try:
                reference = _next_reference(case)
                with transaction.atomic():
                    case_move(
                        case,
                        source=[Case.Status.DRAFT],
                        version=version,
                        reference=reference,
                        audit=audit,
                        **submitted,
                    )
                break
            except IntegrityError:  # two submissions took the same number; take the next
                continue
        else:  # submitted without a number, as before when every number was taken
            case_move(
                case,
                source=[Case.Status.DRAFT],
                version=version,
                audit=audit_event(actor=actor, action="case_submitted", subject=case, case=case),
                **submitted,
            )
        flow_start(case)
        told = step_people(case, coordinators=True)
        with sent_together():
            notify("submitted_applicant", case, applicant_side(case))
            notify("submitted_coordinator", case, told)
        return case

    _require_complete(case)

    def work():
        case_move(
            case,
            source=[Case.Status.RETURNED],
            version=version,
            target=Case.Status.SUBMITTED,
            audit=audit_event(actor=actor, action="case_resubmitted", subject=case, case=case),
        )
        notify("resubmitted_coordinator", case, coordinators())

    step_run(case, "amend", work)
    return case


@transaction.atomic
def case_delete_draft(*, actor, case: Case) -> None:
    """An unsubmitted draft can be deleted by its organisation's applicant."""
    require(access.is_case_applicant(actor, case))
    deleted, _detail = Case.objects.filter(pk=case.pk, status=Case.Status.DRAFT).delete()
    if not deleted:
        raise StepNotAvailable
    audit_record(actor=actor, action="draft_deleted", subject=f"sparring.case:{case.pk}")


def attachment_add(*, actor, case: Case, upload) -> Attachment:
    """Add a file to a draft or returned application, within the type and size limits."""
    require(access.is_case_applicant(actor, case))
    if case.status not in states.APPLICANT_EDITS:
        raise CaseError(
            _("Files can be added while the application is a draft or returned for amendment.")
        )
    extension = os.path.splitext(upload.name)[1].lower()
    if extension not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationError(
            {
                "file": _("Allowed file types: %(types)s.")
                % {"types": ", ".join(sorted(ALLOWED_ATTACHMENT_TYPES))}
            }
        )
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("A file may be at most 10 MB.")})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if not uploads.content_matches(upload, extension):
        raise ValidationError(
            {
                "file": _(
                    "The content of the file is not %(extension)s, as its name says: "
                    "it was not added. Allowed file types: %(types)s."
                )
                % {"extension": extension, "types": ", ".join(sorted(ALLOWED_ATTACHMENT_TYPES))}
            }
        )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in states.APPLICANT_EDITS:
            raise CaseError(
                _("Files can be added while the application is a draft or returned for amendment.")
            )
        if locked.attachments.count() >= MAX_ATTACHMENTS_PER_CASE:
            raise ValidationError({"file": _("An application can have at most 5 files.")})
        attachment = Attachment(
            case=locked,
            original_name=os.path.basename(upload.name)[:200],
            content_type=ALLOWED_ATTACHMENT_TYPES[extension],
            size=upload.size,
            uploaded_by=actor,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="attachment_added",
            subject=case,
            case=case,
            comment=attachment.original_name,
        )
    return attachment


def attachment_remove(*, actor, attachment: Attachment) -> None:
    case = attachment.case
    require(access.is_case_applicant(actor, case))
    if case.status not in states.APPLICANT_EDITS:
        raise CaseError(
            _("Files can be removed while the application is a draft or returned for amendment.")
        )
    with transaction.atomic():
        name = attachment.original_name
        attachment.delete()
        transaction.on_commit(lambda: attachment.file.delete(save=False))
        audit_record(
            actor=actor, action="attachment_removed", subject=case, case=case, comment=name
        )
