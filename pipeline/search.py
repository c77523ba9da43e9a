"""`suar search`: stories ranked by a blend of BM25 (DuckDB fts) and embedding similarity.

Why this shape:
- Stemming. DuckDB's Snowball Indonesian stemmer mangles the words analysts search for
  (bentrokan -> bentro, penembakan -> embak, penangkapan -> angkap), so articles are analysed
  here with Sastrawi (`nlp.morph.stem`, the stemmer the signal lexicons use) and our own
  stopword list (`pipeline/data/search_stopwords_id.txt`); the fts index is built over those
  terms with stemming off. Terms are kept per article in `search_docs` next to the content
  hash, so only new or changed articles are analysed again.
- Freshness. An fts index is a snapshot. `refresh_index` brings the terms and the index up to
  date (cheap when nothing changed); `suar search` calls it lazily, through
  `open_for_search`, which searches read-only and opens the file for writing only when the
  index is stale. Nightly runs can call `refresh_index` after crawl/enrich so searches never
  wait for it.
- Blending. BM25 scores and cosines live on unrelated scales (BM25 is unbounded and depends
  on the corpus; e5 cosines sit in a narrow 0.7-0.9 band), so min-max normalisation would
  let one outlier decide. Reciprocal-rank fusion (score = sum of w / (k + rank)) uses ranks
  only, needs no calibration and is the usual robust choice; k and the weights are in
  `[search]` of the config.
- Stories. Reports of one event are grouped through `story_articles`; a story scores as its
  best-matching report. An article with no story yet stands alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from pipeline import db

STOPWORDS_FILE = Path(__file__).with_name("data") / "search_stopwords_id.txt"
_ANALYZER_CODE = "sastrawi-1"  # bump when the tokenisation or term layout below changes
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+", re.UNICODE)
# a dot between digits is part of a number ("3.412 warga", "1.5"), not a sentence end
_SENTENCE_RE = re.compile(r"(?:[^.!?\n]|(?<=\d)\.(?=\d))+(?:[.!?]+|$)")
_REGION_RE = re.compile(r"^\d{2}(\.\d{2}){0,2}(\.\d{4})?$")
_TOPIC_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)?(\.\*)?$")
_BATCH = 2000
SNIPPET_CHARS = 240


class SearchIndexMissing(RuntimeError):
    """The full-text index has never been built and this connection cannot build it."""


# -- analysis --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stopword list (a data file analysts can read and extend)."""
    words = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip().lower()
        if word:
            words.add(word)
    return frozenset(words)


@lru_cache(maxsize=1)
def analyzer_version() -> str:
    """Changes whenever stored terms would come out differently (code or stopword list)."""
    digest = hashlib.sha256(STOPWORDS_FILE.read_bytes()).hexdigest()[:10]
    return f"{_ANALYZER_CODE}-{digest}"


def _stem(word: str) -> str:
    from nlp.morph import stem  # Sastrawi; cached per word for the life of the process

    return stem(word)


def analyse(text: str) -> list[str]:
    """Lower-case Sastrawi stems of the words in ``text``, stopwords dropped, in order."""
    stop = stopwords()
    terms = []
    for match in _WORD_RE.finditer(text.lower()):
        word = match.group()
        if word in stop:
            continue
        if "-" in word:  # luka-luka, antar-warga: stem each part, keep both parts
            parts = [p for p in word.split("-") if p and p not in stop]
            terms.extend(dict.fromkeys(_stem(p) for p in parts))
            continue
        terms.append(_stem(word))
        if word.startswith("antar") and len(word) > 7:  # antarwarga: also the warga in it
            terms.append(_stem(word[5:]))
    return terms


def document_terms(title: str | None, body: str | None) -> str:
    """The indexed text of an article: the title counts twice, as headlines name the event."""
    title_terms = analyse(title or "")
    return " ".join(title_terms + title_terms + analyse(body or ""))


# -- index maintenance -----------------------------------------------------------------------


@dataclass
class IndexStatus:
    """How far the search terms and the fts index lag behind the articles."""

    pending: int
    orphans: int
    n_docs: int
    fingerprint: str
    built_fingerprint: str | None
    has_index: bool
    has_tables: bool = True

    @property
    def fresh(self) -> bool:
        return (
            self.has_tables
            and self.has_index
            and self.pending == 0
            and self.orphans == 0
            and self.built_fingerprint == self.fingerprint
        )


@dataclass
class IndexStats:
    analysed: int = 0
    removed: int = 0
    rebuilt: bool = False
    docs: int = 0


