"""Pages of the dates and days: the consultant proposes dates, records, moves, adds and cancels days."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access
from sparring.formtools import add_errors
from sparring.models import SessionDay

from . import services
from .forms import DayCancelForm, DayForm, DayHeldForm, DayRescheduleForm, VersionedForm
from .selectors import visible_case


def case_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    if not (access.is_case_consultant(request.user, case)):
        raise PermissionDenied
    posted = request.POST if request.method == "POST" else None
    forms = [DayForm(posted, prefix=f"day{n}") for n in range(1, case.days + 1)]
    version = VersionedForm(posted, initial={"version": case.version})
    error = None
    if request.method == "POST" and version.is_valid() and all(f.is_valid() for f in forms):
        try:
            services.schedule_propose(
                actor=request.user,
                case=case,
                days=[f.cleaned_data for f in forms],
                version=version.cleaned_data["version"],
            )
            messages.success(request, _("The dates were sent to the applicant for confirmation."))
            return redirect("sparring:case_detail", pk=case.pk)
        except ValidationError as exc:
            error = exc.messages
        except services.CaseError as exc:
            messages.warning(request, exc.message)
            return redirect("sparring:case_detail", pk=case.pk)
    invalid = request.method == "POST"
    return render(
        request,
        "sparring/schedule_form.html",
        {"case": case, "forms": forms, "version_form": version, "errors": error},
        status=400 if invalid else 200,
    )


def day_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The consultant adds a day to replace a cancelled one."""
    case = visible_case(request, pk)
    if not (access.is_case_consultant(request.user, case)):
        raise PermissionDenied
    form = DayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_day_add(actor=request.user, case=case, data=form.cleaned_data)
            messages.success(request, _("The day was added and the invitation sent."))
            return redirect("sparring:case_detail", pk=case.pk)
        except ValidationError as error:
            add_errors(form, error)
        except services.CaseError as error:
            messages.warning(request, error.message)
            return redirect("sparring:case_detail", pk=case.pk)
    return render(
        request,
        "sparring/day_add.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _visible_day(request, pk: int) -> SessionDay:
    return get_object_or_404(
        SessionDay.objects.select_related("case"),
        pk=pk,
        case__in=access.visible_cases(request.user),
    )


@require_POST
def day_held(request: HttpRequest, pk: int) -> HttpResponse:
    day = _visible_day(request, pk)
    form = DayHeldForm(request.POST)
    if form.is_valid():
        try:
            services.session_day_record(
                actor=request.user, day=day, participants=form.cleaned_data["participants"]
            )
            messages.success(request, _("The day was recorded as held."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except services.CaseError as error:
            messages.warning(request, error.message)
    else:
        messages.error(request, _("Give the number of participants, 1–1000."))
    return redirect("sparring:case_detail", pk=day.case_id)


def day_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Move or cancel a confirmed day."""
    day = _visible_day(request, pk)
    case = day.case
    if not ((access.is_case_consultant(request.user, case)) or access.is_coordinator(request.user)):
        raise PermissionDenied
    initial = {
        f: getattr(day, f) for f in ("date", "start_time", "end_time", "place", "remote_link")
    }
    move = DayRescheduleForm(
        request.POST if request.POST.get("intent") == "move" else None, initial=initial
    )
    cancel = DayCancelForm(request.POST if request.POST.get("intent") == "cancel" else None)
    for form, intent in ((move, "move"), (cancel, "cancel")):
        if request.method == "POST" and request.POST.get("intent") == intent and form.is_valid():
            try:
                if intent == "move":
                    data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
                    services.session_day_reschedule(
                        actor=request.user, day=day, data=data, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The day was moved and the new invitation sent."))
                else:
                    services.session_day_cancel(
                        actor=request.user, day=day, reason=form.cleaned_data["reason"]
                    )
                    messages.success(
                        request, _("The day was cancelled and the invitation withdrawn.")
                    )
                return redirect("sparring:case_detail", pk=case.pk)
            except ValidationError as error:
                add_errors(form, error)
            except services.CaseError as error:
                messages.warning(request, error.message)
                return redirect("sparring:case_detail", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sparring/day_change.html",
        {"case": case, "day": day, "move": move, "cancel": cancel},
        status=status,
    )
