"""Small worlds for the concurrency benchmarks (race, call-offs, survey): made through the services.

Each benchmark has its own world, named by a short tag: a framework agreement
(rotation, a budget and capacities no benchmark run can use up), a call open
today naming that agreement, one organisation with its applicant login, some
coordinators and consultants. The world is made once in the benchmark database
and found again on the next run (so a second run does not pay for it); cases
are then driven into the state a benchmark needs through the same services the
users' forms call (``sparring.cases.services``), as the demo replay does.

The commands run inside :func:`quiet_mail`: e-mail goes to memory
(``config.settings.local`` would print every message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from procurement.models import Consultant, FrameworkAgreement, Supplier
from procurement.services import agreement_create, consultant_create, supplier_create
from sparring.cases import services
from sparring.models import Call, Case, Organisation, Sector, Theme, User

from .. import data as demo

#: Each benchmark's serial range for its made-up Business IDs (the demo uses 1–300).
SERIALS = {"race": 700, "calloffs": 740, "survey": 780, "test": 820}
#: Large enough that no benchmark run exhausts them (days, euros).
CAPACITY = 30_000  # a small integer column
BUDGET = Decimal("1000000000.00")


def quiet_mail() -> override_settings:
    """E-mail to memory and Celery's per-task log lines off, for a benchmark command's run
    (a context manager: the settings hold for every thread while it lasts)."""
    import logging

    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")


@dataclass
class World:
    """What a benchmark's cases need: the agreement, the call and the people."""

    tag: str
    agreement: FrameworkAgreement
    call: Call
    organisation: Organisation
    applicant: User
    coordinators: list[User]
    consultants: list[Consultant]


def _username(tag: str, role: str, n: int) -> str:
    return f"bench.{tag}.{role}{n}"


def world(tag: str, *, coordinators: int = 1, consultants: int = 4) -> World:
    """The benchmark world ``tag`` (a key of :data:`SERIALS`), made when missing.

    Args:
        tag: the benchmark's name; usernames start ``bench.<tag>.``.
        coordinators: at least this many coordinator logins.
        consultants: consultants of the agreement (two suppliers share them); made once.
    """
    serial = SERIALS[tag]
    today = timezone.localdate()
    with transaction.atomic():
        reference = f"BENCH-{tag.upper()}"
        agreement = FrameworkAgreement.objects.filter(notice_reference=reference).first()
        if agreement is None:
            agreement = agreement_create(
                actor=None,
                notice_reference=reference,
                title=f"Benchmark {tag}",
                method=FrameworkAgreement.Method.ROTATION,
                budget=BUDGET,
                default_day_price=Decimal("1100.00"),
                valid_from=today - timedelta(days=365),
                valid_until=today + timedelta(days=730),
            )
        elif agreement.valid_until < today + timedelta(days=30):  # a world made long ago
            FrameworkAgreement.objects.filter(pk=agreement.pk).update(
                valid_from=today - timedelta(days=365), valid_until=today + timedelta(days=730)
            )
            agreement.refresh_from_db()
        suppliers = list(Supplier.objects.filter(agreement=agreement).order_by("ranking_position"))
        for position in range(len(suppliers) + 1, 3):
            suppliers.append(
                supplier_create(
                    actor=None,
                    agreement=agreement,
                    name=f"Bench {tag} {position} Oy",
                    business_id=demo.business_id(serial + position),
                    ranking_position=position,
                    day_price=Decimal("1100.00") + position,
                    contact_name="Bench",
                    contact_email=f"bench.{tag}.supplier{position}@example.invalid",
                    planned_share=1,
                )
            )
        themes = list(Theme.objects.all())
        existing = Consultant.objects.filter(supplier__agreement=agreement).count()
        for n in range(existing, consultants):
            user = demo.ensure_user(
                _username(tag, "consultant", n), User.Role.CONSULTANT, "K", f"{n}"
            )
            consultant_create(
                actor=None,
                user=user,
                supplier=suppliers[n % len(suppliers)],
                themes=themes,
                languages=["fi", "sv", "en"],
                regions=[],
                works_remotely=True,
            )
        Consultant.objects.filter(supplier__agreement=agreement).update(
            capacity_total=CAPACITY, capacity_per_month=CAPACITY
        )
        call = Call.objects.filter(agreement=agreement).first()
        now = timezone.now()
        if call is None:
            call = Call.objects.create(
                title=f"Benchmark {tag}",
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=365),
                delivery_starts=today - timedelta(days=1),
                delivery_ends=today + timedelta(days=700),
                day_budget=10_000_000,
                agreement=agreement,
            )
        elif call.closes_at < now + timedelta(days=1):
            Call.objects.filter(pk=call.pk).update(
                closes_at=now + timedelta(days=365),
                delivery_ends=max(call.delivery_ends, today + timedelta(days=700)),
            )
            call.refresh_from_db()
        organisation, applicant = _organisation(tag, serial)
        people = [
            demo.ensure_user(_username(tag, "coordinator", n), User.Role.COORDINATOR, "C", f"{n}")
            for n in range(coordinators)
        ]
    return World(
        tag=tag,
        agreement=agreement,
        call=call,
        organisation=organisation,
        applicant=applicant,
        coordinators=people,
        consultants=list(
            Consultant.objects.filter(supplier__agreement=agreement)
            .select_related("user", "supplier")
            .order_by("pk")
        ),
    )


def _organisation(tag: str, serial: int) -> tuple[Organisation, User]:
    from sparring.accounts.services import organisation_create

    business_id = demo.business_id(serial)
    organisation = Organisation.objects.filter(business_id=business_id).first()
    if organisation is None:
        organisation = organisation_create(
            actor=None,
            name_fi=f"Benchmark {tag} kunta",
            business_id=business_id,
            kind=Organisation.Kind.MUNICIPALITY,
            region="06",
        )
    applicant = demo.ensure_user(
        _username(tag, "applicant", 0),
        User.Role.APPLICANT,
        "Hakija",
        tag,
        organisation=organisation,
    )
    return organisation, applicant


def application(n: int = 0) -> dict:
    """The fields of one application (valid for submitting), told apart by ``n``."""
    return {
        "unit": f"Yksikkö {n}",
        "whole_organisation": False,
        "sector": Sector.objects.order_by("pk").first(),
        "theme": Theme.objects.order_by("pk").first(),
        "development_need": "Työnjako on epäselvä.",
        "goal": "Yhteinen näkemys työnjaosta.",
        "target_group": "Yksikön henkilöstö",
        "estimated_participants": 20,
        "requested_days": 2,
        "preferred_period": "",
        "language": "fi",
        "contact_name": "Yhteyshenkilö",
        "contact_email": f"bench.{n}@example.invalid",
        "contact_phone": "",
        "staff_representative": "Luottamusmies",
    }


def submitted_case(w: World, n: int = 0) -> Case:
    """A new application of ``w``'s organisation, submitted: its review step is open."""
    case = services.case_create(actor=w.applicant, call=w.call, data=application(n))
    return services.case_submit(actor=w.applicant, case=case, version=case.version)


def approved_case(w: World, n: int = 0) -> Case:
    """A submitted case approved for 2 days by ``w``'s first coordinator: its call-off is open."""
    case = submitted_case(w, n)
    services.case_decide(
        actor=w.coordinators[0],
        case=case,
        decision=services.Decision.APPROVE,
        comment="",
        approved_days=2,
        version=case.version,
    )
    return Case.objects.get(pk=case.pk)
