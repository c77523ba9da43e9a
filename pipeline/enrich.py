"""`suar enrich`: run the NLP stage over stored articles and write its results to DuckDB.

An article is (re-)enriched when it has no result from the current pipeline version
(nlp.pipeline.PIPELINE_VERSION, a hash over config, lexicons, model and code) or when its
content changed since. So a second run does nothing, and changing a lexicon re-enriches
everything on the next run. Non-Indonesian articles are recorded with status
'skipped_language' so the nightly run does not retry them until the pipeline or the text
changes. Each batch is written in one transaction with a few set-wise statements (DuckDB
pays milliseconds per statement, not per row), replacing the articles' previous rows.

Each article goes to nlp.annotate with what the crawler stored beside its text: the dateline
it stripped from the body, the language it detected, and the outlet's home province from the
registry, so production enrichment sees the same evidence as `suar annotate` on raw text.
The pipeline is built with the registry's outlet lexicon (`registry_nlp()`), and that lexicon
is part of the pipeline version (`registry_version()`).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import duckdb
from spacy.language import Language

from crawler.registry import Outlet, home_province, load_registry, outlet_lexicon
from nlp.annotate import Workers, enrich_articles
from nlp.outlets import OutletLexicon
from pipeline import ducklake
from pipeline.db import sql, statements

log = logging.getLogger(__name__)


@dataclass
class EnrichSummary:
    """What a run did; `as_dict()` is what the CLI prints."""

    version: str
    pending: int = 0
    enriched: int = 0
    skipped_language: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failures"] = self.failures[:20]
        out["seconds"] = round(self.seconds, 1)
        return out


class EnrichProgress:
    """A progress bar in a terminal, a log line every 30 s under cron (as crawl progress)."""

    def __init__(self, interval_log: float = 30.0) -> None:
        self.tty = sys.stderr.isatty()
        self.interval = interval_log
        self._last = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> EnrichProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self._bar is None:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TimeRemainingColumn,
                )

                self._bar = Progress(
                    "enrich",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=Console(stderr=True),
                )
                self._bar.start()
                self._task = self._bar.add_task("enrich", total=total)
            self._bar.update(self._task, completed=done)
        elif time.monotonic() - self._last >= self.interval:
            self._last = time.monotonic()
            log.info("progress enrich: %d/%d articles", done, total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, Outlet], OutletLexicon]:
    registry = load_registry()
    return registry, outlet_lexicon(registry)


def registry_lexicon() -> OutletLexicon:
    """What the outlet registry tells the NLP about outlets (loaded once per process)."""
    return _registry()[1]


def registry_nlp() -> Language:
    """The configured pipeline, given the registry's outlet lexicon (built once)."""
    from nlp.pipeline import get_nlp

    return get_nlp(outlets=registry_lexicon())


def registry_version() -> str:
    """PIPELINE_VERSION of :func:`registry_nlp` (the lexicon is part of it)."""
    from nlp.pipeline import pipeline_version

    return pipeline_version(outlets=registry_lexicon())


def with_home_province(article: dict[str, Any]) -> dict[str, Any]:
    """The article with ``home_province`` from the registry (outlet id or URL) when absent."""
    if article.get("home_province"):
        return article
    prov = home_province(_registry()[0], article.get("outlet"), article.get("url"))
    return {**article, "home_province": prov} if prov else article


def pending_ids(con: duckdb.DuckDBPyConnection, version: str, force: bool = False) -> list[int]:
    """Ids of articles the given pipeline version has not enriched in their current content."""
    rows = con.execute(sql("enrich_pending"), {"version": version, "force": force}).fetchall()
    return [r[0] for r in rows]


def _ev(ev: dict | None, key: str) -> Any:
    return ev.get(key) if ev else None


