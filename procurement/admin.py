"""The framework agreement's records in the Django admin; every write is audited with
old -> new values (the ranking and day prices are the inputs of the call-off rule)."""

from django.contrib import admin

from sparring.admin_audit import AuditedModelAdmin

from .models import Consultant, Supplier


@admin.register(Supplier)
class SupplierAdmin(AuditedModelAdmin):
    list_display = ("ranking_position", "name", "business_id", "day_price", "active")
    search_fields = ("name", "business_id")


@admin.register(Consultant)
class ConsultantAdmin(AuditedModelAdmin):
    list_display = ("__str__", "supplier", "active")
    list_select_related = ("user", "supplier")
    list_filter = ("supplier", "active")
