"""The database the benchmarks write to: never the developer's own.

With ``DATABASE_URL=postgres://.../name`` the benchmarks use ``name_bench`` on
the same server (created when missing); without it, ``var/bench/bench.sqlite3``.
``BENCH_DATABASE_URL`` overrides both. The ``bench`` command runs every
benchmark as a child process with ``DATABASE_URL`` set to this address.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def bench_database_url() -> str:
    """The address of the benchmark database (see the module's text)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parts = urlsplit(url)
        name = parts.path.lstrip("/") or "sparring"
        if not name.endswith("_bench"):
            name = f"{name}_bench"
        return urlunsplit(parts._replace(path=f"/{name}"))
    folder = Path(settings.VAR_DIR) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'bench.sqlite3'}"


def sibling_url(url: str, suffix: str) -> str:
    """``url`` with ``suffix`` after the database's name (SQLite: a file beside it).

    ``sibling_url("postgres://h/x_bench", "_flow")`` is ``postgres://h/x_bench_flow``;
    ``sibling_url("sqlite:///var/bench/bench.sqlite3", "_flow")`` is
    ``sqlite:///var/bench/bench_flow.sqlite3``.
    """
    if not is_postgresql(url):
        return url.replace(".sqlite3", f"{suffix}.sqlite3")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + suffix))


def recreate_database(url: str) -> None:
    """An empty database at ``url``: dropped (its connections ended) and created again
    on PostgreSQL, the file removed on SQLite. Only for the benchmarks' own databases."""
    if not is_postgresql(url):
        path = Path(urlsplit(url).path)
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def is_postgresql(url: str) -> bool:
    """True for a ``postgres://`` or ``postgresql://`` address."""
    return url.startswith("postgres")


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist (SQLite: nothing)."""
    if not is_postgresql(url):
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
