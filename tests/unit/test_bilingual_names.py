"""Organisations and suppliers carry Finnish and Swedish official names; readers get theirs."""

import pytest
from django.utils import translation

from sparring.accounts.services import organisation_create
from sparring.cases.calendar import summary_of
from sparring.models import Organisation

BILINGUAL = [
    ("Espoon kaupunki", "Esbo stad", "0101263-6"),
    ("Raaseporin kaupunki", "Raseborgs stad", "2106283-3"),
    ("Mustasaaren kunta", "Korsholms kommun", "2106284-1"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fi", "sv", "business_id"), BILINGUAL)
def test_the_reader_gets_the_name_in_their_language(fi, sv, business_id):
    organisation = organisation_create(
        actor=None, name_fi=fi, name_sv=sv, business_id=business_id, kind="municipality"
    )
    assert organisation.display_name("sv") == sv
    assert organisation.display_name("fi") == organisation.display_name("en") == fi
    with translation.override("sv"):
        assert str(organisation) == sv
    with translation.override("fi"):
        assert str(organisation) == fi


@pytest.mark.django_db
def test_a_finnish_only_name_is_used_in_every_language():
    organisation = organisation_create(
        actor=None, name_fi="Tampereen kaupunki", business_id="0211675-2", kind="municipality"
    )
    assert organisation.display_name("sv") == "Tampereen kaupunki"


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["01012636", "FI01012636", "0101263 6"])
def test_a_business_id_is_stored_normalised(spelling):
    organisation = organisation_create(
        actor=None, name_fi="Espoon kaupunki", business_id=spelling, kind="municipality"
    )
    assert Organisation.objects.get(pk=organisation.pk).business_id == "0101263-6"


@pytest.mark.django_db
def test_a_supplier_has_a_swedish_name(supplier):
    supplier.name_sv = "Utvecklingspartner Ab"
    supplier.save()
    assert supplier.display_name("sv") == "Utvecklingspartner Ab"
    assert supplier.display_name("fi") == "Kehittäjäkumppanit Oy"
    with translation.override("sv"):
        assert str(supplier) == "Utvecklingspartner Ab"


@pytest.mark.django_db
def test_the_calendar_invitation_uses_the_case_language(draft_case, other_organisation):
    draft_case.organisation = other_organisation
    draft_case.reference = "SP-2026-0042"
    draft_case.language = "sv"
    assert summary_of(draft_case) == "Sparrning SP-2026-0042: Esbo stad"
    draft_case.language = "fi"
    assert summary_of(draft_case) == "Sparraus SP-2026-0042: Espoon kaupunki"


@pytest.mark.django_db
def test_the_case_page_names_the_organisation_in_the_readers_language(
    submitted_case, coordinator, client_for
):
    from django.conf import settings

    client = client_for(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    html = client.get(f"/cases/{submitted_case.pk}/").content.decode()
    assert "Tammerfors stad" in html


@pytest.mark.django_db
def test_the_report_pdf_uses_the_case_language(reported_case):
    from sparring.reports import pdf

    reported_case.language = "sv"
    assert "Tammerfors stad" in pdf.report_html(reported_case)
    reported_case.language = "fi"
    assert "Tampereen kaupunki" in pdf.report_html(reported_case)


@pytest.mark.django_db
def test_case_emails_name_the_organisation_in_the_recipients_language(submitted_case, coordinator):
    from sparring.models import OutboundEmail

    coordinator.language = "sv"
    coordinator.save()
    from sparring.notifications import coordinators, notify

    notify("submitted_coordinator", submitted_case, coordinators())
    email = OutboundEmail.objects.filter(to=coordinator.email).order_by("-pk")[0]
    assert "Tammerfors stad" in email.body_text
