"""`suar query` output formats and `suar export`: data for other tools, without pandas.

Export writes Parquet partitioned by ISO week (``DIR/<dataset>/week=2024-W27/*.parquet``) with
DuckDB's own ``COPY ... (FORMAT parquet, PARTITION_BY (week))``, so any Parquet reader (DuckDB,
Polars, Arrow, Spark, R) can prune by week. Why the staging dance: readers may be looking at
DIR while we write, so each dataset is written to a staging folder inside DIR (same file
system) and every partition is then swapped into place by rename (an atomic exchange where the
kernel supports it), so a reader sees a week's old files or its new files, never half of
them. ``manifest.json`` is written last, by rename too, from what is on disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb

from pipeline import csvsafe, db

MANIFEST_FORMAT = "suar-export-1"
_WEEK_RE = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
_FETCH = 10_000


class QueryError(ValueError):
    """The user's SQL failed; the message is DuckDB's first line."""


@dataclass(frozen=True)
class Dataset:
    name: str
    sql: str  # pipeline/sql/<sql>.sql, a SELECT with a `week` column ('2024-W27')
    needs: tuple[str, ...]  # tables or views that must exist
    about: str


# Order matters only for the manifest; every dataset is independent.
DATASETS: tuple[Dataset, ...] = (
    Dataset("articles", "export_articles", ("articles",), "articles without raw HTML"),
    Dataset("enrichments", "export_enrichments", ("enrichments",), "one NLP row per article"),
    Dataset("entities", "export_entities", ("article_entities",), "entities and actors"),
    Dataset("regions", "export_regions", ("article_regions",), "region mentions"),
    Dataset("topics", "export_topics", ("article_topics",), "topics with evidence"),
    Dataset("stories", "export_stories", ("stories",), "events (grouped reports)"),
    Dataset(
        "story_articles",
        "export_story_articles",
        ("story_articles", "stories"),
        "article to story",
    ),
    Dataset("signals", "export_signals", ("v_signals",), "story x region x topic"),
    Dataset("weekly", "export_weekly", ("v_weekly",), "weekly counts per region and topic"),
    Dataset("hotspots", "export_hotspots", ("v_hotspots",), "regions hotter than baseline"),
    Dataset("actors", "export_actors", ("v_actors",), "actors per week"),
    Dataset("coverage", "export_coverage", ("v_coverage",), "crawl coverage per outlet"),
)
DATASET_NAMES = tuple(d.name for d in DATASETS)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quote(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# -- suar query ------------------------------------------------------------------------------


def relation(con: duckdb.DuckDBPyConnection, statement: str) -> duckdb.DuckDBPyRelation | None:
    """DuckDB's relation for ``statement`` (for its own table printing); errors in one line."""
    try:
        return con.sql(statement)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from None


def run_query(
    con: duckdb.DuckDBPyConnection, statement: str, fmt: str, out: str | Path | TextIO
) -> int:
    """Run one SQL statement and write its rows as csv, json (one object per line), a table
    or parquet (``out`` must then be a path); return the number of rows written.

    Files are written beside their target and renamed into place, so a failed query never
    leaves a half-written file under the requested name.
    """
    statement = statement.strip().rstrip(";").strip()
    if not statement:
        raise QueryError("empty SQL statement")
    if fmt == "parquet":
        if not isinstance(out, str | Path):
            raise QueryError("--format parquet writes a file: give --out FILE")
        return _atomic(out, lambda tmp: _copy_parquet(con, statement, tmp))
    if isinstance(out, str | Path):
        return _atomic(out, lambda tmp: _write_text(con, statement, fmt, tmp))
    return _write_rows(con, statement, fmt, out)


