"""Writes of the framework agreement. Each is atomic and leaves an audit record."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from sparring.audit import audit_record, field_changes

from .models import Consultant, FrameworkAgreement, Supplier, Unavailability


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
    name_sv: str = "",
) -> Supplier:
    """Register a supplier of the framework agreement (``name_sv``: its Swedish name, if any)."""
    supplier = Supplier(
        name_sv=name_sv,
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


# ------------------------------------------------------------------------------
# The consultant's own profile and unavailable periods
# ------------------------------------------------------------------------------


def qualification_errors(
    *,
    languages,
    regions,
    works_remotely: bool,
    capacity_per_month: int | None,
    capacity_total: int | None,
) -> dict[str, str]:
    """What is wrong with what a consultant can be called off for, by field (empty: nothing)."""
    from django.utils.translation import gettext as _

    errors: dict[str, str] = {}
    if not languages:
        errors["languages"] = _("Choose at least one language.")
    if not regions and not works_remotely:
        errors["regions"] = _("Choose the regions served, or tick works remotely.")
    if capacity_per_month is not None and capacity_per_month < 1:
        errors["capacity_per_month"] = _("The capacity must be at least one day a month.")
    elif (
        capacity_per_month is not None
        and capacity_total is not None
        and capacity_total < capacity_per_month
    ):
        errors["capacity_per_month"] = _(
            "The capacity per month cannot exceed the capacity over the agreement (%(total)s days)."
        ) % {"total": capacity_total}
    return errors


def _check_own(actor: Any | None, consultant: Consultant) -> None:
    """A consultant changes only their own rows; coordinators (and the system) any."""
    from django.core.exceptions import PermissionDenied

    from sparring import access

    if actor is None or actor.pk == consultant.user_id or access.is_coordinator(actor):
        return
    raise PermissionDenied


@transaction.atomic
def consultant_profile_update(
    *,
    actor: Any | None,
    consultant: Consultant,
    themes,
    languages,
    regions,
    works_remotely: bool,
    capacity_per_month: int,
) -> Consultant:
    """The consultant updates their expertise, languages, regions and monthly capacity."""
    from django.core.exceptions import ValidationError

    _check_own(actor, consultant)
    consultant = Consultant.objects.select_for_update().get(pk=consultant.pk)
    errors = qualification_errors(
        languages=languages,
        regions=regions,
        works_remotely=works_remotely,
        capacity_per_month=capacity_per_month,
        capacity_total=consultant.capacity_total,
    )
    if errors:
        raise ValidationError(errors)
    before = {
        "themes": sorted(consultant.themes.values_list("pk", flat=True)),
        "languages": list(consultant.languages),
        "regions": list(consultant.regions),
        "works_remotely": consultant.works_remotely,
        "capacity_per_month": consultant.capacity_per_month,
    }
    consultant.languages = list(languages)
    consultant.regions = list(regions)
    consultant.works_remotely = works_remotely
    consultant.capacity_per_month = capacity_per_month
    consultant.full_clean()
    consultant.save(update_fields=["languages", "regions", "works_remotely", "capacity_per_month"])
    consultant.themes.set(themes)
    after = {
        "themes": sorted(consultant.themes.values_list("pk", flat=True)),
        "languages": consultant.languages,
        "regions": consultant.regions,
        "works_remotely": consultant.works_remotely,
        "capacity_per_month": consultant.capacity_per_month,
    }
    audit_record(
        actor=actor,
        action="consultant_profile_updated",
        subject=consultant,
        data={"changed": field_changes(before, after)},
    )
    return consultant


@transaction.atomic
def unavailability_add(
    *, actor: Any | None, consultant: Consultant, starts, ends, note: str = ""
) -> Unavailability:
    """Record a period when the consultant takes no sparring days."""
    _check_own(actor, consultant)
    period = Unavailability(consultant=consultant, starts=starts, ends=ends, note=note)
    period.full_clean()
    period.save()
    audit_record(
        actor=actor,
        action="unavailability_added",
        subject=period,
        data={"consultant": consultant.pk, "starts": str(starts), "ends": str(ends)},
    )
    return period


@transaction.atomic
def unavailability_remove(
    *, actor: Any | None, consultant: Consultant, period: Unavailability
) -> None:
    """Remove one of the consultant's own unavailable periods."""
    _check_own(actor, consultant)
    if period.consultant_id != consultant.pk:
        raise Unavailability.DoesNotExist("The period is not this consultant's.")
    audit_record(
        actor=actor,
        action="unavailability_removed",
        subject=period,
        data={
            "consultant": consultant.pk,
            "starts": str(period.starts),
            "ends": str(period.ends),
        },
    )
    period.delete()
