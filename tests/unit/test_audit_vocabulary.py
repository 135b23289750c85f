"""The audit vocabulary: every action declared with labels and a visibility; the timeline
shows each reader what is theirs; edits keep old -> new values on every page, the admin
included; coordinators cannot make themselves (or anyone) more powerful through the admin."""

import importlib
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from procurement import minicompetition
from procurement.models import Supplier
from procurement.services import supplier_create
from sparring.audit import (
    HIDDEN,
    AuditAction,
    Visibility,
    audit_record,
    field_changes,
    json_safe,
    subject_of,
)
from sparring.cases import selectors, services
from sparring.models import AuditEvent, Organisation, OutboundEmail, User
from tests.conftest import PASSWORD, make_consultant, make_user
from tests.unit.procurement.test_calloff import approved_case

ROOT = Path(__file__).resolve().parents[2]


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# ------------------------------------------------------------------------------
# The vocabulary
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(AuditAction), ids=str)
def test_every_action_has_a_visibility_and_a_label_in_each_language(action):
    assert isinstance(action.visibility, Visibility)
    labels = {}
    for language in ("fi", "sv", "en"):
        with translation.override(language):
            labels[language] = str(action.label)
    assert action.value not in labels.values()
    assert all(labels.values())
    # Finnish and Swedish are translated, not the English source shown again
    assert labels["fi"] != labels["en"], f"{action}: no Finnish label"
    assert labels["sv"] != labels["en"], f"{action}: no Swedish label"


def test_every_visibility_has_a_label_in_each_language():
    for visibility in Visibility:
        with translation.override("en"):
            english = str(visibility.label)
        for language in ("fi", "sv"):
            with translation.override(language):
                assert str(visibility.label) not in (english, visibility.value)


def _recorded_in_code() -> set[str]:
    """Every action string the code passes to the audit trail (literal or conditional)."""
    found = set()
    for package in ("sparring", "procurement", "workflow"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r'action=(f?)"([^"]+)"(?: if [^\n]+ else "([^"]+)")?', text):
                if match.group(2) == "store_true":
                    continue
                if match.group(1):  # an f-string: its values are listed below
                    continue
                found.add(match.group(2))
                if match.group(3):
                    found.add(match.group(3))
    # the decisions' actions come from a table
    from sparring.cases.services.review import DECISION_ACTIONS

    found |= set(DECISION_ACTIONS.values())
    return found


def test_every_action_the_code_records_is_declared():
    recorded = _recorded_in_code()
    assert len(recorded) > 40  # the scan found the calls
    assert recorded <= set(AuditAction.values), recorded - set(AuditAction.values)


def test_an_undeclared_action_is_refused(db):
    with pytest.raises(ValueError, match="not an AuditAction"):
        audit_record(actor=None, action="case_frobnicated", subject="sparring.case:1")
    assert not AuditEvent.objects.exists()


def test_a_declared_action_is_recorded_by_member_or_value(db):
    audit_record(actor=None, action=AuditAction.RECORD_CHANGED, subject="sparring.case:1")
    audit_record(actor=None, action="record_changed", subject="sparring.case:1")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["record_changed"] * 2


def test_a_rejection_is_recorded_as_case_rejected(submitted_case, coordinator):
    services.case_decide(
        actor=coordinator,
        case=submitted_case,
        decision="reject",
        comment="Ei kohderyhmää.",
        version=submitted_case.version,
    )
    assert submitted_case.events.filter(action="case_rejected").count() == 1
    assert not AuditEvent.objects.filter(action="case_rejectd").exists()


def test_the_migration_renames_stored_misspelt_rejections(db):
    from django.apps import apps

    AuditEvent.objects.create(action="case_rejectd", subject="sparring.case:1")
    AuditEvent.objects.create(action="case_approved", subject="sparring.case:2")
    migration = importlib.import_module("sparring.migrations.0012_move_reports_surveys")
    migration.fix_rejected_action(apps, None)
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == [
        "case_approved",
        "case_rejected",
    ]


# ------------------------------------------------------------------------------
# The timeline
# ------------------------------------------------------------------------------


