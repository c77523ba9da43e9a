"""Writing articles and crawl runs: every article is written in one transaction.

The crawler, `suar import` and `suar reextract` all save through :func:`save_article`, so the
canonical-URL and de-duplication rules are the same whichever way an article arrives.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from pipeline.db import sql

Outcome = Literal["new", "updated", "unchanged", "duplicate"]


@dataclass
class ArticleRecord:
    """One article as stored: extracted fields plus provenance."""

    url: str
    outlet: str
    title: str | None
    body: str
    published_at: datetime | None = None
    modified_at: datetime | None = None
    author: str | None = None
    editor: str | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    dateline: str | None = None
    language: str | None = None
    content_hash: str = ""
    extraction: str = "selectors"
    warnings: list[str] = field(default_factory=list)
    source: str = "crawl"
    lastmod: datetime | None = None
    html: bytes | None = None
    encoding: str | None = None
    fetched_url: str | None = None
    alias_urls: list[str] = field(default_factory=list)

    @classmethod
    def from_extracted(cls, ex: Any, outlet: str, **extra: Any) -> ArticleRecord:
        """Build a record from ``crawler.extract.Extracted`` (duck-typed to keep layers apart)."""
        return cls(
            url=ex.url,
            outlet=outlet,
            title=ex.title,
            body=ex.body,
            published_at=ex.published_at,
            modified_at=ex.modified_at,
            author=ex.author,
            editor=ex.editor,
            tags=list(ex.tags or []),
            category=ex.category,
            dateline=ex.dateline,
            language=ex.language,
            content_hash=ex.content_hash,
            extraction=ex.method,
            warnings=list(ex.warnings or []),
            **extra,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def save_article(
    con: duckdb.DuckDBPyConnection, rec: ArticleRecord, run_id: int | None = None
) -> tuple[Outcome, int]:
    """Insert or update one article atomically; returns what happened and the article id.

    Same URL (or a known alias) with the same content -> 'unchanged'; with new content ->
    'updated'. A new URL whose content the outlet already holds -> recorded as an alias
    ('duplicate'), never a second row.
    """
    now = _now()
    params = {
        "url": rec.url,
        "outlet": rec.outlet,
        "title": rec.title,
        "published_at": rec.published_at,
        "modified_at": rec.modified_at,
        "author": rec.author,
        "editor": rec.editor,
        "tags": rec.tags,
        "category": rec.category,
        "dateline": rec.dateline,
        "body": rec.body,
        "language": rec.language,
        "is_indonesian": rec.language == "id",
        "content_hash": rec.content_hash,
        "extraction": rec.extraction,
        "warnings": rec.warnings,
        "source": rec.source,
        "now": now,
        "lastmod": rec.lastmod,
        "run_id": run_id,
    }
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(sql("article_lookup"), {"url": rec.url}).fetchone()
        outcome: Outcome
        if row is None and rec.content_hash:
            same = con.execute(
                sql("article_same_content"),
                {"outlet": rec.outlet, "content_hash": rec.content_hash},
            ).fetchone()
            if same is not None:
                art_id = same[0]
                con.execute(
                    sql("alias_insert"),
                    {"url": rec.url, "id": art_id, "reason": "same-content", "now": now},
                )
                con.execute(
                    sql("article_touch"),
                    {"id": art_id, "now": now, "lastmod": rec.lastmod, "run_id": run_id},
                )
                con.execute("COMMIT")
                return "duplicate", art_id
        if row is None:
            art_id = con.execute(sql("article_insert"), params).fetchone()[0]
            outcome = "new"
        elif row[1] == rec.content_hash:
            art_id = row[0]
            con.execute(
                sql("article_touch"),
                {"id": art_id, "now": now, "lastmod": rec.lastmod, "run_id": run_id},
            )
            outcome = "unchanged"
        else:
            art_id = row[0]
            update = {k: v for k, v in params.items() if k not in {"url", "outlet", "source"}}
            con.execute(sql("article_update"), {**update, "id": art_id})
            outcome = "updated"
        if rec.html is not None and outcome != "unchanged":
            con.execute(
                sql("article_html_upsert"),
                {
                    "id": art_id,
                    "fetched_url": rec.fetched_url or rec.url,
                    "encoding": rec.encoding,
                    "html_gz": gzip.compress(rec.html, compresslevel=6),
                    "now": now,
                },
            )
        for alias in rec.alias_urls:
            if alias != rec.url:
                con.execute(
                    sql("alias_insert"),
                    {"url": alias, "id": art_id, "reason": "canonical-link", "now": now},
                )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return outcome, art_id


def known_urls(con: duckdb.DuckDBPyConnection, outlet: str) -> dict[str, datetime | None]:
    """URL (canonical or alias) -> freshest date we hold for it, for incremental discovery."""
    rows = con.execute(sql("known_urls"), {"outlet": outlet}).fetchall()
    return {url: (known or fetched) for url, known, fetched in rows}


def last_run_complete(con: duckdb.DuckDBPyConnection, outlet: str) -> bool:
    """Whether the last run that crawled this outlet finished; early stopping needs that."""
    row = con.execute(sql("last_outlet_status"), {"outlet": outlet}).fetchone()
    return row is not None and row[0] == "ok"


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_run(con: duckdb.DuckDBPyConnection, outlets: list[str]) -> int:
    """Record a new crawl run; runs left 'running' by a dead process become 'interrupted'."""
    for run_id, pid in con.execute(sql("runs_running")).fetchall():
        if pid != os.getpid() and not _pid_alive(pid):
            con.execute(
                sql("run_finish"),
                {"id": run_id, "now": None, "status": "interrupted", "error": "process died"},
            )
    return con.execute(
        sql("run_start"), {"now": _now(), "pid": os.getpid(), "outlets": outlets}
    ).fetchone()[0]


def save_run_outlet(con: duckdb.DuckDBPyConnection, run_id: int, outlet: str, stats: dict) -> None:
    """Write (or overwrite) one outlet's counters for a run; called during and after a run."""
    con.execute(
        sql("run_outlet_upsert"),
        {
            "run_id": run_id,
            "outlet": outlet,
            "discovered": stats.get("discovered", 0),
            "fetched": stats.get("fetched", 0),
            "new": stats.get("new", 0),
            "updated": stats.get("updated", 0),
            "unchanged": stats.get("unchanged", 0),
            "failed": stats.get("failed", 0),
            "not_article": stats.get("not_article", 0),
            "discovery": sorted(stats.get("discovery", [])),
            "sample_errors": list(stats.get("sample_errors", []))[:10],
        },
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: int, status: str, error: str | None = None
) -> None:
    con.execute(sql("run_finish"), {"id": run_id, "now": _now(), "status": status, "error": error})


def record_failure(
    con: duckdb.DuckDBPyConnection,
    run_id: int | None,
    outlet: str | None,
    url: str,
    status: int | None,
    error: str,
) -> None:
    con.execute(
        sql("failure_insert"),
        {
            "run_id": run_id or 0,
            "outlet": outlet,
            "url": url,
            "status": status,
            "error": error[:500],
            "now": _now(),
        },
    )
