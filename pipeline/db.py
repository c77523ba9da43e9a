"""The one module that owns Suar's DuckDB schema, its migrations and how we connect.

Migrations are numbered ``.sql`` files in ``sql/migrations``; each runs once, in its own
transaction, and is recorded in ``schema_migrations``, so an existing database upgrades in
place. Connections wait (with a clear message) while another process holds the file lock,
because DuckDB allows one writer process at a time.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

# DuckDB's Python binding tries `import pandas` while converting every query parameter; when
# pandas is absent each failed import walks sys.path again (measured: 19% of profiled crawl time in
# bench/crawl.py). Recording the absence once makes those imports fail instantly.
if importlib.util.find_spec("pandas") is None:
    sys.modules.setdefault("pandas", None)  # type: ignore[arg-type]

SQL_DIR = Path(__file__).with_name("sql")
MIGRATIONS_DIR = SQL_DIR / "migrations"
_LOCK_PATTERNS = ("Could not set lock", "Conflicting lock", "database is locked")


class DatabaseBusy(RuntimeError):
    """Another process held the database for longer than we were willing to wait."""


def sql(name: str) -> str:
    """Read a named SQL file from ``pipeline/sql`` (queries live in files, not in Python)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def migrations() -> list[tuple[int, str, str]]:
    """All migration files as (version, name, sql), in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = re.match(r"(\d+)_(.+)\.sql$", path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path.read_text("utf-8")))
    return found


def _is_lock_error(exc: Exception) -> bool:
    return any(p in str(exc) for p in _LOCK_PATTERNS)


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait: float = 300.0,
    migrate: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the database, waiting up to ``wait`` seconds for another process's lock.

    A read-write open also brings the schema up to date. ``on_wait`` receives one human
    message the first time we have to wait (the CLI prints it; cron logs it).
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise FileNotFoundError(f"database {path} does not exist (run a crawl or `suar demo`)")
    deadline = time.monotonic() + wait
    delay, told = 0.2, False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"database {path} is held by another process and stayed locked for "
                    f"{wait:.0f} s; nothing was written. Close the other session or retry. "
                    f"({exc})"
                ) from exc
            if not told:
                msg = (
                    f"database {path} is in use by another process; waiting up to "
                    f"{wait:.0f} s for it to be released"
                )
                (on_wait or log.warning)(msg)
                told = True
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)
    if migrate and not read_only:
        apply_migrations(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration, 0 for an empty database."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the database, each atomically; return those applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    current = schema_version(con)
    applied = []
    for version, name, text in migrations():
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(text)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("database migrated to version %d (%s)", version, name)
        applied.append(version)
    return applied


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB's full-text-search extension offline, from the pinned PyPI package."""
    import duckdb_extension_fts

    version = duckdb.__version__
    ext = (
        Path(duckdb_extension_fts.__file__).parent
        / "extensions"
        / f"v{version}"
        / "fts.duckdb_extension"
    )
    if not ext.exists():
        raise RuntimeError(
            f"fts extension for duckdb {version} not found at {ext}; "
            "duckdb and duckdb-extension-fts must be installed as the pinned pair"
        )
    con.execute(f"INSTALL '{ext}'")
    con.execute("LOAD fts")
