"""The DuckLake backend: Suar's schema in a DuckLake catalog (PostgreSQL) with Parquet data.

Why: one DuckDB file has one writer; a DuckLake catalog in PostgreSQL lets several processes
(crawlers on several machines, enrichers, analysts) read and write at once, with the data as
Parquet files in a shared directory (later a bucket). Analysts still query through DuckDB.

This module owns everything DuckLake-specific, so ``pipeline/db.py`` stays the DuckDB owner:

* the extensions (``ducklake``, ``postgres_scanner``) load offline from their PyPI packages,
  pinned to the duckdb version, as ``db.load_fts`` does for fts;
* the numbered migrations are *translated*: DuckLake (as in duckdb 1.5.5) has no primary
  keys, UNIQUE constraints, indexes or sequences, so those clauses are dropped and uniqueness
  becomes the writers' job (the migrate step checks it); everything else runs unchanged;
* the analyst macros are session objects here (DuckLake stores views, not macros), created on
  every connection, and the views are stored in the catalog like in the file;
* ``migrate_to_ducklake`` / ``migrate_to_duckdb`` move a database across, verified by row
  counts and an order-independent content hash per table.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

from pipeline import db

if TYPE_CHECKING:
    from pipeline.config import Config

ALIAS = "lake"
T = TypeVar("T")
log = logging.getLogger(__name__)
# The file's id sequences and the column each numbers (DuckLake has no sequences: ids copied
# back from a catalog must not be handed out again).
_SEQUENCES = {
    "articles": ("id", "article_id_seq"),
    "crawl_runs": ("id", "crawl_run_id_seq"),
    "stories": ("id", "story_id_seq"),
    "corrections": ("id", "correction_id_seq"),
}


class LakeError(RuntimeError):
    """The DuckLake catalog cannot be reached or a migration check failed (nothing lost)."""


def _extension_file(package: str, name: str) -> Path:
    """The ``.duckdb_extension`` file a ``duckdb-extension-*`` PyPI package ships."""
    import importlib

    try:
        module = importlib.import_module(package)
    except ModuleNotFoundError as exc:
        raise LakeError(
            f"{package} is not installed; the ducklake backend needs the scale extra "
            '(pip install -e ".[scale]")'
        ) from exc
    ext = (
        Path(module.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / f"{name}.duckdb_extension"
    )
    if not ext.exists():
        raise LakeError(
            f"{name} extension for duckdb {duckdb.__version__} not found at {ext}; duckdb and "
            f"{package.replace('_', '-')} must be installed as the pinned pair"
        )
    return ext


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Install and load ducklake + postgres offline (never from the extension repository)."""
    for package, name in (
        ("duckdb_extension_postgres_scanner", "postgres_scanner"),
        ("duckdb_extension_ducklake", "ducklake"),
    ):
        con.execute(f"INSTALL '{_extension_file(package, name)}'")
        con.execute(f"LOAD {name}")


def settings(cfg: Config) -> tuple[str, Path]:
    """(PostgreSQL connection string, data directory) from ``[database]``."""
    section = cfg.data["database"]
    return section["ducklake_postgres"], Path(section["ducklake_data_path"])


def attach(
    con: duckdb.DuckDBPyConnection,
    postgres: str,
    data_path: str | Path,
    *,
    alias: str = ALIAS,
    read_only: bool = False,
) -> None:
    """ATTACH the catalog as ``alias`` and make it the default database of ``con``."""
    load_extensions(con)
    data_path = str(data_path)
    if "://" not in data_path:
        Path(data_path).mkdir(parents=True, exist_ok=True)
        data_path = str(Path(data_path).resolve()) + "/"
    options = f"DATA_PATH '{_quote(data_path)}'" + (", READ_ONLY" if read_only else "")
    try:
        con.execute(f"ATTACH 'ducklake:postgres:{_quote(postgres)}' AS {alias} ({options})")
    except duckdb.Error as exc:
        raise LakeError(
            f"cannot attach the DuckLake catalog at postgres {postgres!r}: {exc}"
        ) from exc
    con.execute(f"USE {alias}")


def _quote(text: str) -> str:
    return text.replace("'", "''")


