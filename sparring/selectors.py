"""Reads with more than a trivial query."""

from typing import Any

from django.db.models import Count, Q

from procurement.models import Consultant, Supplier

from .models import Organisation


def programme_overview() -> dict[str, Any]:
    """Counts of the programme's records, in one query per table, never stored."""
    suppliers = Supplier.objects.aggregate(
        suppliers=Count("pk", filter=Q(active=True)),
    )
    consultants = Consultant.objects.aggregate(
        consultants=Count("pk", filter=Q(active=True, supplier__active=True)),
    )
    organisations = Organisation.objects.aggregate(organisations=Count("pk"))
    return {**organisations, **suppliers, **consultants}
