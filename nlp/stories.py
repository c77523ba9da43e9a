"""Story clustering: which articles report the same event (the pure computation).

`assign` takes article records (StoryArticle) in date order and puts each into the story of
its best-matching earlier article or a new one. A pair matches when its content score passes
`link` (nlp/data/stories/stories.toml): TF-IDF cosine of content words, averaged with the
embedding cosine when both articles have a vector of the model in use, plus place evidence
(same regency, same kecamatan/desa, same person named, the same killed/injured/arrested
figure in the same regency) and minus "different regencies".
Dates must be within `window_days` (or `followup_days` with a higher score); a story never
spans more than `max_span_days`. Sharing a province and a topic is never enough: those only
choose which articles are compared (blocking by province and date window, plus MinHash LSH
buckets), not whether they match.

No database here: pipeline/stories.py loads the records from DuckDB and writes the result
(`suar stories`); nlp/evaluate.py builds them from `suar annotate` output (`suar eval`).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nlp import dedup
from nlp.textdates import event_date

DATA = Path(__file__).resolve().parent / "data" / "stories"
WIB = timezone(timedelta(hours=7))


# -- parameters ---------------------------------------------------------------------------


@dataclass
class StoryParams:
    """Everything that decides a grouping: [stories] config plus the data-file weights."""

    window_days: int = 3
    followup_days: int = 7
    max_span_days: int = 14
    near_duplicate: float = 0.6
    use_embeddings: bool = True
    link: float = 0.5
    lex_low: float = 0.10
    lex_high: float = 0.50
    lex_chars: int = 3000
    same_regency: float = 0.10
    shared_place: float = 0.10
    shared_person: float = 0.05
    same_figures: float = 0.20
    other_regency: float = -0.20
    followup_margin: float = 0.10
    undated_margin: float = 0.10
    emb_low: float = 0.80
    emb_high: float = 0.95
    semantic_duplicate: float = 0.98
    model: str | None = None

    def for_model(self, model: str | None) -> StoryParams:
        """These parameters with the embedding calibration of ``model``."""
        out = StoryParams(**asdict(self))
        out.model = model
        sections = _weights().get("embedding", [])
        chosen = next(
            (s for s in sections if model and s["match"] != "default" and s["match"] in model),
            next((s for s in sections if s["match"] == "default"), None),
        )
        if chosen:
            out.emb_low, out.emb_high = chosen["low"], chosen["high"]
            out.semantic_duplicate = chosen["semantic_duplicate"]
        return out


@lru_cache(maxsize=1)
def _weights() -> dict[str, Any]:
    return tomllib.loads((DATA / "stories.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def load_params(section: Mapping[str, Any] | None = None) -> StoryParams:
    """Parameters from the data file and a [stories] configuration section (pipeline's)."""
    w = _weights()
    p = StoryParams(
        link=w["link"],
        lex_low=w["lexical"]["low"],
        lex_high=w["lexical"]["high"],
        lex_chars=w["lexical"]["chars"],
        **{
            k: w["evidence"][k]
            for k in ("same_regency", "shared_place", "shared_person", "same_figures")
        },
        other_regency=w["evidence"]["other_regency"],
        followup_margin=w["dates"]["followup_margin"],
        undated_margin=w["dates"]["undated_margin"],
    )
    if section is not None:
        s = section
        p.window_days = s["window_days"]
        p.followup_days = s["followup_days"]
        p.max_span_days = s["max_span_days"]
        p.near_duplicate = s["near_duplicate_jaccard"]
        p.use_embeddings = s["use_embeddings"]
    if p.followup_days < p.window_days:
        raise ValueError("stories.followup_days must be >= stories.window_days")
    return p.for_model(None)


# -- records ------------------------------------------------------------------------------


@dataclass
class StoryArticle:
    """What the clustering knows about one article (built from the database or annotate)."""

    id: int
    outlet: str
    title: str
    text: str
    day: date | None  # event date (article_dates)
    order: tuple  # canonical-copy order: earliest published / first seen, then id
    content_hash: str | None = None
    region: str | None = None  # primary region code
    region_level: str | None = None
    province: str | None = None
    regions: frozenset[str] = frozenset()  # every region code mentioned
    persons: frozenset[str] = frozenset()
    vector: np.ndarray | None = None
    figures: Mapping[str, int] = field(default_factory=dict)  # killed/injured/arrested > 0

    @property
    def regency(self) -> str | None:
        if self.region and self.region_level and self.region_level != "province":
            return self.region[:5]
        return None

    @property
    def provinces(self) -> frozenset[str]:
        out = {c[:2] for c in self.regions}
        if self.province:
            out.add(self.province)
        return frozenset(out)

    @property
    def regencies(self) -> frozenset[str]:
        return frozenset(c[:5] for c in self.regions if len(c) >= 5)

    @property
    def places(self) -> frozenset[str]:
        return frozenset(c for c in self.regions if len(c) > 5)


@dataclass
class Assignment:
    """The outcome of `assign`: story per article (new stories have negative ids)."""

    story: dict[int, int] = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)
    duplicates: dict[int, dedup.Duplicate] = field(default_factory=dict)
    new_stories: int = 0


