"""`make run` loads the demo logins; running it twice changes nothing."""

import pytest
from django.core.management import call_command

from sparring.models import AuditEvent, Organisation, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_a_login_per_role(settings, tmp_path, capsys):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path

    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert first == second
    assert User.objects.count() == 6
    assert Organisation.objects.count() == 2
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {"applicant", "coordinator", "consultant", "steering"}
    organisations = set(
        User.objects.filter(role="applicant").values_list("organisation", flat=True)
    )
    assert len(organisations) == 2
    suppliers = set(
        User.objects.filter(role="consultant").values_list("consultant__supplier", flat=True)
    )
    assert len(suppliers) == 2
    for user in User.objects.all():
        assert user.username in first
    password = first.split("koordinaattori")[1].split()[0]
    assert User.objects.get(username="koordinaattori").check_password(password)
    assert AuditEvent.objects.filter(action="user_created").count() == 6


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(Exception, match="--force"):
        call_command("seed_demo")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_seed_demo_opens_a_current_call_beside_a_closed_one(settings, tmp_path, reference_data):
    """After seed_programme the only call is 2021-2022's, closed: seed_demo adds an open one,
    a request for access and work waiting for the coordinator and each consultant."""
    from datetime import datetime

    from procurement.models import Offer
    from sparring.accounts.models import AccessRequest
    from sparring.cases import selectors
    from sparring.models import Call, Case
    from sparring.workdays import HELSINKI

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    Call.objects.create(
        title="Sparrausten haku 2021–2022",
        opens_at=datetime(2021, 8, 16, tzinfo=HELSINKI),
        closes_at=datetime(2022, 6, 30, tzinfo=HELSINKI),
        delivery_starts=datetime(2021, 9, 1).date(),
        delivery_ends=datetime(2022, 12, 15).date(),
        day_budget=130,
    )
    call_command("seed_demo")
    call_command("seed_demo")  # twice: nothing more
    open_calls = list(selectors.open_calls())
    assert len(open_calls) == 1
    call = open_calls[0]
    assert call.title_sv and call.description_sv and call.agreement is not None
    assert AccessRequest.objects.filter(status="pending", name_sv="Raseborgs stad").count() == 1
    assert Case.objects.filter(call=call, status="submitted").count() == 1
    offered_to = set(
        Offer.objects.filter(status="offered").values_list("consultant__user__username", flat=True)
    )
    assert offered_to == {"konsultti.kehittajat", "konsultti.valmennus"}
    assert Case.objects.count() == 3


@pytest.mark.django_db
def test_the_demo_coordinator_logs_in_with_the_printed_second_factor(
    settings, tmp_path, capsys, client
):
    """A stranger trying the demo gets the coordinator's authenticator key (issue 15)."""
    from sparring.accounts import twofactor

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = out.split("koordinaattori")[1].split()[0]
    key = out.split("add the key ")[1].split("\n")[0].replace(" ", "")
    client.post("/accounts/login/", {"username": "koordinaattori", "password": password})
    response = client.post("/accounts/second-factor/", {"code": twofactor.current_code(key)})
    assert response.status_code == 302
    call_command("demo_code", "koordinaattori")
    assert capsys.readouterr().out.strip().isdigit()
