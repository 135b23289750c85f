"""Searching the cases: the one place that decides what a search word finds.

A search finds a case by its reference, organisation (Finnish or Swedish name),
unit, contact person, goal, development need and its report's texts.

- On PostgreSQL: full-text search with the Finnish configuration (``simple`` where
  the server lacks it) over
  the case's own texts, stored in a generated column ``search_fi`` with a GIN index
  (migration ``sparring 0022_search_columns``, which replaced 0017's expression
  indexes: a common word made PostgreSQL recompute the vector of every row); the
  report's texts likewise;
  the reference, names, unit and contact person also by plain substring, as before.
- What a word finds on PostgreSQL (``text_query_sql``): each word is stemmed and then
  matched as a prefix of the stems in the texts (a stem of under four letters whole),
  its stem shortened by two letters when it has six or more. Finnish consonant gradation changes a stem's last letters
  (``työnjako`` gives ``työnj`` but ``työnjaosta`` ``työnjao``; ``kotihoito`` gives
  ``kotihoito`` but ``kotihoidossa`` ``kotihoido``), so the stem alone made a base form
  miss its inflected forms (a stranger's test at 100 000 cases: "Kotihoito työnjako"
  found 0 of 3 501 cases). A search with quotes, ``or`` or ``-word`` keeps PostgreSQL's
  web-search syntax (phrases, alternatives, exclusions) on the plain stems.
- Elsewhere (SQLite, the embedded default): every word must occur, case-insensitively,
  in one of those fields (no stemming).

``case_search`` filters a queryset (the exports read every match); ``search_parts``
gives the same matches as parts whose union they are, for the case list, which reads
one page of them (issue 17): each part is the queryset filtered by one condition on the
case's own row, so PostgreSQL can read a part either newest first and stop at the
page's end (a common word) or from the part's index (a rare one: the GIN index of the
stored vectors, the trigram indexes of the names of migration
``sparring 0025_case_list_indexes``). ``tests/unit/cases/test_case_list_paging.py``
checks that both find the same cases.
"""

import re
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
#: A stem of this many letters or more is matched without its last ``STEM_SLACK``.
STEM_SHORTENED_FROM = 6
STEM_SLACK = 2
#: A stem shorter than this is matched whole, not as a prefix ("a" would find every "a…").
PREFIX_FROM = 4

#: The search's words as one prefix query (see the module's docstring): the words'
#: stems (``to_tsvector`` with the configuration; stop words dropped), each shortened
#: when alphabetic and long, quoted for ``to_tsquery`` (a quote doubled, a backslash
#: escaped) and marked as a prefix unless shorter than ``PREFIX_FROM``, all joined by
#: AND and read with the ``simple`` configuration so the shortened stems are not
#: stemmed again. One value computed once per query (an InitPlan), so PostgreSQL still
#: reads the GIN index.
_PREFIX_QUERY = (
    "(SELECT to_tsquery('simple', coalesce(string_agg("
    "chr(39) || replace(replace("
    "CASE WHEN lexeme ~ '^[[:alpha:]]+$' AND length(lexeme) >= %s"
    " THEN left(lexeme, length(lexeme) - %s) ELSE lexeme END,"
    " chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39)"
    " || CASE WHEN length(lexeme) >= %s THEN ':*' ELSE '' END,"
    " ' & '), ''))"
    " FROM unnest(to_tsvector(%s::regconfig, %s)))"
)


@lru_cache(maxsize=1)
def search_config() -> str:
    """The PostgreSQL configuration to search with: Finnish where the server has it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [INDEX_CONFIG])
        return INDEX_CONFIG if cursor.fetchone() else "simple"


def uses_web_search_syntax(text: str) -> bool:
    """Whether ``text`` asks for PostgreSQL's web-search syntax: a phrase in quotes, an
    alternative (``or``) or an exclusion (``-word``)."""
    return '"' in text or any(w.lower() == "or" or w.startswith("-") for w in text.split())


def text_query_sql(text: str) -> tuple[str, list]:
    """The ``tsquery`` of a search on PostgreSQL, as SQL and its parameters.

    Args:
        text: the search's words (already cut to ``MAX_WORDS``, no NUL).

    Returns:
        ``(sql, params)``: the words' stems as prefixes, shortened against Finnish
        consonant gradation (see the module's docstring), every word required; or
        ``websearch_to_tsquery`` when ``uses_web_search_syntax``. Stop words alone give
        an empty query, which finds nothing (as ``websearch_to_tsquery``'s does).
    """
    if uses_web_search_syntax(text):
        return "websearch_to_tsquery(%s::regconfig, %s)", [search_config(), text]
    return "%s::tsquery", [prefix_query(search_config(), text)]


@lru_cache(maxsize=1024)
def prefix_query(config: str, text: str) -> str:
    """The prefix ``tsquery`` of ``text``'s words as text (``_PREFIX_QUERY``): one query
    the first time a process sees ``text``, none after (the stemmer does not change).

    Handed to the search as a constant, not as a subquery: PostgreSQL estimates how many
    cases a constant query matches and reads a common word's matches newest first up to
    the page's end; a subquery's value it cannot estimate, and it sorted all 24 894 cases
    that "työnjako" finds at 100 000 cases (281 ms, against 8 ms as a constant).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_PREFIX_QUERY}::text",
            [STEM_SHORTENED_FROM, STEM_SLACK, PREFIX_FROM, config, text],
        )
        return cursor.fetchone()[0] or ""


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


