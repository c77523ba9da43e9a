"""Writing articles and crawl runs: one transaction per batch of articles.

The crawler saves through :func:`save_batch`: its recorder (``pipeline.crawl.RunRecorder``)
hands over up to ``crawl.write_batch_size`` articles (50) or what arrived within
``crawl.write_batch_seconds`` (2 s), written together in one transaction; a batch that fails
is retried one article per transaction, so a bad record costs only itself. `suar import` and
`suar reextract` save one article per transaction through :func:`save_article`. Both share
one code path, so the canonical-URL and de-duplication rules are the same whichever way an
article arrives.
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from pipeline import ducklake
from pipeline.db import pid_alive, sql, statements, transaction

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
    return ducklake.retry(con, lambda: _save_batch_tx(con, [rec], run_id))[0]


def save_batch(
    con: duckdb.DuckDBPyConnection, recs: list[ArticleRecord], run_id: int | None = None
) -> list[tuple[Outcome, int] | Exception]:
    """Save many articles in one transaction with a handful of set-wise statements.

    DuckDB is columnar: one statement per article costs milliseconds, one per batch about the
    same. If anything in the batch fails, it is rolled back and retried one article per
    transaction, so a bad record costs only itself; its exception is returned in its place.
    """
    if not recs:
        return []
    try:
        return list(ducklake.retry(con, lambda: _save_batch_tx(con, recs, run_id)))
    except Exception:
        pass
    out: list[tuple[Outcome, int] | Exception] = []
    for rec in recs:
        try:
            out.append(save_article(con, rec, run_id))
        except Exception as exc:  # reported to the caller, never raised mid-batch
            out.append(exc)
    return out


def _columns(rows: list[dict[str, Any]], keys: list[str]) -> dict[str, list[Any]]:
    return {k: [r[k] for r in rows] for k in keys}


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
    """Each statement of ``sql/<name>.sql`` with the parameters it names (DuckLake's
    multi-statement upserts)."""
    for stmt in statements(name):
        used = set(re.findall(r"\$(\w+)", stmt))
        con.execute(stmt, {k: v for k, v in params.items() if k in used})


def _save_batch_tx(
    con: duckdb.DuckDBPyConnection, recs: list[ArticleRecord], run_id: int | None
) -> list[tuple[Outcome, int]]:
    """Classify each record against the database and the batch itself, then write set-wise.

    On DuckLake the batch holds the articles' writer lock (ducklake.locked), so the lookups
    below and the inserts that follow them are not raced by another crawler.
    """
    now = _now()
    lake = ducklake.is_lake(con)
    with ducklake.writing(con, "articles"):
        known = {
            url: (art_id, chash)
            for url, art_id, chash in con.execute(
                sql("batch_lookup"), {"urls": [r.url for r in recs]}
            ).fetchall()
        }
        same = {
            (outlet, chash): art_id
            for outlet, chash, art_id in con.execute(
                sql("batch_same_content"), {"hashes": [r.content_hash for r in recs]}
            ).fetchall()
        }
        plan: list[tuple[Outcome, ArticleRecord, Any]] = []
        batch_urls: dict[str, int] = {}
        batch_content: dict[tuple[str, str], int] = {}
        for i, rec in enumerate(recs):
            key = (rec.outlet, rec.content_hash)
            if rec.url in known:
                art_id, chash = known[rec.url]
                plan.append(("unchanged" if chash == rec.content_hash else "updated", rec, art_id))
            elif rec.url in batch_urls:
                plan.append(("unchanged", rec, ("batch", batch_urls[rec.url])))
            elif rec.content_hash and key in same:
                plan.append(("duplicate", rec, same[key]))
            elif rec.content_hash and key in batch_content:
                plan.append(("duplicate", rec, ("batch", batch_content[key])))
            else:
                plan.append(("new", rec, None))
                batch_urls[rec.url] = i
                batch_content[key] = i
        new_rows = [_params(rec, run_id, now) for outcome, rec, _ in plan if outcome == "new"]
        ids_by_url: dict[str, int] = {}
        if new_rows:
            cols = _columns(new_rows, [k for k in new_rows[0] if k not in {"now", "run_id"}])
            if lake:
                first = ducklake.next_id(con, "articles")
                cols["id"] = list(range(first, first + len(new_rows)))
                con.execute(sql("lake/batch_insert"), {**cols, "now": now, "run_id": run_id})
                ids_by_url = dict(zip(cols["url"], cols["id"], strict=True))
            else:
                inserted = con.execute(sql("batch_insert"), {**cols, "now": now, "run_id": run_id})
                ids_by_url = {url: art_id for art_id, url in inserted.fetchall()}

        def resolve(ref: Any) -> int:
            return ids_by_url[recs[ref[1]].url] if isinstance(ref, tuple) else ref

        results: list[tuple[Outcome, int]] = []
        touches: dict[int, datetime | None] = {}
        html: list[dict[str, Any]] = []
        aliases: list[dict[str, Any]] = []
        for outcome, rec, ref in plan:
            art_id = ids_by_url[rec.url] if outcome == "new" else resolve(ref)
            results.append((outcome, art_id))
            if outcome == "updated":
                params = _params(rec, run_id, now)
                update = {k: v for k, v in params.items() if k not in {"url", "outlet", "source"}}
                con.execute(sql("article_update"), {**update, "id": art_id})
            elif outcome in {"unchanged", "duplicate"}:
                touches[art_id] = rec.lastmod or touches.get(art_id)
            if outcome == "duplicate":
                aliases.append({"url": rec.url, "id": art_id, "reason": "same-content"})
            if rec.html is not None and outcome in {"new", "updated"}:
                html.append(
                    {
                        "id": art_id,
                        "fetched_url": rec.fetched_url or rec.url,
                        "encoding": rec.encoding,
                        "html_gz": gzip.compress(rec.html, compresslevel=6),
                    }
                )
            for alias in rec.alias_urls:
                if alias != rec.url:
                    aliases.append({"url": alias, "id": art_id, "reason": "canonical-link"})
        if touches:
            con.execute(
                sql("batch_touch"),
                {
                    "id": list(touches),
                    "lastmod": list(touches.values()),
                    "now": now,
                    "run_id": run_id,
                },
            )
        if html:
            cols = _columns(html, ["id", "fetched_url", "encoding", "html_gz"])
            _run(con, "lake/batch_html" if lake else "batch_html", {**cols, "now": now})
        if aliases:
            cols = _columns(aliases, ["url", "id", "reason"])
            _run(con, "lake/batch_aliases" if lake else "batch_aliases", {**cols, "now": now})
    return results


def _params(rec: ArticleRecord, run_id: int | None, now: datetime) -> dict[str, Any]:
    return {
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
        "lastmod": rec.lastmod,
        "now": now,
        "run_id": run_id,
    }


def known_urls(con: duckdb.DuckDBPyConnection, outlet: str) -> dict[str, datetime | None]:
    """URL (canonical or alias) -> freshest date we hold for it, for incremental discovery."""
    rows = con.execute(sql("known_urls"), {"outlet": outlet}).fetchall()
    return {url: (known or fetched) for url, known, fetched in rows}


def last_run_complete(con: duckdb.DuckDBPyConnection, outlet: str) -> bool:
    """Whether the last run that crawled this outlet finished; early stopping needs that."""
    row = con.execute(sql("last_outlet_status"), {"outlet": outlet}).fetchone()
    return row is not None and row[0] == "ok"


def start_run(con: duckdb.DuckDBPyConnection, outlets: list[str]) -> int:
    """Record a new crawl run; runs left 'running' by a dead process become 'interrupted'."""
    for run_id, pid in con.execute(sql("runs_running")).fetchall():
        if pid != os.getpid() and not pid_alive(pid):
            con.execute(
                sql("run_finish"),
                {"id": run_id, "now": None, "status": "interrupted", "error": "process died"},
            )
    params = {"now": _now(), "pid": os.getpid(), "outlets": outlets}
    if ducklake.is_lake(con):  # no sequence there: the next id, under the writers' lock

        def start() -> int:
            with ducklake.locked(con, "articles"):
                run_id = ducklake.next_id(con, "crawl_runs")
                con.execute(sql("lake/run_start"), {**params, "id": run_id})
            return run_id

        return ducklake.retry(con, start)
    return con.execute(sql("run_start"), params).fetchone()[0]


def save_run_outlet(con: duckdb.DuckDBPyConnection, run_id: int, outlet: str, stats: dict) -> None:
    """Write (or overwrite) one outlet's counters for a run; called during and after a run."""
    params = {
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
        "status": stats.get("status"),
        "reason": stats.get("reason"),
    }
    if not ducklake.is_lake(con):
        con.execute(sql("run_outlet_upsert"), params)
        return

    def upsert() -> None:
        with transaction(con):
            _run(con, "lake/run_outlet_upsert", params)

    ducklake.retry(con, upsert)


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: int, status: str, error: str | None = None
) -> None:
    params = {"id": run_id, "now": _now(), "status": status, "error": error}
    ducklake.retry(con, lambda: con.execute(sql("run_finish"), params))


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
