"""The framework agreement and the call-off in Chromium: a coordinator sets up the
agreement on the staff pages, and cases are called off by ranking, by rotation, by
manual override and by mini-competition, each ending in a decision record that
reads correctly on the case page.

Cases are prepared up to *approved* through the services; every call-off itself is
done in the browser. Each user has their own browser context.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from procurement import calloff
from procurement.models import (
    CallOff,
    Consultant,
    FrameworkAgreement,
    MiniCompetition,
    Offer,
    Supplier,
    Tender,
)
from procurement.services import supplier_create
from sparring.cases import services
from sparring.models import Case, Theme, User
from tests.conftest import make_consultant, make_user
from tests.e2e.conftest import assert_accessible
from tests.unit.procurement.test_calloff import approved_case, second_supplier

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# ------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------


def finnish(text) -> str:
    """A label as the Finnish pages show it (computed, so a changed .po does not break this)."""
    with translation.override("fi"):
        return str(text)


def open_case(page, case):
    page.goto(f"/cases/{case.pk}/")
    assert_accessible(page)


def submit(page, form_selector: str) -> None:
    """Submit one of our own forms and wait for the page the POST leads to."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").click()


CALL_OFF_FORM = "form[action$='/do/call_off/']"


def candidate_rows(page, scope: str) -> list[list[str]]:
    rows = page.locator(f"{scope} table.candidates tbody tr")
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def decision_record(page):
    """The newest call-off record on the case page: its facts and its tables."""
    record = page.locator("section[aria-labelledby=calloffs-heading] .call-off-record").first
    expect(record).to_be_visible()
    facts = record.locator("dl.facts dd").all_inner_texts()
    return record, facts


def staff_choose(page, name: str, value) -> None:
    """Pick an option of a viewflow Material select (a list box behind a button)."""
    page.locator(f"vf-field-select[name={name}] .mdc-select__anchor").click()
    page.locator(f"vf-field-select[name={name}] li[data-value='{value}']").click()
    expect(page.locator(f"vf-field-select[name={name}] input[name={name}]")).to_have_value(
        str(value)
    )


def staff_choose_many(page, name: str, values) -> None:
    """Tick options of a viewflow Material multi-select (a checkbox list box behind a button)."""
    field = page.locator(f"vf-field-select-multiple[name={name}]")
    field.locator(".mdc-select__anchor").click()
    for value in values:
        field.locator(f"li[data-value='{value}']").click()
    page.keyboard.press("Escape")


def staff_open_add_form(page, model: str) -> None:
    """From the staff list of ``model``, open the create form through the card menu."""
    page.goto(f"/staff/programme/{model}/")
    page.wait_for_load_state()
    assert_accessible(page)
    page.locator(".vf-card__menu-trigger").click()
    page.locator(f"[data-card-menu-href='/staff/programme/{model}/add/']").click()
    page.wait_for_url(f"**/staff/programme/{model}/add/")
    page.wait_for_load_state()


def staff_save(page, model: str) -> None:
    """Save a staff form; back on the list, wait until the "saved" snackbar has faded in
    (axe measures colours mid-fade otherwise)."""
    page.locator("form.vf-form button[type=submit]").click()
    page.wait_for_url(f"**/staff/programme/{model}/")
    page.wait_for_load_state()
    expect(
        page.locator("vf-snackbar.mdc-snackbar--open:not(.mdc-snackbar--opening)")
    ).to_be_visible()


# ------------------------------------------------------------------------------
# 1. The agreement, its suppliers and its consultants on the staff pages
# ------------------------------------------------------------------------------


