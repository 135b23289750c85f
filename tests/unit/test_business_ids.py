"""Business IDs in everyday spellings are stored as 1234567-8; a duplicate in any spelling is
refused naming the record that has it (issue 18, item 4)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from procurement.models import Supplier
from procurement.services import supplier_create
from sparring.accounts.services import organisation_create
from sparring.models import Organisation
from sparring.validators import BusinessIdFormField, normalise_business_id

SPELLINGS = [
    ("01012636", "0101263-6"),  # the field report: no dash
    ("0124610 9", "0124610-9"),  # the field report: a space for the dash
    ("  0101263-6  ", "0101263-6"),
    ("0101263 - 6", "0101263-6"),
    ("fi01012636", "0101263-6"),  # the VAT number, lower case
    ("FI 0101263-6", "0101263-6"),
    ("0101263\u20136", "0101263-6"),  # an en dash, pasted from a word processor
    ("0101263\u00a06", "0101263-6"),  # a non-breaking space
    ("1012636", "0101263-6"),  # a spreadsheet dropped the leading zero
    ("101263-6", "0101263-6"),
]


@pytest.mark.parametrize(("typed", "stored"), SPELLINGS)
def test_everyday_spellings_normalise_to_the_canonical_form(typed, stored):
    assert normalise_business_id(typed) == stored
    assert BusinessIdFormField().clean(typed) == stored


@pytest.mark.parametrize("typed", ["0101263-7", "123", "01012636x", "1234567"])
def test_a_wrong_business_id_is_refused_not_normalised(typed):
    assert normalise_business_id(typed) == typed.strip()
    with pytest.raises(ValidationError):
        BusinessIdFormField().clean(typed)


def organisation(business_id, name="Uusi kunta"):
    return organisation_create(
        actor=None, name_fi=name, business_id=business_id, kind=Organisation.Kind.MUNICIPALITY
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "stored"), [("0124610 9", "0124610-9"), ("fi 01246109", "0124610-9")]
)
def test_an_organisation_is_stored_with_the_canonical_business_id(typed, stored):
    assert organisation(typed).business_id == stored
    assert Organisation.objects.get(business_id=stored).name_fi == "Uusi kunta"
    # a lookup in another spelling finds it too
    assert Organisation.objects.filter(business_id="01246109").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["01012636", "0101263 6", "FI01012636", "1012636"])
def test_a_second_organisation_with_the_same_business_id_is_refused_naming_the_first(
    other_organisation, typed
):
    with translation.override("fi"), pytest.raises(ValidationError) as error:
        organisation(typed, name="Espoo uudestaan")
    assert "Espoon kaupunki" in str(error.value.message_dict["business_id"])
    assert Organisation.objects.filter(business_id="0101263-6").count() == 1


@pytest.mark.django_db
def test_a_second_supplier_with_the_same_business_id_is_refused_naming_the_first(
    supplier, agreement
):
    with translation.override("fi"), pytest.raises(ValidationError) as error:
        supplier_create(
            actor=None,
            name="Kopio Oy",
            business_id="1234567 1",
            ranking_position=9,
            day_price="1000",
            agreement=agreement,
        )
    assert "Kehittäjäkumppanit Oy" in str(error.value.message_dict["business_id"])
    created = supplier_create(
        actor=None, name="Uusi Oy", business_id="fi76543212", ranking_position=8, day_price="900"
    )
    assert created.business_id == "7654321-2"


@pytest.mark.django_db
def test_the_staff_pages_normalise_and_name_the_duplicate(
    other_organisation, supplier, coordinator, client_for
):
    client = client_for(coordinator)
    data = {"name_fi": "Espoo taas", "business_id": "FI 0101263 - 6", "kind": "municipality"}
    page = client.post("/staff/programme/organisation/add/", data)
    assert page.status_code == 200 and "Espoon kaupunki" in page.content.decode()

    data = {"name_fi": "Uusikunta", "business_id": "0124610 9", "kind": "municipality"}
    assert client.post("/staff/programme/organisation/add/", data).status_code == 302
    assert Organisation.objects.filter(business_id="0124610-9", name_fi="Uusikunta").exists()

    data = {
        "name": "Kopio Oy",
        "business_id": "12345671",
        "ranking_position": 5,
        "day_price": "1000",
        "planned_share": 1,
        "active": "on",
    }
    page = client.post("/staff/programme/supplier/add/", data)
    assert page.status_code == 200 and "Kehittäjäkumppanit Oy" in page.content.decode()
    assert Supplier.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_rewrites_stored_spellings_unless_the_canonical_one_exists():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("sparring", "0015_outbox_backoff")]
    after = [("sparring", "0016_business_id_field")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("sparring", "Organisation")
    old.objects.create(name_fi="Välilyönti", business_id="0124610 9", kind="municipality")
    old.objects.create(name_fi="Espoo", business_id="0101263-6", kind="municipality")
    old.objects.create(name_fi="Espoo kopio", business_id="01012636", kind="municipality")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("sparring", "Organisation")
    stored = dict(new.objects.values_list("name_fi", "business_id"))
    assert stored == {
        "Välilyönti": "0124610-9",
        "Espoo": "0101263-6",
        "Espoo kopio": "01012636",  # left for a person to merge with Espoo
    }
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["01012636", "fi0101263-6", "0101263", "1263-6"])
def test_the_staff_list_finds_a_business_id_in_any_spelling(
    other_organisation, organisation, coordinator, client_for, typed
):
    page = client_for(coordinator).get("/staff/programme/organisation/", {"_search": typed})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Espoon kaupunki" in html and "Tampereen kaupunki" not in html