@pytest.fixture
def competition_case(applicant, coordinator, open_call, agreement, supplier):
    """An approved case in a mini-competition with offers from two suppliers."""
    agreement.method = "mini_competition"
    agreement.save()
    other = supplier_create(
        actor=None,
        name="Työyhteisövalmennus Ky",
        business_id="7654321-2",
        ranking_position=2,
        day_price="1090",
        agreement=agreement,
    )
    aino = make_consultant("aino.a", supplier)
    bertta = make_consultant("bertta.b", other)
    case = approved_case(applicant, coordinator, open_call)
    competition = minicompetition.competition_open(
        actor=coordinator,
        case=case,
        deadline=timezone.now() + timedelta(hours=1),
        price_weight=40,
        criteria="KRITEERIT: kokemus kuntatyöstä.",
    )
    for consultant, price in ((aino, "1000"), (bertta, "950"), (bertta, "940")):
        minicompetition.tender_submit(
            actor=consultant,
            competition=competition,
            day_price=Decimal(price),
            proposed_dates="viikko 12",
            approach="Työpajat.",
        )
    return case, aino, bertta


COMPETITION_EVENTS = {"competition_opened", "tender_submitted", "tender_changed"}


def test_the_applicant_sees_no_competition_or_tender_events(competition_case, applicant):
    case, _aino, _bertta = competition_case
    shown = {e.action for e in selectors.labelled_timeline(case, full=False, viewer=applicant)}
    assert "case_approved" in shown
    assert not shown & COMPETITION_EVENTS


def test_a_bidder_sees_only_its_own_offers(competition_case):
    case, aino, bertta = competition_case
    for consultant, expected in (
        (aino, ["tender_submitted"]),
        (bertta, ["tender_submitted", "tender_changed"]),
    ):
        events = selectors.labelled_timeline(case, full=False, viewer=consultant)
        tender_events = [e for e in events if e.action in COMPETITION_EVENTS]
        assert [e.action for e in tender_events] == expected
        assert {e.actor for e in tender_events} == {consultant}


def test_coordinators_see_every_event_with_its_label(competition_case):
    case, _aino, _bertta = competition_case
    events = selectors.labelled_timeline(case, full=True)
    assert [e.action for e in events if e.action in COMPETITION_EVENTS] == [
        "competition_opened",
        "tender_submitted",
        "tender_submitted",
        "tender_changed",
    ]
    assert all(e.label != e.action for e in events)


def test_the_case_page_hides_competition_events_and_private_comments_from_the_applicant(
    competition_case, applicant, coordinator, client_for
):
    case, _aino, _bertta = competition_case
    audit_record(
        actor=coordinator,
        action=AuditAction.CASE_TAKEN,
        subject=case,
        case=case,
        comment="SISÄINEN HUOMIO",
    )
    audit_record(actor=coordinator, action="offer_declined", subject=case, case=case)
    applicant_page = client_for(applicant).get(f"/cases/{case.pk}/").content.decode()
    coordinator_page = client_for(coordinator).get(f"/cases/{case.pk}/").content.decode()
    for action in (*COMPETITION_EVENTS, "offer_declined"):
        assert f'data-action="{action}"' not in applicant_page
        assert f'data-action="{action}"' in coordinator_page
    assert 'data-action="case_taken"' in applicant_page
    assert "SISÄINEN HUOMIO" not in applicant_page
    assert "SISÄINEN HUOMIO" in coordinator_page
    assert "KRITEERIT" not in applicant_page


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_no_raw_key_on_the_timeline_in_any_language(
    language, submitted_case, coordinator, client_for
):
    for action in AuditAction:
        audit_record(actor=None, action=action, subject=submitted_case, case=submitted_case)
    html = in_language(client_for(coordinator), language).get(f"/cases/{submitted_case.pk}/")
    items = re.findall(
        r'<li data-action="([a-z_]+)">.*?<strong>(.*?)</strong>', html.content.decode(), re.S
    )
    assert {action for action, _label in items} == set(AuditAction.values)
    with translation.override(language):
        for action, label in items:
            assert label != action
            assert label == str(AuditAction(action).label).replace("'", "&#x27;")