def _has_search_tables(con: duckdb.DuckDBPyConnection) -> bool:
    return db.has_relations(con, "search_docs", "search_index_state")


def index_status(con: duckdb.DuckDBPyConnection) -> IndexStatus:
    """Read-only check of the search terms and index against the articles."""
    if not _has_search_tables(con):  # a read-only open of a database not yet migrated
        return IndexStatus(0, 0, 0, "", None, False, has_tables=False)
    row = con.execute(db.sql("search_status"), {"analyzer": analyzer_version()}).fetchone()
    pending, orphans, fingerprint, n_docs, built, has_index = row
    # How the index is built is part of what it was built from: a changed build (such as
    # the postings order search_bm25.sql relies on) makes existing indexes stale.
    fingerprint = f"{fingerprint}:{_index_build_version()}"
    return IndexStatus(pending, orphans, n_docs, fingerprint, built, bool(has_index))


@lru_cache(maxsize=1)
def _index_build_version() -> str:
    return hashlib.sha256(db.sql("search_index_build").encode()).hexdigest()[:8]


def sync_docs(
    con: duckdb.DuckDBPyConnection, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """Analyse new and changed articles into ``search_docs``; return (analysed, removed)."""
    analyzer = analyzer_version()
    ids = [r[0] for r in con.execute(db.sql("search_pending"), {"analyzer": analyzer}).fetchall()]
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        rows = con.execute(db.sql("search_texts"), {"ids": chunk}).fetchall()
        terms = [document_terms(title, body) for _, _, title, body in rows]
        with db.transaction(con):
            con.execute(db.sql("search_docs_delete"), {"ids": chunk})
            con.execute(
                db.sql("search_docs_insert"),
                {
                    "ids": [r[0] for r in rows],
                    "hashes": [r[1] for r in rows],
                    "analyzer": analyzer,
                    "terms": terms,
                },
            )
        if progress:
            progress(min(start + _BATCH, len(ids)), len(ids))
    removed = con.execute(db.sql("search_docs_orphans")).fetchone()[0]
    return len(ids), removed


def refresh_index(
    con: duckdb.DuckDBPyConnection,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IndexStats:
    """Bring the search terms and the BM25 index up to date (needs a writable connection).

    Cheap when nothing changed: one status query. Rebuilding the fts index reads only the
    stored terms, so it costs seconds even when few articles changed.
    """
    db.apply_migrations(con)
    db.load_fts(con)
    stats = IndexStats()
    stats.analysed, stats.removed = sync_docs(con, progress)
    status = index_status(con)
    stats.docs = status.n_docs
    if force or not status.fresh:
        with db.transaction(con):
            con.execute(db.sql("search_index_build"))
            con.execute(
                db.sql("search_index_state"),
                {
                    "analyzer": analyzer_version(),
                    "n_docs": status.n_docs,
                    "fingerprint": status.fingerprint,
                },
            )
        stats.rebuilt = True
    return stats


def open_for_search(
    db_path: str | Path,
    *,
    wait: float,
    reindex_wait: float,
    force: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """A read-only connection with a usable index, rebuilding it first when it is stale.

    Searching never holds the write lock; only a stale index makes us open the file for
    writing, and then for at most ``reindex_wait`` seconds of waiting: if another process
    holds the file, we search the index we have and say that it is behind.
    """
    notes: list[str] = []
    con = db.connect(db_path, read_only=True, wait=wait, on_wait=on_wait)
    status = index_status(con)
    if status.fresh and not force:
        db.load_fts(con)
        return con, notes
    con.close()
    try:
        rw = db.connect(db_path, wait=reindex_wait, on_wait=on_wait)
    except db.DatabaseBusy:
        con = db.connect(db_path, read_only=True, wait=wait, on_wait=on_wait)
        if not status.has_index:
            con.close()
            raise db.DatabaseBusy(
                f"the search index of {db_path} has not been built yet and another process "
                "holds the database; run `suar search --reindex` when it is free"
            ) from None
        behind = status.pending + status.orphans
        notes.append(
            f"search index is behind ({behind} articles changed since it was built) because "
            "another process holds the database; results may miss the newest articles"
        )
        db.load_fts(con)
        return con, notes
    try:
        stats = refresh_index(rw, force=force)
    finally:
        rw.close()
    if stats.analysed or stats.rebuilt:
        notes.append(
            f"search index refreshed: {stats.analysed} articles analysed, {stats.docs} indexed"
        )
    con = db.connect(db_path, read_only=True, wait=wait, on_wait=on_wait)
    db.load_fts(con)
    return con, notes


# -- search ----------------------------------------------------------------------------------


@dataclass
class SearchOptions:
    """The [search] section of the configuration (see pipeline/default_config.toml)."""

    rrf_k: int
    bm25_weight: float
    semantic_weight: float
    pool: int
    min_similarity: float
    sources_per_story: int

    @classmethod
    def from_config(cls, cfg: Any | None = None) -> SearchOptions:
        if cfg is None:
            import tomllib

            from pipeline.config import DEFAULTS_FILE

            section = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))["search"]
        else:
            section = cfg.data["search"]
        return cls(**{k: section[k] for k in cls.__dataclass_fields__})


@dataclass
class Source:
    article_id: int
    outlet: str
    url: str
    title: str | None
    published_at: datetime | None
    matched: bool


@dataclass
class StoryHit:
    """One result line: a story (or a lone article) with its reports and best snippet."""

    story_id: int | None
    article_id: int  # the best-matching report
    title: str | None
    level: int | None
    region_code: str | None
    region_name: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    n_articles: int
    n_outlets: int
    topics: list[str]
    score: float
    bm25: float | None
    similarity: float | None
    snippet: str
    sources: list[Source] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("first_seen", "last_seen"):
            out[key] = out[key].isoformat() if out[key] else None
        for src in out["sources"]:
            src["published_at"] = src["published_at"].isoformat() if src["published_at"] else None
        return out


@dataclass
class SearchResult:
    query: str
    terms: list[str]
    mode: str  # 'hybrid' | 'bm25' | 'semantic' | 'none'
    stories: list[StoryHit]
    notes: list[str]


def _is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute(db.sql("access_mode")).fetchone()[0] == "read_only"


def _topic_params(topic: str | None) -> tuple[str | None, str | None]:
    if topic is None:
        return None, None
    if not _TOPIC_RE.match(topic):
        raise ValueError(f"--topic {topic!r}: expected a code like conflict.riot or conflict.*")
    from pipeline.taxonomy import topic_error

    if error := topic_error(topic):
        raise ValueError(error)
    if topic.endswith(".*"):
        return topic, topic[:-1]
    if "." not in topic:  # a family name alone means the whole family
        return topic, topic + "."
    return topic, None


def _region_param(region: str | None) -> str | None:
    if region is None:
        return None
    region = region.strip()
    if not _REGION_RE.match(region):
        raise ValueError(f"--region {region!r}: expected a Kemendagri code like 64 or 64.72")
    return region


def _confidence_param(value: float | None) -> float | None:
    """A probability in [0, 1]; anything else is a typo (``--min-confidence 80``)."""
    if value is None:
        return None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"--min-confidence {value}: expected a probability from 0 to 1")
    return float(value)


