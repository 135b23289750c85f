"""Call-offs and contracts as open data: an OCDS 1.1 release package (JSON).

One release per framework agreement (the first stage: the agreement's suppliers,
each an award with its ranking position and day price) and one per case called
off under it (the second stage, related to the agreement by ``relatedProcesses``
with the relationship "framework"): an award for each call-off decision (the
supplier, days, value, method, date; declined or expired offers are
"unsuccessful"), the mini-competition's invited tenderers once its deadline has
passed, and a contract once the supplier's consultant accepted, with each held
day as a met delivery milestone.

No personal data: no consultant, contact person, user, e-mail or case text is
published; parties are the programme (buyer), the suppliers (companies) and the
applying organisation (a public body), by name and Business ID.

Values follow the budget ledger (procurement/reports.py): a contract's value is
its approved days at the agreed day price while the case goes on or closed, and
only its held days when the case stopped (withdrawn or cancelled); an offer not
yet answered is a pending award of the same value. So the contracts' values plus
the pending awards' values are the ledger's committed euros, and the met
milestones are its delivered days.
"""

from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import translation

from procurement.models import CallOff, FrameworkAgreement, MiniCompetition, Offer, Supplier, Tender
from sparring import clock
from sparring.cases import states
from sparring.models import Case, SessionDay
from sparring.workdays import HELSINKI

OCDS_VERSION = "1.1"
CURRENCY = "EUR"
BUSINESS_ID_SCHEME = "FI-PRO"  # org-id.guide: the Finnish Patent and Registration Office

AWARD_STATUS = {
    Offer.Status.OFFERED: "pending",
    Offer.Status.ACCEPTED: "active",
    Offer.Status.DECLINED: "unsuccessful",
    Offer.Status.EXPIRED: "unsuccessful",
    Offer.Status.WITHDRAWN: "cancelled",
}
# Call-off without reopening competition: the supplier is chosen by the agreement's rule.
PROCUREMENT_METHOD = {
    FrameworkAgreement.Method.RANKING: "limited",
    FrameworkAgreement.Method.ROTATION: "limited",
    FrameworkAgreement.Method.MINI_COMPETITION: "selective",
}
#: The stored values of ``FrameworkAgreement.Method``, read once: ``Method.values``
#: builds the list of every choice with its translated label on each call (issue 17,
#: session 9: a tenth of an OCDS page's Python, once per call-off).
METHOD_VALUES = frozenset(method.value for method in FrameworkAgreement.Method)
#: language -> {method value: its label}, filled by ``method_label``.
_METHOD_LABELS: dict[str | None, dict[str, str]] = {}


def method_label(value: str) -> str:
    """The label of the call-off method ``value`` in the active language, as
    ``str(FrameworkAgreement.Method(value).label)``, translated once per language and
    process (issue 17, session 12: the lazy label's lookup, twice a call-off, was a tenth of
    an OCDS page's Python).

    Raises:
        ValueError: ``value`` is not a method (as the enum).
    """
    language = translation.get_language()
    labels = _METHOD_LABELS.get(language)
    if labels is None:
        labels = {method.value: str(method.label) for method in FrameworkAgreement.Method}
        _METHOD_LABELS[language] = labels
    if value not in labels:
        FrameworkAgreement.Method(value)  # raises ValueError
    return labels[value]