def test_coordinator_sets_up_the_agreement_in_the_staff_pages(
    session_for, coordinator, reference_data
):
    page = session_for(coordinator)
    today = timezone.localdate()
    valid_from = today - timedelta(days=30)
    valid_until = valid_from.replace(year=valid_from.year + 3) - timedelta(days=1)

    # -- the framework agreement ---------------------------------------------------
    staff_open_add_form(page, "frameworkagreement")
    assert_accessible(page)
    page.fill("input[name=notice_reference]", "2026-777777")
    page.fill("input[name=title]", "Työyhteisösparraus, puitejärjestely 2026–2029")
    page.fill("input[name=valid_from]", valid_from.strftime("%d.%m.%Y"))
    page.fill("input[name=valid_until]", valid_until.strftime("%d.%m.%Y"))
    staff_choose(page, "method", "ranking")
    page.fill("input[name=budget]", "450000.00")
    page.fill("input[name=default_day_price]", "1200.00")
    staff_save(page, "frameworkagreement")

    agreement = FrameworkAgreement.objects.get(notice_reference="2026-777777")
    assert agreement.title == "Työyhteisösparraus, puitejärjestely 2026–2029"
    assert (agreement.valid_from, agreement.valid_until) == (valid_from, valid_until)
    assert agreement.method == FrameworkAgreement.Method.RANKING
    assert agreement.budget == Decimal("450000.00")
    assert agreement.default_day_price == Decimal("1200.00")
    assert agreement.active
    assert calloff.agreement_in_force() == agreement
    assert "2026-777777" in page.locator("table.vf-list__table").inner_text()
    assert_accessible(page)  # the list again, with the "saved" snackbar

    # -- a supplier party to it ------------------------------------------------------
    staff_open_add_form(page, "supplier")
    assert_accessible(page)
    page.fill("input[name=name]", "Sparrauskumppanit Oy")
    page.fill("input[name=business_id]", "2345678-0")
    page.fill("input[name=ranking_position]", "1")
    page.fill("input[name=day_price]", "1150.00")
    staff_choose(page, "agreement", agreement.pk)
    page.fill("input[name=planned_share]", "2")
    staff_save(page, "supplier")

    supplier = Supplier.objects.get(business_id="2345678-0")
    assert supplier.name == "Sparrauskumppanit Oy"
    assert supplier.agreement == agreement
    assert (supplier.ranking_position, supplier.planned_share) == (1, 2)
    assert supplier.day_price == Decimal("1150.00")
    assert supplier.active
    assert "Sparrauskumppanit Oy" in page.locator("table.vf-list__table").inner_text()
    assert_accessible(page)


def test_coordinator_adds_a_consultant_in_the_staff_pages(
    session_for, coordinator, agreement, supplier, reference_data
):
    newcomer = make_user(User.Role.CONSULTANT, "liisa.uusi")
    theme = Theme.objects.get(code="workload-wellbeing")
    page = session_for(coordinator)

    staff_open_add_form(page, "consultant")
    assert_accessible(page)
    staff_choose(page, "user", newcomer.pk)
    staff_choose(page, "supplier", supplier.pk)
    staff_choose_many(page, "languages", ["fi"])
    staff_choose_many(page, "themes", [theme.pk])
    page.check("input[name=works_remotely]")
    page.fill("input[name=capacity_per_month]", "5")
    page.fill("input[name=capacity_total]", "30")
    staff_save(page, "consultant")

    consultant = Consultant.objects.get(user=newcomer)
    assert consultant.supplier == supplier
    assert consultant.languages == ["fi"]
    assert list(consultant.themes.all()) == [theme]
    assert consultant.works_remotely and consultant.active
    assert (consultant.capacity_per_month, consultant.capacity_total) == (5, 30)
    assert "Liisa Testinen" in page.locator("table.vf-list__table").inner_text()
    assert_accessible(page)


def test_the_staff_consultant_form_passes_axe_in_full(
    session_for, coordinator, supplier, reference_data
):
    page = session_for(coordinator)
    staff_open_add_form(page, "consultant")
    assert_accessible(page)


def test_the_staff_save_message_passes_axe_in_full(session_for, coordinator, agreement):
    page = session_for(coordinator)
    page.goto(f"/staff/programme/frameworkagreement/{agreement.pk}/change/")
    staff_save(page, "frameworkagreement")
    expect(page.locator("vf-snackbar")).to_contain_text("2021-123456")
    assert_accessible(page)


# ------------------------------------------------------------------------------
# 2. Ranking order, with the decision record and its CSV
# ------------------------------------------------------------------------------