# -- similarity ---------------------------------------------------------------------------


class _Vocab(dict):
    """Token -> row in the token tables; a new token gets its MinHash hash and, when it is a
    content word (3+ letters, not a stopword), a TF-IDF column."""

    def __init__(self) -> None:
        super().__init__()
        self.hashes: list[int] = []
        self.column: list[int] = []
        self.columns = 0
        self.stop = stopwords()

    def __missing__(self, word: str) -> int:
        k = len(self)
        self[word] = k
        self.hashes.append(dedup.token_hash(word))
        if len(word) >= 3 and word.isalpha() and word not in self.stop:
            self.column.append(self.columns)
            self.columns += 1
        else:
            self.column.append(-1)
        return k


def _text_features(arts: list[StoryArticle], chars: int, chunk: int = 2000) -> tuple[Any, Any]:
    """(MinHash signatures, L2-normalised TF-IDF rows) of title + lead, in one tokenising
    pass (TF-IDF as scikit-learn's sublinear, smoothed variant, built directly as CSR)."""
    from scipy.sparse import csr_matrix, diags

    vocab = _Vocab()
    sig_parts, rows, cols = [], [], []
    for start in range(0, len(arts), chunk):
        part = arts[start : start + chunk]
        toks = [dedup.words(f"{a.title or ''}\n{(a.text or '')[:chars]}") for a in part]
        flat = np.array([vocab[w] for ws in toks for w in ws], dtype=np.int64)
        lengths = np.array([len(ws) for ws in toks], dtype=np.int64)
        hashes = np.array(vocab.hashes, dtype=np.uint32)
        sig_parts.append(dedup.minhash_rows(hashes[flat], lengths))
        column = np.array(vocab.column, dtype=np.int64)[flat]
        doc = np.repeat(np.arange(start, start + len(part), dtype=np.int64), lengths)
        content = column >= 0
        rows.append(doc[content])
        cols.append(column[content])
    n = len(arts)
    sigs = np.concatenate(sig_parts) if sig_parts else np.empty((0, dedup.NUM_PERM), np.uint32)
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    x = csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, max(vocab.columns, 1)))
    x.sum_duplicates()
    x.data = 1.0 + np.log(x.data)
    df = np.bincount(x.indices, minlength=x.shape[1])
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    x.data *= idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sigs, (diags(1.0 / norms).astype(np.float32) @ x).tocsr()


