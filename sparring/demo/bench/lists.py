"""The list pages of every role, for ``bench_lists`` (issue 17, 1b).

:func:`prepare` runs in the process whose ``DATABASE_URL`` is the database to
measure: it makes the data set (``dataset.ensure_dataset``), picks one person per
role (the applicant of the organisation with the most cases, a coordinator who
handles cases, a consultant, a steering group member), signs each in and returns
their session cookies and the pages to measure. The page list is the same at every
size; object ids in a page's address (a filter's value) are looked up here.
"""

from typing import Any

from django.conf import settings
from django.db.models import Count

from procurement.models import Consultant
from sparring.demo import data as demo
from sparring.models import User

from .dataset import COORDINATORS, ensure_dataset
from .server import signed_in

STEERING = "bench.ohjausryhma"

#: role -> the addresses of its list pages ({consultant} is filled in by ``prepare``).
PAGES: dict[str, list[str]] = {
    "applicant": [
        "/applicant/",
        "/cases/",
        "/cases/?q=Kotihoito",
        "/calls/",
        "/acts/",
        "/api/v1/cases/",
        "/api/v1/tasks/",
        "/api/v1/calls/",
    ],
    "coordinator": [
        "/coordinator/",
        "/cases/",
        "/cases/?q=ty%C3%B6njako",
        "/cases/?q=SP-2024",
        "/cases/?status=submitted",
        "/cases/?consultant={consultant}",
        "/coordinator/queue/",
        "/coordinator/queue/?sort=organisation",
        "/coordinator/my-cases/",
        "/coordinator/late/",
        "/coordinator/calls/",
        "/coordinator/people/",
        "/coordinator/acts/",
        "/jobs/",
        "/jobs/failed/",
        "/staff/programme/organisation/",
        "/staff/programme/frameworkagreement/",
        "/staff/programme/supplier/",
        "/staff/programme/consultant/",
        "/staff/programme/conflictofinterest/",
        "/staff/programme/unavailability/",
        "/staff/programme/unavailability/?consultant={consultant}",
        "/staff/programme/sector/",
        "/staff/programme/theme/",
        "/procurement/ledger/",
        "/procurement/invoicing/",
        "/procurement/fairness/",
        "/statistics/",
        "/acts/feed.atom",
        "/api/v1/cases/",
        "/api/v1/tasks/",
        "/api/v1/late-cases/",
        "/api/v1/ledger/",
        "/api/v1/invoicing/",
        "/api/v1/statistics/",
        "/api/v1/open-data/ocds/",
    ],
    "consultant": [
        "/consultant/",
        "/cases/",
        "/cases/?q=Kotihoito",
        "/consultant/calendar/",
        "/api/v1/cases/",
        "/api/v1/tasks/",
    ],
    "steering": ["/steering/", "/statistics/", "/api/v1/statistics/"],
}


def prepare(size: int, log=print) -> dict[str, Any]:
    """The data set of ``size`` cases, one signed-in session per role and the pages.

    Returns ``{"dataset": {...}, "cookies": {role: session key}, "pages": [[role, url]]}``.
    """
    made = ensure_dataset(size, log=log)
    applicant = User.objects.get(username="hakija.tampere")
    coordinator = User.objects.get(username=COORDINATORS[0])
    steering = demo.ensure_user(STEERING, User.Role.STEERING, "Ohjausryhmä", "Jäsen")
    consultant = (
        Consultant.objects.annotate(n=Count("cases")).order_by("-n", "pk").select_related("user")
    ).first()
    users = {
        "applicant": applicant,
        "coordinator": coordinator,
        "consultant": consultant.user,
        "steering": steering,
    }
    cookies = {
        role: signed_in(user).cookies.get(settings.SESSION_COOKIE_NAME)
        for role, user in users.items()
    }
    pages = [
        [role, url.format(consultant=consultant.pk)] for role, urls in PAGES.items() for url in urls
    ]
    return {
        "dataset": {"size": made.size, "seconds": made.seconds, "reused": made.reused},
        "cookies": cookies,
        "pages": pages,
    }