# -- the schema, translated -----------------------------------------------------------------


def translate(text: str) -> str:
    """A migration's SQL for DuckLake: no sequences, indexes, keys or UNIQUE; rest unchanged."""
    body = "\n".join(re.sub(r"\s*--.*$", "", ln) for ln in text.splitlines())
    out = []
    for stmt in db.split_statements(body):
        if re.match(r"CREATE\s+(UNIQUE\s+)?(INDEX|SEQUENCE)\b", stmt, re.I):
            continue
        stmt = re.sub(r"\s+DEFAULT\s+nextval\('[^']*'\)", "", stmt, flags=re.I)
        stmt = re.sub(r"\s+PRIMARY\s+KEY\b(?!\s*\()", "", stmt, flags=re.I)
        stmt = re.sub(r"\s+UNIQUE\b(?!\s*\()", "", stmt, flags=re.I)
        stmt = re.sub(r",\s*PRIMARY\s+KEY\s*\([^)]*\)", "", stmt, flags=re.I)
        out.append(stmt)
    return ";\n".join(out) + ";\n"


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the translated migrations newer than the catalog, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER, name VARCHAR, applied_at TIMESTAMPTZ)"
    )
    current = db.schema_version(con)
    applied = []
    for version, name, text in db.migrations():
        if version <= current:
            continue
        try:
            with db.transaction(con):
                con.execute(translate(text))
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        except duckdb.Error as exc:
            raise db.MigrationError(
                f"migration {version:03d}_{name}.sql failed on DuckLake and was rolled back; "
                f"the catalog stays at schema version {current}: {exc}"
            ) from exc
        applied.append(version)
        current = version
    return applied


def set_state(con: duckdb.DuckDBPyConnection, name: str, version: str, detail: object) -> None:
    """``db.set_state`` without INSERT OR REPLACE (DuckLake has no keys to conflict on)."""
    con.execute("DELETE FROM schema_state WHERE name = ?", [name])
    con.execute("INSERT INTO schema_state VALUES (?, ?, ?, now())", [name, version, detail])


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The analyst macros as TEMP macros of this session (DuckLake stores no macros)."""
    text = db.MACROS_FILE.read_text("utf-8")
    text = re.sub(r"CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO", text)
    con.execute(text)


def create_views(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Store the analyst views in the catalog when their SQL changed (like db.create_views)."""
    views = db.view_files()
    digest = hashlib.sha256("\0".join(f"{n}\0{t}" for n, t in views).encode()).hexdigest()[:16]
    present = {
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database()"
        ).fetchall()
    }
    if not force and db.state(con, "views") == digest and all(n in present for n, _ in views):
        return False
    with db.transaction(con):
        for _name, text in views:
            con.execute(text)
        set_state(con, "views", digest, len(views))
    return True


def connect(
    cfg: Config, *, read_only: bool = False, migrate: bool = True
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with the catalog attached and the schema up to date."""
    postgres, data_path = settings(cfg)
    con = duckdb.connect(":memory:")
    try:
        attach(con, postgres, data_path, read_only=read_only)
        if migrate and not read_only:
            apply_migrations(con)
        create_macros(con)  # after the tables: a macro may read one (region_label: regions)
        if migrate and not read_only:
            # Processes opening a catalog whose views changed race to store them: the losers
            # retry on a fresh snapshot and find them current.
            retry(con, lambda: create_views(con))
            ensure_locks(con)
            refresh_reference_data(con)
            refresh_derived(con)
    except BaseException:
        con.close()
        raise
    return con


def connect_reader(cfg: Config) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A read-only analyst session on the catalog (readers never block writers here)."""
    postgres, data_path = settings(cfg)
    return connect(cfg, read_only=True), f"live DuckLake catalog {postgres} ({data_path})"


# -- moving a database across ---------------------------------------------------------------


def base_tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """The schema's tables in ``database`` (catalog-internal tables excluded)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'"
        " ORDER BY table_name",
        [database],
    ).fetchall()
    return [r[0] for r in rows]


def _relation(database: str, table: str) -> str:
    """The rows of ``table`` that a migration copies. schema_state keeps one row per name:
    processes that create a catalog's lock rows at once may each add one (DuckLake has no keys,
    and a duplicate lock row is still one lock), while the file's schema_state is keyed."""
    rel = f'"{database}".main."{table}"'
    if table != "schema_state":
        return rel
    return (
        f"(SELECT * FROM {rel} QUALIFY row_number() OVER "
        "(PARTITION BY name ORDER BY updated_at DESC NULLS LAST) = 1)"
    )