def check_filters(
    *, region: str | None = None, topic: str | None = None, min_confidence: float | None = None
) -> None:
    """Raise ValueError for a malformed filter, so a typo fails before the model loads."""
    _region_param(region)
    _topic_params(topic)
    _confidence_param(min_confidence)


def _rrf(rankings: Iterable[tuple[list[int], float]], k: int) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, article_id in enumerate(ids, start=1):
            fused[article_id] = fused.get(article_id, 0.0) + weight / (k + rank)
    return fused


def _embedding_models(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Stored vectors per embedding model id."""
    return dict(con.execute(db.sql("search_embedding_models")).fetchall())


def _vector_model(con: duckdb.DuckDBPyConnection, embedder: Any) -> tuple[str | None, str]:
    """The embedder's model id when vectors exist for it, else a note saying why not."""
    counts = _embedding_models(con)
    if embedder is None:
        if counts:
            return None, "semantic ranking not requested: BM25 only"
        return None, "no article embeddings yet (run `suar embed`): BM25 only"
    if embedder.model_id in counts:
        return embedder.model_id, ""
    if counts:
        return None, (
            f"no vectors for embedding model {embedder.model_id} (stored: "
            f"{', '.join(sorted(counts))}); run `suar embed`: BM25 only"
        )
    return None, "no article embeddings yet (run `suar embed`): BM25 only"


def load_embedder_if_useful(
    con: duckdb.DuckDBPyConnection,
    cfg: Any | None = None,
    on_load: Callable[[], None] | None = None,
) -> tuple[Any | None, str | None]:
    """The configured embedder, loaded only when article vectors exist (loading costs
    seconds; ``on_load`` is told just before); a note instead of an error when it cannot
    load (e.g. no model prepared)."""
    if not _embedding_models(con):
        return None, None
    if on_load is not None:
        on_load()
    try:
        from pipeline.embed import configured_embedder

        # never build a model during a search (`suar models prepare` does that, ~30 s)
        return configured_embedder(cfg, prepare=False), None
    except Exception as exc:  # a missing model must not stop a keyword search
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"embedder not available ({first}); BM25 only"


def snippet(text: str, terms: set[str], width: int = SNIPPET_CHARS) -> str:
    """The sentence sharing most distinct terms with the query, cut to ``width`` characters
    around its first matching word; the lead sentence when nothing matches (semantic hits)."""
    best, best_score, best_pos = "", -1, 0
    for match in _SENTENCE_RE.finditer(text):
        sentence = match.group().strip()
        if not sentence:
            continue
        found, first = set(), None
        for word in _WORD_RE.finditer(sentence.lower()):
            stems = set(analyse(word.group()))
            hit = stems & terms
            if hit:
                found |= hit
                if first is None:
                    first = word.start()
        if len(found) > best_score:
            best, best_score, best_pos = sentence, len(found), first or 0
    best = " ".join(best.split())
    if len(best) <= width:
        return best
    start = max(0, min(best_pos - width // 4, len(best) - width))
    end = start + width
    # cut between words, never inside one (or inside a number such as 3.412)
    if start and not best[start - 1].isspace():
        start = best.find(" ", start, best_pos) + 1 or start
    if end < len(best) and not best[end].isspace():
        end = best.rfind(" ", start, end) if best.rfind(" ", start, end) > start else end
    cut = best[start:end]
    return ("…" if start else "") + cut.strip() + ("…" if end < len(best) else "")


def search(
    con: duckdb.DuckDBPyConnection,
    text: str,
    *,
    embedder: Any | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    region: str | None = None,
    topic: str | None = None,
    min_level: int | None = None,
    min_confidence: float | None = None,
    limit: int = 10,
    options: SearchOptions | None = None,
) -> SearchResult:
    """Find the stories best matching ``text`` under the filters, best first.

    ``embedder`` (``nlp.embeddings.load_embedder``) adds semantic ranking when vectors for
    its model exist; without it, or without vectors, the ranking is BM25 alone and a note
    says so. ``min_confidence`` keeps articles whose signal confidence (the trained model's
    probability of the filtered topic, else of the level; 1.0 once an analyst corrected it)
    is at least that value, so an analyst can leave out what the model was unsure of. A writable connection refreshes a stale index first; a read-only one searches
    the index it has (see ``open_for_search``).
    """
    opts = options or SearchOptions.from_config()
    notes: list[str] = []
    status = index_status(con)
    if not status.fresh:
        if not _is_read_only(con):
            refresh_index(con)
        elif not status.has_index:
            raise SearchIndexMissing(
                "the search index has not been built yet; run `suar search --reindex`"
            )
        else:
            notes.append("search index is behind the articles; run `suar search --reindex`")
    db.load_fts(con)
    topic_exact, topic_prefix = _topic_params(topic)
    filters = {
        "date_from": date_from,
        "date_to": date_to,
        "region": _region_param(region),
        "topic": topic_exact,
        "topic_prefix": topic_prefix,
        "min_level": min_level,
        "min_confidence": _confidence_param(min_confidence),
    }
    # Without filters every article is a candidate: skip building the candidate table.
    filtered = any(v is not None for v in filters.values())
    if filtered:
        con.execute(db.sql("search_candidates"), filters)
    else:
        con.execute(db.sql("search_no_candidates"))
    terms = analyse(text)
    bm25: dict[int, float] = {}
    if terms:
        rows = con.execute(
            db.sql("search_bm25"),
            {"query": " ".join(terms), "pool": opts.pool, "filtered": filtered},
        ).fetchall()
        bm25 = {r[0]: r[1] for r in rows}
    else:
        notes.append("the query has no searchable words (only stopwords): no BM25 ranking")
    cosine: dict[int, float] = {}
    model, why = _vector_model(con, embedder)
    if model is None:
        notes.append(why)
    else:
        vector = embedder.encode_queries([text])[0]
        rows = con.execute(
            db.sql("search_vectors"),
            {
                "vector": [float(x) for x in vector],
                "model": model,
                "min_similarity": opts.min_similarity,
                "pool": opts.pool,
                "filtered": filtered,
            },
        ).fetchall()
        cosine = {r[0]: r[1] for r in rows}
    mode = {(True, True): "hybrid", (True, False): "bm25", (False, True): "semantic"}.get(
        (bool(terms), model is not None), "none"
    )
    fused = _rrf([(list(bm25), opts.bm25_weight), (list(cosine), opts.semantic_weight)], opts.rrf_k)
    stories = _group(con, fused, bm25, cosine, set(terms), limit, opts.sources_per_story)
    return SearchResult(text, terms, mode, stories, notes)


def _group(
    con: duckdb.DuckDBPyConnection,
    fused: dict[int, float],
    bm25: dict[int, float],
    cosine: dict[int, float],
    terms: set[str],
    limit: int,
    sources_per_story: int,
) -> list[StoryHit]:
    """Fold article scores into stories (a story scores as its best report) and describe them."""
    if not fused:
        return []
    story_of = dict(con.execute(db.sql("search_groups"), {"ids": list(fused)}).fetchall())
    best: dict[tuple[str, int], int] = {}  # group key -> best article
    for article_id in sorted(fused, key=lambda a: (-fused[a], a)):
        story_id = story_of.get(article_id)
        key = ("story", story_id) if story_id is not None else ("article", article_id)
        best.setdefault(key, article_id)
    top = list(best.items())[:limit]
    story_ids = [key[1] for key, _ in top if key[0] == "story"]
    lone_ids = [key[1] for key, _ in top if key[0] == "article"]
    story_rows = {
        r[0]: r for r in con.execute(db.sql("search_stories"), {"ids": story_ids}).fetchall()
    }
    lone_rows = {
        r[0]: r for r in con.execute(db.sql("search_articles"), {"ids": lone_ids}).fetchall()
    }
    sources: dict[tuple[str, int], list[tuple]] = {}
    for row in con.execute(
        db.sql("search_sources"), {"story_ids": story_ids, "article_ids": lone_ids}
    ).fetchall():
        story_id, article_id = row[0], row[1]
        key = ("story", story_id) if story_id is not None else ("article", article_id)
        sources.setdefault(key, []).append(row)
    hits = []
    for key, article_id in top:
        reports = sources.get(key, [])
        # matched reports first (best score first), then the rest in date order
        reports.sort(key=lambda r: (r[1] not in fused, -fused.get(r[1], 0.0)))
        body = next((r[6] or r[4] or "" for r in reports if r[1] == article_id), "")
        srcs = [
            Source(r[1], r[2], r[3], r[4], r[5], r[1] in fused) for r in reports[:sources_per_story]
        ]
        outlets = {r[2] for r in reports}
        if key[0] == "story" and key[1] in story_rows:
            _, title, level, code, name, first, last, n_art, n_out, topics = story_rows[key[1]]
        else:
            _, title, level, code, name, seen, topics = lone_rows[article_id]
            first = last = seen
            n_art, n_out = 1, len(outlets)
        hits.append(
            StoryHit(
                story_id=key[1] if key[0] == "story" else None,
                article_id=article_id,
                title=title,
                level=level,
                region_code=code,
                region_name=name,
                first_seen=first,
                last_seen=last,
                n_articles=n_art,
                n_outlets=n_out,
                topics=list(topics or []),
                score=round(fused[article_id], 6),
                bm25=bm25.get(article_id),
                similarity=cosine.get(article_id),
                snippet=snippet(body, terms),
                sources=srcs,
            )
        )
    return hits


def format_hit(rank: int, hit: StoryHit) -> list[str]:
    """Plain-text lines for one result (the CLI prints them; also readable in cron mail)."""
    from pipeline.progress import plural

    level = "-" if hit.level is None else str(hit.level)
    what = f"story {hit.story_id}" if hit.story_id is not None else f"article {hit.article_id}"
    region = " ".join(x for x in (hit.region_code, hit.region_name) if x) or "no region"

    def day(value: datetime | None) -> str:
        return value.date().isoformat() if value else "?"

    span = day(hit.first_seen)
    if day(hit.last_seen) != span:
        span += f" to {day(hit.last_seen)}"
    lines = [
        f"{rank}. [level {level}] {hit.title or '(untitled)'}",
        f"   {what} · {region} · {span} · {plural(hit.n_articles, 'report')}, "
        f"{plural(hit.n_outlets, 'outlet')}"
        f" · score {hit.score:.4f}",
    ]
    if hit.snippet:
        lines.append(f"   “{hit.snippet}”")
    for src in hit.sources:
        mark = "*" if src.matched else "-"
        lines.append(f"   {mark} {src.outlet}: {src.url}")
    if hit.n_articles > len(hit.sources):
        lines.append(f"   (+{plural(hit.n_articles - len(hit.sources), 'more report')})")
    return lines
