"""The coordinator's pages for calls for applications: list, create, edit, open, close."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access, clock
from sparring.formtools import add_errors
from sparring.models import Call

from . import selectors, services
from .call_forms import CallForm, ReopenForm

PAGE_SIZE = 20


def _require_coordinator(request: HttpRequest) -> None:
    from django.core.exceptions import PermissionDenied

    if not access.is_coordinator(request.user):
        raise PermissionDenied


def call_manage_list(request: HttpRequest) -> HttpResponse:
    """Every call, newest first, with its case count and whether it is open (paginated)."""
    _require_coordinator(request)
    calls = Call.objects.select_related("agreement").order_by("-opens_at", "-pk")
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.case_counts_by_call([call.pk for call in page])
    now = clock.now()
    for call in page:
        call.case_count = counts.get(call.pk, 0)
        call.open_now = call.is_open(now)
        call.upcoming = call.opens_at > now
    return render(request, "sparring/calls/list.html", {"page": page, "reopen": ReopenForm()})


def call_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a call (no ``pk``) or change one."""
    _require_coordinator(request)
    call = get_object_or_404(Call, pk=pk) if pk else None
    form = CallForm(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.call_save(
                actor=request.user,
                call=call,
                fields=form.service_fields(),
                themes=form.cleaned_data["themes"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                (
                    _("The call %(title)s was saved.")
                    if call
                    else _("The call %(title)s was created.")
                )
                % {"title": saved.display_title},
            )
            return redirect("sparring:call_manage_list")
    return render(
        request,
        "sparring/calls/form.html",
        {"form": form, "call": call},
        status=400 if form.errors else 200,
    )


@require_POST
def call_state(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Open or close a call now (POST; the list's buttons)."""
    _require_coordinator(request)
    call = get_object_or_404(Call, pk=pk)
    try:
        if action == "close":
            services.call_close(actor=request.user, call=call)
            messages.success(
                request, _("The call %(title)s is closed.") % {"title": call.display_title}
            )
        elif action == "open":
            form = ReopenForm(request.POST)
            closes_at = form.cleaned_data["closes_at"] if form.is_valid() else None
            services.call_open(actor=request.user, call=call, closes_at=closes_at)
            messages.success(
                request, _("The call %(title)s is open.") % {"title": call.display_title}
            )
        else:
            return redirect("sparring:call_manage_list")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("sparring:call_manage_list")