# ------------------------------------------------------------------------------
# Old -> new values
# ------------------------------------------------------------------------------


def test_changes_are_json_safe_old_and_new_values(supplier, agreement):
    before = {"when": date(2026, 3, 5), "price": Decimal("1150.00"), "agreement": agreement}
    after = {"when": date(2026, 3, 6), "price": Decimal("1150.00"), "agreement": None}
    assert field_changes(before, after) == {
        "agreement": [agreement.pk, None],
        "when": ["2026-03-05", "2026-03-06"],
    }
    assert json_safe([Decimal("1.50"), {"a": date(2026, 1, 2)}]) == ["1.50", {"a": "2026-01-02"}]
    copy = Supplier.objects.get(pk=supplier.pk)
    copy.day_price = Decimal("1200.00")
    copy.ranking_position = 3
    assert field_changes(supplier, copy) == {
        "day_price": ["1150.00", "1200.00"],
        "ranking_position": [1, 3],
    }


def test_passwords_are_never_copied_into_the_trail(coordinator):
    before = User.objects.get(pk=coordinator.pk)
    coordinator.set_password("another-long-password-42")
    changes = field_changes(before, coordinator)
    assert changes["password"] == [HIDDEN, HIDDEN]


def supplier_form(supplier, **changes) -> dict:
    data = {
        "name": supplier.name,
        "business_id": supplier.business_id,
        "ranking_position": supplier.ranking_position,
        "day_price": str(supplier.day_price),
        "contact_name": "",
        "contact_email": "",
        "active": "on",
        "agreement": supplier.agreement_id,
        "planned_share": supplier.planned_share,
    }
    data.update(changes)
    return data


def test_a_staff_page_edit_records_old_and_new_values(supplier, coordinator, client_for):
    url = f"/staff/programme/supplier/{supplier.pk}/change/"
    response = client_for(coordinator).post(
        url, supplier_form(supplier, day_price="1200.00", ranking_position="2")
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(supplier))
    assert event.actor == coordinator
    assert event.data["changed"] == {
        "day_price": ["1150.00", "1200.00"],
        "ranking_position": [1, 2],
    }


def test_a_staff_page_creation_records_the_new_values(coordinator, client_for):
    response = client_for(coordinator).post(
        "/staff/programme/sector/add/",
        {
            "code": "culture",
            "name_fi": "Kulttuuri",
            "name_sv": "Kultur",
            "name_en": "Culture",
            "position": "9",
            "active": "on",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="record_created")
    assert event.data["changed"]["name_fi"] == [None, "Kulttuuri"]


def test_the_consultant_profile_records_old_and_new_values(consultant):
    from procurement.services import consultant_profile_update

    record = consultant.consultant
    consultant_profile_update(
        actor=consultant,
        consultant=record,
        themes=list(record.themes.all()),
        languages=["fi"],
        regions=[],
        works_remotely=True,
        capacity_per_month=6,
    )
    event = AuditEvent.objects.get(action="consultant_profile_updated")
    assert event.data["changed"] == {
        "capacity_per_month": [4, 6],
        "languages": [["fi", "sv"], ["fi"]],
    }


# ------------------------------------------------------------------------------
# The Django admin
# ------------------------------------------------------------------------------


def test_an_admin_edit_of_a_supplier_records_old_and_new_values(supplier, coordinator, client_for):
    url = f"/admin/procurement/supplier/{supplier.pk}/change/"
    client = client_for(coordinator)
    assert client.get(url).status_code == 200
    response = client.post(url, supplier_form(supplier, day_price="990.00", ranking_position="5"))
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.day_price, supplier.ranking_position) == (Decimal("990.00"), 5)
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(supplier))
    assert event.actor == coordinator
    assert event.data["changed"] == {
        "day_price": ["1150.00", "990.00"],
        "ranking_position": [1, 5],
    }


