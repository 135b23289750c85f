"""Drafts save with any subset of the fields; sending needs them all (issue 14, item 7)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sparring import clock
from sparring.cases import services
from sparring.cases.services.application import REQUIRED_TO_SUBMIT, missing_to_submit
from sparring.models import Case
from tests.unit.cases.test_case_views import apply_post, apply_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_draft_saves_with_only_the_goal(applicant, open_call, client_for):
    client = client_for(applicant)
    response = client.post(
        apply_url(open_call), {"intent": "draft", "goal": "Vain tavoite.", "language": "fi"}
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.status == Case.Status.DRAFT and case.goal == "Vain tavoite."
    assert case.theme is None and case.estimated_participants is None


def test_a_draft_saves_with_nothing_filled_in(applicant, open_call):
    case = services.case_create(actor=applicant, call=open_call, data={})
    assert case.status == Case.Status.DRAFT


def test_sending_an_incomplete_draft_names_every_missing_field_and_saves_nothing(
    applicant, open_call, client_for
):
    response = client_for(applicant).post(
        apply_url(open_call), {"intent": "submit", "goal": "Vain tavoite.", "language": "fi"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    for field in set(REQUIRED_TO_SUBMIT) - {"goal"} | {"sector", "unit"}:
        assert field in errors, field
    assert "goal" not in errors
    assert not Case.objects.exists()


def test_an_incomplete_draft_edited_and_sent_keeps_the_changes_and_says_what_is_missing(
    applicant, open_call, client_for
):
    case = services.case_create(actor=applicant, call=open_call, data={"goal": "Tavoite."})
    response = client_for(applicant).post(
        reverse("sparring:case_edit", args=[case.pk]),
        {"intent": "submit", "goal": "Uusi tavoite.", "language": "fi", "version": case.version},
    )
    assert response.status_code == 400
    assert "theme" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT


def test_the_service_refuses_to_send_an_incomplete_draft(applicant, open_call):
    case = services.case_create(actor=applicant, call=open_call, data={"goal": "Tavoite."})
    with pytest.raises(ValidationError) as refused:
        services.case_submit(actor=applicant, case=case, version=case.version)
    assert "theme" in refused.value.error_dict
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT and case.process_id is None


def test_a_complete_draft_is_sent(applicant, open_call, client_for, coordinator):
    response = client_for(applicant).post(apply_url(open_call), apply_post())
    assert response.status_code == 302
    assert Case.objects.get().status == Case.Status.SUBMITTED


def test_the_rule_needs_the_unit_and_sector_unless_the_whole_organisation(reference_data):
    from tests.conftest import application_data

    data = application_data()
    assert missing_to_submit(data) == {}
    assert set(missing_to_submit({**data, "sector": None, "unit": ""})) == {"sector", "unit"}
    whole = {**data, "sector": None, "unit": "", "whole_organisation": True}
    assert missing_to_submit(whole) == {}


def test_a_draft_whose_call_closed_says_so_and_offers_no_send(
    applicant, open_call, client_for, draft_case
):
    open_call.closes_at = clock.now() - timedelta(days=1)
    open_call.save()
    client = client_for(applicant)

    page = client.get(reverse("sparring:case_detail", args=[draft_case.pk])).content.decode()
    assert "do/submit" not in page
    assert 'class="notice"' in page

    form = client.get(reverse("sparring:case_edit", args=[draft_case.pk])).content.decode()
    assert 'value="submit"' not in form
    assert 'value="draft"' in form
    assert 'class="notice"' in form

    response = client.post(
        reverse("sparring:case_action", args=[draft_case.pk, "submit"]),
        {"version": draft_case.version},
    )
    draft_case.refresh_from_db()
    assert draft_case.status == Case.Status.DRAFT
    assert response.status_code in (302, 400, 403)
