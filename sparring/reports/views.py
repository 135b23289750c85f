"""Pages of the report: the consultant's form, the coordinator's return, the PDF download."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sparring import access
from sparring.cases.selectors import visible_case
from sparring.cases.transitions import CaseError
from sparring.formtools import add_errors

from . import services
from .forms import ReportForm


def case_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The consultant writes the report: save as draft, file; later correct it if returned."""
    case = visible_case(request, pk)
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
            add_errors(form, error)
        except CaseError as error:
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
    case = visible_case(request, pk)
    try:
        services.report_return(
            actor=request.user, case=case, comment=request.POST.get("comment", "")
        )
        messages.success(request, _("The report was returned to the consultant for correction."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except CaseError as error:
        messages.warning(request, error.message)
    return redirect("sparring:case_detail", pk=case.pk)


def report_pdf(request: HttpRequest, pk: int, version: int | None = None) -> FileResponse:
    """A version of the report PDF (the latest by default), for those who may see the case."""
    case = visible_case(request, pk)
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
