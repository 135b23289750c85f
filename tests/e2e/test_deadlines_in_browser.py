"""The late cases page, the late marks and a draft whose call has closed, in a browser
(issue 14, items 2 and 7): each page passes axe and fits 320 CSS px.

Screenshots go to $DEADLINE_SHOTS when it is set (for a person to look at).
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest

from sparring import clock
from sparring.cases import services
from sparring.models import StepDeadline
from tests.conftest import PASSWORD, application_data
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = "() => document.documentElement.scrollWidth"


def shoot(page, name):
    if os.environ.get("DEADLINE_SHOTS"):
        shots = Path(os.environ["DEADLINE_SHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def visit(page, path, name):
    page.goto(path)
    assert_accessible(page)
    assert page.evaluate(WIDTH) <= 321, path
    shoot(page, name)


def test_late_cases_page_home_box_marks_and_a_closed_call_draft(
    browser, live_server, applicant, coordinator, open_call
):
    late = services.case_create(actor=applicant, call=open_call, data=application_data())
    services.case_submit(actor=applicant, case=late, version=late.version)
    StepDeadline.objects.filter(case=late).update(
        since=clock.now() - timedelta(days=12), due=clock.now() - timedelta(days=4)
    )
    on_time = services.case_create(actor=applicant, call=open_call, data=application_data())
    services.case_submit(actor=applicant, case=on_time, version=on_time.version)
    draft = services.case_create(actor=applicant, call=open_call, data={"goal": "Luonnos."})
    late.refresh_from_db()

    for user, pages in (
        (
            coordinator,
            ["/coordinator/", "/coordinator/late/", "/coordinator/late/?lateness=late&sort=-since"],
        ),
        (applicant, ["/applicant/", f"/cases/{late.pk}/"]),
    ):
        context = browser.new_context(
            base_url=live_server.url,
            locale="fi-FI",
            timezone_id="Europe/Helsinki",
            viewport={"width": 320, "height": 640},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            login(page, user.username, PASSWORD)
            for path in pages:
                visit(page, path, f"{user.username}-{path.strip('/').replace('/', '_')}")
                if "late" in path:
                    assert page.get_by_text("myöhässä 4 päivää").count() >= 1
                    assert late.reference in page.content()
            if user == coordinator:
                page.goto("/coordinator/late/?lateness=on_time")
                assert late.reference not in page.content()
            else:
                assert page.get_by_text("Myöhässä 4 päivää.").count() == 1
                page.goto("/applicant/")
                assert page.locator(".late-mark").count() >= 1
                # a draft whose call closes: it says so and offers no send
                open_call.closes_at = clock.now() - timedelta(minutes=1)
                open_call.save()
                visit(page, f"/cases/{draft.pk}/edit/", "applicant-draft-closed")
                assert page.get_by_role("button", name="Tallenna luonnoksena").count() == 1
                assert page.get_by_role("button", name="Lähetä hakemus").count() == 0
                assert page.locator("p.notice").count() == 1
        finally:
            context.close()
