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
