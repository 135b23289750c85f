"""Writes of the framework agreement. Each is atomic and leaves an audit record."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from sparring.audit import audit_record

from .models import Consultant, Supplier


@transaction.atomic
def supplier_create(
    *,
    actor: Any | None,
    name: str,
    business_id: str,
    ranking_position: int,
    day_price: Decimal,
    contact_name: str = "",
    contact_email: str = "",
) -> Supplier:
    supplier = Supplier(
        name=name,
        business_id=business_id,
        ranking_position=ranking_position,
        day_price=day_price,
        contact_name=contact_name,
        contact_email=contact_email,
    )
    supplier.full_clean()
    supplier.save()
    audit_record(actor=actor, action="supplier_created", subject=supplier)
    return supplier


@transaction.atomic
def consultant_create(*, actor: Any | None, user: Any, supplier: Supplier) -> Consultant:
    consultant = Consultant(user=user, supplier=supplier)
    consultant.full_clean()
    consultant.save()
    audit_record(actor=actor, action="consultant_created", subject=consultant)
    return consultant