def _stamp(value) -> str | None:
    """ISO 8601 in Helsinki time with its offset (as every time the product shows or
    sends); a date becomes midnight in Helsinki."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=HELSINKI)
    return value.astimezone(HELSINKI).isoformat()


def _amount(value: Decimal) -> dict:
    return {"amount": float(value), "currency": CURRENCY}


def _prefix() -> str:
    return settings.SPARRING_OCDS_PREFIX


def _party(name: str, business_id: str, roles: list[str]) -> dict:
    party = {"name": name, "id": f"{BUSINESS_ID_SCHEME}-{business_id}", "roles": roles}
    party["identifier"] = {"scheme": BUSINESS_ID_SCHEME, "id": business_id, "legalName": name}
    return party


def _buyer() -> dict:
    name = settings.SPARRING_OCDS_BUYER_NAME
    business_id = settings.SPARRING_OCDS_BUYER_ID
    if business_id:
        return _party(name, business_id, ["buyer"])
    return {"name": name, "id": "buyer", "roles": ["buyer"]}


def _ref(party: dict) -> dict:
    return {"id": party["id"], "name": party["name"]}


def _supplier_party(supplier: Supplier, roles: list[str]) -> dict:
    return _party(supplier.name, supplier.business_id, roles)


def agreement_ocid(agreement: FrameworkAgreement) -> str:
    return f"{_prefix()}-fa-{agreement.pk}"


def agreement_release(agreement: FrameworkAgreement) -> dict:
    """The framework agreement: a tender with the budget, an award and a contract per supplier."""
    ocid = agreement_ocid(agreement)
    buyer = _buyer()
    suppliers = list(agreement.suppliers.all())
    period = {"startDate": _stamp(agreement.valid_from), "endDate": _stamp(agreement.valid_until)}
    in_force = agreement.active and agreement.valid_until >= clock.today()
    date = _stamp(agreement.valid_from)
    method = str(agreement.get_method_display())
    return {
        "ocid": ocid,
        "id": f"{ocid}-{agreement.valid_from:%Y%m%d}",
        "date": date,
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": "fi",
        "parties": [buyer, *(_supplier_party(s, ["supplier"]) for s in suppliers)],
        "buyer": _ref(buyer),
        "tender": {
            "id": agreement.notice_reference,
            "title": agreement.title,
            "status": "complete",
            "mainProcurementCategory": "services",
            "procurementMethodDetails": f"Puitejärjestely, hankintailmoitus "
            f"{agreement.notice_reference}; hankinnat puitejärjestelyn sisällä: {method}",
            "value": _amount(agreement.budget),
            "contractPeriod": period,
        },
        "awards": [
            {
                "id": f"supplier-{s.pk}",
                "title": s.name,
                "description": f"Etusijajärjestys {s.ranking_position}, päivähinta {s.day_price} € (alv 0 %)",
                "status": "active",
                "date": date,
                "suppliers": [_ref(_supplier_party(s, ["supplier"]))],
                "contractPeriod": period,
            }
            for s in suppliers
        ],
        "contracts": [
            {
                "id": f"fa-{agreement.pk}-supplier-{s.pk}",
                "awardID": f"supplier-{s.pk}",
                "title": agreement.title,
                "status": "active" if in_force and s.active else "terminated",
                "period": period,
            }
            for s in suppliers
        ],
    }


def contract_value(case: Case, held_days: int) -> Decimal:
    """What the ledger commits for an accepted case: approved days × agreed price while it
    goes on or closed; only the held days when it stopped."""
    price = case.agreed_day_price or Decimal("0")
    if case.status in states.STOPPED:
        return held_days * price
    if case.status in states.COMMITTED:
        return (case.approved_days or 0) * price
    return Decimal("0")


def _contract_status(case: Case, held_days: int) -> str:
    if case.status in states.STOPPED:
        return "terminated" if held_days else "cancelled"
    if case.status == Case.Status.CLOSED:
        return "terminated"
    return "active"


def _tender_status(case: Case) -> str:
    if case.consultant_id is not None:
        return "complete"
    if case.status in states.STOPPED or case.status == Case.Status.REJECTED:
        return "cancelled"
    return "active"


def call_off_release(case: Case, now: datetime) -> dict:
    """One case's call-off (the second stage of the framework agreement)."""
    call_offs: list[CallOff] = _related(case, "call_offs")
    competitions: list[MiniCompetition] = _related(case, "mini_competitions")
    days: list[SessionDay] = _related(case, "days_planned")
    held = [d for d in days if d.status == SessionDay.Status.HELD]
    agreement = call_offs[-1].agreement if call_offs else competitions[-1].agreement
    ocid = f"{_prefix()}-{case.reference}"
    buyer = _buyer()
    organisation = case.organisation
    parties = {buyer["id"]: buyer}
    if organisation.business_id:
        party = _party(organisation.name_fi, organisation.business_id, ["interestedParty"])
        parties[party["id"]] = party

    def add_supplier(supplier: Supplier, role: str) -> dict:
        party = _supplier_party(supplier, [role])
        existing = parties.setdefault(party["id"], party)
        if role not in existing["roles"]:
            existing["roles"].append(role)
        return _ref(party)

    method = method_label(call_offs[-1].method) if call_offs else ""
    theme = case.theme.name("fi") if case.theme_id else ""
    method_code = call_offs[-1].method if call_offs else FrameworkAgreement.Method.MINI_COMPETITION
    tender = {
        "id": f"{case.reference}-tarjouspyynto",
        "title": f"Sparraus: {organisation.name_fi}",
        "description": f"{theme}, {case.days} pv".strip(", "),
        "status": _tender_status(case),
        "mainProcurementCategory": "services",
        "procurementMethod": PROCUREMENT_METHOD.get(method_code, "limited"),
        "procurementMethodDetails": method or "Kevennetty kilpailutus",
    }
    # Mini-competitions: the invitation's terms, and the tenderers once the deadline has passed.
    for competition in competitions:
        tender["tenderPeriod"] = {"endDate": _stamp(competition.deadline)}
        tender["awardCriteria"] = "bestProposal"
        tender["awardCriteriaDetails"] = (
            f"Hinta {competition.price_weight} %, laatu {competition.quality_weight} %"
        )
        if not competition.is_sealed(now):
            tenderers = [
                add_supplier(t.supplier, "tenderer") for t in _related(competition, "tenders")
            ]
            tender["tenderers"] = tenderers
            tender["numberOfTenderers"] = len(tenderers)

    value = _amount((case.approved_days or 0) * (case.agreed_day_price or Decimal("0")))
    awards = []
    accepted_award = None
    for record in call_offs:
        offer = record.offer
        status = AWARD_STATUS.get(offer.status, "pending") if offer else "pending"
        award = {
            "id": f"calloff-{record.pk}",
            "date": _stamp(record.decided_at),
            "status": status,
            "suppliers": [add_supplier(record.chosen.supplier, "supplier")],
            "description": method_label(record.method)
            if record.method in METHOD_VALUES
            else record.method,
        }
        if status in ("pending", "active"):
            award["value"] = value
        if status == "active":
            accepted_award = award
        awards.append(award)

    contracts = []
    if case.consultant_id is not None and accepted_award is not None:
        planned = [d for d in days if d.status != SessionDay.Status.CANCELLED]
        accepted_offer = next(
            (r.offer for r in call_offs if r.offer and r.offer.status == Offer.Status.ACCEPTED),
            None,
        )
        contract = {
            "id": f"{case.reference}-sopimus",
            "awardID": accepted_award["id"],
            "title": tender["title"],
            "status": _contract_status(case, len(held)),
            "value": _amount(contract_value(case, len(held))),
            "dateSigned": _stamp(accepted_offer.answered_at) if accepted_offer else None,
        }
        if planned:
            contract["period"] = {
                "startDate": _stamp(planned[0].date),
                "endDate": _stamp(planned[-1].date),
            }
        if held:
            contract["implementation"] = {
                "milestones": [
                    {
                        "id": f"day-{day.pk}",
                        "title": "Sparrauspäivä",
                        "type": "delivery",
                        "status": "met",
                        "dateMet": _stamp(day.date),
                    }
                    for day in held
                ]
            }
        if contract["dateSigned"] is None:
            del contract["dateSigned"]
        contracts.append(contract)

    moments = [r.decided_at for r in call_offs] + [c.opened_at for c in competitions]
    moments += [r.offer.answered_at for r in call_offs if r.offer and r.offer.answered_at]
    if case.closed_at:
        moments.append(case.closed_at)
    date = max(moments)
    tags = ["tender"] if not awards else ["award"]
    if contracts:
        tags.append("contract")
    if held:
        tags.append("implementation")
    release = {
        "ocid": ocid,
        "id": f"{ocid}-{case.version}",
        "date": _stamp(date),
        "tag": tags,
        "initiationType": "tender",
        "language": "fi",
        "parties": list(parties.values()),
        "buyer": _ref(buyer),
        "tender": tender,
        "relatedProcesses": [
            {
                "id": "puitejarjestely",
                "relationship": ["framework"],
                "title": agreement.title,
                "scheme": "ocid",
                "identifier": agreement_ocid(agreement),
            }
        ],
    }
    if awards:
        release["awards"] = awards
    if contracts:
        release["contracts"] = contracts
    return release