def test_call_off_by_ranking_with_the_decision_record(
    session_for, applicant, coordinator, open_call, agreement, supplier
):
    other = second_supplier(agreement)
    aino = make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    celia = make_consultant("celia.c", other, languages=["en"])
    case = approved_case(applicant, coordinator, open_call)
    with translation.override("fi"):
        why_not_celia = calloff.reasons_text(
            next(
                c for c in calloff.candidates(case, agreement) if c.name == "Celia Testinen"
            ).reasons
        )
    assert why_not_celia

    page = session_for(coordinator)
    open_case(page, case)
    rows = candidate_rows(page, CALL_OFF_FORM)
    assert [row[1].split(" (")[0] for row in rows] == [
        "Aino Testinen",
        "Bertta Testinen",
        "Celia Testinen",
    ]
    assert [row[2] for row in rows] == [supplier.name, other.name, other.name]
    assert [row[5] for row in rows] == ["–", "–", why_not_celia]
    proposed = page.locator(f"{CALL_OFF_FORM} table.candidates tr.proposed")
    assert proposed.count() == 1 and "Aino Testinen" in proposed.inner_text()
    choice = page.locator(f"{CALL_OFF_FORM} [name=consultant]")
    assert choice.input_value() == str(aino.consultant.pk)
    offered = choice.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert str(bertta.consultant.pk) in offered
    assert str(celia.consultant.pk) not in offered  # the ineligible cannot be chosen

    submit(page, CALL_OFF_FORM)  # the proposal as it is

    case.refresh_from_db()
    assert case.status == Case.Status.OFFERED
    assert case.agreed_day_price == Decimal("1150.00")
    offer = Offer.objects.get(case=case)
    assert offer.consultant == aino.consultant and offer.status == Offer.Status.OFFERED
    record = CallOff.objects.get(case=case)
    assert record.offer == offer
    assert record.method == "ranking" and not record.overridden
    assert record.proposed == record.chosen == aino.consultant
    assert record.override_justification == ""
    assert [(c["name"], c["eligible"]) for c in record.candidates] == [
        ("Aino Testinen", True),
        ("Bertta Testinen", True),
        ("Celia Testinen", False),
    ]
    assert_accessible(page)

    # the decision record on the case page
    assert page.locator(CALL_OFF_FORM).count() == 0
    box, facts = decision_record(page)
    agreement_shown, method, proposed_name, chosen_name, decided_by = facts
    assert agreement_shown == str(agreement)
    assert method == finnish(FrameworkAgreement.Method.RANKING.label)
    assert proposed_name == "Aino Testinen"
    assert chosen_name == "Aino Testinen"  # no override marker
    assert decided_by == coordinator.get_full_name()
    assert "Aino Testinen" in box.locator("h3").inner_text()
    recorded = [row[1] for row in candidate_rows(page, ".call-off-record")]
    assert recorded == ["Aino Testinen", "Bertta Testinen", "Celia Testinen"]
    assert candidate_rows(page, ".call-off-record")[2][5] == why_not_celia

    # the CSV of the record
    link = box.locator(f"a[href='/cases/{case.pk}/call-offs/{record.pk}.csv']")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"].startswith("text/csv")
    csv = response.text()
    for name in ("Aino Testinen", "Bertta Testinen", "Celia Testinen"):
        assert name in csv
    assert why_not_celia in csv
    assert case.reference in csv


# ------------------------------------------------------------------------------
# 3. Rotation by planned shares
# ------------------------------------------------------------------------------


def test_call_off_by_rotation(session_for, applicant, coordinator, open_call, agreement, supplier):
    FrameworkAgreement.objects.filter(pk=agreement.pk).update(method="rotation")
    Supplier.objects.filter(pk=supplier.pk).update(planned_share=2)
    other = second_supplier(agreement, planned_share=1)
    aino = make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    # History: one 2-day case went to the first supplier (it leads: share 2 of 3).
    # With the next case (4 days in all) the first supplier's planned 2/3 × 4 = 2.7 days
    # are 0.7 ahead of its 2, the second's 1/3 × 4 = 1.3 are 1.3 ahead of its 0: its turn.
    earlier = approved_case(applicant, coordinator, open_call)
    given = services.case_call_off(actor=coordinator, case=earlier, version=earlier.version)
    assert given.consultant == aino.consultant
    case = approved_case(applicant, coordinator, open_call)

    page = session_for(coordinator)
    open_case(page, case)
    proposed = page.locator(f"{CALL_OFF_FORM} table.candidates tr.proposed")
    assert "Bertta Testinen" in proposed.inner_text()
    assert other.name in proposed.inner_text()
    choice = page.locator(f"{CALL_OFF_FORM} [name=consultant]")
    assert choice.input_value() == str(bertta.consultant.pk)
    submit(page, CALL_OFF_FORM)

    offer = Offer.objects.get(case=case)
    assert offer.consultant == bertta.consultant
    assert offer.consultant.supplier == other
    record = CallOff.objects.get(case=case)
    assert record.method == "rotation" and not record.overridden
    case.refresh_from_db()
    assert case.status == Case.Status.OFFERED
    assert case.agreed_day_price == Decimal("1090.00")
    assert_accessible(page)
    _box, facts = decision_record(page)
    assert facts[1] == finnish(FrameworkAgreement.Method.ROTATION.label)
    assert facts[2] == facts[3] == "Bertta Testinen"


# ------------------------------------------------------------------------------
# 4. A manual override needs a justification
# ------------------------------------------------------------------------------


