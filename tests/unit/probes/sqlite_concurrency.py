"""Run as a program: N applicants submit at the same moment on a file SQLite database.

Prints one JSON line: the status codes and how many cases were submitted.
``tests/unit/test_sqlite_locking.py`` runs it with the embedded default's database
settings (``config/settings/base.py``) in a fresh ``SPARRING_VAR_DIR``.
"""

import json
import sys
import threading
from datetime import timedelta


def main(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from sparring.accounts.services import organisation_create, user_create
    from sparring.models import Call, Case, Organisation, Sector, Theme, User

    organisation = organisation_create(
        actor=None,
        name_fi="Tampereen kaupunki",
        name_sv="Tammerfors stad",
        business_id="0211675-2",
        kind=Organisation.Kind.MUNICIPALITY,
        municipality_code="837",
    )
    users = [
        user_create(
            actor=None,
            username=f"hakija{n}",
            email=f"hakija{n}@example.invalid",
            role=User.Role.APPLICANT,
            password="correct-horse-battery-9",
            organisation=organisation,
        )
        for n in range(count)
    ]
    now, today = timezone.now(), timezone.localdate()
    call = Call.objects.create(
        title="Haku",
        description="Kuvaus",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        delivery_starts=today,
        delivery_ends=today + timedelta(days=200),
        day_budget=100,
    )
    post = {
        "unit": "Kotihoito",
        "sector": Sector.objects.get(code="social-health").pk,
        "theme": Theme.objects.get(code="workload-wellbeing").pk,
        "development_need": "Kuormitus on kasvanut.",
        "goal": "Yhteinen näkemys.",
        "target_group": "Hoitajat",
        "estimated_participants": 25,
        "requested_days": 2,
        "preferred_period": "syksy",
        "language": "fi",
        "contact_name": "Anna Hakija",
        "contact_email": "anna@example.invalid",
        "contact_phone": "040 123 4567",
        "staff_representative": "Pekka",
        "intent": "submit",
    }
    url = reverse("sparring:case_apply", args=[call.pk])
    clients = []
    for user in users:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    connection.close()
    start = threading.Barrier(count)
    statuses: list[int] = []

    def submit(client):
        try:
            start.wait()
            statuses.append(client.post(url, post).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submitted = Case.objects.filter(status=Case.Status.SUBMITTED).count()
    print(json.dumps({"statuses": sorted(statuses), "submitted": submitted}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
