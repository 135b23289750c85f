"""Create the demo organisations, suppliers and one login per role (idempotent).

Passwords are random, made once per checkout and kept in var/demo_logins.json,
so nothing secret is committed and a second run prints the same logins.

The coordinator logs in with a second factor (issue 15): its authenticator key is
made once per checkout too (var/demo_second_factor.json) and printed,
so that a stranger can log in with an authenticator app or with the code
``manage.py demo_code`` prints.
"""

import json
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from procurement.models import Consultant, FrameworkAgreement, Supplier
from procurement.services import agreement_create, consultant_create, supplier_create
from sparring import clock
from sparring.accounts import twofactor
from sparring.accounts.models import SecondFactor
from sparring.accounts.services import organisation_create
from sparring.demo import current
from sparring.demo import data as demo
from sparring.models import Organisation, Theme, User

ORGANISATIONS = [
    # Business IDs of real municipalities (checksum-valid); the people are invented.
    {
        "name_fi": "Tampereen kaupunki",
        "name_sv": "Tammerfors stad",
        "business_id": "0211675-2",
        "kind": Organisation.Kind.MUNICIPALITY,
        "municipality_code": "837",
        "region": "06",
    },
    {
        "name_fi": "Espoon kaupunki",
        "name_sv": "Esbo stad",
        "business_id": "0101263-6",
        "kind": Organisation.Kind.MUNICIPALITY,
        "municipality_code": "049",
        "region": "01",
    },
]
SUPPLIERS = [
    {
        "name": "Kehittäjäkumppanit Oy",
        "name_sv": "Utvecklingspartner Ab",
        "business_id": "1234567-1",
        "ranking_position": 1,
        "day_price": Decimal("1150.00"),
        "contact_name": "Sari Salo",
        "contact_email": "sari.salo@example.invalid",
    },
    {
        "name": "Työyhteisövalmennus Ky",
        "name_sv": "Arbetsgemenskapsträning Kb",
        "business_id": "7654321-2",
        "ranking_position": 2,
        "day_price": Decimal("1090.00"),
        "contact_name": "Ville Koski",
        "contact_email": "ville.koski@example.invalid",
    },
]
AGREEMENT = {
    "notice_reference": "2021-000000-DEMO",
    "title": "Sparrauspalvelut, puitejärjestely (demo)",
    "method": "ranking",
    "budget": Decimal("300000.00"),
    "default_day_price": Decimal("1100.00"),
}
USERS = [
    {
        "username": "hakija.tampere",
        "role": User.Role.APPLICANT,
        "first_name": "Anna",
        "last_name": "Aaltonen",
        "organisation": "0211675-2",
    },
    {
        "username": "hakija.espoo",
        "role": User.Role.APPLICANT,
        "first_name": "Erik",
        "last_name": "Ek",
        "organisation": "0101263-6",
        "language": "sv",
    },
    {
        "username": "koordinaattori",
        "role": User.Role.COORDINATOR,
        "first_name": "Kaisa",
        "last_name": "Koordinaattori",
    },
    {
        "username": "konsultti.kehittajat",
        "role": User.Role.CONSULTANT,
        "first_name": "Kalle",
        "last_name": "Konsultti",
        "supplier": "1234567-1",
        "themes": ["work-community", "workload-wellbeing", "co-development"],
        "languages": ["fi"],
        "regions": ["06", "05", "07"],
        "remote": False,
    },
    {
        "username": "konsultti.valmennus",
        "role": User.Role.CONSULTANT,
        "first_name": "Veera",
        "last_name": "Valmentaja",
        "supplier": "7654321-2",
        "themes": [
            "work-community",
            "workload-wellbeing",
            "co-development",
            "processes-services",
            "remote-work",
            "digitalisation",
        ],
        "languages": ["fi", "sv"],
        "regions": ["01"],
        "remote": True,
    },
    {
        "username": "ohjausryhma",
        "role": User.Role.STEERING,
        "first_name": "Olli",
        "last_name": "Ohjaaja",
    },
]


class Command(BaseCommand):
    help = "Create demo organisations, suppliers and one login per role; print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    def handle(self, *, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo logins are for the embedded default; use --force to insist.")
        logins = self._passwords()
        with transaction.atomic():
            for data in ORGANISATIONS:
                if not Organisation.objects.filter(business_id=data["business_id"]).exists():
                    organisation_create(actor=None, **data)
            agreement = FrameworkAgreement.objects.filter(
                notice_reference=AGREEMENT["notice_reference"]
            ).first()
            if agreement is None:
                agreement = agreement_create(actor=None, **self._agreement_dates(), **AGREEMENT)
            for data in SUPPLIERS:
                if not Supplier.objects.filter(business_id=data["business_id"]).exists():
                    supplier_create(actor=None, agreement=agreement, **data)
            for data in USERS:
                self._ensure_user(data, logins[data["username"]])
        # The present day of the demo: an open call (seed_programme's 2021-2022 call is
        # closed), a request for access and cases waiting for the coordinator and each
        # consultant. Their e-mails stay in the outbox; none is printed or sent.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            current.quiet_logs(),
        ):
            call = current.ensure_open_call(agreement)
            current.ensure_access_request()
            current.ensure_demo_cases(call)
        second_factors = self._second_factors()
        self.stdout.write(self.style.SUCCESS("Demo logins (username / password):"))
        for data in USERS:
            username, role = data["username"], User.Role(data["role"]).label
            self.stdout.write(f"  {username:<22} {logins[username]:<14} {role}")
        for username, secret in second_factors.items():
            user = User.objects.get(username=username)
            if not SecondFactor.objects.filter(user=user, secret=secret).exists():
                twofactor.enrol_for_demo(user=user, secret=secret)
            key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
            self.stdout.write(
                f"  {username} also gives a second factor: add the key {key}\n"
                f"    to an authenticator app, or run `python manage.py demo_code {username}`\n"
                "    for the code of the moment."
            )

    def _agreement_dates(self) -> dict:
        today = clock.today()
        return {
            "valid_from": today - timedelta(days=90),
            "valid_until": today + timedelta(days=3 * 365),
        }

    def _passwords(self) -> dict[str, str]:
        path = settings.VAR_DIR / "demo_logins.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        for data in USERS:
            stored.setdefault(data["username"], f"demo-{secrets.token_hex(4)}")
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
        return stored

    def _second_factors(self) -> dict[str, str]:
        """The demo's authenticator keys (the users who need a second factor), kept per checkout."""
        path = settings.VAR_DIR / "demo_second_factor.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        for data in USERS:
            if data["role"] == User.Role.COORDINATOR:
                stored.setdefault(data["username"], twofactor.new_secret())
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
        return stored

    def _ensure_user(self, data: dict, password: str) -> None:
        organisation = (
            Organisation.objects.get(business_id=data["organisation"])
            if "organisation" in data
            else None
        )
        user = demo.ensure_user(
            data["username"],
            data["role"],
            data["first_name"],
            data["last_name"],
            organisation=organisation,
            language=data.get("language", "fi"),
        )
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        if "supplier" in data and not Consultant.objects.filter(user=user).exists():
            consultant_create(
                actor=None,
                user=user,
                supplier=Supplier.objects.get(business_id=data["supplier"]),
                themes=Theme.objects.filter(code__in=data["themes"]),
                languages=data["languages"],
                regions=data["regions"],
                works_remotely=data["remote"],
            )
