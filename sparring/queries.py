"""Query helpers shared by the selectors of every app (no app's models: any module may
import this one without an import cycle)."""

from django.db.models import F, Q


def pk_among(ids) -> Q:
    """A filter for the rows whose pk is one of ``ids`` (a sliced ``values("pk")``
    queryset of the same table).

    On PostgreSQL ``pk = ANY(ARRAY(ids))``: the ids are read once first (an InitPlan) and
    the rows looked up by their primary key. ``pk IN (ids)`` let the planner join the
    whole list before limiting it (0.9 s at 100 000 cases instead of 25 ms, issue 17).
    SQLite: ``IN``, which it runs in that order anyway.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import BooleanField, Func

    class EqualsAny(Func):  # "<pk> = ANY(ARRAY(<ids>))"
        arity = 2
        arg_joiner = " = ANY("
        template = "%(expressions)s)"
        output_field = BooleanField()

    return Q(EqualsAny(F("pk"), ArraySubquery(ids)))
