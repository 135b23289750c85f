"""Pages of the mini-competition: open, offer, award (thin over procurement.minicompetition)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access
from sparring.cases import selectors
from sparring.cases import services as case_services

from . import minicompetition
from .competition_forms import AwardForm, CompetitionOpenForm, TenderForm
from .models import MiniCompetition, Tender


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
def competition_open(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_page(access.visible_cases(request.user), pk)
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    form = CompetitionOpenForm(request.POST)
    if form.is_valid():
        try:
            minicompetition.competition_open(actor=request.user, case=case, **form.cleaned_data)
            messages.success(
                request, _("The mini-competition is open; the suppliers were invited.")
            )
        except ValidationError as error:
            _messages_from(request, error)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("sparring:case_detail", pk=case.pk)


def tender(request: HttpRequest, pk: int) -> HttpResponse:
    """An invited supplier's consultant offers for the case (sealed until the deadline)."""
    competition = get_object_or_404(
        MiniCompetition.objects.select_related("case__organisation", "case__theme", "case__call"),
        pk=pk,
    )
    if not minicompetition.can_tender(request.user, competition):
        raise PermissionDenied
    mine = Tender.objects.filter(
        competition=competition, supplier=request.user.consultant.supplier
    ).first()
    initial = (
        {
            "day_price": mine.day_price,
            "proposed_dates": mine.proposed_dates,
            "approach": mine.approach,
        }
        if mine
        else {"day_price": request.user.consultant.supplier.day_price}
    )
    form = TenderForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            minicompetition.tender_submit(
                actor=request.user, competition=competition, **form.cleaned_data
            )
            messages.success(
                request, _("Your offer was saved. You can change it until the deadline.")
            )
            return redirect("procurement:tender", pk=competition.pk)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "procurement/tender.html",
        {"competition": competition, "case": competition.case, "form": form, "mine": mine},
        status=status,
    )


@require_POST
def competition_award(request: HttpRequest, pk: int) -> HttpResponse:
    competition = get_object_or_404(MiniCompetition.objects.select_related("case"), pk=pk)
    case = selectors.case_page(access.visible_cases(request.user), competition.case_id)
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    form = AwardForm(request.POST, tenders=competition.tenders.select_related("supplier"))
    if form.is_valid():
        try:
            minicompetition.competition_award(
                actor=request.user,
                competition=competition,
                scores=form.scores(),
                version=form.cleaned_data["version"],
                consultant=form.cleaned_data["consultant"],
                justification=form.cleaned_data["justification"],
            )
            messages.success(
                request, _("The case was offered to the consultant of the chosen offer.")
            )
        except ValidationError as error:
            _messages_from(request, error)
        except case_services.CaseError as error:
            messages.warning(request, error.message)
    else:
        messages.error(request, _("Score every offer 0–10."))
    return redirect("sparring:case_detail", pk=case.pk)


@require_POST
def competition_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    competition = get_object_or_404(MiniCompetition, pk=pk)
    case = selectors.case_page(access.visible_cases(request.user), competition.case_id)
    if not access.is_coordinator(request.user):
        raise PermissionDenied
    minicompetition.competition_cancel(
        actor=request.user, competition=competition, reason=request.POST.get("reason", "")
    )
    messages.success(request, _("The mini-competition was cancelled."))
    return redirect("sparring:case_detail", pk=case.pk)