def test_an_admin_deletion_is_recorded_with_the_values(coordinator, client_for):
    organisation = Organisation.objects.create(
        name_fi="Poistettava kunta", business_id="0201256-6", kind="municipality"
    )
    url = f"/admin/sparring/organisation/{organisation.pk}/delete/"
    assert client_for(coordinator).post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="record_deleted")
    assert event.subject == f"sparring.organisation:{organisation.pk}"
    assert event.data["deleted"]["name_fi"] == "Poistettava kunta"


def user_form(client, user) -> dict:
    """The admin's change form of ``user`` as its browser would post it unchanged."""
    form = client.get(f"/admin/sparring/user/{user.pk}/change/").context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple) and name in ("last_login", "date_joined"):
            data[f"{name}_0"], data[f"{name}_1"] = value[0] or "", value[1] or ""
        elif hasattr(value, "isoformat"):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.date(), local.time().replace(microsecond=0)
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    return data


def test_a_coordinator_cannot_grant_superuser_staff_groups_or_permissions(
    steering, coordinator, client_for
):
    from django.contrib.auth.models import Permission

    group = Group.objects.create(name="kaikki")
    client = client_for(coordinator)
    data = user_form(client, steering)
    data.update(
        is_superuser="on",
        is_staff="on",
        groups=[group.pk],
        user_permissions=[Permission.objects.get(codename="change_user").pk],
        first_name="Olli-Pekka",
    )
    response = client.post(f"/admin/sparring/user/{steering.pk}/change/", data)
    assert response.status_code == 302
    steering.refresh_from_db()
    assert steering.first_name == "Olli-Pekka"  # the rest of the form was saved
    assert not steering.is_superuser
    assert not steering.is_staff
    assert not steering.groups.exists()
    assert not steering.user_permissions.exists()
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(steering))
    # the admin's form drops the microseconds of date_joined: a real, if dull, change
    assert set(event.data["changed"]) <= {"first_name", "date_joined"}
    assert event.data["changed"]["first_name"] == ["Olli", "Olli-Pekka"]


def test_a_coordinator_cannot_give_the_coordinator_role(steering, coordinator, client_for):
    client = client_for(coordinator)
    data = user_form(client, steering)
    data["role"] = "coordinator"
    response = client.post(f"/admin/sparring/user/{steering.pk}/change/", data)
    assert response.status_code == 200  # the form again: not a choice
    steering.refresh_from_db()
    assert steering.role == "steering"


def test_a_coordinator_cannot_change_another_coordinator_or_a_superuser(coordinator, client_for):
    other = make_user("coordinator", "toinen.koordinaattori")
    admin_user = User.objects.create_superuser("paakayttaja", "root@example.invalid", PASSWORD)
    client = client_for(coordinator)
    for target in (other, admin_user):
        url = f"/admin/sparring/user/{target.pk}/change/"
        response = client.post(url, {"username": target.username, "email": "x@example.invalid"})
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.email != "x@example.invalid"


def test_password_form_only_for_oneself_unless_superuser(steering, coordinator, client_for):
    client = client_for(coordinator)
    other = f"/admin/sparring/user/{steering.pk}/password/"
    new = {"password1": "uusi-pitka-salasana-123", "password2": "uusi-pitka-salasana-123"}
    assert client.get(other).status_code == 403
    assert client.post(other, {**new, "usable_password": "true"}).status_code == 403
    steering.refresh_from_db()
    assert steering.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user_password_set").exists()

    own = f"/admin/sparring/user/{coordinator.pk}/password/"
    assert client.get(own).status_code == 200

    superuser = User.objects.create_superuser("paakayttaja", "root@example.invalid", PASSWORD)
    response = client_for(superuser).post(other, {**new, "usable_password": "true"})
    assert response.status_code == 302
    steering.refresh_from_db()
    assert steering.check_password(new["password1"])
    event = AuditEvent.objects.get(action="user_password_set")
    assert (event.actor, event.subject) == (superuser, subject_of(steering))
    assert steering.password not in str(event.data)  # the hash stays out of the trail


