"""People and organisations: creating them, atomically and audited."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from sparring.audit import audit_record
from sparring.models import Organisation, User


@transaction.atomic
def user_create(
    *,
    actor: Any | None,
    username: str,
    email: str,
    role: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    organisation: Organisation | None = None,
    language: str = "fi",
) -> User:
    """Create a person with a role; coordinators also get the Django admin."""
    user = get_user_model()(
        username=username,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        organisation=organisation,
        language=language,
        is_staff=role == User.Role.COORDINATOR,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_record(actor=actor, action="user_created", subject=user, data={"role": role})
    return user


@transaction.atomic
def organisation_create(
    *,
    actor: Any | None,
    name_fi: str,
    business_id: str,
    kind: str,
    name_sv: str = "",
    municipality_code: str = "",
    region: str = "",
) -> Organisation:
    """Register an organisation after validating its Business ID."""
    organisation = Organisation(
        region=region,
        name_fi=name_fi,
        name_sv=name_sv,
        business_id=business_id,
        kind=kind,
        municipality_code=municipality_code,
    )
    organisation.full_clean()
    organisation.save()
    audit_record(actor=actor, action="organisation_created", subject=organisation)
    return organisation
