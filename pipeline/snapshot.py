"""The analysts' snapshot: a consistent read-only copy of the database, published atomically.

Why: DuckDB lets one process hold a file for writing, and a reader in another process blocks
that writer. Analysts (notebooks, `suar query`, the digest) therefore read a copy when the
nightly job holds the live file, and a notebook left open on the copy never blocks the job.

How: under one connection to the live database (read-write, so no other process can write
while we read), every table is copied into a temporary file in the same directory inside one
transaction (a consistent cut), views included; then the file is renamed over the previous
snapshot. A reader that has the old snapshot open keeps reading the old inode; a new reader
gets the new one. Raw HTML (``article_html.html_gz``) is left out by default: analysts never
need it and it is most of the file (``fetched_url``, the link to click, is kept).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline import db

if TYPE_CHECKING:
    from pipeline.config import Config

log = logging.getLogger(__name__)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_tables(
    con: duckdb.DuckDBPyConnection, source: str, target: str, *, include_html: bool
) -> dict[str, int]:
    """Copy schema and rows of every table from ``source`` to ``target`` (one transaction)."""
    con.execute(f"COPY FROM DATABASE {_quote(source)} TO {_quote(target)} (SCHEMA)")
    # Secondary indexes only speed point look-ups while writing; filling them row by row is
    # most of the copy's cost (the article_entities index alone at a million articles), so
    # the read-only copy goes without them. Keys (PRIMARY KEY, UNIQUE) stay.
    for (index,) in con.execute(db.sql("snapshot_secondary_indexes"), [target]).fetchall():
        con.execute(f"DROP INDEX {_quote(target)}.{_quote(index)}")
    tables = con.execute(db.sql("snapshot_tables"), [source]).fetchall()
    counts: dict[str, int] = {}
    for schema, table in tables:
        src = f"{_quote(source)}.{_quote(schema)}.{_quote(table)}"
        dst = f"{_quote(target)}.{_quote(schema)}.{_quote(table)}"
        select = "*"
        if table == "article_html" and schema == "main" and not include_html:
            select = "* REPLACE (NULL::BLOB AS html_gz)"
        t0 = time.monotonic()
        con.execute(f"INSERT INTO {dst} SELECT {select} FROM {src}")
        log.debug("snapshot: %s.%s copied in %.2f s", schema, table, time.monotonic() - t0)
        counts[f"{schema}.{table}" if schema != "main" else table] = con.execute(
            f"SELECT count(*) FROM {dst}"
        ).fetchone()[0]
    return counts


def publish_snapshot(
    db_path: str | Path,
    *,
    cfg: Config | None = None,
    dest: str | Path | None = None,
    include_html: bool | None = None,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Path:
    """Write a consistent read-only copy of ``db_path`` and move it into place; return its path.

    ``dest`` defaults to ``database.snapshot_path`` (``data/suar.read.duckdb`` beside
    ``data/suar.duckdb``). Waits like any writer for the live file (``database.lock_timeout``).
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"database {db_path} does not exist (run a crawl or `suar demo`)")
    target = Path(dest) if dest is not None else db.snapshot_path(db_path, cfg)
    if target.resolve() == db_path.resolve():
        raise ValueError(f"snapshot path {target} is the database itself")
    if include_html is None:
        include_html = bool(cfg.get("database", "snapshot_html")) if cfg is not None else False
    if wait is None:
        wait = float(cfg.get("database", "lock_timeout")) if cfg is not None else 300.0
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(tmp)
    started = time.monotonic()
    con = db.connect(db_path, wait=wait, on_wait=on_wait)
    con.execute("SET enable_progress_bar = false")  # no terminal art in cron logs
    try:
        source = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH '{_sql_str(tmp)}' AS suar_snapshot")
        try:
            with db.transaction(con):
                counts = _copy_tables(con, source, "suar_snapshot", include_html=include_html)
                con.execute(
                    db.sql("snapshot_info"),
                    [str(db_path.resolve()), db.schema_version(con), include_html],
                )
        finally:
            con.execute("DETACH suar_snapshot")
    except BaseException:
        _remove(tmp)
        raise
    finally:
        con.close()
    _fsync(tmp)
    _remove(Path(f"{target}.wal"))  # a stale WAL beside the new file would be replayed into it
    os.replace(tmp, target)
    log.info(
        "snapshot %s published in %.1f s: %d tables, %d articles",
        target,
        time.monotonic() - started,
        len(counts),
        counts.get("articles", 0),
    )
    return target


def snapshot_info(path: str | Path) -> dict[str, object] | None:
    """What a published snapshot says about itself (None when there is none)."""
    path = Path(path)
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        rel = con.sql("SELECT * FROM snapshot_info")
        return dict(zip(rel.columns, rel.fetchone(), strict=True))
    finally:
        con.close()


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Make the copy durable before it replaces the old one (a crash leaves one or the other)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