#: Where ``called_off_cases`` puts each prefetched relation: lists (``Prefetch.to_attr``)
#: rather than a related manager's queryset per record (issue 17: Django built ~900
#: querysets for a page of 100 releases).
PREFETCHED = "ocds_{}"


def _related(instance, name: str) -> list:
    """The records of the relation ``name`` of ``instance``: the list ``called_off_cases``
    prefetched, else read now (ordered as there)."""
    prefetched = getattr(instance, PREFETCHED.format(name), None)
    return list(getattr(instance, name).all()) if prefetched is None else prefetched


def called_off_case_ids():
    """The ``pk`` of every case with a call-off decision or a mini-competition (and a
    reference), by reference: the order of the package's pages.

    One ``EXISTS`` over the union of the two tables, tested per case while the reference
    index is read, so that a page near the start reads that page's cases only (issue 17:
    the ``OR`` of two ``EXISTS`` made PostgreSQL hash all 86 000 call-offs for every
    page, 36 ms at 100 000 cases; now under 1 ms for page 1)."""
    from django.db.models import IntegerField, Value

    one = Value(1, output_field=IntegerField())
    decided = CallOff.objects.filter(case=OuterRef("pk")).annotate(one=one).values("one")
    competed = MiniCompetition.objects.filter(case=OuterRef("pk")).annotate(one=one).values("one")
    return (
        Case.objects.filter(Exists(decided.union(competed, all=True)))
        .exclude(Q(reference__isnull=True) | Q(reference=""))
        .order_by("reference")
        .values("pk")
    )


