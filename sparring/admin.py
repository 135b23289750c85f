"""The Django admin: coordinators (``is_staff``) manage people and records here.

Every write is audited (``AuditedModelAdmin``). Least privilege (issue 15): only a
superuser changes staff or superuser flags, groups, permissions, the coordinator
role or another person's password, or edits the account of a coordinator or
administrator; the outbox's message bodies (they carry password-reset links) are
shown to superusers only.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .admin_audit import AuditedModelAdmin
from .audit import AuditAction, action_label, audit_record
from .models import AuditEvent, Organisation, OutboundEmail, User

# Fields of an account that grant privileges: superusers only.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _is_privileged(user: User) -> bool:
    """An account whose change would let its editor act as a coordinator or administrator."""
    return user.is_staff or user.is_superuser or user.role == User.Role.COORDINATOR


class AccountCreationForm(forms.ModelForm):
    """A new account without a password: its owner sets one through "Forgot password"."""

    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role in the programme"), {"fields": ("role", "organisation", "language")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "organisation")
    list_filter = ("role", "is_active", "is_staff")
    list_select_related = ("organisation",)

    def _may_edit(self, request, obj) -> bool:
        return (
            request.user.is_superuser
            or obj is None
            or obj.pk == request.user.pk
            or not _is_privileged(obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            request.user.is_superuser
            or obj is None
            or (obj.pk != request.user.pk and not _is_privileged(obj))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += PRIVILEGE_FIELDS
            if obj is not None and obj.pk == request.user.pk:
                fields.append("role")
        return fields

    def get_fieldsets(self, request, obj=None):
        if obj is None and not request.user.is_superuser:
            return ((None, {"fields": AccountCreationForm.Meta.fields}),)
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = AccountCreationForm
            return admin.ModelAdmin.get_form(self, request, obj, **kwargs)
        return super().get_form(request, obj, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [
                choice for choice in db_field.get_choices() if choice[0] != User.Role.COORDINATOR
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        """Only superusers set another person's password; the change is audited."""
        if not request.user.is_superuser and str(id) != str(request.user.pk):
            raise PermissionDenied
        if not str(id).isdigit():
            raise Http404  # not a user's id (the admin's own lookup would 404 it too)
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            after = User.objects.filter(pk=id).values_list("password", flat=True).first()
            if before is not None and before != after:
                audit_record(
                    actor=request.user,
                    action=AuditAction.USER_PASSWORD_SET,
                    subject=f"sparring.user:{id}",
                    data={"via": "admin"},
                )
        return response


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ("name_fi", "business_id", "kind", "municipality_code")
    search_fields = ("name_fi", "name_sv", "business_id")
    list_filter = ("kind",)


class ActionFilter(admin.SimpleListFilter):
    """Filter the audit trail by action, listed by label."""

    title = _("what")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only, here as everywhere."""

    list_display = ("created", "actor", "action_label", "subject")
    list_filter = (ActionFilter,)
    search_fields = ("subject", "comment")
    list_select_related = ("actor",)

    @admin.display(description=_("what"), ordering="action")
    def action_label(self, obj: AuditEvent) -> str:
        return action_label(obj.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# What only a superuser reads in the outbox: the messages themselves.
OUTBOX_PRIVATE_FIELDS = ("body_text", "body_html", "attachments")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(AuditedModelAdmin):
    """The outbox, read-only. Bodies carry password-reset and survey links: superusers only."""

    list_display = ("created", "to", "subject", "sent_at", "attempts", "next_attempt_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "template")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    audit_exclude = OUTBOX_PRIVATE_FIELDS

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return [f for f in fields if f not in OUTBOX_PRIVATE_FIELDS]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# ------------------------------------------------------------------------------
# Admins registered by Django and viewflow (groups, processes, tasks): only a
# superuser may write through them (coordinators have no permission on their
# models), and those writes are audited too, like every other admin write.
# ------------------------------------------------------------------------------


def _audit_foreign_admins() -> None:
    """Re-register every admin of another app that is not audited yet as an audited one."""
    for model, model_admin in list(admin.site._registry.items()):
        if isinstance(model_admin, AuditedModelAdmin) or model is AuditEvent:
            continue
        audited = type(
            f"Audited{type(model_admin).__name__}", (AuditedModelAdmin, type(model_admin)), {}
        )
        admin.site.unregister(model)
        admin.site.register(model, audited)


_audit_foreign_admins()
