"""Pages of the sparring case. Thin: they pick the case the user may see (404
otherwise), validate a form and call one service; the services decide. The
case page's actions come from the step registry (``steps.ACTIONS``)."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow import chart

from procurement import calloff
from procurement.models import CallOff
from sparring import access, clock, exports
from sparring.conversation import selectors as conversation_selectors
from sparring.conversation import services as conversation_services
from sparring.conversation.forms import MessageForm
from sparring.formtools import add_errors
from sparring.models import Attachment, Case, SessionDay
from sparring.reports.rendering import report_source
from sparring.surveys import services as survey_services
from sparring.surveys.forms import SurveyParticipantsForm, SurveySheetForm

from . import next_steps, selectors, services, states, steps
from .calendar import invitation
from .filters import visible_case_filter
from .forms import ApplicationForm, AttachmentForm, DayHeldForm
from .selectors import visible_case
from .transitions import CaseError, StaleCase, flow_class_for

# ------------------------------------------------------------------------------
# The case page and its actions
# ------------------------------------------------------------------------------


def _offers_for(user, case: Case) -> list:
    """Coordinators see every offer of the case; a consultant only their own."""
    if access.is_coordinator(user):
        return list(selectors.call_offers(case))
    if access.is_consultant(user):
        return list(selectors.call_offers(case).filter(consultant=user.consultant))
    return []


def _render_case(
    request,
    case: Case,
    bound: dict | None = None,
    status: int = 200,
    *,
    message_form=None,
    attachment_form=None,
    survey_participants_form=None,
) -> HttpResponse:
    """The case page for ``request.user``; ``bound``: action forms with errors to show,
    ``message_form``: the conversation's message form with errors to show,
    ``attachment_form``: the upload form with its error (a refused file),
    ``survey_participants_form``: the addresses for survey codes, with their error (kept).

    Opening the page marks the conversation read up to its newest message; the
    messages that were new are still marked new on this rendering.
    """
    open_nodes = selectors.open_steps(case)
    forms = steps.offered_forms(request.user, case, open_nodes)
    forms.update(bound or {})
    user = request.user
    days = list(case.days_planned.all())
    report = getattr(case, "report", None) if hasattr(case, "report") else None
    can_record_days = "deliver" in open_nodes and (
        access.is_case_consultant(user, case) or access.is_coordinator(user)
    )
    report_documents = list(case.report_documents.all())
    context = {
        "case": case,
        "steps": steps.waiting(open_nodes),
        "forms": forms,
        "days": days,
        "attachments": list(case.attachments.all()),
        "offers": _offers_for(user, case),
        "call_offs": list(selectors.call_off_records(case)) if access.is_coordinator(user) else [],
        "events": selectors.labelled_timeline(case, full=access.is_coordinator(user), viewer=user),
        "report": report if report is not None and report.revision else None,
        "report_documents": report_documents,
        # the PDF of the report's current revision is still being made (in the background)
        "report_pdf_pending": report is not None
        and bool(report.revision)
        and not any(d.source == report_source(report) for d in report_documents),
        "survey": getattr(case, "survey", None) if hasattr(case, "survey") else None,
        "survey_results": survey_services.survey_results(user=user, case=case),
        "survey_can_manage": access.is_coordinator(user) or access.is_case_applicant(user, case),
        "survey_participants_form": survey_participants_form or SurveyParticipantsForm(),
        "survey_sheet_form": SurveySheetForm(),
        "site_url": settings.SITE_URL.rstrip("/"),
        "can_edit": access.is_applicant(user) and case.status in states.APPLICANT_EDITS,
        "can_schedule": access.is_case_consultant(user, case) and "schedule" in open_nodes,
        "can_report": access.is_case_consultant(user, case)
        and ("report" in open_nodes or (report is not None and report.status == "returned")),
        "can_return_report": access.is_coordinator(user)
        and report is not None
        and report.status == "submitted"
        and case.status in states.REPORT_CORRECTABLE,
        "can_record_days": can_record_days and access.is_consultant(user),
        "can_move_days": can_record_days,
        "can_add_day": can_record_days
        and access.is_consultant(user)
        and sum(d.status in ("confirmed", "held") for d in days) < case.days,
        "held_form": DayHeldForm(),
        "attachment_form": (attachment_form or AttachmentForm())
        if access.is_applicant(user) and case.status in states.APPLICANT_EDITS
        else None,
        "is_coordinator": access.is_coordinator(user),
        "step_deadline": selectors.case_step_deadline(case),
    }
    context.update(_conversation_context(user, case, message_form))
    context["task_box"] = next_steps.task_box(user, case, open_nodes, days)
    context["today"] = clock.today()
    return render(request, "sparring/case_detail.html", context, status=status)


render_case_page = _render_case  # the conversation's view renders the page too


def _conversation_context(user, case: Case, message_form) -> dict:
    """The conversation as ``user`` reads it, its form, and the read marker moved on."""
    conversation = conversation_selectors.conversation_for(user, case)
    if conversation.party is None:
        return {"conversation": None}
    if message_form is None:
        message_form = MessageForm(party=conversation.party)
    if conversation.newest > conversation.last_read:
        conversation_services.conversation_mark_read(
            user=user, case=case, up_to=conversation.newest
        )
    return {"conversation": conversation, "message_form": message_form}


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, visible_case(request, pk))


def _posted_version(request: HttpRequest) -> int | None:
    """The case version a POSTed form carries, None when it has none or it is no number."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:  # empty, not a number, or thousands of digits
        return None