def test_manual_override_needs_a_justification(
    session_for, applicant, coordinator, open_call, agreement, supplier
):
    other = second_supplier(agreement)
    aino = make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    case = approved_case(applicant, coordinator, open_call)
    justification = "Hakija toivoi fasilitaattoria, joka tuntee kotihoidon vuorotyön."

    page = session_for(coordinator)
    open_case(page, case)
    choice = page.locator(f"{CALL_OFF_FORM} [name=consultant]")
    assert choice.input_value() == str(aino.consultant.pk)
    choice.select_option(str(bertta.consultant.pk))
    submit(page, CALL_OFF_FORM)  # no justification: refused

    summary = page.locator(".form-error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#id_justification']")).to_be_visible()
    assert not Offer.objects.exists() and not CallOff.objects.exists()
    case.refresh_from_db()
    assert case.status == Case.Status.APPROVED
    assert_accessible(page)

    # the choice stays on the form; now with the reason
    assert page.locator(f"{CALL_OFF_FORM} [name=consultant]").input_value() == str(
        bertta.consultant.pk
    )
    page.fill(f"{CALL_OFF_FORM} [name=justification]", justification)
    submit(page, CALL_OFF_FORM)

    offer = Offer.objects.get(case=case)
    assert offer.consultant == bertta.consultant
    record = CallOff.objects.get(case=case)
    assert record.overridden
    assert record.proposed == aino.consultant and record.chosen == bertta.consultant
    assert record.override_justification == justification
    case.refresh_from_db()
    assert case.status == Case.Status.OFFERED
    assert case.agreed_day_price == Decimal("1090.00")  # the chosen supplier's price
    assert_accessible(page)

    box, facts = decision_record(page)
    assert facts[2] == "Aino Testinen"  # proposed
    assert facts[3].startswith("Bertta Testinen")  # chosen, marked as the override
    with translation.override("fi"):
        assert f"({gettext('manual override')})" in facts[3]
    assert justification in facts
    assert justification in box.inner_text()


def test_after_a_refused_call_off_only_the_eligible_can_still_be_chosen(
    session_for, applicant, coordinator, open_call, agreement, supplier
):
    other = second_supplier(agreement)
    make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    celia = make_consultant("celia.c", other, languages=["en"])
    case = approved_case(applicant, coordinator, open_call)

    page = session_for(coordinator)
    open_case(page, case)
    page.locator(f"{CALL_OFF_FORM} [name=consultant]").select_option(str(bertta.consultant.pk))
    submit(page, CALL_OFF_FORM)  # no justification: refused
    expect(page.locator(".form-error-summary")).to_be_visible()

    choice = page.locator(f"{CALL_OFF_FORM} [name=consultant] option")
    offered = choice.evaluate_all("options => options.map(o => o.value)")
    assert str(bertta.consultant.pk) in offered
    assert str(celia.consultant.pk) not in offered, "the ineligible is offered after an error"


# ------------------------------------------------------------------------------
# 5. Mini-competition: invitations, sealed offers, scoring and award
# ------------------------------------------------------------------------------


