"""Writing the audit trail. Every service that changes state calls ``audit_record``."""

from typing import Any

from django.db import models

from .models import AuditEvent


def subject_of(instance: models.Model) -> str:
    """The stable name of a record in the audit trail: ``app_label.model:pk``."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def audit_record(
    *,
    actor: Any | None,
    action: str,
    subject: models.Model | str,
    comment: str = "",
    data: dict | None = None,
    case: models.Model | None = None,
) -> AuditEvent:
    """Add one row to the audit trail inside the caller's transaction."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        subject=subject if isinstance(subject, str) else subject_of(subject),
        comment=comment,
        data=data or {},
        case=case,
    )
