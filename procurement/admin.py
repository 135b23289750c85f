from django.contrib import admin

from .models import Consultant, Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("ranking_position", "name", "business_id", "day_price", "active")
    search_fields = ("name", "business_id")


@admin.register(Consultant)
class ConsultantAdmin(admin.ModelAdmin):
    list_display = ("__str__", "supplier", "active")
    list_select_related = ("user", "supplier")
    list_filter = ("supplier", "active")