def write_results(
    con: duckdb.DuckDBPyConnection,
    results: list[dict[str, Any]],
    hashes: dict[int, str | None],
    version: str,
) -> None:
    """Replace the rows of these articles with ``results`` in one transaction."""
    if not results:
        return
    ids = [r["id"] for r in results]
    now = datetime.now(UTC)
    main: dict[str, list[Any]] = {k: [] for k in _MAIN_COLUMNS}
    ents: dict[str, list[Any]] = {k: [] for k in _ENTITY_COLUMNS}
    regs: dict[str, list[Any]] = {k: [] for k in _REGION_COLUMNS}
    tops: dict[str, list[Any]] = {k: [] for k in _TOPIC_COLUMNS}
    for r in results:
        aid = r["id"]
        primary = r["primary_region"]
        esc = r["escalation"]
        ev = esc.get("evidence")
        mags = r["magnitudes"]
        mev = r.get("magnitude_evidence") or {}
        row = {
            "article_id": aid,
            "content_hash": hashes.get(aid),
            "language": r["language"],
            "status": "enriched" if r.get("enriched") else "skipped_language",
            "primary_region_code": primary["code"] if primary else None,
            "primary_region_level": primary["level"] if primary else None,
            "primary_province_code": primary["province_code"] if primary else None,
            "escalation_level": esc.get("level"),
            "escalation_evidence": _ev(ev, "sentence"),
            "escalation_cue": _ev(ev, "cue"),
            "escalation_start": _ev(ev, "start"),
            "escalation_end": _ev(ev, "end"),
            **{f: mags.get(f) for f in ("killed", "injured", "arrested", "crowd")},
            **{
                f"{f}_evidence": _ev(mev.get(f), "phrase")
                for f in ("killed", "injured", "arrested", "crowd")
            },
            "topic_codes": [t["code"] for t in r["topics"]],
            "level_confidence": esc.get("confidence"),
        }
        for k in _MAIN_COLUMNS:
            main[k].append(row[k])
        for e in r["entities"]:
            for k, v in (
                ("article_id", aid), ("text", e["text"]), ("label", e["label"]),
                ("actor_class", e["actor_class"]), ("role", e.get("role")),
                ("is_byline", bool(e.get("is_byline"))), ("start", e["start"]), ("end", e["end"]),
            ):  # fmt: skip
                ents[k].append(v)
        primary_code = primary["code"] if primary else None
        for m in r["regions"]:
            for k in _REGION_COLUMNS:
                if k == "article_id":
                    regs[k].append(aid)
                elif k == "is_primary":
                    regs[k].append(m["code"] == primary_code)
                else:
                    regs[k].append(m[k])
        for t in r["topics"]:
            tev = t.get("evidence")
            for k, v in (
                ("article_id", aid), ("code", t["code"]), ("score", t["score"]),
                ("evidence", _ev(tev, "sentence")), ("cue", _ev(tev, "cue")),
                ("start", _ev(tev, "start")), ("end", _ev(tev, "end")),
                ("confidence", t.get("confidence")),
            ):  # fmt: skip
                tops[k].append(v)
    # On DuckLake the batch holds the enrichments' writer lock: two enrichers replacing the
    # same article's rows at once would otherwise both insert (no keys there); a conflict
    # is retried on a fresh snapshot (pipeline/ducklake.py).
    # each table's columns go to DuckDB as one JSON string (parsed by from_json in the SQL):
    # binding Python lists costs DuckDB a conversion per element, most of the write
    main_json, ents_json, regs_json, tops_json = (
        json.dumps(cols, ensure_ascii=False) for cols in (main, ents, regs, tops)
    )

    def write() -> None:
        with ducklake.writing(con, "enrichments"):
            for stmt in statements("enrich_delete"):
                con.execute(stmt, {"ids": ids})
            con.execute(sql("enrich_insert"), {"cols": main_json, "version": version, "now": now})
            for name, cols, js in (
                ("enrich_entities", ents, ents_json),
                ("enrich_regions", regs, regs_json),
                ("enrich_topics", tops, tops_json),
            ):
                if cols["article_id"]:
                    con.execute(sql(name), {"cols": js})

    ducklake.retry(con, write)


