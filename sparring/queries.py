"""Query helpers shared by the selectors of every app (no app's models: any module may
import this one without an import cycle)."""

from django.db.models import F, Q


def pk_among(ids, field: str = "pk") -> Q:
    """A filter for the rows whose pk (or ``field``) is one of ``ids`` (a sliced
    ``values("pk")`` queryset of the same table; for ``field``, of the table it refers
    to, e.g. ``case_id`` and cases).

    On PostgreSQL ``pk = ANY(ARRAY(ids))``: the ids are read once first (an InitPlan) and
    the rows looked up by their primary key. ``pk IN (ids)`` let the planner join the
    whole list before limiting it (0.9 s at 100 000 cases instead of 25 ms, issue 17).
    SQLite: ``IN``, which it runs in that order anyway.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": ids})
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import BooleanField, Func

    class EqualsAny(Func):  # "<pk> = ANY(ARRAY(<ids>))"
        arity = 2
        arg_joiner = " = ANY("
        template = "%(expressions)s)"
        output_field = BooleanField()

    return Q(EqualsAny(F(field), ArraySubquery(ids)))


class SlicedLikeAQueryset:
    """The protocol a list read a page at a time gives ``Paginator`` and the home boxes:
    ``count()`` (one query, remembered), ``len()`` and slicing as a queryset slices (an
    index reads a one-row slice; an empty slice runs no query and gives ``[]``).

    Subclasses give ``_count_rows()`` (the number of rows) and ``_rows(index)`` (the rows
    of a non-empty ``slice``).

    Args:
        count: the number of rows when the caller already knows it (no COUNT query).
    """

    def __init__(self, count: int | None = None):
        self._count = count

    def _count_rows(self) -> int:
        raise NotImplementedError

    def _rows(self, index: slice) -> list:
        raise NotImplementedError

    def count(self) -> int:
        """How many rows the list has (read once, then remembered)."""
        if self._count is None:
            self._count = self._count_rows()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if index.stop is not None and index.stop <= (index.start or 0):
            return []  # as a queryset's empty slice: no query
        return self._rows(index)


def update_then_insert(rows, values: dict, new) -> int:
    """UPDATE ``rows`` with ``values`` and, only if a row changed, INSERT ``new`` (an unsaved
    instance; its primary key and database are set as ``save`` sets them).

    On PostgreSQL one statement, a data-modifying WITH (issue 17: the case's compare-and-set
    and its audit row were two round-trips)::

        WITH moved AS (UPDATE … RETURNING 1)
        INSERT INTO … (…) SELECT CAST(%s AS …), … FROM moved RETURNING …

    so a refused UPDATE inserts nothing. The UPDATE is the one ``QuerySet.update`` sends
    and the row's values are prepared as ``Model.save`` prepares them (Django's own
    compilers); each is cast to its column's type, as the SELECT list does not take the
    column's type as ``VALUES`` does (text without its length: an over-long value is
    refused by the column, as on an INSERT, not cut). Elsewhere (SQLite has no
    data-modifying WITH) the same as ``rows.update(**values)`` then ``new.save()``.

    Args:
        rows: the rows to update; at most one (filter by the primary key).
        values: the columns to set, as for ``QuerySet.update`` (``F`` expressions too).
        new: the row to insert when the update changed a row; a model without parents
            (multi-table inheritance) or save signals of its own.

    Returns:
        The number of rows updated (0 or 1); ``new`` is saved when it is 1.
    """
    from django.db import connections, router, transaction
    from django.db.models import CharField, TextField
    from django.db.models.sql import InsertQuery, UpdateQuery

    using = router.db_for_write(rows.model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        updated = rows.using(using).update(**values)
        if updated:
            new.save(force_insert=True, using=using)
        return updated

    update = rows.query.chain(UpdateQuery)
    update.add_update_values(values)
    update.annotations = {}
    update_sql, update_params = update.get_compiler(using).as_sql()

    opts = new._meta
    new._prepare_related_fields_for_save(operation_name="save")
    pk_set = new._is_pk_set()
    fields = [
        f
        for f in opts.local_concrete_fields
        if not f.generated and (pk_set or f is not opts.auto_field)
    ]
    insert = InsertQuery(type(new))
    insert.insert_values(fields, [new])
    compiler = insert.get_compiler(using)
    row = [compiler.prepare_value(f, compiler.pre_save_val(f, new)) for f in fields]
    placeholders, params = compiler.assemble_as_sql(fields, [row])
    quote = connection.ops.quote_name
    table = quote(opts.db_table)

    def cast(field) -> str:
        if isinstance(field, CharField | TextField):
            return "text"
        return field.cast_db_type(connection)

    columns = ", ".join(quote(f.column) for f in fields)
    selected = ", ".join(
        f"CAST({placeholder} AS {cast(field)})"
        for placeholder, field in zip(placeholders[0], fields, strict=True)
    )
    returning = opts.db_returning_fields
    returned = ", ".join(f"{table}.{quote(f.column)}" for f in returning)
    sql = (
        f"WITH moved AS ({update_sql} RETURNING 1) "  # noqa: S608 (Django's SQL and the model's names)
        f"INSERT INTO {table} ({columns}) SELECT {selected} FROM moved RETURNING {returned}"
    )
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, (*update_params, *params[0]))
        result = cursor.fetchone()
    if result is None:
        return 0
    for value, field in zip(result, returning, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        setattr(new, field.attname, value)
    new._state.adding = False
    new._state.db = using
    return 1