def table_fingerprint(con: duckdb.DuckDBPyConnection, database: str, table: str) -> tuple[int, str]:
    """(rows, content hash): the hash is the sum of per-row hashes, so order never matters."""
    count, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {_relation(database, table)} t"
    ).fetchone()
    return count, str(total)


@dataclass
class MigrateReport:
    """What a migration moved, per table: rows and whether the content hash matched."""

    source: str
    target: str
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        width = max((len(t) for t in self.tables), default=10)
        out = [f"{self.source} -> {self.target}"]
        out += [f"  {t:<{width}} {n:>10} rows  hash {h}" for t, (n, h) in self.tables.items()]
        return out


def _copy(
    con: duckdb.DuckDBPyConnection, source: str, target: str, tables: list[str]
) -> dict[str, tuple[int, str]]:
    """Replace every table's rows in ``target`` by ``source``'s, in one transaction, then
    check rows and hashes table by table; a mismatch raises (the target keeps the copy, the
    source is never written)."""
    with db.transaction(con):
        for table in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = ?"
                    " AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
                    [source, table],
                ).fetchall()
            ]
            names = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'DELETE FROM "{target}".main."{table}"')
            con.execute(
                f'INSERT INTO "{target}".main."{table}" ({names}) '
                f"SELECT {names} FROM {_relation(source, table)}"
            )
    checked = {}
    for table in tables:
        want = table_fingerprint(con, source, table)
        got = table_fingerprint(con, target, table)
        if want != got:
            raise LakeError(
                f"{table}: {want[0]} rows (hash {want[1]}) in {source} but {got[0]} rows "
                f"(hash {got[1]}) in {target}; the source is unchanged"
            )
        checked[table] = want
    return checked


def _schema_tables(con: duckdb.DuckDBPyConnection, source: str, target: str) -> list[str]:
    src, dst = base_tables(con, source), set(base_tables(con, target))
    missing = [t for t in src if t not in dst]
    if missing:
        raise LakeError(f"tables {', '.join(missing)} of {source} have no place in {target}")
    return src


