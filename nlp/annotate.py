"""`suar annotate`: articles in as JSON lines, one stable JSON result per article out.

This is how analysts and other tools use Suar without a database, and what `suar eval`
measures, so its output shape is a contract (issue 3). Each output line is::

    {"id", "language",
     "primary_region": {"code","name","level","province_code","province_name"} | null,
     "regions":  [{"code","name","level","province_code","text","start","end"}],
     "entities": [{"text","label","actor_class","start","end"}],
     "topics":   [{"code","score","evidence","confidence"}],
     "escalation": {"level","evidence","confidence"},
     "magnitudes": {"killed","injured","arrested","crowd"},
     "magnitude_evidence": {field: {"sentence","phrase","start","end"}}}  (stated fields only)

Decisions:
- Offsets are character offsets into ``title + "\\n" + text`` (also when the title is empty),
  so ``(title + "\\n" + text)[start:end]`` is the mention. Evidence objects are
  ``{"sentence", "cue", "start", "end"}`` with the cue's offsets.
- Input fields: ``id`` and ``text`` (or its synonym ``body``) are required; ``title``,
  ``url`` and ``outlet`` are optional, and so is what a caller already knows about the
  article: ``language`` (ISO 639-1; detected with nlp.lang when absent), ``dateline`` (the
  dateline place a crawler stripped from the body; read as if it opened the body, see
  nlp.regions.link_regions) and ``home_province`` (the outlet's home province code).
- ``confidence`` (topics and escalation) is the trained signal model's probability
  (nlp/signal_model.py); null when the rules decided (no model artifact).
- Only Indonesian text is enriched. Any other language (or text too short to tell:
  'unknown') gets its code in ``language`` and empty results: no regions/entities/topics,
  escalation level null, magnitudes null.
- Entities are persons, organisations and places that are not administrative units: a LOC
  that overlaps a region mention is reported under ``regions`` only, unless it is a place
  named after the region it ends with ('SMAN 1 Kepahiang', 'Kantor Gubernur Kaltim'). Bylines (Penulis,
  Editor, Pewarta) are kept as PER, as the seed gold lists them, with ``actor_class`` null:
  they are not actors.
- The outlet's home province (weak evidence for the primary region, used only when the text
  names no place) is the input's ``home_province``; without it, the outlet or URL domain in
  the outlet lexicon the pipeline was given (nlp.outlets; `suar annotate` passes the
  registry's and fills ``home_province`` from it). nlp never reads the registry itself.
- A malformed input line (not JSON, not an object, no ``id``, no ``text``/``body``, a field
  of the wrong type, a ``home_province`` that is not a 2-digit code) is
  reported on stderr with its line number and answered, in its place, by
  ``{"id": <id or null>, "line": <n>, "error": "<why>"}``, so output line k still answers
  input article k. Blank lines are skipped. The command exits 1 when any line was malformed.
- Speed: input is read in chunks (64 lines per worker) and, with ``--workers`` 2 (the
  default on a multi-core machine), enriched by two forked processes sharing the built
  pipeline; the statistical NER is most of the cost and runs on one core per process.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import urlsplit

from spacy.language import Language
from spacy.tokens import Doc

from nlp.lang import detect_language
from nlp.outlets import NO_OUTLETS, OutletLexicon, outlets_of

MAGNITUDE_FIELDS = ("killed", "injured", "arrested", "crowd")
REGION_KEYS = ("code", "name", "level", "province_code", "text", "start", "end")
PRIMARY_KEYS = ("code", "name", "level", "province_code", "province_name")
ENTITY_LABELS = ("PER", "ORG", "LOC")


READS: tuple[str, ...] = ()  # no data file of its own


class MalformedArticle(ValueError):
    """An input row that cannot be annotated; the message says why."""


def article_text(title: str | None, text: str | None) -> str:
    """The text every offset refers to: title, a newline, then the body."""
    return f"{title or ''}\n{text or ''}"


def outlet_home_province(
    outlet: str | None, url: str | None = None, outlets: OutletLexicon = NO_OUTLETS
) -> str | None:
    """Home province code from the outlet's domain (outlet or URL) in the lexicon, or None."""
    from nlp.regions import outlet_province

    if outlet and "." in outlet:
        found = outlet_province(outlet, outlets)
        if found is not None:
            return found
    if url:
        host = urlsplit(url if "://" in url else "https://" + url).hostname
        return outlet_province(host, outlets)
    return None