def search_parts(queryset: QuerySet, text: str, *, fallback: bool = False) -> list[QuerySet]:
    """The cases of ``queryset`` that ``text`` finds (``case_search``), as parts whose union
    they are (each a filter of ``queryset``; a case may be in several).

    Args:
        text: as for ``case_search``.
        fallback: as for ``case_search``.

    Returns:
        ``[queryset]`` for a blank search; one part on SQLite (or with ``fallback``);
        on PostgreSQL three: the case's own row (its texts' full text, or its reference,
        unit or contact person as substring: one condition on the row, which PostgreSQL
        reads from the GIN and trigram indexes at once or tests newest first), the
        report's texts (full text) and the organisation's names (substring). Why parts
        (issue 17): an OR across tables (or across subqueries) makes PostgreSQL read
        every match before it can order a page of them.
    """
    words = text.replace("\x00", " ").split()[:MAX_WORDS]
    if not words:
        return [queryset]
    text = " ".join(words)
    if connection.vendor != "postgresql" or fallback:
        return [case_search(queryset, text, fallback=fallback)]
    from django.db.models import BooleanField, Exists, OuterRef
    from django.db.models.expressions import RawSQL

    by_text, by_report = _text_matches(text)
    own, by_organisation = _name_matches(text)
    if by_text is None:
        # the stored vector of the case's own row, tested on that row (no subquery)
        query, params = text_query_sql(text)
        sql = f"{STORED_COLUMN} @@ {query}"
        row_text = Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611 (constant SQL, parameters bound)
    else:
        row_text = Q(pk__in=by_text)
    return [
        queryset.filter(row_text | own),
        queryset.filter(Exists(by_report.filter(case=OuterRef("pk")))),
        queryset.filter(organisation__in=by_organisation),
    ]


#: A search of one word of these characters may be a reference (``SP-2024``, ``SP-2024-0012``;
#: ``cases.services.application._next_reference``): ASCII, so upper case is the same in
#: Python and in the database, and no ``%`` or ``_`` (which ``LIKE`` reads as wildcards).
REFERENCE_SHAPED = re.compile(r"[A-Za-z0-9-]+")


def search_sample(queryset: QuerySet, text: str) -> QuerySet | None:
    """Some of the cases of ``queryset`` that ``text`` finds, read from an index: the cases
    whose reference starts with a reference-shaped search, in upper case.

    Every case of the sample is among ``case_search``'s matches (its reference contains the
    text, case-insensitively, on every database), so a sample of ``n`` cases shows there
    are at least ``n`` matches: the case list's count reads it first
    (``selectors.CaseListRows.capped_count``; issue 17: "SP-2024" matched 15 000 of 100 000
    cases, counting 1 001 of them by their texts cost 12 ms, the reference's btree index
    ``sparring_case_reference_…_like`` counts them in under one).

    Args:
        queryset: as for ``case_search``.
        text: as for ``case_search``.

    Returns:
        The sample, or None when ``text`` is not one reference-shaped word
        (``REFERENCE_SHAPED``).
    """
    words = text.replace("\x00", " ").split()
    if len(words) != 1 or not REFERENCE_SHAPED.fullmatch(words[0]):
        return None
    return queryset.filter(reference__startswith=words[0].upper())


def _text_matches(text: str) -> tuple[QuerySet | None, QuerySet]:
    """The full-text matches: the cases' (their ``pk``; None: test the stored vector
    ``STORED_COLUMN`` on the case's row) and the reports' (Report rows)."""
    from django.contrib.postgres.search import SearchQuery

    from sparring.reports.models import Report

    config = search_config()
    if has_stored_vectors():
        query, params = text_query_sql(text)
        where = [f"{STORED_COLUMN} @@ {query}"]
        return None, Report.objects.extra(where=where, params=params)  # noqa: S610
    query = SearchQuery(text, config=config, search_type="websearch")
    by_text = Case.objects.alias(document=case_vector(config)).filter(document=query).values("pk")
    return by_text, Report.objects.alias(document=report_vector(config)).filter(document=query)


def _name_matches(text: str) -> tuple[Q, QuerySet]:
    """The substring matches: a condition on the case's own columns, and the organisations
    (their ``pk``) whose names contain ``text``."""
    own = reduce(
        or_,
        (
            Q(**{f"{field}__icontains": text})
            for field in NAME_FIELDS
            if not field.startswith("organisation__")
        ),
    )
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
    return own, by_organisation


def _postgresql_search(queryset: QuerySet, text: str) -> QuerySet:
    # Each part is its own subquery, so that PostgreSQL reads the GIN indexes for the
    # texts (an OR across the joined names would make it compute every row's vector).
    # The names: the case's own columns and the organisation's as subqueries too. An OR
    # across the join made PostgreSQL read the organisations once per case (12 s at
    # 100 000 cases; issue 17); as subqueries each is read once and hashed.
    by_text, by_report = _text_matches(text)
    if by_text is None:
        query, params = text_query_sql(text)
        where = [f"{STORED_COLUMN} @@ {query}"]
        by_text = Case.objects.extra(where=where, params=params).values("pk")  # noqa: S610 (constant SQL, parameters bound)
    own, by_organisation = _name_matches(text)
    return queryset.filter(
        Q(pk__in=by_text)
        | Q(pk__in=by_report.values("case_id"))
        | Q(pk__in=Case.objects.filter(own).values("pk"))
        | Q(organisation__in=by_organisation)
    )
