"""The filters of the case list (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant
from sparring.models import Call, Case, Organisation, Sector, Theme


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_(
            "Reference, organisation, unit, contact person, goal, development need or report."
        ),
    )
    call = django_filters.ModelChoiceFilter(label=_("Call"), queryset=Call.objects.all())
    status = django_filters.ChoiceFilter(label=_("Step"), choices=Case.Status.choices)
    sector = django_filters.ModelChoiceFilter(label=_("Sector"), queryset=Sector.objects.all())
    theme = django_filters.ModelChoiceFilter(label=_("Theme"), queryset=Theme.objects.all())
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=Organisation.objects.all()
    )
    consultant = django_filters.ModelChoiceFilter(
        label=_("Consultant"), queryset=Consultant.objects.select_related("user")
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        from sparring import access

        if request is None or not access.is_coordinator(request.user):
            # Other roles see their own cases only: no organisation or consultant to choose.
            del self.filters["organisation"]
            del self.filters["consultant"]

    class Meta:
        model = Case
        fields = ["q", "call", "status", "sector", "theme", "organisation", "consultant"]

    def search(self, queryset, name, value):
        from .search import case_search

        return case_search(queryset, value)
