"""The late cases page (issue 14): every open case's waiting step, its due date and lateness."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors
from .filters import LateCaseFilter
from .steps import ACTOR_LABELS, STEPS

PAGE_SIZE = 50


def with_step_labels(deadlines):
    """The deadline rows with ``step_label`` and ``actor_label`` (no query)."""
    rows = list(deadlines)
    for row in rows:
        step = STEPS.get(row.step)
        row.step_label = (step.label or step.waiting) if step else row.step
        row.actor_label = ACTOR_LABELS.get(step.actor, "") if step else ""
    return rows


def late_cases(request: HttpRequest) -> HttpResponse:
    """Coordinators: the open cases waiting at a step with a deadline, most late first.

    Filters: call, step, coordinator handling the case, lateness; sortable; 50 a page,
    the same number of queries whatever the number of cases.
    """
    if not request.user.has_perm("sparring.coordinate"):
        raise PermissionDenied
    queryset = selectors.open_step_deadlines().order_by("due", "pk")
    late_filter = LateCaseFilter(request.GET or None, queryset=queryset)
    page = Paginator(late_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sparring/late_cases.html",
        {"filter": late_filter, "page": page, "rows": with_step_labels(page.object_list)},
    )
