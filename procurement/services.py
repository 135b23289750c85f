"""Writes of the framework agreement. Each is atomic and leaves an audit record."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from sparring.audit import audit_record

from .models import Consultant, FrameworkAgreement, Supplier


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
    agreement: FrameworkAgreement | None = None,
    planned_share: int = 1,
) -> Supplier:
    supplier = Supplier(
        agreement=agreement,
        planned_share=planned_share,
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
def consultant_create(
    *,
    actor: Any | None,
    user: Any,
    supplier: Supplier,
    themes=(),
    languages=("fi",),
    regions=(),
    works_remotely: bool = False,
    capacity_per_month: int = 4,
    capacity_total: int = 40,
) -> Consultant:
    """Register a consultant of a supplier with what they can be called off for."""
    consultant = Consultant(
        user=user,
        supplier=supplier,
        languages=list(languages),
        regions=list(regions),
        works_remotely=works_remotely,
        capacity_per_month=capacity_per_month,
        capacity_total=capacity_total,
    )
    consultant.full_clean()
    consultant.save()
    consultant.themes.set(themes)
    audit_record(actor=actor, action="consultant_created", subject=consultant)
    return consultant


@transaction.atomic
def agreement_create(*, actor: Any | None, **fields) -> FrameworkAgreement:
    """Register a framework agreement (at most four years long)."""
    agreement = FrameworkAgreement(**fields)
    agreement.full_clean()
    agreement.save()
    audit_record(actor=actor, action="agreement_created", subject=agreement)
    return agreement