def test_a_coordinator_creates_an_account_without_a_password(coordinator, client_for):
    client = client_for(coordinator)
    page = client.get("/admin/sparring/user/add/").content.decode()
    assert 'name="password1"' not in page
    response = client.post(
        "/admin/sparring/user/add/",
        {
            "username": "uusi.kayttaja",
            "email": "uusi@example.invalid",
            "password1": "x" * 20,
            "password2": "x" * 20,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="uusi.kayttaja")
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(action="record_created", subject=subject_of(user))
    assert event.data["changed"]["username"] == [None, "uusi.kayttaja"]
    assert event.data["changed"].get("password", [HIDDEN, HIDDEN]) == [HIDDEN, HIDDEN]


def test_outbox_bodies_are_for_superusers_only(coordinator, client_for):
    email = OutboundEmail.objects.create(
        to="anna@example.invalid",
        subject="Salasanan vaihto",
        body_text="https://sparraus.example/reset/SALAINEN-LINKKI/",
        template="registration/password_reset_email.txt",
    )
    url = f"/admin/sparring/outboundemail/{email.pk}/change/"
    page = client_for(coordinator).get(url)
    assert page.status_code == 200
    assert "Salasanan vaihto" in page.content.decode()
    assert "SALAINEN-LINKKI" not in page.content.decode()
    assert (
        client_for(coordinator)
        .post(f"/admin/sparring/outboundemail/{email.pk}/delete/", {"post": "yes"})
        .status_code
        == 403
    )
    superuser = User.objects.create_superuser("paakayttaja", "root@example.invalid", PASSWORD)
    assert "SALAINEN-LINKKI" in client_for(superuser).get(url).content.decode()


def test_a_coordinator_edits_their_own_account_and_keeps_their_flags(coordinator, client_for):
    client = client_for(coordinator)
    data = user_form(client, coordinator)
    data.update(email="kaisa@example.invalid", role="applicant", is_staff="")
    response = client.post(f"/admin/sparring/user/{coordinator.pk}/change/", data)
    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert coordinator.email == "kaisa@example.invalid"
    assert (coordinator.role, coordinator.is_staff) == ("coordinator", True)


def test_the_audit_trail_in_the_admin_lists_actions_by_label(
    submitted_case, coordinator, client_for
):
    client = in_language(client_for(coordinator), "fi")
    page = client.get("/admin/sparring/auditevent/?action=case_submitted")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hakemus lähetetty" in html
    assert "case_submitted</td>" not in html


def test_a_staff_page_edit_records_many_to_many_changes(consultant, coordinator, client_for):
    from sparring.models import Theme

    record = consultant.consultant
    themes_before = sorted(record.themes.values_list("pk", flat=True))
    keep = Theme.objects.order_by("pk").first()
    response = client_for(coordinator).post(
        f"/staff/programme/consultant/{record.pk}/change/",
        {
            "user": consultant.pk,
            "supplier": record.supplier_id,
            "active": "on",
            "works_remotely": "on",
            "themes": [keep.pk],
            "languages": ["fi", "sv"],
            "regions": [],
            "capacity_per_month": "4",
            "capacity_total": "40",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(record))
    assert event.data["changed"] == {"themes": [themes_before, [keep.pk]]}


def test_a_coordinator_cannot_delete_a_superuser_through_the_bulk_action(coordinator, client_for):
    admin_user = User.objects.create_superuser("paakayttaja", "root@example.invalid", PASSWORD)
    response = client_for(coordinator).post(
        "/admin/sparring/user/",
        {"action": "delete_selected", "_selected_action": [admin_user.pk], "post": "yes"},
    )
    assert response.status_code in (200, 403)
    assert User.objects.filter(pk=admin_user.pk).exists()
    assert not AuditEvent.objects.filter(action="record_deleted").exists()


def test_an_application_edit_records_old_and_new_values(draft_case, applicant):
    old_goal = draft_case.goal
    services.case_update(
        actor=applicant,
        case=draft_case,
        data={"goal": "Uusi tavoite", "requested_days": 1},
        version=draft_case.version,
    )
    event = AuditEvent.objects.filter(action="case_edited").latest("pk")
    assert event.data["changed"] == {
        "goal": [old_goal, "Uusi tavoite"],
        "requested_days": [2, 1],
    }
