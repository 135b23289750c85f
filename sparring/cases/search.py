"""Searching the cases: the one place that decides what a search word finds.

A search finds a case by its reference, organisation (Finnish or Swedish name),
unit, contact person, goal, development need and its report's texts.

- On PostgreSQL: full-text search with the Finnish configuration (stemming, so
  ``työnjako`` also finds ``työnjaon``; ``simple`` where the server lacks it) over
  the case's own texts, stored in a generated column ``search_fi`` with a GIN index
  (migration ``sparring 0022_search_columns``, which replaced 0017's expression
  indexes: a common word made PostgreSQL recompute the vector of every row); the
  report's texts likewise;
  the reference, names, unit and contact person also by plain substring, as before.
- Elsewhere (SQLite, the embedded default): every word must occur, case-insensitively,
  in one of those fields (no stemming).
"""

from functools import lru_cache, reduce
from operator import and_, or_

from django.db import connection
from django.db.models import Q, QuerySet

from sparring.models import Case, Organisation

#: The case's own fields in the search vector (the index's expression: keep in step).
CASE_FIELDS = ("reference", "unit", "contact_name", "goal", "development_need")
#: The report's texts.
REPORT_FIELDS = ("refined_goal", "implementation", "themes_covered", "results", "follow_up")
#: Found by substring too (a part of a reference, a name).
NAME_FIELDS = (
    "reference",
    "organisation__name_fi",
    "organisation__name_sv",
    "unit",
    "contact_name",
)
#: The PostgreSQL text search configuration the index is built with.
INDEX_CONFIG = "finnish"
#: At most this many words of a search are used.
MAX_WORDS = 12


@lru_cache(maxsize=1)
def search_config() -> str:
    """The PostgreSQL configuration to search with: Finnish where the server has it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [INDEX_CONFIG])
        return INDEX_CONFIG if cursor.fetchone() else "simple"


#: The stored vectors' column (migration ``sparring 0022_search_columns``; PostgreSQL
#: with the Finnish configuration only).
STORED_COLUMN = "search_fi"


@lru_cache(maxsize=1)
def has_stored_vectors() -> bool:
    """Whether the case and report tables carry the stored search vectors (0022)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns WHERE column_name = %s"
            " AND table_name IN ('sparring_case', 'sparring_report')",
            [STORED_COLUMN],
        )
        return cursor.fetchone()[0] == 2


def case_vector(config: str):
    """The search vector of the case's own texts (the GIN index's expression)."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*CASE_FIELDS, config=config)


def report_vector(config: str):
    """The search vector of the report's texts (its GIN index's expression)."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*REPORT_FIELDS, config=config)


def case_search(queryset: QuerySet, text: str, *, fallback: bool = False) -> QuerySet:
    """The cases of ``queryset`` that ``text`` finds (see the module's docstring).

    Args:
        text: what the person typed; blank finds everything; only the first
            ``MAX_WORDS`` words count.
        fallback: use the word search even on PostgreSQL (tests of the SQLite way).

    Returns:
        ``queryset`` filtered; still one query, no duplicate rows.
    """
    words = text.replace("\x00", " ").split()[:MAX_WORDS]  # PostgreSQL refuses NUL
    if not words:
        return queryset
    text = " ".join(words)
    if connection.vendor == "postgresql" and not fallback:
        return _postgresql_search(queryset, text)
    return queryset.filter(reduce(and_, (_word_anywhere(word) for word in words)))


def _word_anywhere(word: str) -> Q:
    fields = (
        *NAME_FIELDS,
        "goal",
        "development_need",
        *(f"report__{name}" for name in REPORT_FIELDS),
    )
    return reduce(or_, (Q(**{f"{field}__icontains": word}) for field in fields))


def _postgresql_search(queryset: QuerySet, text: str) -> QuerySet:
    # Each part is its own subquery, so that PostgreSQL reads the GIN indexes for the
    # texts (an OR across the joined names would make it compute every row's vector).
    from django.contrib.postgres.search import SearchQuery

    from sparring.reports.models import Report

    config = search_config()
    if has_stored_vectors():
        # the vectors stored by migration 0022 (read from their GIN indexes, never recomputed)
        where = [f"{STORED_COLUMN} @@ websearch_to_tsquery(%s::regconfig, %s)"]
        by_text = Case.objects.extra(where=where, params=[config, text]).values("pk")  # noqa: S610 (constant SQL, parameters bound)
        by_report = Report.objects.extra(where=where, params=[config, text]).values("case_id")  # noqa: S610
    else:
        query = SearchQuery(text, config=config, search_type="websearch")
        by_text = (
            Case.objects.alias(document=case_vector(config)).filter(document=query).values("pk")
        )
        by_report = (
            Report.objects.alias(document=report_vector(config))
            .filter(document=query)
            .values("case_id")
        )
    # The names: the case's own columns and the organisation's as subqueries too. An OR
    # across the join made PostgreSQL read the organisations once per case (12 s at
    # 100 000 cases; issue 17); as subqueries each is read once and hashed.
    own = [field for field in NAME_FIELDS if not field.startswith("organisation__")]
    by_own_name = Case.objects.filter(
        reduce(or_, (Q(**{f"{field}__icontains": text}) for field in own))
    ).values("pk")
    by_organisation = Organisation.objects.filter(
        reduce(
            or_,
            (
                Q(**{f"{field.removeprefix('organisation__')}__icontains": text})
                for field in NAME_FIELDS
                if field.startswith("organisation__")
            ),
        )
    ).values("pk")
    return queryset.filter(
        Q(pk__in=by_text)
        | Q(pk__in=by_report)
        | Q(pk__in=by_own_name)
        | Q(organisation__in=by_organisation)
    )