def _expand(queries: np.ndarray, lo: np.ndarray, hi: np.ndarray, pool: np.ndarray) -> tuple:
    """(query, pool[k]) for every k in [lo, hi) of each query, vectorised."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    return np.repeat(queries, counts), pool[np.arange(total) + starts]


def _candidate_pairs(
    arts: list[StoryArticle], rank: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Blocking: pairs (i, j) where i is pending, j comes before it, and they could be one
    event: they share a province (or one has none) and their dates are within ``days``
    (or one is undated). Never all pairs: a province's articles within a date window."""
    n = len(arts)
    ordinal = np.array([a.day.toordinal() if a.day else -1 for a in arts], dtype=np.int64)
    blocks: dict[str | None, list[int]] = {}
    for i, a in enumerate(arts):
        for p in a.provinces or (None,):
            blocks.setdefault(p, []).append(i)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []

    def window(members: np.ndarray, queries: np.ndarray) -> None:
        dated = members[ordinal[members] >= 0]
        dated = dated[np.argsort(ordinal[dated], kind="stable")]
        od = ordinal[dated]
        q_dated = queries[ordinal[queries] >= 0]
        lo = np.searchsorted(od, ordinal[q_dated] - days, side="left")
        hi = np.searchsorted(od, ordinal[q_dated] + days, side="right")
        x, y = _expand(q_dated, lo, hi, dated)
        xs.append(x)
        ys.append(y)
        # undated articles meet every article of their block, and the other way round
        undated = members[ordinal[members] < 0]
        q_undated = queries[ordinal[queries] < 0]
        for group, against in ((q_undated, members), (undated, queries)):
            if len(group) and len(against):
                xs.append(np.repeat(group, len(against)))
                ys.append(np.tile(against, len(group)))

    everyone = np.arange(n, dtype=np.int64)
    for key, members in blocks.items():
        m = np.array(members, dtype=np.int64)
        # an article naming no province (a national report) meets everything in its window
        window(everyone if key is None else m, m)
    if not xs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    x, y = np.concatenate(xs), np.concatenate(ys)
    # orient each pair so that i is the later one in processing order
    later = rank[x] >= rank[y]
    i, j = np.where(later, x, y), np.where(later, y, x)
    keep = (i != j) & (rank[i] > rank[j]) & (rank[i] >= 0)
    code = np.unique(i[keep] * n + j[keep])
    return code // n, code % n


def _pair_scores(
    i: np.ndarray,
    j: np.ndarray,
    lex: Any,
    vecs: np.ndarray | None,
    has_vec: np.ndarray,
    p: StoryParams,
    chunk: int = 200_000,
) -> tuple[np.ndarray, np.ndarray]:
    """(content score, embedding cosine or NaN) of each pair, in chunks."""
    score = np.empty(len(i), dtype=np.float32)
    cos = np.full(len(i), np.nan, dtype=np.float32)
    span = p.lex_high - p.lex_low
    for s in range(0, len(i), chunk):
        a, b = i[s : s + chunk], j[s : s + chunk]
        lx = np.asarray(lex[a].multiply(lex[b]).sum(axis=1)).ravel()
        sc = np.clip((lx - p.lex_low) / span, -1.0, 2.0)
        if vecs is not None:
            both = has_vec[a] & has_vec[b]
            if both.any():
                c = np.einsum("ij,ij->i", vecs[a[both]], vecs[b[both]])
                emb = np.clip((c - p.emb_low) / (p.emb_high - p.emb_low), -1.0, 2.0)
                sc[both] = (sc[both] + emb) / 2.0
                cc = cos[s : s + chunk]
                cc[both] = c
        score[s : s + chunk] = sc
    return score, cos


