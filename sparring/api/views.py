"""The API's endpoints (/api/v1/). Thin, like the pages: they scope with the same
``access`` functions, read with selectors and write through the same services.

Public (no login): the open calls, the programme's figures and the OCDS export.
Everything else needs a session or a personal API token.
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.fields import ProhibitNullCharactersValidator
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from procurement import calloff, reports
from procurement.models import FrameworkAgreement, Supplier
from sparring import access, clock
from sparring.cases import selectors, services
from sparring.cases.steps import STEPS
from sparring.models import Case, SessionDay
from sparring.reports.models import Report
from sparring.statistics import impact
from sparring.statistics.figures import programme_figures
from sparring.surveys.services import RESULTS_VISIBLE_FROM
from sparring.validators import parse_month

from . import ocds
from . import selectors as api_selectors
from . import serializers as s

# ------------------------------------------------------------------------------
# Shared behaviour
# ------------------------------------------------------------------------------


def api_exception_handler(exc, context):
    """DRF's handler, and the services' errors as the pages show them: Django's
    ValidationError is 400 with the messages per field, a step that cannot be taken
    now (``services.CaseError``: done already, stale) is 409. Never a 500 for either."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, services.CaseError):
        exc = exceptions.APIException(str(exc.message))
        exc.status_code = status.HTTP_409_CONFLICT
    elif isinstance(exc, Http404):
        # Django's message names the model ("No SessionDay matches the given query.") and is
        # English: answer with DRF's own, translated "Not found." instead.
        exc = exceptions.NotFound()
    return exception_handler(exc, context)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """A JSON 404 for a path under /api/v1/ that no endpoint answers (whatever the method:
    a POST without a CSRF token gets the 404 too, not the HTML CSRF page)."""
    from django.http import JsonResponse

    return JsonResponse({"detail": _("Not found.")}, status=404)


class CanCoordinate(permissions.BasePermission):
    """Coordinators only (``sparring.coordinate``); others 403, no credentials 401."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("sparring.coordinate"))


class CanViewStatistics(permissions.BasePermission):
    """Coordinators and the steering group (``sparring.view_statistics``), as the
    statistics page; others 403, no credentials 401."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("sparring.view_statistics"))


class LanguageMixin:
    """Texts in ``?language=`` (fi, sv, en) when given, else as LocaleMiddleware chose
    (Accept-Language, the language cookie, Finnish). The response says which in
    Content-Language."""

    def dispatch(self, request, *args, **kwargs):
        language = request.GET.get("language")
        if language in s.TEXT_LANGUAGES:
            with translation.override(language):
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = (translation.get_language() or "fi")[:2]
        return response

    def check_query(self, serializer_class) -> dict:
        """Validate the query parameters (400 on a bad value)."""
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class PublicMixin(LanguageMixin):
    permission_classes = [permissions.AllowAny]


class SignedInMixin(LanguageMixin):
    permission_classes = [permissions.IsAuthenticated]


class CoordinatorMixin(LanguageMixin):
    permission_classes = [permissions.IsAuthenticated, CanCoordinate]


# ------------------------------------------------------------------------------
# Public
# ------------------------------------------------------------------------------


def _applicable() -> dict:
    """What one application may ask for, in the active language (two queries)."""
    from sparring.models import Sector, Theme

    language = (translation.get_language() or "fi")[:2]

    def choices(model):
        return [
            {"code": item.code, "name": item.name(language)}
            for item in model.objects.filter(active=True)
        ]

    return {
        "days": [1, 2],
        "languages": [{"code": code, "name": str(label)} for code, label in Case.Language.choices],
        "themes": choices(Theme),
        "sectors": choices(Sector),
        "whole_organisation": True,
    }


@extend_schema(tags=["public"], parameters=[s.LanguageQuerySerializer])
class CallList(PublicMixin, generics.ListAPIView):
    """Open calls for applications: open now, closing soonest first. No login needed."""

    serializer_class = s.CallSerializer

    def get_queryset(self):
        self.check_query(s.LanguageQuerySerializer)
        return selectors.open_calls().order_by("closes_at", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "applicable": _applicable()}


@extend_schema(tags=["public"], parameters=[s.LanguageQuerySerializer])
class CallDetail(PublicMixin, generics.RetrieveAPIView):
    """One open call (404 once it has closed). No login needed."""

    serializer_class = s.CallSerializer

    def get_queryset(self):
        self.check_query(s.LanguageQuerySerializer)
        return selectors.open_calls()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "applicable": _applicable()}


def public_figures() -> dict:
    """``programme_figures()`` (what ``manage.py programme_stats --json`` prints). Its survey
    figures follow the disclosure rule (sparring/surveys/disclosure.py): closed surveys
    only, in whole units of at least 5 answers, no average grade from fewer than
    ``RESULTS_VISIBLE_FROM`` (5) answers, so that one answer cannot be read off it."""
    figures = programme_figures()
    if figures["answers"] < RESULTS_VISIBLE_FROM:
        figures["average_grade"] = None
    return figures


@extend_schema(tags=["public"], responses=s.FiguresSerializer)
class Figures(PublicMixin, APIView):
    """The programme's figures, computed from the records when asked. No login needed.

    The same figures as ``manage.py programme_stats --json``, except that the average
    grade is null while fewer than 5 survey answers exist.
    """

    def get(self, request):
        return Response(s.FiguresSerializer(public_figures()).data)


@extend_schema(tags=["statistics"], responses={200: OpenApiTypes.OBJECT})
class ImpactFigures(LanguageMixin, APIView):
    """Grades by sector, theme, supplier and consultant and their distribution; what the
    reports name; the follow-up survey. For coordinators and the steering group, as the
    statistics page (these figures move by small groups: they are not public).

    The survey's disclosure rule holds: an average or a share computed from fewer than
    5 answers is null (sparring/statistics/impact.py). Sector and theme names are the
    Finnish ones, as in ``/api/v1/statistics/``; result types carry a code and a label
    in the language asked for.
    """

    permission_classes = [permissions.IsAuthenticated, CanViewStatistics]

    def get(self, request):
        figures = impact.impact()
        for row in figures["reports"]["result_types"]:
            row["label"] = str(row["label"])
        return Response(figures)


@extend_schema(
    tags=["public"],
    responses={200: OpenApiTypes.OBJECT},
    description=ocds.__doc__,
)
class OcdsReleasePackage(PublicMixin, APIView):
    """Call-offs and contracts as an OCDS 1.1 release package (open data, no personal data)."""

    def get(self, request):
        page = request.query_params.get("page", "1")
        page = int(page) if page.isdigit() and len(page) < 7 else 1
        return Response(ocds.release_package(request=request, page=page))


# ------------------------------------------------------------------------------
# Signed in: cases, tasks, a day held
# ------------------------------------------------------------------------------


