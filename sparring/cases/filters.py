"""The filters of the case list (django-filter)."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from procurement.models import Consultant
from sparring import clock
from sparring.formtools import QuickSelect
from sparring.models import (
    Call,
    Case,
    Organisation,
    Sector,
    StepDeadline,
    Theme,
    localized_name,
)


def organisation_choices() -> list[tuple[int, str]]:
    """Every organisation as (id, name in the reader's language), in Finnish name order.

    Read as tuples, not model instances: the case list offers every organisation of the
    programme (1 000 at 100 000 cases; issue 17). Kept in the cache per language
    (``list_cache.cached``) while the organisations' count and largest id stay the same
    (one query, the index alone): one added or removed shows at once, a renamed one within
    ``SPARRING_LIST_CACHE_SECONDS``.
    """
    from django.db.models import Count, Max
    from django.utils.translation import get_language

    from sparring import list_cache

    def read() -> list[tuple[int, str]]:
        return [
            (pk, localized_name(name_fi, name_sv))
            for pk, name_fi, name_sv in Organisation.objects.order_by("name_fi", "pk").values_list(
                "pk", "name_fi", "name_sv"
            )
        ]

    counted = Organisation.objects.aggregate(n=Count("pk"), last=Max("pk"))
    version = ((get_language() or "fi")[:2], counted["n"], counted["last"])
    return list_cache.cached("organisation-choices", version, read)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_(
            "Reference, organisation, unit, contact person, goal, development need or report."
        ),
    )
    # Written by ``QuickSelect``: 1 000 organisations through Django's option templates
    # took most of the list's time at 100 000 cases (issue 17).
    call = django_filters.ModelChoiceFilter(
        label=_("Call"), queryset=Call.objects.all(), widget=QuickSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Step"), choices=Case.Status.choices, widget=QuickSelect
    )
    progress = django_filters.ChoiceFilter(
        label=_("Progress"),
        choices=(("open", _("In progress")), ("finished", _("Finished"))),
        method="filter_progress",
        widget=QuickSelect,
    )
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"), queryset=Sector.objects.all(), widget=QuickSelect
    )
    theme = django_filters.ModelChoiceFilter(
        label=_("Theme"), queryset=Theme.objects.all(), widget=QuickSelect
    )
    organisation = django_filters.ChoiceFilter(
        label=_("Organisation"), choices=organisation_choices, widget=QuickSelect
    )
    consultant = django_filters.ModelChoiceFilter(
        label=_("Consultant"),
        queryset=Consultant.objects.select_related("user"),
        widget=QuickSelect,
    )
    messages = django_filters.ChoiceFilter(
        label=_("Messages"),
        choices=(("new", _("New messages")),),
        method="filter_messages",
        widget=QuickSelect,
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
        fields = [
            "q",
            "call",
            "status",
            "progress",
            "sector",
            "theme",
            "organisation",
            "consultant",
            "messages",
        ]

    def filter_progress(self, queryset, name, value):
        """``open``: not yet in a final status (``states.NOT_FINAL``, as the consultant's
        home counts its assignments); ``finished``: closed, rejected, withdrawn or cancelled."""
        from .states import FINAL

        if value == "open":
            return queryset.exclude(status__in=FINAL)
        return queryset.filter(status__in=FINAL)

    def filter_messages(self, queryset, name, value):
        """``new``: the cases with messages new to the reader (``conversation.selectors.
        unread_messages``, the rule of the homes' "new messages" box, which links here)."""
        from sparring.conversation.selectors import unread_messages

        if value != "new" or self.request is None:
            return queryset
        return queryset.filter(pk__in=unread_messages(self.request.user).values("case_id"))

    def search(self, queryset, name, value):
        from .search import case_search

        return case_search(queryset, value)

    def filter_queryset(self, queryset):
        """The filters, the search last (on the other filters' result)."""
        queryset, text = self._filtered(queryset)
        return self.search(queryset, "q", text) if text else queryset

    def search_parts(self, scopes: list | None = None) -> list:
        """The matches as the parts whose union they are (``search.search_parts``), for
        reading a page at a time (``selectors.CaseListRows``; issue 17).

        Args:
            scopes: querysets whose union is the filter's queryset
                (``access.visible_case_parts``); each is filtered and searched.
        """
        from .search import search_parts

        return [
            part
            for scope in scopes or [self.queryset]
            for part in search_parts(*self._filtered(scope.all()))
        ]

    def search_samples(self, scopes: list | None = None) -> list:
        """For each of ``scopes`` (as for ``search_parts``), filtered, the search's sample of
        its matches (``search.search_sample``), where the search has one: some of the
        matches, counted from an index (``selectors.CaseListRows``)."""
        from .search import search_sample

        samples = []
        for scope in scopes or [self.queryset]:
            queryset, text = self._filtered(scope.all())
            sample = search_sample(queryset, text) if text else None
            if sample is not None:
                samples.append(sample)
        return samples

    @property
    def searched(self) -> bool:
        """Whether a search text was given (a valid one)."""
        return bool(self._filtered(self.queryset)[1])

    def _filtered(self, queryset):
        # ``queryset`` with every filter but the search; and the search's text
        text = ""
        if not self.is_bound:
            return queryset, text
        self.errors  # noqa: B018 (validates the form: cleaned_data)
        for name, value in self.form.cleaned_data.items():
            if name == "q":
                text = value or ""
            else:
                queryset = self.filters[name].filter(queryset, value)
        return queryset, text


class LateCaseFilter(django_filters.FilterSet):
    """The late cases page (issue 14): open steps with a deadline, filtered and sorted.

    Filters on the ``StepDeadline`` rows of ``selectors.open_step_deadlines``: the call,
    the step, the coordinator handling the case (``Case.handler``) and the lateness.
    """

    LATENESS = (
        ("late", _("Late")),
        ("escalated", _("Coordinators told")),
        ("on_time", _("Not yet due")),
    )

    call = django_filters.ModelChoiceFilter(
        label=_("Call"), field_name="case__call", queryset=Call.objects.all()
    )
    step = django_filters.ChoiceFilter(label=_("Step"), choices=())
    coordinator = django_filters.ModelChoiceFilter(
        label=_("Coordinator"),
        field_name="case__handler",
        queryset=get_user_model()
        .objects.filter(role="coordinator")
        .order_by("last_name", "first_name", "pk"),
    )
    lateness = django_filters.ChoiceFilter(
        label=_("Lateness"), choices=LATENESS, method="filter_lateness"
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("due", "due"),
            ("since", "since"),
            ("case__reference", "reference"),
            ("step", "step"),
        ),
        field_labels={
            "due": _("Due date (most late first)"),
            "-due": _("Due date (latest first)"),
            "since": _("Waiting since (oldest first)"),
            "-since": _("Waiting since (newest first)"),
            "case__reference": _("Reference"),
            "-reference": _("Reference (descending)"),
            "step": _("Step"),
            "-step": _("Step (descending)"),
        },
    )

    class Meta:
        model = StepDeadline
        fields = ["call", "step", "coordinator", "lateness"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .steps import STEPS

        self.filters["step"].extra["choices"] = [
            (node, step.label) for node, step in STEPS.items() if step.deadline is not None
        ]

    def filter_lateness(self, queryset, name, value):
        now = clock.now()
        if value == "late":
            return queryset.filter(due__lt=now)
        if value == "escalated":
            return queryset.filter(escalated_at__isnull=False)
        if value == "on_time":
            return queryset.filter(due__gte=now)
        return queryset


def visible_case_filter(request) -> CaseFilter:
    """The case list's filter over the cases ``request.user`` may see: the one check of
    who may list cases (a coordinator, an applicant or a consultant), shared by the list
    and its exports so that an export never holds more than the list.

    Raises:
        PermissionDenied: the user has none of those roles.
    """
    from django.core.exceptions import PermissionDenied

    from sparring import access

    user = request.user
    if not (access.is_coordinator(user) or access.is_applicant(user) or access.is_consultant(user)):
        raise PermissionDenied
    return CaseFilter(request.GET or None, queryset=access.visible_cases(user), request=request)