#: The columns ``call_off_release`` reads of a case, its call-offs and its days, and
#: only these are read (issue 17, session 9: a page's 100 cases, their call-offs with
#: agreement, consultant, supplier and offer, and their days were built from every
#: column, two thirds of the page's Python). A column read that is not here costs a
#: query per release, which the one-or-five call-offs test of ``test_ocds`` catches.
CASE_FIELDS = (
    "reference",
    "version",
    "status",
    "organisation__name_fi",
    "organisation__business_id",
    "theme__name_fi",
    "approved_days",
    "requested_days",
    "agreed_day_price",
    "consultant",
    "closed_at",
)
CALL_OFF_FIELDS = (
    "case",
    "decided_at",
    "method",
    "agreement__title",
    "chosen__supplier__name",
    "chosen__supplier__business_id",
    "offer__status",
    "offer__answered_at",
)
DAY_FIELDS = ("case", "date", "status")


def _competitions_prefetch() -> Prefetch:
    """The cases' mini-competitions with their agreement and tenders (by ranking), oldest first."""
    return Prefetch(
        "mini_competitions",
        queryset=MiniCompetition.objects.select_related("agreement")
        .prefetch_related(
            Prefetch(
                "tenders",
                queryset=Tender.objects.select_related("supplier").order_by(
                    "supplier__ranking_position", "pk"
                ),
                to_attr=PREFETCHED.format("tenders"),
            )
        )
        .order_by("opened_at", "pk"),
        to_attr=PREFETCHED.format("mini_competitions"),
    )


def called_off_cases(ids=None):
    """Cases with a call-off decision or a mini-competition (``called_off_case_ids``; only
    those of ``ids`` when given), by reference, with everything the release reads
    prefetched (a fixed number of queries; only the columns of ``CASE_FIELDS``,
    ``CALL_OFF_FIELDS`` and ``DAY_FIELDS``)."""
    cases = Case.objects.filter(pk__in=called_off_case_ids() if ids is None else ids)
    return (
        cases.select_related("organisation", "theme")
        .only(*CASE_FIELDS)
        .prefetch_related(
            Prefetch(
                "call_offs",
                queryset=CallOff.objects.select_related("agreement", "chosen__supplier", "offer")
                .only(*CALL_OFF_FIELDS)
                .order_by("decided_at", "pk"),
                to_attr=PREFETCHED.format("call_offs"),
            ),
            _competitions_prefetch(),
            Prefetch(
                "days_planned",
                queryset=SessionDay.objects.only(*DAY_FIELDS).order_by("date", "pk"),
                to_attr=PREFETCHED.format("days_planned"),
            ),
        )
        .order_by("reference")
    )


