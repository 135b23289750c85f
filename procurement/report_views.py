"""Coordinators' reports of the framework agreement: ledger, invoicing basis, fairness."""

from datetime import date

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from sparring import clock, exports
from sparring.validators import parse_month

from . import calloff, reports
from .models import FrameworkAgreement, Supplier

INVOICING_PAGE_SIZE = 100  # held days per page of the HTML list (the downloads hold them all)

coordinators_only = permission_required("sparring.coordinate", raise_exception=True)


def _agreement(request: HttpRequest) -> FrameworkAgreement:
    if request.GET.get("agreement"):
        try:
            return get_object_or_404(FrameworkAgreement, pk=int(request.GET["agreement"]))
        except ValueError as exc:
            raise Http404 from exc
    agreement = (
        calloff.agreement_in_force() or FrameworkAgreement.objects.order_by("-valid_from").first()
    )
    if agreement is None:
        raise Http404("No framework agreement")
    return agreement


@coordinators_only
def ledger(request: HttpRequest) -> HttpResponse:
    agreement = _agreement(request)
    return render(
        request,
        "procurement/ledger.html",
        {"ledger": reports.ledger(agreement), "agreements": FrameworkAgreement.objects.all()},
    )


def _month(value: str | None) -> date:
    first = parse_month(value)
    if first is not None:
        return first
    today = clock.today()
    return date(today.year, today.month, 1)


@coordinators_only
def invoicing(request: HttpRequest) -> HttpResponse:
    """The monthly invoicing basis per supplier: HTML, or CSV / XLSX to download."""
    agreement = _agreement(request)
    month = _month(request.GET.get("month"))
    supplier = None
    if request.GET.get("supplier", "").isdigit():
        supplier = get_object_or_404(Supplier, pk=int(request.GET["supplier"]), agreement=agreement)
    days = reports.invoicing_rows(agreement, month, supplier)
    header = [
        _("Supplier"),
        _("Consultant"),
        _("Case"),
        _("Organisation"),
        _("Date"),
        _("Participants"),
        _("Day price (EUR, VAT 0%)"),
    ]
    filename = f"laskutusperuste-{month:%Y-%m}" + (f"-{supplier.business_id}" if supplier else "")
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):  # the downloads hold the whole month
        rows = [_invoicing_row(day) for day in days]
        if export == "csv":
            return exports.csv_response(filename, [header, *rows])
        return exports.xlsx_response(filename, [(f"{month:%Y-%m}", [header, *rows], 1)])
    # The page shows one page of the month's days and the month's total (one aggregate).
    count, total = reports.invoicing_total(agreement, month, supplier)
    # a page's ids first, then its rows; the count known from the aggregate
    paginator = Paginator(reports.InvoicingPages(days, count), INVOICING_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "procurement/invoicing.html",
        {
            "agreement": agreement,
            "month": month,
            "supplier": supplier,
            "suppliers": Supplier.objects.filter(agreement=agreement),
            "days": page.object_list,
            "page": page,
            "total": total,
        },
    )


def _invoicing_row(day) -> list:
    return [
        day.case.consultant.supplier.display_name(),
        str(day.case.consultant),
        day.case.reference,
        day.case.organisation.display_name(),
        day.date,
        day.participants,
        day.case.agreed_day_price,
    ]


@coordinators_only
def fairness(request: HttpRequest) -> HttpResponse:
    agreement = _agreement(request)
    supplier_lines, consultant_lines = reports.fairness(agreement)
    return render(
        request,
        "procurement/fairness.html",
        {"agreement": agreement, "suppliers": supplier_lines, "consultants": consultant_lines},
    )
