"""The coordinators' working lists: the queue, the inbox, "My cases", handing several cases at once,
and the case list's export. Thin: the selectors read, ``services.cases_hand`` writes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sparring import access, exports
from sparring.formtools import local_url

from . import selectors, services, states
from .filters import visible_case_filter
from .services.assignment import colleagues
from .transitions import CaseError

PAGE_SIZE = 25


def _require_coordinator(request: HttpRequest) -> None:
    if not access.is_coordinator(request.user):
        raise PermissionDenied


def _list_page(request, queryset, *, template: str, title: str, empty_text: str):
    sort = request.GET.get("sort", "")
    if sort not in selectors.QUEUE_SORTS:
        sort = "waiting"
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        template,
        {
            "page": page,
            "cases": page.object_list,
            "sort": sort,
            "sorts": [(key, label) for key, (label, _order) in selectors.QUEUE_SORTS.items()],
            "colleagues": colleagues(),
            "title": title,
            "empty_text": empty_text,
            "next": request.get_full_path(),
        },
    )


def queue_page(request: HttpRequest) -> HttpResponse:
    """Cases waiting for a coordinator that nobody is responsible for; oldest first."""
    _require_coordinator(request)
    return _list_page(
        request,
        selectors.coordinator_queue(request.GET.get("sort", "")),
        template="sparring/case_queue.html",
        title=_("Queue"),
        empty_text=_("The queue is empty."),
    )


def my_cases_page(request: HttpRequest) -> HttpResponse:
    """The cases the coordinator is responsible for, whatever step they are at."""
    _require_coordinator(request)
    return _list_page(
        request,
        selectors.my_cases(request.user, request.GET.get("sort", "")),
        template="sparring/case_queue.html",
        title=_("My cases"),
        empty_text=_("You are not responsible for any open case."),
    )


def inbox_page(request: HttpRequest) -> HttpResponse:
    """The coordinator's inbox: the cases they are responsible for that wait for a
    coordinator (the home's inbox box lists its first ones and links here)."""
    _require_coordinator(request)
    return _list_page(
        request,
        selectors.coordinator_inbox(request.user, request.GET.get("sort", "")),
        template="sparring/case_queue.html",
        title=_("Your inbox"),
        empty_text=_("Nothing in your inbox."),
    )


def _back(request: HttpRequest) -> str:
    return local_url(request, request.POST.get("next"), reverse("sparring:case_queue"))


@require_POST
def cases_hand_bulk(request: HttpRequest) -> HttpResponse:
    """Hand the selected cases to a colleague: first a page that names them all, then on
    confirmation the service. Cases the user may not see or that have ended are left out."""
    _require_coordinator(request)
    ids = [value for value in request.POST.getlist("cases") if value.isdigit()][:200]
    cases = list(
        selectors.with_waiting_since(
            access.visible_cases(request.user).filter(pk__in=ids, status__in=states.ASSIGNABLE)
        ).order_by("reference", "pk")
    )
    to_id = request.POST.get("to", "")
    to = colleagues().filter(pk=to_id).first() if to_id.isdigit() else None
    if not cases or to is None:
        messages.warning(
            request,
            _("Choose at least one case and the colleague to hand them to.")
            if not cases
            else _("Choose the colleague to hand the cases to."),
        )
        return redirect(_back(request))
    if request.POST.get("confirmed") != "yes":
        return render(
            request,
            "sparring/cases_hand_confirm.html",
            {"cases": cases, "to": to, "next": _back(request)},
        )
    try:
        handed = services.cases_hand(actor=request.user, cases=cases, to=to)
    except (CaseError, ValidationError) as error:
        message = getattr(error, "message", None) or " ".join(error.messages)
        messages.warning(request, message)
        return redirect(_back(request))
    name = to.get_full_name() or to.get_username()
    messages.success(
        request,
        ngettext(
            "%(count)d case was handed to %(name)s, who was told by e-mail.",
            "%(count)d cases were handed to %(name)s, who was told by e-mail.",
            len(handed),
        )
        % {"count": len(handed), "name": name},
    )
    return redirect(_back(request))


EXPORT_FORMATS = ("csv", "xlsx")


def _export_header(coordinator: bool) -> list[str]:
    header = [
        _("Reference"),
        _("Organisation"),
        _("Unit"),
        _("Call"),
        _("Sector"),
        _("Theme"),
        _("Days"),
        _("Step"),
        _("Consultant"),
        _("Created"),
        _("Submitted"),
    ]
    if coordinator:
        header.append(_("Responsible coordinator"))
    return header


#: what a row of the export reads (``selectors.case_list_chunks``), by relation
_EXPORT_READ = {
    "case": (
        "reference",
        "unit",
        "whole_organisation",
        "requested_days",
        "approved_days",
        "status",
        "submitted_at",
    ),
    "organisation": ("name_fi", "name_sv"),
    "call": ("title", "title_sv", "title_en"),
    "sector": ("name_fi", "name_sv", "name_en"),
    "theme": ("name_fi", "name_sv", "name_en"),
    "consultant__user": ("first_name", "last_name", "username"),
    "handler": ("first_name", "last_name", "username"),
}


def _export_columns() -> tuple:
    columns = list(_EXPORT_READ["case"])
    for relation, fields in _EXPORT_READ.items():
        if relation != "case":
            columns.append(relation)  # its id
            columns += [f"{relation}__{field}" for field in fields]
    return tuple(columns)


class _ExportRows:
    """The export's rows from ``selectors.case_list_chunks``'s tuples, through the models'
    own methods (``Case.__str__``, ``sector_label``, ``days``, ``get_status_display``,
    ``Organisation.display_name``, ``Call.display_title``, ``Consultant.__str__``,
    ``User.get_full_name``): one ``Case`` a row, each related object's text made once
    per id (a few thousand at most: organisations, calls, reference data, people)."""

    def __init__(self, coordinator: bool):
        from procurement.models import Consultant
        from sparring.models import Call, Case, Organisation, Sector, Theme, User

        self.coordinator = coordinator
        self.case_model = Case
        wanted = {"id", *_EXPORT_READ["case"]}
        self.case_fields = [f.attname for f in Case._meta.concrete_fields if f.attname in wanted]
        self.texts = {}
        self.sectors = {}
        self.makers = {
            "organisation": lambda values: Organisation(**values).display_name(),
            "call": lambda values: Call(**values).display_title,
            "sector": lambda values: Sector(**values),
            "theme": lambda values: str(Theme(**values)),
            "consultant__user": lambda values: str(Consultant(user=User(**values))),
            "handler": lambda values: User(**values).get_full_name(),
        }

    def _related(self, relation: str, values: tuple, at: int):
        # (the id, then the relation's fields) at ``at`` of ``values``; its text or object
        fields = _EXPORT_READ[relation]
        pk = values[at]
        if pk is None:
            return None
        key = (relation, pk)
        if key not in self.texts:
            self.texts[key] = self.makers[relation](
                dict(zip(fields, values[at + 1 : at + 1 + len(fields)], strict=True), pk=pk)
            )
        return self.texts[key]

    def row(self, values: tuple) -> list:
        """One row (the header's columns) from ``(created, pk, *_export_columns())``."""
        created, pk = values[:2]
        own = _EXPORT_READ["case"]
        # ``from_db``: no defaults computed for the fields not read (``Case(**values)`` did);
        # it takes the values in the model's field order
        read = dict(zip(own, values[2 : 2 + len(own)], strict=True), id=pk)
        case = self.case_model.from_db(
            None, self.case_fields, [read[name] for name in self.case_fields]
        )
        at = 2 + len(own)
        related = {}
        for relation, fields in _EXPORT_READ.items():
            if relation != "case":
                related[relation] = self._related(relation, values, at)
                at += 1 + len(fields)
        case.sector = related["sector"]
        row = [
            str(case),
            related["organisation"],
            case.unit,
            related["call"],
            case.sector_label(),
            related["theme"] or "",
            case.days,
            case.get_status_display(),
            related["consultant__user"] or "",
            created,
            case.submitted_at or "",
        ]
        if self.coordinator:
            row.append(related["handler"] or "")
        return row


def _export_rows(queryset, coordinator: bool):
    # read while the response is sent: a chunk (one query) at a time
    rows = _ExportRows(coordinator)
    for chunk in selectors.case_list_chunks(queryset, _export_columns()):
        for values in chunk:
            yield rows.row(values)


def case_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The case list as the user sees it (``access.visible_cases`` and the same filters
    and search), as CSV or XLSX: the list's columns, nothing more.

    The CSV is streamed (``exports.csv_stream_response``): it starts at once and is read
    in chunks of ``settings.SPARRING_EXPORT_CHUNK_ROWS`` cases, one query each
    (``selectors.case_list_chunks``), so a whole programme's list (100 000 cases) is no
    timeout and no memory held. An XLSX is built whole (a zip cannot be streamed): over
    ``settings.SPARRING_XLSX_EXPORT_MAX_ROWS`` cases the user is sent back to the list
    with a message to download the CSV or narrow the list.
    """
    from django.conf import settings

    if fmt not in EXPORT_FORMATS:
        raise Http404
    case_filter = visible_case_filter(request)
    coordinator = access.is_coordinator(request.user)
    header = _export_header(coordinator)
    filename = "cases"
    if fmt == "csv":
        return exports.csv_stream_response(
            filename, _chain([header], _export_rows(case_filter.qs, coordinator))
        )
    limit = settings.SPARRING_XLSX_EXPORT_MAX_ROWS
    if case_filter.qs.values("pk")[: limit + 1].count() > limit:
        messages.warning(
            request,
            _(
                "The Excel file holds at most %(limit)d cases. Narrow the list with the "
                "filters, or download the CSV file, which holds every case."
            )
            % {"limit": limit},
        )
        query = request.GET.urlencode()
        return redirect(reverse("sparring:case_list") + (f"?{query}" if query else ""))
    rows = [header, *_export_rows(case_filter.qs, coordinator)]
    return exports.xlsx_response(filename, [(_("Cases"), rows, 1)])


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable
