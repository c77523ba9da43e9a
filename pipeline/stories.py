"""`suar stories`: count events, not articles.

One riot reported by seven outlets is one story. Three steps, all incremental:

1. Event dates (article_dates): publication date, else the date the text gives
   (nlp.textdates: "Senin (1/9)" with the year pinned by the weekday), else a date in the
   URL, else our crawler's first sighting, else none (then content alone decides).
2. Duplicates (article_duplicates): exact copies (same content hash), near copies (MinHash
   over word shingles, nlp.dedup) and semantic copies (embedding cosine above the model's
   calibrated duplicate threshold, dates within a day); each article points to the earliest
   copy.
3. Stories (stories, story_articles): articles are taken in date order and each joins the
   story of its best-matching earlier article, or founds a new one. A pair matches when its
   content score passes `link` (nlp/data/stories/stories.toml): TF-IDF cosine of content
   words, averaged with the embedding cosine when both articles have a vector of the model
   in use (so it works without vectors, and better with them), plus place evidence (same
   regency, same kecamatan/desa, same person named, the same killed/injured/arrested figure
   in the same regency) and minus "different regencies". Dates
   must be within `window_days` (or `followup_days` with a higher score); a story never
   spans more than `max_span_days`. Sharing a province and a topic is never enough: those
   only choose which articles are compared (blocking by province and date window, plus
   MinHash LSH buckets), not whether they match.

Incremental: only articles that are new, or changed (text, enrichment or vector) since they
were assigned, are (re-)assigned, against the already-assigned articles near their dates;
the aggregates of every story that gained or lost an article are recomputed in SQL. The
clustering itself (``assign``, nlp/stories.py) is a pure function over article records,
which `suar eval` also calls on news-dev; this module loads, writes and runs the command.
"""

from __future__ import annotations

import logging
import re
import shutil
import textwrap
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np

from nlp.stories import (  # the clustering itself
    WIB,
    Assignment,
    StoryArticle,
    StoryParams,
    as_wib_date,
    assign,
    figures_of,
)
from nlp.stories import load_params as _load_params
from nlp.textdates import event_date
from pipeline import db, ducklake
from pipeline.config import Config
from pipeline.db import sql

log = logging.getLogger(__name__)


def load_params(cfg: Config | None = None) -> StoryParams:
    """Clustering parameters: the data-file weights with the config's [stories] section."""
    return _load_params(cfg.data.get("stories") if cfg is not None else None)


# -- database -----------------------------------------------------------------------------


@dataclass
class StoryStats:
    """What a run did; `as_dict()` is what the CLI prints."""

    model: str | None = None
    pending: int = 0
    context: int = 0
    with_vector: int = 0
    undated: int = 0
    new_stories: int = 0
    joined_existing: int = 0
    stories_updated: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)
    stories_total: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step (benchmarks)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 1)
        out["phases"] = {k: round(v, 2) for k, v in self.phases.items()}
        return out


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
    """Run a multi-statement SQL file, each statement with the parameters it names."""
    for stmt in db.statements(name):
        con.execute(stmt, {k: v for k, v in params.items() if re.search(rf"\${k}\b", stmt)})


def _model_id(con: duckdb.DuckDBPyConnection, embedder: Any, params: StoryParams) -> str | None:
    """The embedder's model, else the model with most stored vectors (None: lexical only)."""
    if not params.use_embeddings:
        return None
    if embedder is not None:
        return str(embedder.model_id)
    row = con.execute(sql("stories_model")).fetchone()
    return row[0] if row else None


def _compute_dates(
    con: duckdb.DuckDBPyConnection, ids: list[int], today: date
) -> dict[int, tuple[date | None, str, str | None]]:
    out = {}
    for aid, title, body, url, published, first_seen, source in con.execute(
        sql("stories_date_inputs"), {"ids": ids}
    ).fetchall():
        out[aid] = event_date(
            title=title,
            body=body,
            url=url,
            published=as_wib_date(published),
            first_seen=as_wib_date(first_seen),
            crawled=source == "crawl",
            today=today,
        )
    return out


