"""Rendering the report as a PDF version (runs in a Celery worker)."""

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import CharField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

from sparring.audit import audit_record
from sparring.models import Case
from sparring.notifications import applicant_side, notify, sent_together, step_people
from sparring.surveys import services as survey_services

from . import pdf
from .models import Report, ReportDocument

# The task that renders a corrected report, queued by name (sparring.background.dispatch).
RENDER_REPORT_REVISION = "sparring.reports.tasks.render_report_revision"


def report_source(report: Report) -> str:
    """The business key of a filed report's PDF: one PDF per report revision, however
    many times the job runs (redelivery, retry, a revived flow task, the sweep)."""
    return f"revision:{report.pk}:{report.revision}"


#: What the PDF and the e-mails about it read of the case, in the case's one query.
RENDERED_CASE_RELATED = (
    "organisation",
    "theme",
    "sector",
    "consultant__user",
    "consultant__supplier",
    "report",
    "survey",
)


def rendered_case(**lookup) -> Case:
    """The case (``lookup``: ``pk=`` or ``process_id=``) as ``report_render`` reads it, in
    one query: its report, survey, organisation, theme, sector and consultant; as
    ``next_pdf_version`` the number the next PDF gets (``pdf.next_version``'s, which
    was a query of its own); and as ``revision_pdf_id`` the PDF of its report's current
    revision (``report_source``), ``None`` when not made yet (``report_render`` asked
    it in a query of its own; issue 17).

    Raises:
        Case.DoesNotExist: no such case.
    """
    last = ReportDocument.objects.filter(case=OuterRef("pk")).order_by("-version")
    revision_source = Concat(  # report_source's, in SQL
        Value("revision:"),
        Cast(OuterRef("report__pk"), CharField()),
        Value(":"),
        Cast(OuterRef("report__revision"), CharField()),
        output_field=CharField(),
    )
    made = ReportDocument.objects.filter(source=revision_source)
    return (
        Case.objects.select_related(*RENDERED_CASE_RELATED)
        .annotate(
            next_pdf_version=Coalesce(Subquery(last.values("version")[:1]), Value(0)) + Value(1),
            revision_pdf_id=Subquery(made.values("pk")[:1]),
        )
        .get(**lookup)
    )


def _made_already(source: str, case: Case | None) -> ReportDocument | None:
    """The PDF of ``source`` if it is made; from ``case``'s read when that read asked for
    it (``rendered_case``: the source is its report's current revision), else a query."""
    report = getattr(case, "report", None) if case is not None else None
    if report is not None and hasattr(case, "revision_pdf_id") and source == report_source(report):
        if case.revision_pdf_id is None:
            return None
        return ReportDocument.objects.filter(pk=case.revision_pdf_id).first()
    return ReportDocument.objects.filter(source=source).first()


def report_render(*, case_id: int, source: str, case: Case | None = None) -> ReportDocument:
    """Render the case's report as a new PDF version; the applicant and coordinators are told.

    Runs in a Celery worker (the flow's render_report job, or
    ``render_report_revision`` for a corrected report) and is idempotent by
    ``source`` (``report_source``): a redelivered, retried or revived job finds
    the PDF of its report revision (also one that read the case before another
    delivery saved it: found under the case's lock). ``case``: the case read by
    ``rendered_case`` already (the flow's job reads it to name the source), else it is
    read here.

    Raises:
        Case.DoesNotExist: no such case.
        Whatever the rendering raises (nothing is saved then).
    """
    existing = _made_already(source, case)
    if existing is not None:
        return existing
    if case is None:
        case = rendered_case(pk=case_id)
    # the number shown in the PDF, read before the lock (as it was: the rendering takes
    # a second, not under the case's lock); the saved number is counted under the lock
    content = pdf.render_pdf(pdf.report_html(case, version=case.next_pdf_version))
    with transaction.atomic():
        # The case's lock orders the PDFs of a case (only this function writes them): under
        # it one query counts the saved number and finds a PDF of this source that a
        # delivery which read the case before it was made could not see (issue 17: no
        # savepoint around the insert for that, no second read of the case).
        Case.objects.select_for_update().filter(pk=case_id).values_list("pk").get()
        saved = ReportDocument.objects.filter(case_id=case_id).aggregate(
            last=Max("version"), made=Max("pk", filter=Q(source=source))
        )
        if saved["made"] is not None:  # a concurrent delivery of the same job saved it first
            return ReportDocument.objects.get(pk=saved["made"])
        version = (saved["last"] or 0) + 1
        document = ReportDocument(
            case=case,
            version=version,
            language=case.language,
            source=source,
            size=len(content),
        )
        document.file.save(f"report-v{version}.pdf", ContentFile(content), save=False)
        try:
            document.save()
        except IntegrityError:
            document.file.delete(save=False)
            raise
        audit_record(
            actor=None,
            action="report_pdf_made",
            subject=case,
            case=case,
            data={"version": version},
        )
        told = step_people(case, coordinators=True)
        with sent_together():
            notify("report_filed", case, told)
            share = survey_services.survey_share(case)  # its survey read with it
            notify(
                "report_filed_applicant" if share else "report_filed",
                case,
                applicant_side(case),
                link=share.url if share else "",
            )
    return document


def report_render_failed(*, case_id: int, source: str, error: BaseException) -> None:
    """Record that the PDF of a corrected report could not be made (once per revision).

    The coordinators read it on the case's timeline (``job_failed``); the
    reconciliation sweep tries the revision again later.
    """
    import logging

    from sparring.models import AuditEvent

    logging.getLogger(__name__).warning(
        "Report PDF %s of case %s failed: %r", source, case_id, error, exc_info=error
    )
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return
    already = AuditEvent.objects.filter(
        case=case, action="job_failed", data__source=source
    ).exists()
    if not already:
        audit_record(
            actor=None,
            action="job_failed",
            subject=case,
            case=case,
            comment=str(error) or type(error).__name__,
            data={"task": RENDER_REPORT_REVISION, "source": source},
        )
