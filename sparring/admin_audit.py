"""The Django admin writes the audit trail like the staff pages do.

Every save through ``/admin/`` records ``record_created``/``record_changed`` with
the old -> new value of each changed field, and every deletion ``record_deleted``
with the values the record had, in the admin's own transaction.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import AuditAction, audit_edit, audit_record, snapshot, stored_values
from .validators import limit_date_field


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every write leaves an audit row (issue 10: every way to edit
    an audited record writes the audit row)."""

    # Fields whose values never go into the audit trail (e.g. message bodies).
    audit_exclude: tuple[str, ...] = ()

    def response_action(self, request, queryset):
        """An action on a selection that holds no valid id (a hand-made POST) changes
        nothing and says so, like an empty selection, instead of answering 500."""
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.to_python(value)
        except ValidationError:
            self.message_user(
                request,
                _(
                    "Items must be selected in order to perform actions on them. "
                    "No items have been changed."
                ),
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Dates in the admin are limited to 2000–2100 too (also Django's own,
        such as the user's ``date_joined``): ``sparring.validators.limit_date_field``."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, models.DateField):
            limit_date_field(field)  # DateTimeField is a DateField
        return field

    def save_model(self, request, obj, form, change):
        """Note the stored values before saving (after ``save_related`` they include m2m)."""
        obj._audit_before = stored_values(obj, exclude=self.audit_exclude) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(obj, "_audit_before", None)
        audit_edit(
            actor=request.user,
            action=AuditAction.RECORD_CHANGED if before is not None else AuditAction.RECORD_CREATED,
            subject=obj,
            before=before,
            after=self._values(obj, hide_secrets=False),
            data={"via": "admin"},
        )

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_deletion(self, request, obj) -> None:
        audit_record(
            actor=request.user,
            action=AuditAction.RECORD_DELETED,
            subject=obj,
            data={"via": "admin", "deleted": self._values(obj)},
        )

    def _values(self, obj, *, hide_secrets: bool = True) -> dict:
        values = snapshot(obj, hide_secrets=hide_secrets)
        return {k: v for k, v in values.items() if k not in self.audit_exclude}