def _load(con: duckdb.DuckDBPyConnection, ids: list[int], model: str | None) -> list[StoryArticle]:
    arts = []
    for k in range(0, len(ids), 50_000):
        chunk = ids[k : k + 50_000]
        rows = con.execute(sql("stories_records"), {"ids": chunk}).fetchall()
        vectors: dict[int, np.ndarray] = {}
        if model:
            got = con.execute(sql("stories_vectors"), {"ids": chunk, "model": model}).fetchnumpy()
            for aid, vec in zip(got["article_id"], got["vector"], strict=True):
                vectors[int(aid)] = np.asarray(vec, dtype=np.float32)
        for r in rows:
            (aid, outlet, title, body, chash, published, first_seen, region, level, prov,
             codes, persons, day, killed, injured, arrested) = r  # fmt: skip
            arts.append(
                StoryArticle(
                    id=aid, outlet=outlet, title=title or "", text=body or "", day=day,
                    order=(published or first_seen, aid), content_hash=chash,
                    region=region, region_level=level, province=prov,
                    regions=frozenset(codes or ()), persons=frozenset(persons or ()),
                    vector=vectors.get(aid),
                    figures=figures_of(
                        {"killed": killed, "injured": injured, "arrested": arrested}
                    ),
                )
            )  # fmt: skip
    return arts


def build_stories(
    con: duckdb.DuckDBPyConnection,
    cfg: Config | None = None,
    *,
    embedder: Any = None,
    rebuild: bool = False,
    today: date | None = None,
) -> StoryStats:
    """Assign new and changed articles to stories and refresh the stories they touch.

    ``embedder`` (nlp.embeddings) only says which model's stored vectors to use (vectors
    are made by `suar embed`); without it, the model with most stored vectors is used, and
    articles without a vector are grouped on text alone. ``rebuild`` starts from scratch.
    """
    started = time.monotonic()
    params = load_params(cfg)
    model = _model_id(con, embedder, params)
    params = params.for_model(model)
    today = today or datetime.now(WIB).date()
    lake = ducklake.is_lake(con)

    def run() -> StoryStats:
        # One transaction; on DuckLake it takes the stories lock row first, so two builders
        # take turns (the one that loses the commit starts again and finds less pending).
        stats = StoryStats(model=model)
        with ducklake.writing(con, "stories"):
            if rebuild:
                for stmt in db.statements("stories_clear"):
                    con.execute(stmt)
            _assign_pending(con, params, model, today, stats)
        return stats

    if (
        lake
        and not rebuild
        and not con.execute(sql("stories_pending"), {"model": model}).fetchone()
    ):
        stats = StoryStats(model=model)  # nothing to do: no lock taken, no catalog snapshot
    else:
        stats = ducklake.retry(con, run)
    stats.stories_total = con.execute("SELECT count(*) FROM stories").fetchone()[0]
    stats.seconds = time.monotonic() - started
    return stats


def _assign_pending(
    con: duckdb.DuckDBPyConnection,
    params: StoryParams,
    model: str | None,
    today: date,
    stats: StoryStats,
) -> None:
    """Date, deduplicate and assign the pending articles (inside the caller's transaction)."""
    pending = [r[0] for r in con.execute(sql("stories_pending"), {"model": model}).fetchall()]
    stats.pending = len(pending)
    if not pending:
        return

    tick = time.monotonic()

    def phase(name: str) -> None:
        nonlocal tick
        now_ = time.monotonic()
        stats.phases[name] = stats.phases.get(name, 0.0) + now_ - tick
        tick = now_

    phase("pending")
    dates = _compute_dates(con, pending, today)
    phase("dates")
    stats.undated = sum(1 for d in dates.values() if d[0] is None)
    now = datetime.now(UTC)
    date_cols = {
        "ids": pending,
        "day": [dates[i][0] for i in pending],
        "source": [dates[i][1] for i in pending],
        "evidence": [dates[i][2] for i in pending],
        "now": now,
    }
    _run(con, "stories_dates_write", date_cols)
    # articles that changed leave their stories first; those stories are refreshed
    left = [r[0] for r in con.execute(sql("stories_leave"), {"ids": pending}).fetchall()]
    con.execute("DELETE FROM story_articles WHERE article_id IN (SELECT unnest($ids))",
                {"ids": pending})  # fmt: skip
    known = [d for d in (v[0] for v in dates.values()) if d is not None]
    pad = timedelta(days=params.max_span_days)
    context_rows = con.execute(
        sql("stories_context"),
        {
            "lo": (min(known) - pad) if known else date.min,
            "hi": (max(known) + pad) if known else date.max,
            "everything": any(v[0] is None for v in dates.values()),
        },
    ).fetchall()
    placed = {aid: sid for aid, sid in context_rows}
    stats.context = len(placed)
    phase("write_dates")
    arts = _load(con, pending + list(placed), model)
    phase("load")
    stats.with_vector = sum(1 for a in arts if a.vector is not None and a.id not in placed)
    known_dups = [
        (a, c, k, sim)
        for a, c, k, sim in con.execute(sql("stories_known_dups"), {"ids": list(placed)}).fetchall()
    ]
    result = assign(arts, params, placed=placed, known_duplicates=known_dups)
    phase("assign")
    _write(con, result, placed, left, now, stats)
    phase("write")