def assign(
    arts: list[StoryArticle],
    params: StoryParams,
    *,
    placed: dict[int, int] | None = None,
    known_duplicates: list[tuple[int, int, str, float]] | None = None,
) -> Assignment:
    """Group articles into stories (pure: no database).

    ``placed`` maps ids of already-assigned articles (context of an incremental run) to
    their story ids; they are compared against but never moved. Every other article gets a
    story: an existing one, or a new one with a negative id (-1, -2, ...).
    ``known_duplicates`` are the placed articles' existing (article, canonical, kind,
    similarity) pointers, so a new copy joining a group keeps the group whole.
    """
    placed = placed or {}
    p = params
    result = Assignment()
    if not arts:
        return result
    n = len(arts)
    pos = {a.id: i for i, a in enumerate(arts)}
    pending = [i for i, a in enumerate(arts) if a.id not in placed]
    order = sorted(
        pending, key=lambda i: (arts[i].day is None, arts[i].day or date.max, arts[i].order)
    )
    rank = np.full(n, -1, dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(order))

    # Duplicates: exact hashes, then MinHash near copies involving a pending article.
    sigs, lex = _text_features(arts, p.lex_chars)
    edges: list[tuple[int, int, str, float]] = []
    by_hash: dict[str, int] = {}
    for a in sorted(arts, key=lambda a: a.order):
        if a.content_hash:
            first = by_hash.setdefault(a.content_hash, a.id)
            if first != a.id:
                edges.append((first, a.id, "exact", 1.0))
    for x, y, sim in dedup.near_pairs(sigs, p.near_duplicate, query=np.array(pending)):
        edges.append((arts[x].id, arts[y].id, "near", sim))
    edges.extend(e for e in known_duplicates or [] if e[0] in pos and e[1] in pos)
    dup_of: dict[int, list[tuple[int, float]]] = {}
    for x, y, _, sim in edges:
        dup_of.setdefault(x, []).append((y, sim))
        dup_of.setdefault(y, []).append((x, sim))

    # Content scores of the candidate pairs, all at once.
    vecs: np.ndarray | None = None
    has_vec = np.zeros(n, dtype=bool)
    if p.use_embeddings:
        dims = {a.vector.shape[0] for a in arts if a.vector is not None}
        if len(dims) == 1:
            vecs = np.zeros((n, dims.pop()), dtype=np.float32)
            for k, a in enumerate(arts):
                if a.vector is not None:
                    vecs[k] = a.vector
                    has_vec[k] = True
    ci, cj = _candidate_pairs(arts, rank, p.followup_days)
    score, cos = _pair_scores(ci, cj, lex, vecs, has_vec, p)
    max_boost = p.same_regency + p.shared_place + p.shared_person + p.same_figures
    keep = score + max_boost >= p.link
    semantic: list[tuple[int, int, str, float]] = []
    ordinal = np.array([a.day.toordinal() if a.day else -(10**7) for a in arts], dtype=np.int64)
    gap = np.abs(ordinal[ci] - ordinal[cj])
    sem = (cos >= p.semantic_duplicate) & (gap <= 1)
    for x, y, c in zip(ci[sem], cj[sem], cos[sem], strict=True):
        semantic.append((arts[x].id, arts[y].id, "semantic", round(float(c), 4)))
    ci, cj, score = ci[keep], cj[keep], score[keep]
    by_i: dict[int, list[tuple[int, float]]] = {}
    for x, y, sc in zip(ci.tolist(), cj.tolist(), score.tolist(), strict=True):
        by_i.setdefault(x, []).append((y, sc))

    story_of = np.zeros(n, dtype=np.int64)
    span: dict[int, tuple[int, int]] = {}

    def place(i: int, sid: int) -> None:
        story_of[i] = sid
        if arts[i].day is not None:
            o = arts[i].day.toordinal()
            lo, hi = span.get(sid, (o, o))
            span[sid] = (min(lo, o), max(hi, o))

    for a_id, sid in placed.items():
        if a_id in pos:
            place(pos[a_id], sid)
    next_new = -1
    for i in order:
        a = arts[i]
        best_sid, best_score = 0, -math.inf
        # a copy of an already-placed article goes where its original went
        for other, sim in dup_of.get(a.id, []):
            j = pos[other]
            if (rank[j] < rank[i]) and story_of[j] and sim > best_score:
                best_sid, best_score = int(story_of[j]), sim
        if not best_sid:
            best_sid, best_score = _best_story(a, by_i.get(i, []), arts, p, story_of, span)
        if not best_sid:
            best_sid, best_score = next_new, 1.0
            next_new -= 1
            result.new_stories += 1
        place(i, best_sid)
        result.story[a.id] = best_sid
        result.similarity[a.id] = round(float(best_score), 4)

    touched = {x for e in edges + semantic for x in e[:2]} | {arts[i].id for i in pending}
    result.duplicates = dedup.group_duplicates(
        {x: arts[pos[x]].order for x in touched}, edges + semantic
    )
    return result


def _best_story(
    a: StoryArticle,
    cands: list[tuple[int, float]],
    arts: list[StoryArticle],
    p: StoryParams,
    story_of: np.ndarray,
    span: dict[int, tuple[int, int]],
) -> tuple[int, float]:
    """(story id, score) of the best-matching earlier article's story, or (0, -inf)."""
    best: dict[int, float] = {}
    for j, base in cands:
        b = arts[j]
        s = base + _evidence(a, b, p)
        if a.day is None or b.day is None:
            need = p.link + p.undated_margin
        else:
            gap = abs(a.day.toordinal() - b.day.toordinal())
            if gap > p.followup_days:
                continue
            need = p.link + (p.followup_margin if gap > p.window_days else 0.0)
        if s < need:
            continue
        sid = int(story_of[j])
        if a.day is not None and sid in span:
            lo, hi = span[sid]
            o = a.day.toordinal()
            if max(hi, o) - min(lo, o) > p.max_span_days:
                continue
        if s > best.get(sid, -math.inf):
            best[sid] = s
    if not best:
        return 0, -math.inf
    sid = max(best, key=lambda k: (best[k], -abs(k)))
    return sid, best[sid]


