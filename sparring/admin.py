from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Organisation, OutboundEmail, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role in the programme"), {"fields": ("role", "organisation", "language")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "organisation")
    list_filter = ("role", "is_active", "is_staff")
    list_select_related = ("organisation",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name_fi", "business_id", "kind", "municipality_code")
    search_fields = ("name_fi", "name_sv", "business_id")
    list_filter = ("kind",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only, here as everywhere."""

    list_display = ("created", "actor", "action", "subject")
    list_filter = ("action",)
    search_fields = ("subject", "comment")
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created", "to", "subject", "sent_at", "attempts")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False