_MAIN_COLUMNS = (
    "article_id", "content_hash", "language", "status", "primary_region_code",
    "primary_region_level", "primary_province_code", "escalation_level", "escalation_evidence",
    "escalation_cue", "escalation_start", "escalation_end", "killed", "injured", "arrested",
    "crowd", "killed_evidence", "injured_evidence", "arrested_evidence", "crowd_evidence",
    "topic_codes", "level_confidence",
)  # fmt: skip
_ENTITY_COLUMNS = (
    "article_id", "text", "label", "actor_class", "role", "is_byline", "start", "end",
)  # fmt: skip
_REGION_COLUMNS = (
    "article_id", "code", "name", "level", "province_code", "text", "start", "end", "is_primary",
)  # fmt: skip
_TOPIC_COLUMNS = (
    "article_id", "code", "score", "evidence", "cue", "start", "end", "confidence",
)  # fmt: skip


def _enrich_batch(
    arts: list[dict[str, Any]], workers: Workers, summary: EnrichSummary
) -> list[dict[str, Any]]:
    """Results for a batch; if one article breaks a component, the others still count."""
    try:
        return enrich_articles(arts, workers=workers)
    except Exception:
        log.exception("batch failed; enriching its articles one by one")
    out = []
    for art in arts:
        try:
            out.extend(enrich_articles([art], workers.nlp))
        except Exception as exc:  # left unrecorded: retried on the next run
            summary.failed += 1
            summary.failures.append(f"article {art['id']}: {type(exc).__name__}: {exc}")
            log.error("article %s failed: %s", art["id"], exc)
    return out


def batch_articles(
    con: duckdb.DuckDBPyConnection, ids: list[int]
) -> tuple[list[dict[str, Any]], dict[int, str | None]]:
    """One batch as NLP input articles (with stored dateline, language and the outlet's home
    province) and their content hashes; shared by the local and the Ray engine."""
    rows = con.execute(sql("enrich_articles"), {"ids": ids}).fetchall()
    arts = [
        with_home_province(
            {
                "id": r[0],
                "title": r[1],
                "text": r[2] or "",
                "url": r[3],
                "outlet": r[4],
                "dateline": r[6],
                "language": r[7],
            }
        )
        for r in rows
    ]
    return arts, {r[0]: r[5] for r in rows}


def plan_run(
    con: duckdb.DuckDBPyConnection, version: str | None, force: bool, limit: int | None
) -> tuple[EnrichSummary, list[int], float]:
    """What one run will enrich (shared by the local and the Ray engine): the summary it
    fills, the pending ids (at most ``limit``) and its start time. With nothing pending the
    summary is already final."""
    summary = EnrichSummary(version=version or registry_version())
    started = time.monotonic()
    ids = pending_ids(con, summary.version, force)
    if limit is not None:
        ids = ids[:limit]
    summary.pending = len(ids)
    if not ids:
        summary.seconds = time.monotonic() - started
    return summary, ids, started


def run_enrich(
    con: duckdb.DuckDBPyConnection,
    *,
    nlp: Language | None = None,
    version: str | None = None,
    batch_size: int = 128,
    limit: int | None = None,
    force: bool = False,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> EnrichSummary:
    """Enrich every pending article (see module docstring); returns counters.

    ``nlp`` and ``version`` default to the configured pipeline and its PIPELINE_VERSION; the
    pipeline is only built when there is work to do. ``workers`` > 1 enriches each batch in
    that many forked processes (see nlp.annotate.enrich_articles); writing stays here.
    """
    summary, ids, started = plan_run(con, version, force, limit)
    if not ids:
        return summary
    version = summary.version
    if nlp is None:
        nlp = registry_nlp()
    done = 0
    with Workers(nlp, workers) as pool:
        for k in range(0, len(ids), batch_size):
            chunk = ids[k : k + batch_size]
            arts, hashes = batch_articles(con, chunk)
            results = _enrich_batch(arts, pool, summary)
            write_results(con, results, hashes, version)
            for r in results:
                if r.get("enriched"):
                    summary.enriched += 1
                else:
                    summary.skipped_language += 1
            done += len(chunk)
            if progress:
                progress(done, len(ids))
    summary.seconds = time.monotonic() - started
    return summary