def _evidence(a: StoryArticle, b: StoryArticle, p: StoryParams) -> float:
    """Place and actor evidence: same regency, same kecamatan/desa, same person, and within
    the same regency and date window the same casualty or arrest figure (a follow-up report
    of one incident worded differently); or different regencies neither article mentions
    for the other (two events)."""
    s = 0.0
    ra, rb = a.regency, b.regency
    if ra and rb:
        if ra == rb:
            s += p.same_regency
            if _same_figures(a, b, p):
                s += p.same_figures
        elif ra not in b.regencies and rb not in a.regencies:
            s += p.other_regency
    if a.places & b.places:
        s += p.shared_place
    if a.persons & b.persons:
        s += p.shared_person
    return s


FIGURES = ("killed", "injured", "arrested")  # counts that identify an incident (crowd does not)


def _same_figures(a: StoryArticle, b: StoryArticle, p: StoryParams) -> bool:
    """Both report the same non-zero count of one kind and no differing count of another
    kind they both report, with dates within `followup_days` (or undated)."""
    shared = [f for f in FIGURES if f in a.figures and f in b.figures]
    if not shared or any(a.figures[f] != b.figures[f] for f in shared):
        return False
    if a.day is None or b.day is None:
        return True
    return abs(a.day.toordinal() - b.day.toordinal()) <= p.followup_days


def figures_of(values: Mapping[str, Any]) -> dict[str, int]:
    """The identifying figures of an article's magnitudes (non-zero counts only)."""
    return {f: int(values[f]) for f in FIGURES if values.get(f)}


def as_wib_date(ts: datetime | None) -> date | None:
    """The calendar day in Jakarta time (naive timestamps are UTC, as stored)."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(WIB).date()


# -- records from annotate output, scoring -------------------------------------------------


def annotated_article(
    num: int,
    art: dict[str, Any],
    ann: dict[str, Any],
    *,
    vector: np.ndarray | None = None,
    today: date | None = None,
) -> StoryArticle:
    """A clustering record from an article dict and its `suar annotate` result, with the
    same event-date rule as the database path (`suar eval` clusters news-dev with it)."""
    published = art.get("published_at")
    pub_day = as_wib_date(datetime.fromisoformat(published)) if published else None
    day, _, _ = event_date(
        title=art.get("title"),
        body=art.get("text"),
        url=art.get("url"),
        published=pub_day,
        first_seen=None,
        crawled=False,
        today=today,
    )
    prim = ann.get("primary_region") or {}
    persons = {
        e["text"].lower()
        for e in ann.get("entities", [])
        if e.get("label") == "PER" and not e.get("is_byline")
    }
    return StoryArticle(
        id=num,
        outlet=art.get("outlet") or "",
        title=art.get("title") or "",
        text=art.get("text") or "",
        day=day,
        order=(pub_day or date.max, num),
        region=prim.get("code"),
        region_level=prim.get("level"),
        province=prim.get("province_code"),
        regions=frozenset(m["code"] for m in ann.get("regions", [])),
        persons=frozenset(persons),
        vector=vector,
        figures=figures_of(ann.get("magnitudes") or {}),
    )


def pairwise_scores(gold: dict[Any, str], pred: dict[Any, Any]) -> dict[str, Any]:
    """Pairwise precision/recall/F1 of "same story", with the wrong pairs listed."""
    ids = sorted(gold)
    tp = fp = fn = 0
    false_merges, missed = [], []
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            same_gold = gold[a] == gold[b]
            same_pred = pred[a] == pred[b]
            if same_gold and same_pred:
                tp += 1
            elif same_pred:
                fp += 1
                false_merges.append([a, b])
            elif same_gold:
                fn += 1
                missed.append([a, b])
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "pairs_gold": tp + fn,
        "pairs_predicted": tp + fp,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
        "stories_gold": len(set(gold.values())),
        "stories_predicted": len(set(pred[i] for i in ids)),
        "false_merges": false_merges,
        "missed": missed,
    }