def migrate_to_ducklake(db_path: str | Path, cfg: Config) -> MigrateReport:
    """Copy the DuckDB file at ``db_path`` into the configured catalog (which it replaces).

    The file is opened read-only and brought to the same schema version first check: a file
    behind the code is refused (open it once read-write to upgrade it).
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"database {db_path} does not exist")
    con = connect(cfg)
    try:
        con.execute(f"ATTACH '{_quote(str(db_path))}' AS src (READ_ONLY)")
        _check_versions(con, "src", ALIAS)
        tables = _schema_tables(con, "src", ALIAS)
        report = MigrateReport(str(db_path), f"ducklake {settings(cfg)[0]}")
        report.tables = _copy(con, "src", ALIAS, tables)
        _carry_marks(con)
        return report
    finally:
        con.close()


def migrate_to_duckdb(cfg: Config, db_path: str | Path) -> MigrateReport:
    """Copy the configured catalog into a new DuckDB file (refuses to overwrite one)."""
    db_path = Path(db_path)
    if db_path.exists():
        raise LakeError(f"{db_path} exists; give a new file so nothing is overwritten")
    target = db.connect(db_path, wait=0)  # the full DuckDB schema: keys, indexes, sequences
    target.close()
    con = connect(cfg, read_only=True)
    try:
        con.execute(f"ATTACH '{_quote(str(db_path))}' AS dst")
        _check_versions(con, ALIAS, "dst")
        tables = _schema_tables(con, ALIAS, "dst")
        report = MigrateReport(f"ducklake {settings(cfg)[0]}", str(db_path))
        report.tables = _copy(con, ALIAS, "dst", tables)
        # Detach before the file is reopened: a lingering attachment would checkpoint its
        # older view of the file (sequences included) when the process ends.
        con.execute("DETACH dst")
    finally:
        con.close()
    target = duckdb.connect(str(db_path))
    try:
        _advance_sequences(target)
    finally:
        target.close()
    return report


def _check_versions(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    versions = [
        con.execute(
            f'SELECT coalesce(max(version), 0) FROM "{d}".main.schema_migrations'
        ).fetchone()[0]
        for d in (source, target)
    ]
    if versions[0] != versions[1]:
        raise LakeError(
            f"{source} is at schema version {versions[0]} but {target} at {versions[1]}; "
            "open the older one read-write once (it migrates) and retry"
        )


def _carry_marks(con: duckdb.DuckDBPyConnection) -> None:
    """After a copy into the catalog: the high-water marks from the file's sequences.

    The file's sequence may be past its largest stored id (deleted stories); the catalog's
    ``seq:`` row must be too, or an id the file already handed out would come back.
    """

    def write() -> None:
        with db.transaction(con):
            for table in MARKED:
                seq = _SEQUENCES[table][1]
                last = con.execute(
                    "SELECT coalesce(max(last_value), 0) FROM duckdb_sequences() "
                    "WHERE database_name = 'src' AND sequence_name = ?",
                    [seq],
                ).fetchone()[0]
                top = max(int(last or 0), mark(con, table, "src"), mark(con, table))
                set_state(con, f"seq:{table}", str(top), None)

    retry(con, write)


def _advance_sequences(con: duckdb.DuckDBPyConnection) -> None:
    """Move the file's id sequences past the copied ids (and the catalog's high-water marks),
    so new rows never reuse one; the ``seq:`` rows then go (the sequences carry them).

    In an explicit transaction: duckdb 1.5.5 loses sequence advances made in autocommit
    when they are a session's only change (seen here: ids restarted at 1 after reopening).
    """
    with db.transaction(con):
        for table, (column, seq) in _SEQUENCES.items():
            top = con.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').fetchone()[0]
            if table in MARKED:
                top = max(top, mark(con, table))
            current = con.execute(f"SELECT nextval('{seq}')").fetchone()[0]
            if top >= current:
                con.execute(f"SELECT max(nextval('{seq}')) FROM range({int(top - current + 1)})")
        con.execute("DELETE FROM schema_state WHERE name LIKE 'seq:%'")


# -- writers: uniqueness without keys ---------------------------------------------------------
#
# DuckLake commits concurrent INSERTs into one table side by side, so an anti-join insert in
# each of two transactions would let both add the same URL. Each writer of a keyed table
# therefore touches its table's *lock row* in ``schema_state`` first: two transactions that
# update the same row conflict at COMMIT, the later one is rolled back and retried on a fresh
# snapshot, so writers of one table are serialised while readers never wait. Inside that
# transaction the anti-join inserts (keyed on URL, alias URL, article id) and the ids
# (max + 1, DuckLake has no sequences) are safe.

LOCKS = ("articles", "enrichments", "embeddings", "stories", "regions", "derived", "corrections")
RETRIES = 60


class WriteConflict(LakeError):
    """A DuckLake write kept conflicting with other writers after every retry."""


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` writes to a DuckLake catalog (its default database is the catalog)."""
    return con.execute("SELECT current_database()").fetchone()[0] == ALIAS


