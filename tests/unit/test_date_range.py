"""Every date anyone enters lies in 2000–2100, with a form error outside it, never a 500
(issue 15, item 7). One validator (``sparring.validators.validate_date_in_range``),
carried by the model fields (forms, admin, /staff/, API) and the plain forms' fields."""

import importlib
import pkgutil
from datetime import date, datetime

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.test import RequestFactory

from procurement.models import FrameworkAgreement
from sparring import validators
from sparring.models import Call
from tests.unit.cases.test_calls import call_form
from tests.unit.procurement.test_procurement_ui import agreement_data, form_errors, staff_url

PRODUCT_PACKAGES = ("sparring", "procurement", "workflow")
DJANGO_USER_DATES = {"last_login", "date_joined"}


@pytest.mark.parametrize(
    "value",
    [date(2000, 1, 1), date(2100, 12, 31), datetime(2026, 3, 5, 12, 0), None],
)
def test_dates_in_the_range_pass(value):
    validators.validate_date_in_range(value)


@pytest.mark.parametrize(
    "value", [date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1), datetime(9999, 12, 31, 23, 59)]
)
def test_dates_outside_the_range_are_refused(value):
    with pytest.raises(ValidationError) as error:
        validators.validate_date_in_range(value)
    assert error.value.code == "date_range"


@pytest.mark.parametrize(
    ("text", "month"),
    [("2026-03", date(2026, 3, 1)), ("0000-01", None), ("9999-12", None), ("2026-13", None)],
)
def test_parse_month(text, month):
    assert validators.parse_month(text) == month


# ------------------------------------------------------------------------------
# The reported cases
# ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"opens_at": "0001-01-01T00:00"},
        {"opens_at": "0001-01-01 00:00"},
        {"closes_at": "9999-12-31T23:59"},
        {"delivery_starts": "0001-01-01"},
        {"delivery_ends": "31.12.9999"},
    ],
)
def test_the_call_form_refuses_a_date_out_of_range_with_a_form_error(
    coordinator, reference_data, client_for, overrides
):
    client = client_for(coordinator)
    client.raise_request_exception = False
    response = client.post("/coordinator/calls/new/", call_form(**overrides))
    assert response.status_code == 400
    assert set(response.context["form"].errors) & set(overrides)
    assert "2000" in response.content.decode()  # the message names the range
    assert not Call.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [{"valid_from": "31.12.9999"}, {"valid_from": "9999-12-31"}, {"valid_until": "0001-01-01"}],
)
def test_the_staff_agreement_form_refuses_a_date_out_of_range(coordinator, client_for, overrides):
    client = client_for(coordinator)
    client.raise_request_exception = False
    response = client.post(staff_url("frameworkagreement", "add"), agreement_data(**overrides))
    assert response.status_code == 200
    assert set(form_errors(response)) & set(overrides)
    assert not FrameworkAgreement.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12", "2026-13", "x"])
def test_a_month_out_of_range_is_no_error(month, coordinator, agreement, client_for):
    client = client_for(coordinator)
    client.raise_request_exception = False
    assert client.get("/procurement/invoicing/", {"month": month}).status_code == 200
    api = client.get("/api/v1/invoicing/", {"month": month})
    assert api.status_code in (200, 400)


@pytest.mark.django_db
def test_the_statistics_filter_refuses_year_one(steering, client_for):
    response = client_for(steering).get("/statistics/", {"start": "0001-01-01"})
    assert response.status_code == 200
    assert "start" in response.context["form"].errors


# ------------------------------------------------------------------------------
# The whole kind: every date field of every model, form and admin
# ------------------------------------------------------------------------------


def _product_modules():
    for package_name in PRODUCT_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in info.name or ".management" in info.name or ".demo" in info.name:
                continue
            importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_product_model_date_is_ranged():
    for model in apps.get_models():
        if not model.__module__.startswith(PRODUCT_PACKAGES):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.DateField) and field.editable:
                if not field.model.__module__.startswith(PRODUCT_PACKAGES):
                    continue  # viewflow's process and task (no form edits them)
                if field.name in DJANGO_USER_DATES and issubclass(model, AbstractBaseUser):
                    continue  # Django's own; only the admin edits them (checked below)
                assert validators.validate_date_in_range in field.validators, (model, field.name)
                formfield = field.formfield()
                assert validators.validate_date_in_range in formfield.validators


def test_every_date_field_of_every_product_form_is_ranged():
    _product_modules()
    checked = 0
    for form_class in set(_subclasses(forms.BaseForm)):
        if not form_class.__module__.startswith(PRODUCT_PACKAGES):
            continue
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField):
                assert validators.validate_date_in_range in field.validators, (form_class, name)
                checked += 1
    assert checked >= 5


@pytest.mark.django_db
def test_every_date_field_in_the_admin_is_ranged(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith(PRODUCT_PACKAGES):
            continue
        form = model_admin.get_form(request, obj=model())  # the change form
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField):
                assert validators.validate_date_in_range in field.validators, (model, name)
                checked += 1
    assert checked >= 1
