"""The staff pages on viewflow's Site: coordinators manage the programme's records here.

The case flow's inbox, queue and archive join this site as the flows land.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, ModelViewset, Site
from viewflow.views import CreateModelView, UpdateModelView

from procurement.models import Supplier
from sparring.audit import audit_record
from sparring.models import Call, Organisation, Sector, Theme


class AuditedFormMixin:
    """Save the record and its audit row in one transaction."""

    audit_action = ""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(
                actor=self.request.user,
                action=self.audit_action,
                subject=self.object,
                data={"changed": sorted(form.changed_data)},
            )
        return response


class AuditedCreateView(AuditedFormMixin, CreateModelView):
    audit_action = "record_created"


class AuditedUpdateView(AuditedFormMixin, UpdateModelView):
    audit_action = "record_changed"


class AuditedModelViewset(ModelViewset):
    create_view_class = AuditedCreateView
    update_view_class = AuditedUpdateView


class OrganisationViewset(AuditedModelViewset):
    model = Organisation
    icon = "apartment"
    title = _("Organisations")
    list_columns = ("name_fi", "business_id", "kind", "municipality_code")
    list_search_fields = ("name_fi", "name_sv", "business_id")
    list_filter_fields = ("kind",)


class SupplierViewset(AuditedModelViewset):
    model = Supplier
    icon = "business_center"
    title = _("Suppliers")
    list_columns = ("ranking_position", "name", "business_id", "day_price", "active")
    list_search_fields = ("name", "business_id")


class CallViewset(AuditedModelViewset):
    model = Call
    icon = "campaign"
    title = _("Calls for applications")
    list_columns = (
        "title",
        "opens_at",
        "closes_at",
        "delivery_starts",
        "delivery_ends",
        "day_budget",
    )


class SectorViewset(AuditedModelViewset):
    model = Sector
    icon = "category"
    title = _("Sectors")
    list_columns = ("position", "name_fi", "name_sv", "name_en", "active")


class ThemeViewset(AuditedModelViewset):
    model = Theme
    icon = "label"
    title = _("Themes")
    list_columns = ("position", "name_fi", "name_sv", "name_en", "active")


class ProgrammeApplication(Application):
    title = _("Programme")
    icon = "handshake"
    app_name = "programme"
    permission = "sparring.coordinate"
    viewsets = [
        CallViewset(),
        OrganisationViewset(),
        SupplierViewset(),
        SectorViewset(),
        ThemeViewset(),
    ]


site = Site(
    title=_("Sparring – staff"),
    permission="sparring.coordinate",
    viewsets=[ProgrammeApplication()],
)
