"""Least privilege in the admin (issue 15 item 3): every admin write is audited, whoever
writes; only a superuser changes privileges (flags, groups, permissions), another
person's password or second factor. (The coordinator's side of the user form is tested
in test_audit_vocabulary.py.)"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory

from sparring.admin_audit import AuditedModelAdmin
from sparring.audit import subject_of
from sparring.models import AuditEvent, User
from tests.conftest import make_user
from tests.unit.test_audit_vocabulary import user_form


@pytest.fixture
def superuser(db) -> User:
    user = make_user(User.Role.COORDINATOR, "paa.kayttaja")
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    user.refresh_from_db()
    return user


def test_every_admin_is_audited_or_read_only(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        writable = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
        assert not writable or isinstance(model_admin, AuditedModelAdmin), model._meta.label


@pytest.mark.django_db
def test_a_superusers_change_of_a_groups_permissions_is_audited(superuser, client_for):
    group = Group.objects.create(name="Tukitiimi")
    permission = Permission.objects.get(codename="change_user")
    client = client_for(superuser)
    response = client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Tukitiimi", "permissions": [permission.pk]},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(group))
    assert event.actor == superuser
    assert event.data["changed"]["permissions"] == [[], [permission.pk]]


@pytest.mark.django_db
def test_a_coordinator_cannot_open_groups_or_workflow_records_in_the_admin(coordinator, client_for):
    client = client_for(coordinator)
    assert client.get("/admin/auth/group/add/").status_code == 403
    assert client.post("/admin/auth/group/add/", {"name": "x"}).status_code == 403
    assert not Group.objects.exists()
    assert client.get("/admin/viewflow/process/").status_code == 403


@pytest.mark.django_db
def test_a_superuser_making_someone_staff_is_audited_with_old_and_new(
    superuser, steering, client_for
):
    client = client_for(superuser)
    data = user_form(client, steering)
    data["is_staff"] = "on"
    response = client.post(f"/admin/sparring/user/{steering.pk}/change/", data)
    assert response.status_code == 302
    steering.refresh_from_db()
    assert steering.is_staff
    event = AuditEvent.objects.get(action="record_changed", subject=subject_of(steering))
    assert event.data["changed"]["is_staff"] == [False, True]


@pytest.mark.django_db
def test_a_superuser_setting_another_persons_password_is_audited(superuser, steering, client_for):
    client = client_for(superuser)
    new = "Uusi-salasana-2026"
    response = client.post(
        f"/admin/sparring/user/{steering.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    steering.refresh_from_db()
    assert steering.check_password(new)
    assert AuditEvent.objects.filter(
        action="user_password_set", actor=superuser, subject=subject_of(steering)
    ).exists()


@pytest.mark.django_db
def test_a_coordinator_cannot_set_another_coordinators_password_or_flags(coordinator, client_for):
    other = make_user(User.Role.COORDINATOR, "toinen.koordinaattori")
    client = client_for(coordinator)
    new = "Uusi-salasana-2026"
    response = client.post(
        f"/admin/sparring/user/{other.pk}/password/", {"password1": new, "password2": new}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/sparring/user/{other.pk}/change/", {}).status_code == 403
    other.refresh_from_db()
    assert not other.check_password(new)
