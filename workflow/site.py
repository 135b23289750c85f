"""The staff pages on viewflow's Site: coordinators manage the programme's records here.

The case flow's inbox, queue and archive join this site as the flows land.
"""

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, ModelViewset, Site
from viewflow.views import CreateModelView, UpdateModelView

from procurement.forms import ConflictOfInterestForm, ConsultantForm
from procurement.models import (
    ConflictOfInterest,
    Consultant,
    FrameworkAgreement,
    Supplier,
    Unavailability,
)
from sparring.audit import AuditAction, audit_edit, stored_values
from sparring.models import Organisation, Sector, Theme


class AuditedFormMixin:
    """Save the record and its audit row (old -> new value of each changed field) in one
    transaction."""

    audit_action = AuditAction.RECORD_CHANGED

    def form_valid(self, form):
        with transaction.atomic():
            before = stored_values(form.instance)
            response = super().form_valid(form)
            audit_edit(
                actor=self.request.user,
                action=self.audit_action,
                subject=self.object,
                before=before,
            )
        return response


class AuditedCreateView(AuditedFormMixin, CreateModelView):
    audit_action = AuditAction.RECORD_CREATED


class AuditedUpdateView(AuditedFormMixin, UpdateModelView):
    audit_action = AuditAction.RECORD_CHANGED


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


class FrameworkAgreementViewset(AuditedModelViewset):
    model = FrameworkAgreement
    icon = "gavel"
    title = _("Framework agreements")
    list_columns = (
        "notice_reference",
        "title",
        "valid_from",
        "valid_until",
        "method",
        "budget",
        "active",
    )
    list_search_fields = ("notice_reference", "title")
    list_filter_fields = ("method", "active")


class SupplierViewset(AuditedModelViewset):
    model = Supplier
    queryset = Supplier.objects.select_related("agreement")
    icon = "business_center"
    title = _("Suppliers")
    list_columns = (
        "ranking_position",
        "name",
        "business_id",
        "day_price",
        "agreement",
        "planned_share",
        "active",
    )
    list_search_fields = ("name", "business_id")
    list_filter_fields = ("agreement", "active")


class ConsultantViewset(AuditedModelViewset):
    model = Consultant
    queryset = Consultant.objects.select_related("user", "supplier")
    icon = "person_search"
    title = _("Consultants")
    form_class = ConsultantForm
    list_columns = ("consultant_name", "supplier", "active", "works_remotely", "capacity_total")
    list_search_fields = ("user__first_name", "user__last_name", "supplier__name")
    list_filter_fields = ("supplier", "active", "works_remotely")

    def consultant_name(self, obj: Consultant) -> str:
        return str(obj)

    consultant_name.short_description = _("name")
    consultant_name.orderby_column = "user__last_name"


class ConflictCreateView(AuditedCreateView):
    """The coordinator who records a conflict of interest is its recorder."""

    def form_valid(self, form):
        form.instance.recorded_by = self.request.user
        return super().form_valid(form)


class ConflictOfInterestViewset(AuditedModelViewset):
    model = ConflictOfInterest
    queryset = ConflictOfInterest.objects.select_related(
        "consultant__user", "organisation", "recorded_by"
    ).order_by("-created")
    icon = "block"
    title = _("Conflicts of interest")
    form_class = ConflictOfInterestForm
    create_view_class = ConflictCreateView
    list_columns = ("consultant", "organisation", "reason", "recorded_by", "created")
    list_search_fields = ("organisation__name_fi", "consultant__user__last_name", "reason")


class UnavailabilityFilter(django_filters.FilterSet):
    """The filter by consultant, whose choices name each consultant with their login read
    in the same query (the default choices read it one query per consultant; issue 17)."""

    consultant = django_filters.ModelChoiceFilter(
        queryset=Consultant.objects.select_related("user").order_by("user__last_name", "pk")
    )

    class Meta:
        model = Unavailability
        fields = ["consultant"]


class UnavailabilityViewset(AuditedModelViewset):
    model = Unavailability
    queryset = Unavailability.objects.select_related("consultant__user")
    icon = "event_busy"
    title = _("Unavailable periods")
    list_columns = ("consultant", "starts", "ends", "note")
    list_filterset_class = UnavailabilityFilter


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
    # Calls are managed on the product's own pages (/coordinator/calls/): texts in three
    # languages, open and close, never deleted.
    viewsets = [
        OrganisationViewset(),
        FrameworkAgreementViewset(),
        SupplierViewset(),
        ConsultantViewset(),
        ConflictOfInterestViewset(),
        UnavailabilityViewset(),
        SectorViewset(),
        ThemeViewset(),
    ]


site = Site(
    title=_("Sparring – staff"),
    permission="sparring.coordinate",
    viewsets=[ProgrammeApplication()],
)