def _atomic(out: str | Path, write: Any) -> int:
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        rows = write(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return rows


def _copy_parquet(con: duckdb.DuckDBPyConnection, statement: str, tmp: Path) -> int:
    try:
        row = con.execute(f"COPY ({statement}) TO {_quote(tmp)} (FORMAT parquet)").fetchone()
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from None
    return int(row[0]) if row else 0


def _write_text(con: duckdb.DuckDBPyConnection, statement: str, fmt: str, tmp: Path) -> int:
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        return _write_rows(con, statement, fmt, fh)


def _write_rows(con: duckdb.DuckDBPyConnection, statement: str, fmt: str, fh: TextIO) -> int:
    try:
        cur = con.execute(statement)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from None
    if cur.description is None:
        return 0
    cols = [d[0] for d in cur.description]
    n = 0
    if fmt == "table":
        rows = cur.fetchall()
        widths = [max([len(c)] + [len(_cell(r[i])) for r in rows]) for i, c in enumerate(cols)]
        fh.write("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)) + "\n")
        for r in rows:
            fh.write("  ".join(_cell(v).ljust(w) for v, w in zip(r, widths, strict=True)))
            fh.write("\n")
        return len(rows)
    writer = csvsafe.Writer(fh) if fmt == "csv" else None
    if writer:
        writer.writerow(cols)
    while batch := cur.fetchmany(_FETCH):
        for row in batch:
            if writer:
                writer.writerow(row)
            else:
                record = dict(zip(cols, row, strict=True))
                fh.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        n += len(batch)
    return n


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


# -- suar export -----------------------------------------------------------------------------


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    res = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return res == 0


def _swap_in(new: Path, target: Path, trash: Path) -> None:
    """Put the folder ``new`` at ``target``; whatever was there ends up under ``trash``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):  # new now holds the old partition
        os.rename(new, trash)
        return
    os.rename(target, trash)  # fallback: a moment without this partition, never a half one
    os.rename(new, target)


def _clean_stale_staging(out: Path) -> None:
    """Remove staging folders of export runs that died (their pid is gone)."""
    for path in out.glob(".staging-*"):
        try:
            pid = int(path.name.split("-", 1)[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, PermissionError):
            continue


def _partitions(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        p.name.split("=", 1)[1]: p
        for p in folder.iterdir()
        if p.is_dir() and p.name.startswith("week=")
    }


def _describe(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, Any]:
    """Row counts per week and the column schema, read back from the Parquet on disk."""
    glob = {"glob": str(folder / "*" / "*.parquet")}
    weeks = con.execute(db.sql("export_written_weeks"), glob).fetchall()
    columns = con.execute(db.sql("export_written_columns"), glob).fetchall()
    return {
        "rows": sum(n for _, n in weeks),
        "partitions": {w: n for w, n in weeks},
        "columns": [{"name": c[0], "type": c[1]} for c in columns],
    }


def export_parquet(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | Path,
    *,
    tables: list[str] | None = None,
    since: str | None = None,
) -> dict[str, Any]:
    """Export datasets as week-partitioned Parquet under ``out_dir``; return the manifest.

    ``since`` ('2024-W27') rewrites only that week and later ones; older partitions stay as
    they are. Within the rewritten range, a week that no longer has rows is removed. Datasets
    whose tables or views do not exist in this database are skipped with a reason.
    """
    if since is not None and not _WEEK_RE.match(since):
        raise ValueError(f"--since {since!r}: expected an ISO week like 2024-W27")
    unknown = sorted(set(tables or ()) - set(DATASET_NAMES))
    if unknown:
        raise ValueError(
            f"unknown dataset(s) {', '.join(unknown)} (known: {', '.join(DATASET_NAMES)})"
        )
    wanted = [d for d in DATASETS if tables is None or d.name in tables]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean_stale_staging(out)
    relations = db.relations(con)
    staging = out / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    skipped: dict[str, str] = {}
    written: list[str] = []
    try:
        if "articles" in relations:
            con.execute(db.sql("export_article_weeks"))
        for ds in wanted:
            missing = [r for r in ds.needs if r not in relations]
            if missing:
                skipped[ds.name] = f"{', '.join(missing)} does not exist in this database"
                continue
            _export_one(con, ds, out, staging, since)
            written.append(ds.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    manifest = _manifest(con, out, written, skipped, since)
    tmp = out / f".manifest.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    return manifest


def _export_one(
    con: duckdb.DuckDBPyConnection, ds: Dataset, out: Path, staging: Path, since: str | None
) -> None:
    new_dir = staging / ds.name
    (select,) = db.statements(ds.sql)  # one SELECT, nested into the COPY below
    where = f"WHERE week >= '{since}'" if since else ""  # since is validated: a safe literal
    con.execute(
        f"COPY (SELECT * FROM ({select}) {where}) TO {_quote(new_dir)} "
        "(FORMAT parquet, PARTITION_BY (week), FILENAME_PATTERN 'part_{i}')"
    )
    trash = staging / f"{ds.name}.old"
    trash.mkdir(parents=True, exist_ok=True)
    fresh = _partitions(new_dir)
    target_dir = out / ds.name
    for week, path in sorted(fresh.items()):
        _swap_in(path, target_dir / f"week={week}", trash / f"week={week}")
    for week, path in _partitions(target_dir).items():
        if week not in fresh and (since is None or week >= since):
            os.rename(path, trash / f"week={week}")  # no rows any more in a rewritten week


def _manifest(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    written: list[str],
    skipped: dict[str, str],
    since: str | None,
) -> dict[str, Any]:
    """Describe every dataset folder on disk (not only this run's), read back with DuckDB."""
    datasets = {}
    for ds in DATASETS:
        folder = out / ds.name
        if not _partitions(folder):
            continue
        info = _describe(con, folder)
        datasets[ds.name] = {
            "about": ds.about,
            "source": list(ds.needs),
            "path": f"{ds.name}/week=*/*.parquet",
            "written_this_run": ds.name in written,
            **info,
        }
    return {
        "format": MANIFEST_FORMAT,
        "schema_version": db.schema_version(con),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "since": since,
        "partitioning": "hive, week = ISO week 'YYYY-Www' (event date, else publication, WIB)",
        "datasets": datasets,
        "skipped": {k: v for k, v in skipped.items()},
        "empty": [n for n in written if n not in datasets],
    }
