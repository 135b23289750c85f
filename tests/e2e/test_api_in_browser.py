"""A person makes an API token in the browser, a script uses it, the person revokes it;
the API's documentation opens from the product's own static files."""

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_applicant_makes_uses_and_revokes_a_token(page, applicant, live_server):
    login(page, applicant.username, PASSWORD)
    page.wait_for_url("**/applicant/")
    page.get_by_role("link", name="API-avaimet").click()
    page.wait_for_url("**/account/api-tokens/")
    assert_accessible(page)

    page.get_by_label("Nimi").fill("Raportointiskripti")
    page.get_by_role("button", name="Luo avain").click()
    secret = page.get_by_role("textbox", name="Avain", exact=True).input_value()
    assert secret.startswith("spr_")
    assert_accessible(page)

    api = page.context.request
    me = api.get(f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["role"] == "applicant"

    page.get_by_role("button", name="Peru avain Raportointiskripti").click()
    assert page.get_by_text("API-avain ”Raportointiskripti” peruttiin.").is_visible()
    revoked = api.get(
        f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert revoked.status == 401


def test_the_swagger_ui_opens_without_a_cdn(page):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else None
        ),
    )
    page.goto("/api/v1/docs/")
    page.locator(".swagger-ui .title").first.wait_for()
    assert "Sparraus API" in page.locator(".swagger-ui .title").first.inner_text()
    assert outside == []