def validate_article(obj: Any) -> dict[str, Any]:
    """Check one parsed input row; raises MalformedArticle with the reason."""
    if not isinstance(obj, dict):
        raise MalformedArticle("not a JSON object")
    if obj.get("id") in (None, ""):
        raise MalformedArticle("missing 'id'")
    if not isinstance(obj.get("id"), str | int):
        raise MalformedArticle("'id' must be a string or a number")
    for key in ("title", "text", "body", "url", "outlet", "language", "dateline"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise MalformedArticle(f"'{key}' must be a string")
    home = obj.get("home_province")
    if home is not None and not (isinstance(home, str) and re.fullmatch(r"\d{2}", home)):
        raise MalformedArticle("'home_province' must be a 2-digit province code")
    if obj.get("text") is None:
        if obj.get("body") is None:
            raise MalformedArticle("missing 'text' (or 'body')")
        obj = {**obj, "text": obj["body"]}
    return obj


def empty_result(article_id: Any, language: str) -> dict[str, Any]:
    """The result for an article that is not enriched (not Indonesian)."""
    return {
        "id": article_id,
        "language": language,
        "primary_region": None,
        "regions": [],
        "entities": [],
        "topics": [],
        "escalation": {"level": None, "evidence": None, "confidence": None},
        "magnitudes": dict.fromkeys(MAGNITUDE_FIELDS),
        "magnitude_evidence": {},
        "enriched": False,
    }


def _evidence(ev: Any) -> dict[str, Any] | None:
    if not ev:
        return None
    return {k: ev.get(k) for k in ("sentence", "cue", "start", "end")}


def _named_after_region(ent: Any, region_spans: list[tuple[int, int]]) -> bool:
    """A place named after the region it ends with ('SMAN 1 Kepahiang', 'Keraton
    Yogyakarta') is a place of its own, not the unit; 'Kabupaten Sragen' is the unit."""
    from nlp.regions import _cues

    inside = [(s, e) for s, e in region_spans if s < ent.end_char and ent.start_char < e]
    if len(inside) != 1 or inside[0][1] != ent.end_char or inside[0][0] <= ent.start_char:
        return False
    head = [t for t in ent if t.idx < inside[0][0] and t.text not in ".-"]
    return len(head) > 1 or (len(head) == 1 and head[0].lower_ not in _cues().admin)


def doc_result(doc: Doc, article_id: Any, language: str = "id") -> dict[str, Any]:
    """Everything the pipeline found in one doc (public fields plus evidence details)."""
    regions = [{k: r[k] for k in REGION_KEYS} for r in (doc._.regions or [])]
    region_spans = [(r["start"], r["end"]) for r in regions]
    entities = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        start, end = ent.start_char, ent.end_char
        if (
            ent.label_ == "LOC"
            and any(s < end and start < e for s, e in region_spans)
            and not _named_after_region(ent, region_spans)
        ):
            continue  # an administrative unit: reported under regions
        byline = bool(ent._.get("is_byline")) if ent.has_extension("is_byline") else False
        actor = ent._.get("actor_class") if ent.has_extension("actor_class") else None
        entities.append(
            {
                "text": ent.text,
                "label": ent.label_,
                "actor_class": None if byline or ent.label_ == "LOC" else actor,
                "start": start,
                "end": end,
                "role": ent._.get("role") if ent.has_extension("role") else None,
                "is_byline": byline,
            }
        )
    primary = doc._.primary_region
    escalation = doc._.escalation or {"level": 0, "evidence": None}
    return {
        "id": article_id,
        "language": language,
        "primary_region": {k: primary[k] for k in PRIMARY_KEYS} if primary else None,
        "regions": regions,
        "entities": entities,
        "topics": [
            {
                "code": t["code"],
                "score": t["score"],
                "evidence": _evidence(t.get("evidence")),
                "confidence": t.get("confidence"),
            }
            for t in (doc._.topics or [])
        ],
        "escalation": {
            "level": escalation["level"],
            "evidence": _evidence(escalation.get("evidence")),
            "confidence": escalation.get("confidence"),
        },
        "magnitudes": {f: (doc._.magnitudes or {}).get(f) for f in MAGNITUDE_FIELDS},
        "magnitude_evidence": dict(doc._.magnitude_evidence or {}),
        "enriched": True,
    }


def public_result(full: dict[str, Any]) -> dict[str, Any]:
    """The stable `suar annotate` shape (drops evidence details kept for the database)."""
    return {
        "id": full["id"],
        "language": full["language"],
        "primary_region": full["primary_region"],
        "regions": full["regions"],
        "entities": [
            {k: e[k] for k in ("text", "label", "actor_class", "start", "end")}
            for e in full["entities"]
        ],
        "topics": full["topics"],
        "escalation": full["escalation"],
        "magnitudes": full["magnitudes"],
        "magnitude_evidence": full["magnitude_evidence"],
    }


def default_workers() -> int:
    """Worker processes for large inputs: two where the machine has them (the NER is ~2/3 of
    the time and single-threaded)."""
    return max(1, min(2, os.cpu_count() or 1))


class Workers:
    """Forked worker processes that share an already-built pipeline, for a whole run.

    Forking after the pipeline is built shares its memory copy-on-write and costs nothing
    to load; keeping the same workers for every batch of a run avoids re-forking (and
    re-copying touched pages) per batch. With ``n_process`` 1 (or no fork on this platform)
    it is a no-op and enrichment runs in this process.
    """

    def __init__(self, nlp: Language, n_process: int) -> None:
        self.nlp = nlp
        self.n_process = n_process if "fork" in mp.get_all_start_methods() else 1
        self.pool: Any = None

    def __enter__(self) -> Workers:
        global _WORKER_NLP
        if self.n_process > 1:
            _WORKER_NLP = self.nlp
            self.pool = mp.get_context("fork").Pool(self.n_process)
        return self

    def map(
        self, articles: list[dict[str, Any]], batch_size: int, max_chars: int
    ) -> list[dict[str, Any]]:
        """Results in input order; small inputs stay in this process."""
        if self.pool is None or len(articles) < 2 * batch_size:
            return _enrich_serial(articles, self.nlp, batch_size, max_chars)
        size = max(batch_size, -(-len(articles) // (self.n_process * 2)))
        chunks = [articles[k : k + size] for k in range(0, len(articles), size)]
        parts = self.pool.map(_worker, [(c, batch_size, max_chars) for c in chunks])
        return [r for part in parts for r in part]

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None


def enrich_articles(
    articles: list[dict[str, Any]],
    nlp: Language | None = None,
    batch_size: int | None = None,
    max_chars: int | None = None,
    n_process: int = 1,
    workers: Workers | None = None,
) -> list[dict[str, Any]]:
    """Full results for validated articles, in input order (the core of annotate and enrich).

    Language is detected on title + text; only Indonesian articles go through the pipeline,
    batched with ``nlp.pipe``. With ``workers`` (or ``n_process`` > 1, which forks workers
    for this call only) and enough articles, chunks are enriched in worker processes and
    come back as plain dicts, in order.
    """
    if nlp is None:
        nlp = workers.nlp if workers is not None else None
    if nlp is None:
        from nlp.pipeline import get_nlp

        nlp = get_nlp()
    settings = nlp.meta.get("suar", {})
    max_chars = max_chars or int(settings.get("max_chars") or 100_000)
    batch_size = batch_size or nlp.batch_size
    if workers is not None:
        return workers.map(articles, batch_size, max_chars)
    if n_process > 1:
        with Workers(nlp, n_process) as temporary:
            return temporary.map(articles, batch_size, max_chars)
    return _enrich_serial(articles, nlp, batch_size, max_chars)


_WORKER_NLP: Language | None = None


def _worker(args: tuple[list[dict[str, Any]], int, int]) -> list[dict[str, Any]]:
    arts, batch_size, max_chars = args
    assert _WORKER_NLP is not None
    return _enrich_serial(arts, _WORKER_NLP, batch_size, max_chars)


def _enrich_serial(
    articles: list[dict[str, Any]], nlp: Language, batch_size: int, max_chars: int
) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(articles)
    outlets = outlets_of(nlp)
    docs: list[Doc] = []
    where: list[int] = []
    for i, art in enumerate(articles):
        text = article_text(art.get("title"), art.get("text", art.get("body")))
        # the caller's language (the crawler detected it already) saves a detection
        language = art.get("language") or detect_language(text[:2000])  # 2000: plenty
        if language != "id":
            results[i] = empty_result(art["id"], language)
            continue
        doc = nlp.make_doc(text[:max_chars])
        doc.user_data["outlet_province"] = art.get("home_province") or outlet_home_province(
            art.get("outlet"), art.get("url"), outlets
        )
        doc.user_data["dateline"] = art.get("dateline")
        docs.append(doc)
        where.append(i)
    for i, doc in zip(where, nlp.pipe(docs, batch_size=batch_size), strict=True):
        results[i] = doc_result(doc, articles[i]["id"])
    return results  # type: ignore[return-value]


def annotate_lines(
    lines: Iterable[str],
    nlp: Language | None = None,
    batch_size: int = 32,
    on_error: Callable[[int, str], None] | None = None,
    n_process: int = 1,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Parse JSON lines and yield one public result (or error object) per non-blank line.

    Lines are read and annotated in chunks, so a stream is answered as it arrives and
    memory stays flat on large files. ``prepare`` lets the caller add input fields to each
    valid article (the CLI fills ``home_province`` from its outlet registry).
    """
    if nlp is None:
        from nlp.pipeline import get_nlp

        nlp = get_nlp()
    chunk: list[tuple[int, str]] = []
    with Workers(nlp, n_process) as workers:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            chunk.append((n, line))
            if len(chunk) >= batch_size * 2 * n_process:
                yield from _annotate_chunk(chunk, workers, batch_size, on_error, prepare)
                chunk = []
        if chunk:
            yield from _annotate_chunk(chunk, workers, batch_size, on_error, prepare)


def _annotate_chunk(
    chunk: list[tuple[int, str]],
    workers: Workers,
    batch_size: int,
    on_error: Callable[[int, str], None] | None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    parsed: list[dict[str, Any]] = []
    for n, line in chunk:
        obj: Any = None
        try:
            obj = json.loads(line)
            art = validate_article(obj)
            parsed.append(prepare(art) if prepare else art)
        except (json.JSONDecodeError, MalformedArticle) as exc:
            why = f"not JSON ({exc.msg})" if isinstance(exc, json.JSONDecodeError) else str(exc)
            if on_error:
                on_error(n, why)
            art_id = obj.get("id") if isinstance(obj, dict) else None
            parsed.append({"id": art_id, "line": n, "error": why, "_malformed": True})
    good = [p for p in parsed if not p.get("_malformed")]
    done = iter(enrich_articles(good, batch_size=batch_size, workers=workers) if good else [])
    for p in parsed:
        if p.get("_malformed"):
            yield {k: p[k] for k in ("id", "line", "error")}
        else:
            yield public_result(next(done))


def annotate_file(
    src: IO[str],
    dst: IO[str],
    nlp: Language | None = None,
    batch_size: int = 32,
    n_process: int = 1,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[int, int]:
    """Annotate a JSON-lines stream into ``dst``; returns (articles written, malformed)."""
    errors = 0

    def report(n: int, why: str) -> None:
        nonlocal errors
        errors += 1
        print(f"suar annotate: line {n}: {why}", file=sys.stderr)

    written = 0
    for result in annotate_lines(src, nlp, batch_size, report, n_process, prepare):
        dst.write(json.dumps(result, ensure_ascii=False) + "\n")
        dst.flush()
        written += 1
    return written - errors, errors
