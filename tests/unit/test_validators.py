"""Business IDs (Y-tunnus) are checked by their check digit."""

import pytest
from django.core.exceptions import ValidationError

from sparring.accounts.services import organisation_create
from sparring.models import Organisation
from sparring.validators import normalise_business_id, validate_business_id


@pytest.mark.parametrize("value", ["0201256-6", "0211675-2", "0101263-6"])
def test_real_business_ids_are_accepted(value):
    validate_business_id(value)


@pytest.mark.parametrize("value", ["0201256-7", "1234567", "abcdefg-h", "", "02012566-6"])
def test_wrong_check_digit_or_form_is_rejected_with_a_message(value):
    with pytest.raises(ValidationError) as error:
        validate_business_id(value)
    assert "1234567-8" in str(error.value)


def test_normalise_adds_the_dash():
    assert normalise_business_id("02012566") == "0201256-6"


@pytest.mark.django_db
def test_an_organisation_with_a_bad_business_id_is_not_saved():
    with pytest.raises(ValidationError):
        organisation_create(
            actor=None,
            name_fi="Virhekunta",
            business_id="0201256-7",
            kind=Organisation.Kind.MUNICIPALITY,
        )
    assert Organisation.objects.count() == 0