def page_cases(ids) -> list[Case]:
    """``called_off_cases(ids)`` as a list, each related row built once (the same queries).

    Issue 17, session 12: a page's 100 cases with their call-offs (each with its
    agreement, consultant, supplier and offer) and days were a thousand models, most of
    them the same few agreements, consultants and suppliers again, and Django's prefetch
    set each one on its record: most of the page's Python. The cases, call-offs and days
    are read as tuples (``selectors.shared_rows``) and put in the lists ``_related``
    reads; the mini-competitions (few) are prefetched as before.
    """
    from .selectors import shared_rows

    cases = shared_rows(
        Case.objects.filter(pk__in=ids).order_by("reference"),
        ("organisation", "theme"),
        CASE_FIELDS,
    )
    if not cases:
        return cases
    call_offs = shared_rows(
        CallOff.objects.filter(case_id__in=ids).order_by("decided_at", "pk"),
        ("agreement", "chosen__supplier", "offer"),
        CALL_OFF_FIELDS,
    )
    days = shared_rows(
        SessionDay.objects.filter(case_id__in=ids).order_by("date", "pk"), (), DAY_FIELDS
    )
    by_case: dict[str, dict[int, list]] = {"call_offs": {}, "days_planned": {}}
    for name, records in (("call_offs", call_offs), ("days_planned", days)):
        for record in records:
            by_case[name].setdefault(record.case_id, []).append(record)
    for case in cases:
        for name, lists in by_case.items():
            setattr(case, PREFETCHED.format(name), lists.get(case.pk, []))
    prefetch_related_objects(cases, _competitions_prefetch())
    return cases


#: Call-off releases per page of the package (issue 17: the whole programme in one
#: package grew to hundreds of megabytes); the framework agreements are on page 1.
PAGE_SIZE = 100


def release_package(*, request=None, now: datetime | None = None, page: int = 1) -> dict:
    """The framework agreements and the call-offs as OCDS release packages, one page each.

    Args:
        request: for the package's ``uri`` and its ``links`` to the pages around it.
        now: the package's publishing time (default: now by the product's clock).
        page: 1, 2, ...: page 1 has every framework agreement and the first
            ``PAGE_SIZE`` call-offs by reference, each next page the next ones; a page
            past the end has no releases. ``links.next``/``links.prev`` (OCDS 1.1 package
            links) name the neighbouring pages.
    """
    now = now or clock.now()
    page = max(1, page)
    start = (page - 1) * PAGE_SIZE
    # The page's ids first (one narrow query), then their releases' rows.
    ids = list(called_off_case_ids().values_list("pk", flat=True)[start : start + PAGE_SIZE + 1])
    cases = page_cases(ids)
    has_next = len(cases) > PAGE_SIZE
    # The texts of the releases are in Finnish (the release's "language").
    with translation.override("fi"):
        releases = []
        if page == 1:
            agreements = FrameworkAgreement.objects.prefetch_related(
                Prefetch(
                    "suppliers", queryset=Supplier.objects.order_by("ranking_position", "name")
                )
            ).order_by("valid_from", "pk")
            releases += [agreement_release(agreement) for agreement in agreements]
        releases += [call_off_release(case, now) for case in cases[:PAGE_SIZE]]
    package = {
        "version": OCDS_VERSION,
        "publishedDate": _stamp(now),
        "publisher": {"name": settings.SPARRING_OCDS_BUYER_NAME},
        "releases": releases,
    }
    if request is not None:
        links = {}
        if has_next:
            links["next"] = request.build_absolute_uri(f"{request.path}?page={page + 1}")
        if page > 1:
            links["prev"] = request.build_absolute_uri(f"{request.path}?page={page - 1}")
        package = {"uri": request.build_absolute_uri(), **package}
        if links:
            package["links"] = links
    return package