def _write(
    con: duckdb.DuckDBPyConnection,
    result: Assignment,
    placed: dict[int, int],
    left: list[int],
    now: datetime,
    stats: StoryStats,
) -> None:
    new_ids = sorted({s for s in result.story.values() if s < 0}, reverse=True)
    real: dict[int, int] = {}
    if new_ids:
        if ducklake.is_lake(con):  # no sequences there: past the high-water mark row
            got = ducklake.take_ids(con, "stories", len(new_ids))
        else:
            got = [
                r[0] for r in con.execute(sql("stories_new_ids"), {"n": len(new_ids)}).fetchall()
            ]
        real = dict(zip(new_ids, got, strict=True))
    ids = list(result.story)
    sids = [real.get(result.story[a], result.story[a]) for a in ids]
    stats.new_stories = len(new_ids)
    stats.joined_existing = sum(1 for a in ids if result.story[a] > 0)
    con.execute(
        sql("stories_assign"),
        {"ids": ids, "story": sids, "sim": [result.similarity[a] for a in ids], "now": now},
    )
    dups = list(result.duplicates.values())
    _run(
        con,
        "dedup_write",
        {
            "ids": [d.article_id for d in dups],
            "canonical": [d.canonical_id for d in dups],
            "kind": [d.kind for d in dups],
            "sim": [d.similarity for d in dups],
            "now": now,
        },
    )
    counts: dict[str, int] = {}
    for d in dups:
        if d.kind != "self":
            counts[d.kind] = counts.get(d.kind, 0) + 1
    stats.duplicates = counts
    touched = sorted(set(sids) | set(left))
    _run(con, "stories_refresh", {"ids": touched, "now": now})
    stats.stories_updated = len(touched)


# -- listing ------------------------------------------------------------------------------


def list_stories(
    con: duckdb.DuckDBPyConnection, *, limit: int | None = None
) -> Iterable[dict[str, Any]]:
    """Stories newest first, each with its articles' links (fetched URL when known)."""
    rows = con.execute(sql("stories_list"), {"limit": limit}).fetchall()
    for sid, first, last, level, code, name, topics, title, n_art, n_out, urls in rows:
        yield {
            "id": sid,
            "first_seen": first.isoformat() if first else None,
            "last_seen": last.isoformat() if last else None,
            "level": level,
            "region": {"code": code, "name": name} if code else None,
            "topics": list(topics or []),
            "title": title,
            "n_articles": n_art,
            "n_outlets": n_out,
            "urls": list(urls or []),
        }


_WS = re.compile(r"\s+")


def story_table(stories: list[dict[str, Any]], width: int | None = None) -> str:
    """A readable table of stories (what `suar stories --list` prints), as wide as the
    terminal (else 110 columns): regions whole up to a third of the width, titles wrapped
    under their column instead of cut."""
    width = width or shutil.get_terminal_size((110, 24)).columns
    regions = [(s["region"] or {}).get("name") or "-" for s in stories]
    reg_w = max([len("region"), *(len(r) for r in regions)])
    fixed = len(f"{'':>6}  {'':<10}  {'':>3}    {'':>3}  ")  # every column but region, title
    reg_w = max(8, min(reg_w, width // 3, width - fixed - 20))
    head = f"{'id':>6}  {'first seen':<10}  {'lvl':>3}  {'region':<{reg_w}}  {'n':>3}  "
    title_w = max(10, width - len(head))
    lines = [head + "title"]
    for s, region in zip(stories, regions, strict=True):
        title = _WS.sub(" ", s["title"] or "").strip() or "-"
        first = (s["first_seen"] or "")[:10]
        level = "-" if s["level"] is None else s["level"]
        reg_lines = textwrap.wrap(region, reg_w) or ["-"]
        title_lines = textwrap.wrap(title, title_w) or ["-"]
        for k in range(max(len(reg_lines), len(title_lines))):
            reg = reg_lines[k] if k < len(reg_lines) else ""
            tit = title_lines[k] if k < len(title_lines) else ""
            if k == 0:
                cells = f"{s['id']:>6}  {first:<10}  {level:>3}  {reg:<{reg_w}}  "
                cells += f"{s['n_articles']:>3}  "
            else:
                cells = f"{'':>6}  {'':<10}  {'':>3}  {reg:<{reg_w}}  {'':>3}  "
            lines.append((cells + tit).rstrip())
    return "\n".join(lines)