def ensure_locks(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lock rows once (two processes racing here make two rows: still one lock)."""
    for name in LOCKS:
        if db.state(con, f"lock:{name}") is None:
            con.execute(
                "INSERT INTO schema_state VALUES (?, 'lock', NULL, now())", [f"lock:{name}"]
            )


@contextmanager
def locked(con: duckdb.DuckDBPyConnection, lock: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """``db.transaction`` that first takes the writers' lock row of ``lock`` (see above)."""
    with db.transaction(con):
        con.execute("UPDATE schema_state SET updated_at = now() WHERE name = ?", [f"lock:{lock}"])
        yield con


@contextmanager
def writing(con: duckdb.DuckDBPyConnection, lock: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction of ``lock``'s writers: on DuckLake under its lock row
    (``locked``), on the DuckDB file a plain transaction (its single-writer lock serialises)."""
    if is_lake(con):
        with locked(con, lock):
            yield con
    else:
        with db.transaction(con):
            yield con


def _conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and ("conflict" in text or "retry" in text)


def retry(con: duckdb.DuckDBPyConnection, write: Callable[[], T]) -> T:
    """Run ``write`` (one transaction) again while it conflicts with another writer.

    Jittered backoff, so writers that collided do not collide again in step. On a DuckDB
    file it runs once: there the single-writer lock serialises already.
    """
    if not is_lake(con):
        return write()
    delay = 0.05
    for attempt in range(RETRIES):
        try:
            return write()
        except duckdb.Error as exc:
            if not _conflict(exc) or attempt == RETRIES - 1:
                if _conflict(exc):
                    raise WriteConflict(
                        f"DuckLake write still conflicting after {RETRIES} retries: {exc}"
                    ) from exc
                raise
            with suppress(duckdb.Error):  # a failed COMMIT may leave the transaction open
                con.execute("ROLLBACK")
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.6, 2.0)
    raise AssertionError("unreachable")


def next_id(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """The first free id of ``table``; only inside ``locked`` (then no other writer races)."""
    return con.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()[0]


# Tables whose ids come from a high-water mark row ``seq:<table>`` in ``schema_state`` (the
# last id handed out), because their rows are deleted and an id must never come back: a
# story that lost its last article disappears, and max + 1 would give its id to a new one
# (the file's SEQUENCE never does). ``migrate`` carries the mark both ways.
MARKED = ("stories",)


def mark(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> int:
    """The last id of ``table`` handed out: the ``seq:`` row, or the largest id stored."""
    prefix = f'"{database}".main.' if database else ""
    stored = con.execute(f'SELECT coalesce(max(id), 0) FROM {prefix}"{table}"').fetchone()[0]
    row = con.execute(
        f"SELECT max(TRY_CAST(version AS BIGINT)) FROM {prefix}schema_state WHERE name = ?",
        [f"seq:{table}"],
    ).fetchone()
    return max(int(stored), int(row[0] or 0))


def take_ids(con: duckdb.DuckDBPyConnection, table: str, n: int) -> list[int]:
    """``n`` fresh ids of ``table`` past its high-water mark, which moves; inside ``locked``."""
    top = mark(con, table)
    if n > 0:
        set_state(con, f"seq:{table}", str(top + n), None)
    return list(range(top + 1, top + n + 1))


# -- derived tables the digest reads: regions, actor_first_seen -------------------------------
#
# db.connect keeps them current on every read-write open of the file; here the same, but each
# refresh takes its own lock row (two processes opening at once load them once: the loser's
# retry finds the state current and does nothing) and records its state without INSERT OR
# REPLACE.


def refresh_reference_data(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """``db.refresh_reference_data`` on the catalog: the official regions when they changed."""
    try:
        version = db.regions_source_version()
    except (ModuleNotFoundError, OSError) as exc:
        log.warning("regions table not refreshed: %s", exc)
        return False
    if not force and db.state(con, "regions") == version:
        return False

    def load() -> bool:
        with locked(con, "regions"):
            if not force and db.state(con, "regions") == version:
                return False  # another process loaded them while we waited
            n = db.load_regions_table(con)
            set_state(con, "regions", version, n)
        log.info("regions reference table loaded on DuckLake: %d units (%s)", n, version)
        return True

    return retry(con, load)


def refresh_derived(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """``db.refresh_derived`` on the catalog: ``actor_first_seen`` when its inputs changed."""

    def fingerprint() -> str:
        return "|".join(str(v) for v in con.execute(db.sql("derived_fingerprint")).fetchone())

    if not force and db.state(con, "actor_first_seen") == fingerprint():
        return False

    def load() -> bool:
        with locked(con, "derived"):
            current = fingerprint()
            if not force and db.state(con, "actor_first_seen") == current:
                return False
            con.execute("DELETE FROM actor_first_seen")
            con.execute(db.sql("actor_first_seen_load"))
            n = con.execute(db.sql("actor_first_seen_count")).fetchone()[0]
            set_state(con, "actor_first_seen", current, n)
        return True

    return retry(con, load)
