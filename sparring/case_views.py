"""Pages of the sparring case. Thin: they pick the case the user may see (404
otherwise), validate a form and call one service; the services decide."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from procurement.models import Offer

from . import access, selectors, services, surveys
from .forms import (
    ApplicationForm,
    AttachmentForm,
    CallOffForm,
    CloseForm,
    ConfirmDatesForm,
    DayCancelForm,
    DayForm,
    DayHeldForm,
    DayRescheduleForm,
    DecisionForm,
    OfferAnswerForm,
    ReportForm,
    StopForm,
    SurveyParticipantsForm,
    VersionedForm,
)
from .models import Attachment, Case, SessionDay


def _visible_case(request: HttpRequest, pk: int) -> Case:
    return selectors.case_page(access.visible_cases(request.user), pk)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# ------------------------------------------------------------------------------
# The case page and its actions
# ------------------------------------------------------------------------------


def _action_forms(request, case: Case, steps: list[str]) -> dict:
    """The forms the user can use on the case page now, keyed by action."""
    user = request.user
    initial = {"version": case.version}
    forms = {}
    is_applicant = access.is_applicant(user)
    is_coordinator = access.is_coordinator(user)
    is_consultant = access.is_consultant(user)
    if is_applicant and case.status == Case.Status.DRAFT:
        forms["submit"] = VersionedForm(initial=initial)
        forms["delete"] = VersionedForm(initial=initial)
    if is_applicant and "amend" in steps:
        forms["submit"] = VersionedForm(initial=initial)
    if is_coordinator and "review" in steps:
        forms["decide"] = DecisionForm(initial={**initial, "approved_days": case.requested_days})
    if is_coordinator and "call_off" in steps:
        from procurement import calloff, reports

        agreement = calloff.agreement_in_force()
        if agreement is not None and agreement.method == "mini_competition":
            forms.update(_competition_forms(case, agreement, initial))
        elif agreement is not None:
            ranked = calloff.candidates(case, agreement)
            proposed = calloff.proposal(ranked)
            forms["call_off"] = CallOffForm(
                initial=initial, case=case, ranked=ranked, proposed=proposed
            )
            forms["call_off"].ranked = ranked
            forms["call_off"].proposed = proposed
            forms["call_off"].agreement = agreement
            forms["call_off"].ledger = reports.ledger(agreement)
    if (
        is_coordinator
        and case.status in Case.WAITING_FOR_COORDINATOR
        and case.handler_id != user.pk
    ):
        forms["take"] = VersionedForm(initial=initial)
    if is_consultant and "offer" in steps:
        offer = Offer.objects.filter(
            case=case, status=Offer.Status.OFFERED, consultant=user.consultant
        ).first()
        if offer is not None:
            forms["answer"] = OfferAnswerForm()
    if is_applicant and "confirm" in steps:
        forms["confirm"] = ConfirmDatesForm(initial=initial)
    if is_coordinator and "close" in steps:
        forms["close"] = CloseForm(initial=initial)
    if case.status in Case.OPEN_STATUSES:
        if is_applicant and not case.days_planned.filter(status=SessionDay.Status.HELD).exists():
            forms["withdraw"] = StopForm(initial=initial)
        if is_coordinator:
            forms["cancel"] = StopForm(initial=initial)
    return forms


def _competition_forms(case: Case, agreement, initial: dict) -> dict:
    """Mini-competition: open it, wait for the deadline, then score and award."""
    from procurement import minicompetition
    from procurement.competition_forms import AwardForm, CompetitionOpenForm

    competition = minicompetition.open_competition(case)
    if competition is None:
        form = CompetitionOpenForm()
        form.agreement = agreement
        return {"competition_open": form}
    if competition.is_sealed():
        return {"competition_waiting": competition}
    tenders = list(competition.tenders.select_related("supplier", "consultant__user"))
    form = AwardForm(initial=initial, tenders=tenders)
    form.competition = competition
    form.ranked_tenders = tenders
    return {"award": form}


def _offers_for(user, case: Case) -> list:
    """Coordinators see every offer of the case; a consultant only their own."""
    if access.is_coordinator(user):
        return list(selectors.call_offers(case))
    if access.is_consultant(user):
        return list(selectors.call_offers(case).filter(consultant=user.consultant))
    return []


def _attach_candidates(form, case: Case) -> None:
    from procurement import calloff, reports

    agreement = calloff.agreement_in_force()
    form.agreement = agreement
    form.ranked = calloff.candidates(case, agreement) if agreement else []
    form.proposed = calloff.proposal(form.ranked)
    eligible = [c.consultant for c in form.ranked if c.eligible]
    form.fields["consultant"].queryset = form.fields["consultant"].queryset.filter(pk__in=eligible)
    form.ledger = reports.ledger(agreement) if agreement else None


def _render_case(request, case: Case, bound: dict | None = None, status: int = 200) -> HttpResponse:
    steps = selectors.open_steps(case)
    forms = _action_forms(request, case, steps)
    forms.update(bound or {})
    user = request.user
    days = list(case.days_planned.all())
    report = getattr(case, "report", None) if hasattr(case, "report") else None
    can_record_days = "deliver" in steps and (
        access.is_case_consultant(user, case) or access.is_coordinator(user)
    )
    context = {
        "case": case,
        "steps": [(name, *selectors.STEP_ACTORS[name]) for name in steps],
        "forms": forms,
        "days": days,
        "attachments": list(case.attachments.all()),
        "offers": _offers_for(user, case),
        "call_offs": list(selectors.call_off_records(case)) if access.is_coordinator(user) else [],
        "events": selectors.labelled_timeline(case, full=access.is_coordinator(user)),
        "report": report if report is not None and report.revision else None,
        "report_documents": list(case.report_documents.all()),
        "survey": getattr(case, "survey", None) if hasattr(case, "survey") else None,
        "survey_results": surveys.survey_results(user=user, case=case),
        "survey_can_manage": access.is_coordinator(user) or access.is_case_applicant(user, case),
        "survey_participants_form": SurveyParticipantsForm(),
        "site_url": settings.SITE_URL.rstrip("/"),
        "can_edit": access.is_applicant(user)
        and case.status in (Case.Status.DRAFT, Case.Status.RETURNED),
        "can_schedule": access.is_case_consultant(user, case) and "schedule" in steps,
        "can_report": access.is_case_consultant(user, case)
        and ("report" in steps or (report is not None and report.status == "returned")),
        "can_return_report": access.is_coordinator(user)
        and report is not None
        and report.status == "submitted"
        and case.status in (Case.Status.FEEDBACK, Case.Status.CLOSING),
        "can_record_days": can_record_days and access.is_consultant(user),
        "can_move_days": can_record_days,
        "can_add_day": can_record_days
        and access.is_consultant(user)
        and sum(d.status in ("confirmed", "held") for d in days) < case.days,
        "held_form": DayHeldForm(),
        "attachment_form": AttachmentForm()
        if access.is_applicant(user) and case.status in (Case.Status.DRAFT, Case.Status.RETURNED)
        else None,
        "is_coordinator": access.is_coordinator(user),
    }
    return render(request, "sparring/case_detail.html", context, status=status)


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _visible_case(request, pk))


ACTION_FORMS = {
    "submit": VersionedForm,
    "delete": VersionedForm,
    "take": VersionedForm,
    "decide": DecisionForm,
    "call_off": CallOffForm,
    "answer": OfferAnswerForm,
    "confirm": ConfirmDatesForm,
    "close": CloseForm,
    "withdraw": StopForm,
    "cancel": StopForm,
}

SUCCESS = {
    "submit": gettext_lazy("The application was submitted. You will get a confirmation by e-mail."),
    "delete": gettext_lazy("The draft was deleted."),
    "take": gettext_lazy("You took the case."),
    "decide": gettext_lazy("The decision was saved and the applicant informed."),
    "call_off": gettext_lazy("The case was offered to the consultant."),
    "answer": gettext_lazy("Your answer was saved."),
    "confirm": gettext_lazy("Your answer on the dates was saved."),
    "close": gettext_lazy("The case was closed."),
    "withdraw": gettext_lazy("The application was withdrawn."),
    "cancel": gettext_lazy("The case was cancelled."),
}


def _perform(action: str, request, case: Case, data: dict):
    user = request.user
    version = data.get("version")
    if action == "submit":
        return services.case_submit(actor=user, case=case, version=version)
    if action == "delete":
        return services.case_delete_draft(actor=user, case=case)
    if action == "take":
        return services.case_take(actor=user, case=case, version=version)
    if action == "decide":
        return services.case_decide(
            actor=user,
            case=case,
            decision=data["decision"],
            comment=data["comment"],
            approved_days=data.get("approved_days"),
            version=version,
        )
    if action == "call_off":
        return services.case_call_off(
            actor=user,
            case=case,
            consultant=data["consultant"],
            justification=data["justification"],
            version=version,
        )
    if action == "answer":
        offer = Offer.objects.filter(case=case, status=Offer.Status.OFFERED).first()
        if offer is None:
            raise services.StepNotAvailable
        return services.offer_answer(
            actor=user, offer=offer, accept=data["answer"] == "accept", reason=data["reason"]
        )
    if action == "confirm":
        return services.schedule_confirm(
            actor=user,
            case=case,
            accept=data["answer"] == "confirm",
            comment=data["comment"],
            version=version,
        )
    if action == "close":
        return services.case_close(actor=user, case=case, comment=data["comment"], version=version)
    if action == "withdraw":
        return services.case_withdraw(actor=user, case=case, reason=data["reason"], version=version)
    if action == "cancel":
        return services.case_cancel(actor=user, case=case, reason=data["reason"], version=version)
    raise Http404


@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTION_FORMS:
        raise Http404
    case = _visible_case(request, pk)
    form_class = ACTION_FORMS[action]
    form = (
        form_class(request.POST, case=case)
        if form_class is CallOffForm
        else form_class(request.POST)
    )
    if form.is_valid():
        try:
            _perform(action, request, case, form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        except services.CaseError as error:
            messages.warning(request, error.message)
            return redirect("sparring:case_detail", pk=case.pk)
        else:
            messages.success(request, SUCCESS[action])
            if action == "delete":
                return redirect("home")
            return redirect("sparring:case_detail", pk=case.pk)
    case.refresh_from_db()
    if action == "call_off":
        _attach_candidates(form, case)
    if set(form.errors) == {"version"}:  # a tampered or broken page
        messages.warning(request, services.StaleCase.message)
        return _render_case(request, case, status=400)
    return _render_case(request, case, {action: form}, status=400)


# ------------------------------------------------------------------------------
# The application form
# ------------------------------------------------------------------------------


def case_apply(request: HttpRequest, call_pk: int) -> HttpResponse:
    if not access.is_applicant(request.user):
        raise PermissionDenied
    call = get_object_or_404(selectors.open_calls(), pk=call_pk)
    import uuid

    posted = request.POST if request.method == "POST" else None
    form = ApplicationForm(
        posted, initial={**_contact_defaults(request.user), "form_token": uuid.uuid4()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                actor=request.user,
                call=call,
                data=form.case_data(),
                token=form.cleaned_data["form_token"],
            )
            if request.POST.get("intent") == "submit":
                services.case_submit(actor=request.user, case=case, version=case.version)
                messages.success(request, SUCCESS["submit"])
            else:
                messages.success(request, _("The draft was saved. Submit it when it is ready."))
            return redirect("sparring:case_detail", pk=case.pk)
        except services.AlreadySaved as saved:
            messages.info(request, saved.message)
            return redirect("sparring:case_detail", pk=saved.case.pk)
        except ValidationError as error:
            _add_errors(form, error)
        except services.CaseError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "sparring/case_form.html",
        {"form": form, "call": call, "case": None},
        status=400 if form.errors else 200,
    )


def _contact_defaults(user) -> dict:
    return {
        "contact_name": user.get_full_name(),
        "contact_email": user.email,
        "language": user.language,
        "requested_days": 2,
    }


def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    if not access.is_applicant(request.user):
        raise PermissionDenied
    if case.status not in (Case.Status.DRAFT, Case.Status.RETURNED):
        messages.warning(
            request,
            _("The application can be changed only as a draft or when returned for amendment."),
        )
        return redirect("sparring:case_detail", pk=case.pk)
    posted = request.POST if request.method == "POST" else None
    form = ApplicationForm(posted, instance=case, initial={"version": case.version})
    if request.method == "POST":
        if form.is_valid():
            try:
                version = int(request.POST.get("version") or 0)
                services.case_update(
                    actor=request.user, case=case, data=form.case_data(), version=version
                )
                if request.POST.get("intent") == "submit":
                    services.case_submit(actor=request.user, case=case, version=case.version)
                    messages.success(request, SUCCESS["submit"])
                else:
                    messages.success(request, _("Your changes were saved."))
                return redirect("sparring:case_detail", pk=case.pk)
            except ValidationError as error:
                _add_errors(form, error)
            except services.CaseError as error:
                form.add_error(None, error.message)
    return render(
        request,
        "sparring/case_form.html",
        {"form": form, "call": case.call, "case": case},
        status=400 if form.errors else 200,
    )


# ------------------------------------------------------------------------------
# Dates, days and the report
# ------------------------------------------------------------------------------


def case_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
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
    case = _visible_case(request, pk)
    if not (access.is_case_consultant(request.user, case)):
        raise PermissionDenied
    form = DayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_day_add(actor=request.user, case=case, data=form.cleaned_data)
            messages.success(request, _("The day was added and the invitation sent."))
            return redirect("sparring:case_detail", pk=case.pk)
        except ValidationError as error:
            _add_errors(form, error)
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
                _add_errors(form, error)
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


def case_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The consultant writes the report: save as draft, file; later correct it if returned."""
    case = _visible_case(request, pk)
    if not (access.is_case_consultant(request.user, case)):
        raise PermissionDenied
    report = getattr(case, "report", None) if hasattr(case, "report") else None
    recorded = services.held_participants(case)
    initial = {"version": case.version, "participants": recorded}
    if report is not None:
        initial.update(
            {
                f: getattr(report, f)
                for f in services.REPORT_FIELDS
                if getattr(report, f) not in (None, "")
            }
        )
    posted = request.POST if request.method == "POST" else None
    form = ReportForm(posted, initial=initial)
    draft = request.POST.get("intent") == "draft"
    if draft:
        for field in form.fields.values():
            field.required = False
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            if draft:
                services.report_save_draft(actor=request.user, case=case, data=data)
                messages.success(
                    request, _("The draft was saved. File the report when it is ready.")
                )
                return redirect("sparring:case_report", pk=case.pk)
            services.report_submit(
                actor=request.user,
                case=case,
                data=data,
                version=form.cleaned_data["version"] or case.version,
            )
            messages.success(
                request,
                _(
                    "The report was filed. Its PDF is made and the applicant and the coordinators are told."
                ),
            )
            return redirect("sparring:case_detail", pk=case.pk)
        except ValidationError as error:
            _add_errors(form, error)
        except services.CaseError as error:
            messages.warning(request, error.message)
            return redirect("sparring:case_detail", pk=case.pk)
    return render(
        request,
        "sparring/report_form.html",
        {"case": case, "form": form, "recorded": recorded, "report": report},
        status=400 if form.errors else 200,
    )


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    try:
        services.report_return(
            actor=request.user, case=case, comment=request.POST.get("comment", "")
        )
        messages.success(request, _("The report was returned to the consultant for correction."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except services.CaseError as error:
        messages.warning(request, error.message)
    return redirect("sparring:case_detail", pk=case.pk)


# ------------------------------------------------------------------------------
# Files and exports
# ------------------------------------------------------------------------------


@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(actor=request.user, case=case, upload=form.cleaned_data["file"])
            messages.success(request, _("The file was added."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except services.CaseError as error:
            messages.warning(request, error.message)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("sparring:case_detail", pk=case.pk)


def _visible_attachment(request, pk: int) -> Attachment:
    return get_object_or_404(
        Attachment.objects.select_related("case"),
        pk=pk,
        case__in=access.visible_cases(request.user),
    )


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = _visible_attachment(request, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _visible_attachment(request, pk)
    try:
        services.attachment_remove(actor=request.user, attachment=attachment)
        messages.success(request, _("The file was removed."))
    except services.CaseError as error:
        messages.warning(request, error.message)
    return redirect("sparring:case_detail", pk=attachment.case_id)


def case_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's confirmed days as one .ics file."""
    from .calendar import invitation

    case = _visible_case(request, pk)
    days = case.days_planned.filter(
        status__in=[SessionDay.Status.CONFIRMED, SessionDay.Status.HELD]
    )
    response = HttpResponse(invitation(case, days), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sparraus-{case.reference or case.pk}.ics"'
    )
    return response


def call_off_record(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    """The decision record of one call-off as CSV (coordinators)."""
    import csv

    from procurement.models import CallOff

    if not access.is_coordinator(request.user):
        raise Http404
    case = _visible_case(request, pk)
    record = get_object_or_404(
        CallOff.objects.select_related("chosen__user", "proposed__user", "decided_by", "agreement"),
        pk=record_pk,
        case=case,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="call-off-{case.reference}-{record.pk}.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Case"), case.reference, case.organisation.name_fi])
    writer.writerow([_("Framework agreement"), str(record.agreement)])
    writer.writerow([_("Method"), record.get_method_display()])
    writer.writerow([_("Proposed"), str(record.proposed or "–")])
    writer.writerow([_("Chosen"), str(record.chosen)])
    writer.writerow([_("Justification for the override"), record.override_justification])
    writer.writerow(
        [
            _("Decided by"),
            record.decided_by.get_full_name(),
            timezone.localtime(record.decided_at).strftime("%d.%m.%Y %H.%M"),
        ]
    )
    writer.writerow([])
    writer.writerow(
        [
            _("Rank"),
            _("Consultant"),
            _("Supplier"),
            _("Days committed"),
            _("Eligible"),
            _("Reasons"),
        ]
    )
    for candidate in record.candidates:
        writer.writerow(
            [
                candidate["rank"],
                candidate["name"],
                candidate["supplier"],
                candidate["load"],
                _("yes") if candidate["eligible"] else _("no"),
                "; ".join(candidate["reasons"]),
            ]
        )
    return response


def report_pdf(request: HttpRequest, pk: int, version: int | None = None) -> FileResponse:
    """A version of the report PDF (the latest by default), for those who may see the case."""
    case = _visible_case(request, pk)
    documents = case.report_documents.all()
    document = documents.filter(version=version).first() if version else documents.first()
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"sparrausraportti-{case.reference}-v{document.version}.pdf",
        content_type="application/pdf",
    )


def case_chart(request: HttpRequest, pk: int) -> HttpResponse:
    """The flow chart with the case's position, as SVG."""
    from viewflow.workflow import chart

    from workflow.flows import SparringFlow

    case = _visible_case(request, pk)
    grid = chart.calc_layout_data(SparringFlow)
    if case.process_id:
        chart.calc_cell_status(SparringFlow, grid, case.process_id)
    return HttpResponse(chart.grid_to_svg(grid), content_type="image/svg+xml")


# ------------------------------------------------------------------------------
# Lists
# ------------------------------------------------------------------------------


def case_list(request: HttpRequest) -> HttpResponse:
    """All cases the user may see, with filters for coordinators."""
    from .filters import CaseFilter

    queryset = selectors.case_list(access.visible_cases(request.user))
    if not (
        access.is_coordinator(request.user)
        or access.is_applicant(request.user)
        or access.is_consultant(request.user)
    ):
        raise PermissionDenied
    case_filter = CaseFilter(request.GET or None, queryset=queryset, request=request)
    from django.core.paginator import Paginator

    page = Paginator(case_filter.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sparring/case_list.html",
        {"filter": case_filter, "page": page, "cases": page.object_list},
    )


def call_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sparring/call_list.html", {"calls": selectors.open_calls()})