@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one of the case page's actions (``steps.ACTIONS``)."""
    if action not in steps.ACTIONS:
        raise Http404
    declared = steps.ACTIONS[action]
    case = selectors.action_case(request, pk, related=declared.case_related)
    if "version" in declared.form.base_fields and _posted_version(request) not in (
        None,
        case.version,
    ):
        # A page older than the case (someone took a step meanwhile) is refused before its
        # form is built or its service runs: the call-off's form alone ranks every
        # consultant and adds up the agreement's ledger (issue 17: concurrent completions).
        messages.warning(request, StaleCase.message)
        return redirect("sparring:case_detail", pk=case.pk)
    form = declared.bound(case, request.POST)
    if form.is_valid():
        try:
            steps.perform(action, request.user, case, form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        except CaseError as error:
            messages.warning(request, error.message)
            return redirect("sparring:case_detail", pk=case.pk)
        else:
            messages.success(request, declared.success)
            if action == "delete":
                return redirect("home")
            return redirect("sparring:case_detail", pk=case.pk)
    case = visible_case(request, pk)  # as it is now, with the page's joins
    if set(form.errors) == {"version"}:  # a tampered or broken page
        messages.warning(request, StaleCase.message)
        return _render_case(request, case, status=400)
    return _render_case(request, case, {action: form}, status=400)


# ------------------------------------------------------------------------------
# The application form
# ------------------------------------------------------------------------------


def case_apply(request: HttpRequest, call_pk: int) -> HttpResponse:
    if not access.is_applicant(request.user):
        raise PermissionDenied
    call = get_object_or_404(selectors.open_calls(), pk=call_pk)
    posted = request.POST if request.method == "POST" else None
    form = ApplicationForm(
        posted,
        call=call,
        initial={**_contact_defaults(request.user), "form_token": uuid.uuid4()},
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
                messages.success(request, steps.ACTIONS["submit"].success)
            else:
                messages.success(request, _("The draft was saved. Submit it when it is ready."))
            return redirect("sparring:case_detail", pk=case.pk)
        except services.AlreadySaved as saved:
            messages.info(request, saved.message)
            return redirect("sparring:case_detail", pk=saved.case.pk)
        except ValidationError as error:
            add_errors(form, error)
        except CaseError as error:
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
    case = visible_case(request, pk)
    if not access.is_applicant(request.user):
        raise PermissionDenied
    if case.status not in states.APPLICANT_EDITS:
        messages.warning(
            request,
            _("The application can be changed only as a draft or when returned for amendment."),
        )
        return redirect("sparring:case_detail", pk=case.pk)
    posted = request.POST if request.method == "POST" else None
    form = ApplicationForm(posted, instance=case, call=case.call, initial={"version": case.version})
    if request.method == "POST":
        if form.is_valid():
            try:
                version = int(request.POST.get("version") or 0)
                services.case_update(
                    actor=request.user, case=case, data=form.case_data(), version=version
                )
                if request.POST.get("intent") == "submit":
                    services.case_submit(actor=request.user, case=case, version=case.version)
                    messages.success(request, steps.ACTIONS["submit"].success)
                else:
                    messages.success(request, _("Your changes were saved."))
                return redirect("sparring:case_detail", pk=case.pk)
            except ValidationError as error:
                add_errors(form, error)
            except CaseError as error:
                form.add_error(None, error.message)
    return render(
        request,
        "sparring/case_form.html",
        {
            "form": form,
            "call": case.call,
            "case": case,
            "return_comment": next_steps.return_comment(case),
            # a draft whose call has closed cannot be sent (issue 14, item 7)
            "call_closed": case.status == Case.Status.DRAFT and not case.call.is_open(),
        },
        status=400 if form.errors else 200,
    )


# ------------------------------------------------------------------------------
# Dates, days and the report
# ------------------------------------------------------------------------------


# ------------------------------------------------------------------------------
# Files and exports
# ------------------------------------------------------------------------------


@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a file; a refused file (type, content, size, count) is a form error at the field."""
    case = visible_case(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(actor=request.user, case=case, upload=form.cleaned_data["file"])
        except ValidationError as error:
            add_errors(form, error)
        except CaseError as error:
            messages.warning(request, error.message)
            return redirect("sparring:case_detail", pk=case.pk)
        else:
            messages.success(request, _("The file was added."))
            return redirect("sparring:case_detail", pk=case.pk)
    return _render_case(request, case, attachment_form=form, status=400)


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
    except CaseError as error:
        messages.warning(request, error.message)
    return redirect("sparring:case_detail", pk=attachment.case_id)


def case_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's confirmed days as one .ics file."""
    case = visible_case(request, pk)
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
    if not access.is_coordinator(request.user):
        raise Http404
    case = visible_case(request, pk)
    record = get_object_or_404(
        CallOff.objects.select_related("chosen__user", "proposed__user", "decided_by", "agreement"),
        pk=record_pk,
        case=case,
    )
    rows = [
        [_("Case"), case.reference, case.organisation.display_name()],
        [_("Framework agreement"), str(record.agreement)],
        [_("Method"), record.get_method_display()],
        [_("Proposed"), str(record.proposed or "–")],
        [_("Chosen"), str(record.chosen)],
        [_("Justification for the override"), record.override_justification],
        [_("Decided by"), record.decided_by.get_full_name(), record.decided_at],
        [],
        [
            _("Rank"),
            _("Consultant"),
            _("Supplier"),
            _("Days committed"),
            _("Eligible"),
            _("Reasons"),
        ],
    ]
    for candidate in record.candidates:
        rows.append(
            [
                candidate["rank"],
                candidate["name"],
                candidate["supplier"],
                candidate["load"],
                _("yes") if candidate["eligible"] else _("no"),
                calloff.reasons_text(candidate["reasons"]),
            ]
        )
    if record.tenders:
        rows += [
            [],
            [
                _("Rank"),
                _("Supplier"),
                _("Consultant"),
                _("Day price (EUR, VAT 0%)"),
                _("Quality score"),
                _("Price points"),
                _("Quality points"),
                _("Total points"),
            ],
        ]
        for tender in record.tenders:
            rows.append(
                [
                    tender.get("rank"),
                    tender.get("supplier"),
                    tender.get("consultant_name"),
                    Decimal(tender["day_price"]) if tender.get("day_price") else "",
                    tender.get("quality_score"),
                    tender.get("price_points"),
                    tender.get("quality_points"),
                    tender.get("total"),
                ]
            )
    return exports.csv_response(f"call-off-{case.reference}-{record.pk}", rows)


def case_chart(request: HttpRequest, pk: int) -> HttpResponse:
    """The flow chart with the case's position, as SVG."""
    case = visible_case(request, pk)
    flow_class = flow_class_for(case)
    grid = chart.calc_layout_data(flow_class)
    if case.process_id:
        chart.calc_cell_status(flow_class, grid, case.process_id)
    return HttpResponse(chart.grid_to_svg(grid), content_type="image/svg+xml")


# ------------------------------------------------------------------------------
# Lists
# ------------------------------------------------------------------------------


def case_list(request: HttpRequest) -> HttpResponse:
    """All cases the user may see, with filters for coordinators."""
    case_filter = visible_case_filter(request)
    scopes = access.visible_case_parts(request.user)
    rows = selectors.CaseListRows(
        case_filter.search_parts(scopes),
        # a search over every case: probe where its matches are (``CaseListRows._walks``)
        probe=case_filter.searched and access.visible_case_terms(request.user) is None,
        samples=case_filter.search_samples(scopes),
    )
    page = selectors.CappedPaginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sparring/case_list.html",
        {"filter": case_filter, "page": page, "cases": page.object_list},
    )


def call_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sparring/open_calls.html", {"calls": selectors.open_calls()})