def test_call_off_by_mini_competition(
    session_for, applicant, coordinator, open_call, agreement, supplier
):
    FrameworkAgreement.objects.filter(pk=agreement.pk).update(method="mini_competition")
    other = second_supplier(agreement)
    third = supplier_create(
        actor=None,
        name="Kolmas Oy",
        business_id="0201256-6",
        ranking_position=3,
        day_price="900",
        agreement=agreement,
    )
    aino = make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    celia = make_consultant("celia.c", third, languages=["en"])  # not eligible: not invited
    case = approved_case(applicant, coordinator, open_call)
    criteria = "Lähestymistavan sopivuus tavoitteeseen; kokemus kuntatyöstä."

    # -- the coordinator opens the mini-competition ------------------------------------
    coordinator_page = page = session_for(coordinator)
    open_case(page, case)
    assert page.locator(CALL_OFF_FORM).count() == 0  # no plain call-off under this method
    open_form = f"form[action$='/cases/{case.pk}/competition/']"
    deadline = timezone.localtime(timezone.now() + timedelta(minutes=10))
    page.fill(f"{open_form} [name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill(f"{open_form} [name=price_weight]", "40")
    page.fill(f"{open_form} [name=criteria]", criteria)
    submit(page, open_form)

    competition = MiniCompetition.objects.get(case=case)
    assert competition.status == MiniCompetition.Status.OPEN
    assert competition.price_weight == 40 and competition.criteria == criteria
    assert timezone.localtime(competition.deadline).strftime("%Y-%m-%dT%H:%M") == deadline.strftime(
        "%Y-%m-%dT%H:%M"
    )
    assert set(competition.invited.all()) == {supplier, other}
    assert_accessible(page)
    tender_href = f"/competitions/{competition.pk}/tender/"

    # -- each invited supplier's consultant offers -----------------------------------------
    offers = {
        aino: ("800.00", "Viikot 12–13, tiistait", "Kaksi fasilitoitua työpajaa ja välitehtävä."),
        bertta: ("1000.00", "Viikko 14", "Kolme työpajaa, haastattelut ja seurantapalaveri."),
    }
    for consultant_user, (price, dates, approach) in offers.items():
        page = session_for(consultant_user)
        assert_accessible(page)
        page.locator(f"main a[href='{tender_href}']").click()
        page.wait_for_url(f"**{tender_href}")
        assert criteria in page.locator("main").inner_text()
        assert_accessible(page)
        tender_form = "main form:has([name=approach])"
        page.fill(f"{tender_form} [name=day_price]", price)
        page.fill(f"{tender_form} [name=proposed_dates]", dates)
        page.fill(f"{tender_form} [name=approach]", approach)
        submit(page, tender_form)
        assert page.url.endswith(tender_href)
        tender = Tender.objects.get(competition=competition, consultant=consultant_user.consultant)
        assert tender.day_price == Decimal(price)
        assert (tender.proposed_dates, tender.approach) == (dates, approach)
        assert_accessible(page)

    # the uninvited supplier's consultant gets no invitation
    page = session_for(celia)
    assert page.locator(f"a[href='{tender_href}']").count() == 0

    # -- sealed: the coordinator sees only how many offers came -----------------------------
    page = coordinator_page
    open_case(page, case)
    content = page.content()
    for _price, dates, approach in offers.values():
        assert approach not in content
        assert dates not in content
    assert page.locator("form[action$='/award/']").count() == 0
    assert page.locator("[name^=score_]").count() == 0
    waiting = page.locator(".competition p").first.inner_text()
    # the count of offers, apart from the dates and times in the sentence
    assert "2" in re.findall(r"\d+(?:[.:]\d+)*", waiting), waiting

    # -- time passes: the deadline is over ------------------------------------------------
    MiniCompetition.objects.filter(pk=competition.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )
    open_case(page, case)
    award_form = f"form[action$='/competitions/{competition.pk}/award/']"
    expect(page.locator(award_form)).to_be_visible()
    unsealed = page.locator(award_form).inner_text()
    for _price, dates, approach in offers.values():
        assert dates in unsealed and approach in unsealed
    cheap = Tender.objects.get(competition=competition, consultant=aino.consultant)
    good = Tender.objects.get(competition=competition, consultant=bertta.consultant)
    # cheap: 40 × 800/800 + 60 × 5/10 = 70; good: 40 × 800/1000 + 60 × 9/10 = 86
    page.fill(f"{award_form} [name=score_{cheap.pk}]", "5")
    page.fill(f"{award_form} [name=score_{good.pk}]", "9")
    submit(page, award_form)

    offer = Offer.objects.get(case=case)
    assert offer.consultant == bertta.consultant  # the better total, not the lower price
    case.refresh_from_db()
    assert case.status == Case.Status.OFFERED
    assert case.agreed_day_price == good.day_price == Decimal("1000.00")
    competition.refresh_from_db()
    assert competition.status == MiniCompetition.Status.AWARDED
    record = CallOff.objects.get(case=case)
    assert record.method == "mini_competition" and not record.overridden
    assert record.proposed == record.chosen == bertta.consultant
    assert [(t["supplier"], t["total"]) for t in record.tenders] == [
        (other.name, 86.0),
        (supplier.name, 70.0),
    ]
    assert_accessible(page)

    box, facts = decision_record(page)
    assert facts[1] == finnish(FrameworkAgreement.Method.MINI_COMPETITION.label)
    assert facts[2] == facts[3] == "Bertta Testinen"
    tender_rows = [
        row.locator("td").all_inner_texts()
        for row in box.locator("table.data:not(.candidates) tbody tr").all()
    ]
    assert [row[:3] for row in tender_rows] == [
        ["1", other.name, "Bertta Testinen"],
        ["2", supplier.name, "Aino Testinen"],
    ]
    assert [row[3] for row in tender_rows] == ["1000.00", "800.00"]
    assert [row[4] for row in tender_rows] == ["9", "5"]
    with translation.override("fi"):
        assert [row[5] for row in tender_rows] == [formats.localize(86.0), formats.localize(70.0)]
    assert [row[1] for row in candidate_rows(page, ".call-off-record")] == [
        "Aino Testinen",
        "Bertta Testinen",
        "Celia Testinen",
    ]
