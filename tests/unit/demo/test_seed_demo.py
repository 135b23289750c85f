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