class SearchTextField(serializers.CharField):
    """A search text as the case list page takes it: a NUL counts as a space (PostgreSQL
    refuses the character; DRF's CharField answers 400 for it, though the schema allows
    it)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]

    def to_internal_value(self, data) -> str:
        return super().to_internal_value(data).replace("\x00", " ")


class CaseQuerySerializer(s.LanguageQuerySerializer):
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    q = SearchTextField(
        required=False,
        allow_blank=True,
        help_text=(
            "Search, as on the case list page: reference, organisation, unit, contact "
            "person, goal, development need or report (every word must match; Finnish "
            "word forms on PostgreSQL)."
        ),
    )


@extend_schema(tags=["cases"], parameters=[CaseQuerySerializer])
class CaseList(SignedInMixin, generics.ListAPIView):
    """The cases the caller may see, as on the case list: coordinators all, applicants
    their organisation's, consultants those assigned to them or offered to them. Newest first."""

    serializer_class = s.CaseSerializer

    def get_queryset(self):
        query = self.check_query(CaseQuerySerializer)
        return api_selectors.case_ids(
            self.request.user, status=query.get("status"), text=query.get("q", "")
        )

    def list(self, request, *args, **kwargs):
        # A page of ids from an index, then its rows by id (issue 17).
        rows = api_selectors.list_rows(self.paginate_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


def _steps(steps, descriptions: dict[str, str] | None = None) -> list[dict]:
    """The API's entries of a case's open steps: ``steps`` are (step name, when it
    opened) pairs (``api_selectors.steps_by_process``). ``descriptions``: the steps'
    translated descriptions so far, shared by a list's rows (each translated once)."""
    descriptions = {} if descriptions is None else descriptions
    result = []
    for name, since in steps:
        step = STEPS[name]
        description = descriptions.get(name)
        if description is None:
            description = descriptions[name] = str(step.waiting)
        result.append(
            {
                "step": name,
                "actor": step.actor,
                "description": description,
                "since": since,
            }
        )
    return result


def _documents(request, case: Case) -> list[dict]:
    documents = [
        {
            "kind": "report",
            "name": f"sparrausraportti-{case.reference}-v{document.version}.pdf",
            "version": document.version,
            "language": document.language,
            "content_type": "application/pdf",
            "size": document.size,
            "created": document.created,
            "url": request.build_absolute_uri(
                reverse("sparring:report_pdf_version", args=[case.pk, document.version])
            ),
        }
        for document in case.report_documents.all()
    ]
    documents += [
        {
            "kind": "attachment",
            "name": attachment.original_name,
            "version": None,
            "language": "",
            "content_type": attachment.content_type,
            "size": attachment.size,
            "created": attachment.created,
            "url": request.build_absolute_uri(
                reverse("sparring:attachment_download", args=[attachment.pk])
            ),
        }
        for attachment in case.attachments.all()
    ]
    return documents


def _report(user, case: Case) -> dict | None:
    """The report's metadata once filed; its drafts only to the consultant and coordinators."""
    report = Report.objects.filter(case=case).first()
    if report is None:
        return None
    if report.revision < 1 and not (
        access.is_coordinator(user) or access.is_case_consultant(user, case)
    ):
        return None
    return {
        "status": report.status,
        "status_label": report.get_status_display(),
        "revision": report.revision,
        "participants": report.participants,
        "submitted_at": report.submitted_at,
    }


@extend_schema(
    tags=["cases"], parameters=[s.LanguageQuerySerializer], responses=s.CaseDetailSerializer
)
class CaseDetail(SignedInMixin, APIView):
    """One case with its open steps, days, report metadata and document links.

    Looked up among the cases the caller may see (the same function as the case
    page): any other case is 404, whether or not it exists.
    """

    def get(self, request, pk: int):
        self.check_query(s.LanguageQuerySerializer)
        case = selectors.case_page(
            access.visible_cases(request.user).prefetch_related(
                Prefetch("days_planned", queryset=SessionDay.objects.order_by("date", "pk"))
            ),
            pk,
        )
        steps = api_selectors.steps_by_process([case], list(STEPS)).get(case.process_id, [])
        context = {
            "request": request,
            "steps": _steps(steps),
            "report": _report(request.user, case),
            "documents": _documents(request, case),
        }
        return Response(s.CaseDetailSerializer(case, context=context).data)


@extend_schema(tags=["cases"], parameters=[s.LanguageQuerySerializer])
class TaskList(SignedInMixin, generics.ListAPIView):
    """The cases where the caller must act now, with the open steps that are theirs
    (applicant: amend, confirm; coordinator: review, call-off, close; consultant:
    offer, schedule, deliver, report). Longest waiting first."""

    serializer_class = s.TaskSerializer

    def get_queryset(self):
        self.check_query(s.LanguageQuerySerializer)
        return api_selectors.task_cases(self.request.user)

    def list(self, request, *args, **kwargs):
        page = api_selectors.list_rows(self.paginate_queryset(self.get_queryset()), "waiting_since")
        steps = api_selectors.steps_of(api_selectors.role_of(request.user))
        by_process = api_selectors.steps_by_process(page, steps)
        descriptions: dict[str, str] = {}
        items = [
            {
                "case": case,
                "waiting_since": case.waiting_since,
                "steps": _steps(by_process.get(case.process_id, []), descriptions),
            }
            for case in page
        ]
        data = s.TaskSerializer(items, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


@extend_schema(
    tags=["cases"],
    request=s.DayHeldSerializer,
    responses={200: s.DaySerializer},
)
class DayHeld(SignedInMixin, APIView):
    """The case's consultant records a day as held, with the participants, on the day or
    after it: the same service and rules as the case page (``session_day_record``).

    404: not a day of a case the caller may see. 403: not the case's consultant.
    400: a bad number, or a day in the future. 409: the day is not confirmed (held
    already, cancelled) or the case is no longer being delivered.
    """

    def post(self, request, pk: int):
        day = get_object_or_404(
            SessionDay.objects.select_related("case"),
            pk=pk,
            case__in=access.visible_cases(request.user),
        )
        body = s.DayHeldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.session_day_record(
            actor=request.user, day=day, participants=body.validated_data["participants"]
        )
        day.refresh_from_db()
        return Response(s.DaySerializer(day, context={"request": request}).data)


@extend_schema(tags=["account"], responses=s.MeSerializer)
class Me(SignedInMixin, APIView):
    """Who the credentials belong to, and their role."""

    def get(self, request):
        user = request.user
        organisation = user.organisation
        return Response(
            s.MeSerializer(
                {
                    "username": user.get_username(),
                    "name": user.get_full_name(),
                    "role": user.role,
                    "organisation": None
                    if organisation is None
                    else {
                        "id": organisation.pk,
                        "name": organisation.display_name((translation.get_language() or "fi")[:2]),
                    },
                    "language": user.language,
                }
            ).data
        )


# ------------------------------------------------------------------------------
# Coordinators: late cases, ledger, invoicing basis
# ------------------------------------------------------------------------------


@extend_schema(tags=["coordinators"], parameters=[s.LanguageQuerySerializer])
class LateCaseList(CoordinatorMixin, generics.ListAPIView):
    """Open cases with a step past its due date, whoever must act (the late-cases page's
    rule: every waiting step's deadline, ``SPARRING_STEP_DEADLINES``), most late first."""

    serializer_class = s.LateCaseSerializer

    def get_queryset(self):
        self.check_query(s.LanguageQuerySerializer)
        return api_selectors.late_cases()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = api_selectors.list_rows(
            page, "late_step", "waiting_since", "due", key="case_id", handler=True
        )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class AgreementQuerySerializer(serializers.Serializer):
    agreement = serializers.IntegerField(
        min_value=1, required=False, help_text="Framework agreement id (default: the one in force)."
    )


def _agreement(query: dict) -> FrameworkAgreement:
    """The asked agreement, else the one in force, else the latest (as the ledger page)."""
    if query.get("agreement"):
        return get_object_or_404(FrameworkAgreement, pk=query["agreement"])
    agreement = (
        calloff.agreement_in_force() or FrameworkAgreement.objects.order_by("-valid_from").first()
    )
    if agreement is None:
        raise Http404(_("No framework agreement"))
    return agreement


@extend_schema(
    tags=["coordinators"], parameters=[AgreementQuerySerializer], responses=s.LedgerSerializer
)
class Ledger(CoordinatorMixin, APIView):
    """The budget ledger: committed and delivered days and euros per supplier (the ledger page)."""

    def get(self, request):
        agreement = _agreement(self.check_query(AgreementQuerySerializer))
        ledger = reports.ledger(agreement)
        data = {
            "agreement": agreement,
            "committed_days": ledger.committed_days,
            "delivered_days": ledger.delivered_days,
            "committed_eur": ledger.committed_eur,
            "delivered_eur": ledger.delivered_eur,
            "remaining_eur": ledger.remaining_eur,
            "lines": ledger.lines,
        }
        return Response(s.LedgerSerializer(data).data)


class InvoicingQuerySerializer(AgreementQuerySerializer):
    month = serializers.RegexField(
        r"^(20\d\d|2100)-(0[1-9]|1[0-2])$",
        required=False,
        help_text="YYYY-MM, 2000-01 to 2100-12 (default: this month).",
    )

    def validate_month(self, value):
        if parse_month(value) is None:
            raise serializers.ValidationError(
                _("Enter a date between %(min)s and %(max)s.")
                % {"min": "1.1.2000", "max": "31.12.2100"}
            )
        return value

    supplier = serializers.IntegerField(min_value=1, required=False)


@extend_schema(tags=["coordinators"], parameters=[InvoicingQuerySerializer])
class Invoicing(CoordinatorMixin, generics.ListAPIView):
    """The monthly invoicing basis: each held day of the month, per supplier (the page's rows)."""

    serializer_class = s.InvoicingRowSerializer

    def get_queryset(self):
        query = self.check_query(InvoicingQuerySerializer)
        agreement = _agreement(query)
        if query.get("month"):
            first = parse_month(query["month"])
        else:
            today = clock.today()
            first = date(today.year, today.month, 1)
        supplier = None
        if query.get("supplier"):
            supplier = get_object_or_404(Supplier, pk=query["supplier"], agreement=agreement)
        # the count from the maintained month total (no COUNT over the month's days)
        count, _eur = reports.invoicing_total(agreement, first, supplier)
        return reports.InvoicingPages(reports.invoicing_rows(agreement, first, supplier), count)


__all__ = [
    "CallDetail",
    "CallList",
    "CaseDetail",
    "CaseList",
    "DayHeld",
    "Figures",
    "Invoicing",
    "LateCaseList",
    "Ledger",
    "Me",
    "OcdsReleasePackage",
    "TaskList",
    "api_exception_handler",
]
