"""Calls for applications: created, changed, opened and closed by coordinators.

A call is never deleted here: once applications exist they belong to it, so a
call that should take no more applications is closed (its closing time moves to
now) and keeps its history.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sparring import access, clock
from sparring.audit import AuditAction, audit_edit, audit_record, stored_values
from sparring.models import Call

from ..transitions import require
from .review import call_days_committed

CALL_FIELDS = (
    "title",
    "title_sv",
    "title_en",
    "description",
    "description_sv",
    "description_en",
    "opens_at",
    "closes_at",
    "delivery_starts",
    "delivery_ends",
    "day_budget",
    "agreement",
)


def _check_budget(call: Call) -> None:
    if call.pk is None:
        return
    committed = call_days_committed(call)
    if call.day_budget < committed:
        raise ValidationError(
            {
                "day_budget": _(
                    "The call has approved %(days)s days already; the budget cannot be smaller."
                )
                % {"days": committed}
            }
        )


@transaction.atomic
def call_save(*, actor: Any, call: Call | None, fields: dict[str, Any], themes=()) -> Call:
    """Create a call (``call`` None) or change one, with its offered ``themes``.

    ``fields`` holds any of ``CALL_FIELDS``. The day budget cannot fall below the
    days the call has approved already. Raises PermissionDenied for a
    non-coordinator, ValidationError for inconsistent times (closing before
    opening, delivery ending before it starts) or budget.
    """
    require(access.is_coordinator(actor))
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise ValueError(f"not a field of a call: {sorted(unknown)}")
    before = stored_values(call) if call is not None and call.pk else None
    if call is None:
        call = Call()
    else:
        call = Call.objects.select_for_update().get(pk=call.pk)
    for name, value in fields.items():
        setattr(call, name, value)
    call.full_clean()
    _check_budget(call)
    call.save()
    call.themes.set(themes)
    audit_edit(
        actor=actor,
        action=AuditAction.CALL_CREATED if before is None else AuditAction.CALL_CHANGED,
        subject=call,
        before=before,
    )
    return call


@transaction.atomic
def call_open(*, actor: Any, call: Call, closes_at=None) -> Call:
    """Open ``call`` for applications now.

    A call not open yet opens now; a closed call reopens until ``closes_at``, which
    must then be in the future. Raises ValidationError otherwise.
    """
    require(access.is_coordinator(actor))
    call = Call.objects.select_for_update().get(pk=call.pk)
    now = clock.now()
    before = {"opens_at": call.opens_at, "closes_at": call.closes_at}
    if call.is_open(now):
        raise ValidationError(_("The call is open already."))
    if call.opens_at > now:
        call.opens_at = now
    if call.closes_at <= now:
        if closes_at is None or closes_at <= now:
            raise ValidationError(
                {"closes_at": _("To reopen a closed call, give a closing time in the future.")}
            )
        call.closes_at = closes_at
    call.save(update_fields=["opens_at", "closes_at"])
    audit_edit(
        actor=actor,
        action=AuditAction.CALL_OPENED,
        subject=call,
        before=before,
        fields=["opens_at", "closes_at"],
    )
    return call


@transaction.atomic
def call_close(*, actor: Any, call: Call) -> Call:
    """Stop taking applications now; the call, its cases and drafts stay.

    Drafts of a closed call can no longer be submitted (the application service
    checks the call is open). Raises ValidationError for a call that is not open.
    """
    require(access.is_coordinator(actor))
    call = Call.objects.select_for_update().get(pk=call.pk)
    now = clock.now()
    if not call.is_open(now):
        raise ValidationError(_("Only an open call can be closed."))
    before = call.closes_at
    call.closes_at = now
    call.save(update_fields=["closes_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CALL_CLOSED,
        subject=call,
        data={"changed": {"closes_at": [before.isoformat(), now.isoformat()]}},
    )
    return call
