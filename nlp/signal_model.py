"""The trained signal stage: a model decides topics and escalation; the rule cues are its
features and the evidence an analyst sees.

Why: the cue rules (nlp/signals.py) were fitted to 41 articles and over-escalate or miss on
news nobody tuned them to. Here each article becomes a vector of what the rules saw (the
rules' own topics and level, cue counts per topic and level split by context: present,
title, negated, preventive/conditional, denied, recounted history; magnitudes stated) plus
TF-IDF of its title, lead and cue sentences, and logistic models trained on labelled real
news decide the topics (one binary model per topic) and the level (one 5-class model,
averaged with a random forest and gradient-boosted trees over the rule features), each with a
probability that serves as its confidence.

Inference is plain numpy over JSON weights (``models/signals/model.json``): no scikit-learn
at enrichment time, and no training text in the artifact (only a vocabulary, idf and
weights). Training and grouped cross-validation live in nlp/signal_train.py.

spaCy: factory ``suar_signal_model`` runs after ``suar_signals``; it keeps the rules'
answers in ``doc._.rule_topics`` / ``doc._.rule_escalation`` and overwrites
``doc._.topics`` / ``doc._.escalation`` with the model's, adding ``confidence`` fields.
Without the artifact it leaves the rules' answers untouched (and says so once).
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from nlp import signals as sig
from nlp.morph import stem

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "signals"
MODEL_FILE = "model.json"
LEVELS = (0, 1, 2, 3, 4)
MAGNITUDE_FIELDS = ("killed", "injured", "arrested", "crowd")
# context splits of a cue hit, in feature order
CONTEXTS = ("present", "title", "negated", "hypothetical", "denied", "history")
MAX_EVIDENCE_SENTENCES = 12
_WORD_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

for _ext in ("rule_topics", "rule_escalation"):
    if not Doc.has_extension(_ext):
        Doc.set_extension(_ext, default=None)


READS: tuple[str, ...] = ()  # its artifact is hashed via nlp.pipeline.MODEL_FILES


def topic_codes() -> tuple[str, ...]:
    """The taxonomy's topic codes, in a fixed order (the rule engine's list)."""
    codes = getattr(sig, "TOPIC_CODES", None)
    return tuple(codes) if codes else tuple(sig.get_engine().topics)


# --------------------------------------------------------------------------- features
@dataclass
class ArticleFeatures:
    """What the model sees of one article, and the evidence it may show for its answers."""

    dense: dict[str, float]
    text: str  # title + lead + cue sentences, for TF-IDF
    lead: list[str] = field(default_factory=list)
    evidence_sents: list[str] = field(default_factory=list)
    topic_evidence: dict[str, dict] = field(default_factory=dict)
    level_evidence: dict[int, dict] = field(default_factory=dict)


def _scan(engine: Any, text: str, spans: list[tuple[int, int]] | None) -> list[Any]:
    """Sentences with their cue hits and context flags, as the rule engine sees them.

    The one place that reaches into the engine's internals (the same first pass as
    SignalEngine.analyze): the model needs every cue hit, not just the rules' verdict."""
    sents = engine.sentences(text, spans)
    year = sig._present_year(text)
    for si, s in enumerate(sents):
        engine._find_hits(s, si)
        s.history = engine._is_history(s.text, year)
        s.tally = bool(engine.tally_re.search(s.text.lower()))
        s.denial = any(h.cue.kind == "denial" for h in s.hits)
        s.election = engine.matcher.any_in_class("election", s.toks)
    return sents


def _evidence(hit: Any, s: Any) -> dict:
    return {
        "sentence": s.text,
        "cue": s.text[hit.start - s.start : hit.end - s.start],
        "start": hit.start,
        "end": hit.end,
    }


def _context(hit: Any, s: Any) -> str:
    if hit.negated:
        return "negated"
    if s.history or s.tally:
        return "history"
    if s.denial:
        return "denied"
    if hit.hypothetical:
        return "hypothetical"
    return "present"


def article_features(
    text: str,
    spans: list[tuple[int, int]] | None,
    rule_topics: list[dict] | None,
    rule_escalation: dict | None,
    magnitudes: dict | None,
    codes: tuple[str, ...],
    scanned: list[Any] | None = None,
) -> ArticleFeatures:
    """Features of one article from its text and the rule stage's public results.

    ``scanned``: the default engine's first-pass sentences of this text, when the rule
    stage kept them (SignalEngine.analyze_scan); else the text is scanned here."""
    engine = sig.get_engine()
    sents = scanned if scanned is not None else _scan(engine, text, spans)
    dense: dict[str, float] = {}
    counts: dict[tuple[str, str], int] = {}
    topic_ev: dict[str, tuple[int, dict]] = {}
    level_ev: dict[int, tuple[int, dict]] = {}
    cue_sents: list[str] = []
    n_title = n_body = 0
    lead: list[str] = []
    fact_check = False
    for s in sents:
        if s.is_title:
            n_title += 1
            if any(h.cue.kind == "factcheck" for h in s.hits):
                fact_check = True
        else:
            n_body += 1
            if len(lead) < 2:
                lead.append(s.text)
        has_cue = False
        for h in s.hits:
            kind = h.cue.kind
            if kind == "topic":
                key = h.cue.payload[0]
            elif kind == "level":
                key = f"L{h.cue.payload}"
            else:
                continue
            has_cue = True
            ctx = _context(h, s)
            counts[(key, ctx)] = counts.get((key, ctx), 0) + 1
            if s.is_title and ctx == "present":
                counts[(key, "title")] = counts.get((key, "title"), 0) + 1
            if ctx == "present":
                # evidence: the first present hit, preferring the title
                rank = 0 if s.is_title else 1
                if kind == "topic":
                    old = topic_ev.get(key)
                    if old is None or rank < old[0]:
                        topic_ev[key] = (rank, _evidence(h, s))
                else:
                    lvl = int(h.cue.payload)
                    old = level_ev.get(lvl)
                    if old is None or rank < old[0]:
                        level_ev[lvl] = (rank, _evidence(h, s))
        if has_cue and len(cue_sents) < MAX_EVIDENCE_SENTENCES:
            cue_sents.append(s.text)
    keys = [*codes, "L1", "L2", "L3", "L4"]
    for key in keys:
        for ctx in CONTEXTS:
            dense[f"cue:{key}:{ctx}"] = math.log1p(counts.get((key, ctx), 0))
    present_levels = [lvl for lvl in (1, 2, 3, 4) if counts.get((f"L{lvl}", "present"))]
    top = max(present_levels, default=0)
    for lvl in LEVELS:
        dense[f"cue_max_level={lvl}"] = float(top == lvl)
    scores = {t["code"]: float(t.get("score") or 0.0) for t in (rule_topics or [])}
    for code in codes:
        dense[f"rule_topic:{code}"] = scores.get(code, 0.0)
    dense["rule_any_topic"] = float(bool(scores))
    rule_level = (rule_escalation or {}).get("level") or 0
    for lvl in LEVELS:
        dense[f"rule_level={lvl}"] = float(rule_level == lvl)
    for f in MAGNITUDE_FIELDS:
        v = (magnitudes or {}).get(f)
        dense[f"mag:{f}"] = float(v is not None)
        dense[f"mag_log:{f}"] = math.log1p(v) if isinstance(v, int | float) and v > 0 else 0.0
    dense["fact_check"] = float(fact_check)
    dense["denial_sents"] = math.log1p(sum(1 for s in sents if s.denial))
    dense["history_sents"] = math.log1p(sum(1 for s in sents if s.history or s.tally))
    dense["election_sents"] = math.log1p(sum(1 for s in sents if s.election))
    dense["body_sents"] = math.log1p(n_body)
    dense["has_title"] = float(n_title > 0)
    title = [s.text for s in sents if s.is_title]
    tfidf_text = "\n".join(
        title + lead + [c for c in cue_sents if c not in lead and c not in title]
    )
    return ArticleFeatures(
        dense=dense,
        text=tfidf_text,
        lead=title + lead,
        evidence_sents=cue_sents,
        topic_evidence={k: v[1] for k, v in topic_ev.items()},
        level_evidence={k: v[1] for k, v in level_ev.items()},
    )


def doc_features(doc: Doc, codes: tuple[str, ...]) -> ArticleFeatures:
    """Features of a doc that has been through suar_sentences and suar_signals."""
    rule_topics = doc._.rule_topics if doc._.rule_topics is not None else doc._.topics
    rule_esc = doc._.rule_escalation if doc._.rule_escalation is not None else doc._.escalation
    # the rule stage's own first pass, when it ran with the default engine on this doc
    engine, scanned = doc.user_data.pop(sig.SCAN_KEY, (None, None))
    if engine is not sig.get_engine():
        scanned = None
    spans = None if scanned is not None else sig.doc_sentence_spans(doc)
    return article_features(
        sig.doc_text(doc), spans, rule_topics, rule_esc, doc._.magnitudes, codes, scanned
    )


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stem(word)


def analyzer(text: str) -> list[str]:
    """TF-IDF terms: word stems (so 'kericuhan' meets 'ricuh') and word bigrams."""
    words = _WORD_RE.findall(text.lower())
    terms = [_stem(w) for w in words if not w.isdigit()]
    terms += [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return terms


def rule_topic_set(feats: ArticleFeatures) -> frozenset[str]:
    """The topics the rules chose for this article (their rule_topic feature is set)."""
    return frozenset(
        n.split(":", 1)[1] for n, v in feats.dense.items() if n.startswith("rule_topic:") and v
    )


# --------------------------------------------------------------------------- the model
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def cumulative_to_classes(cum: np.ndarray) -> np.ndarray:
    """Class probabilities (n, K+1) from P(level >= k), k = 1..K (n, K), made monotone."""
    cum = np.minimum.accumulate(np.clip(cum, 1e-6, 1 - 1e-6), axis=1)
    ones = np.ones((len(cum), 1))
    full = np.hstack([ones, cum, np.zeros_like(ones)])
    return full[:, :-1] - full[:, 1:]


class TreeEnsemble:
    """Decision trees packed into flat arrays (one JSON object), walked all at once in numpy.

    Why packed: a per-tree Python loop over hundreds of trees would cost more than the rest
    of the signal stage per article; here one pass per tree level moves every tree's cursor.
    ``kind`` "forest": leaves hold class probabilities, averaged over trees (a random
    forest); "boosting": leaves hold raw scores summed per class onto a baseline, then a
    softmax (gradient boosting). Node i is a leaf when feature[i] < 0; else x[feature[i]] <=
    threshold[i] goes to left[i], otherwise right[i]."""

    def __init__(self, spec: dict[str, Any]):
        self.kind = str(spec["kind"])
        self.feature = np.asarray(spec["feature"], dtype=np.int64)
        self.threshold = np.asarray(spec["threshold"], dtype=float)
        self.left = np.asarray(spec["left"], dtype=np.int64)
        self.right = np.asarray(spec["right"], dtype=np.int64)
        self.value = np.asarray(spec["value"], dtype=float)  # (N, 5) forest, (N,) boosting
        self.roots = np.asarray(spec["roots"], dtype=np.int64)
        self.depth = int(spec["depth"])
        if self.kind == "boosting":
            self.baseline = np.asarray(spec["baseline"], dtype=float)  # (5,)
            tree_class = np.asarray(spec["tree_class"], dtype=np.int64)
            self.class_matrix = np.eye(len(self.baseline))[tree_class]  # (trees, 5)
        elif self.kind != "forest":
            raise ValueError(f"unknown tree ensemble kind {self.kind!r}")

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The leaf each tree sends each row of x (n, features) to: (n, trees)."""
        node = np.tile(self.roots, (len(x), 1))
        for _ in range(self.depth):
            feat = self.feature[node]
            inner = feat >= 0
            if not inner.any():
                break
            xv = np.take_along_axis(x, np.where(inner, feat, 0), axis=1)
            step = np.where(xv <= self.threshold[node], self.left[node], self.right[node])
            node = np.where(inner, step, node)
        return node

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Boosting: the per-class scores (n, 5) before the softmax."""
        return self.baseline + self.value[self.leaves(np.atleast_2d(x))] @ self.class_matrix

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, 5) for rows x (n, features)."""
        if self.kind == "boosting":
            return _softmax(self.raw(x))
        # scikit-learn's forests compare in float32 (their thresholds sit between float32
        # values), so the walk does too
        x = np.atleast_2d(x).astype(np.float32).astype(float)
        return self.value[self.leaves(x)].mean(axis=1)


class SignalModel:
    """Weights and the decision rule; built by nlp.signal_train, read from model.json."""

    def __init__(self, params: dict[str, Any]):
        self.params = params
        self.codes: tuple[str, ...] = tuple(params["topics"])
        self.dense_names: list[str] = params["dense_names"]
        self.mean = np.asarray(params["dense_mean"], dtype=float)
        self.scale = np.asarray(params["dense_scale"], dtype=float)
        self.vocab: dict[str, int] = params["vocab"]
        self.idf = np.asarray(params["idf"], dtype=float)
        self.text_weight = float(params["text_weight"])
        self.topic_coef = np.asarray(params["topic_coef"], dtype=float)  # (T, D)
        self.topic_bias = np.asarray(params["topic_bias"], dtype=float)  # (T,)
        self.level_coef = np.asarray(params["level_coef"], dtype=float)  # (5, D)
        self.level_bias = np.asarray(params["level_bias"], dtype=float)  # (5,)
        self.topic_temp = float(params.get("topic_temperature", 1.0))
        self.level_temp = float(params.get("level_temperature", 1.0))
        # "multinomial": level_coef (5, D), softmax; "ordinal": level_coef (4, D), row k-1
        # the logit of P(level >= k), class probabilities as differences of the cumulatives
        self.level_mode = str(params.get("level_mode", "multinomial"))
        # confidence of a topic = sigmoid(a * logit + b * [rules chose it] + c), fitted on
        # out-of-fold predictions; absent: the raw probability
        self.topic_calibration: list[float] | None = params.get("topic_calibration")
        self.threshold = float(params.get("topic_threshold", 0.5))
        self.topic_source = str(params.get("topic_source", "model"))
        # the level may be the mean of the logistic model and tree ensembles over the
        # standardised rule features (the first len(dense_names) columns of a vector)
        self.level_trees = [TreeEnsemble(t) for t in params.get("level_trees", [])]

    # ---- vectors
    def vector(self, feats: ArticleFeatures) -> np.ndarray:
        dense = np.array([feats.dense.get(n, 0.0) for n in self.dense_names], dtype=float)
        dense = (dense - self.mean) / self.scale
        tf = np.zeros(len(self.vocab))
        for term in analyzer(feats.text):
            k = self.vocab.get(term)
            if k is not None:
                tf[k] += 1.0
        nz = tf > 0
        tf[nz] = (1.0 + np.log(tf[nz])) * self.idf[nz]
        norm = np.linalg.norm(tf)
        if norm:
            tf /= norm
        return np.concatenate([dense, self.text_weight * tf])

    def probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(topic probabilities (n, T), level probabilities (n, 5)) for vectors x (n, D)."""
        x = np.atleast_2d(x)
        pt = _sigmoid((x @ self.topic_coef.T + self.topic_bias) / self.topic_temp)
        z = x @ self.level_coef.T + self.level_bias
        return pt, self.level_probabilities(z, self.tree_probabilities(x))

    def tree_probabilities(self, x: np.ndarray) -> np.ndarray | None:
        """Summed level probabilities (n, 5) of the tree ensembles, None without any."""
        if not self.level_trees:
            return None
        dense = np.atleast_2d(x)[:, : len(self.dense_names)]
        return sum(t.probabilities(dense) for t in self.level_trees)

    def level_probabilities(self, z: np.ndarray, trees: np.ndarray | None = None) -> np.ndarray:
        """Level probabilities (n, 5) from level logits, averaged with the tree ensembles'
        summed probabilities ``trees`` when the model has them, then temperature-scaled.

        The temperature acts on the log of the final probabilities, so it changes the
        confidence and never the chosen level (scaling only the logistic part would
        reweight the mix); without trees this is softmax(z / T), as before."""
        z = np.atleast_2d(z)
        if self.level_mode == "ordinal":
            p = cumulative_to_classes(_sigmoid(z / self.level_temp))
            if trees is None or not self.level_trees:
                return p
            return (p + trees) / (1 + len(self.level_trees))
        p = _softmax(z)
        if trees is not None and self.level_trees:
            p = (p + trees) / (1 + len(self.level_trees))
        return _softmax(np.log(np.clip(p, 1e-12, 1.0)) / self.level_temp)

    def topic_confidence(self, p: np.ndarray, rule_chosen: np.ndarray) -> np.ndarray:
        """Calibrated confidence that each topic is present (raw probability p when the
        artifact has no calibration)."""
        if not self.topic_calibration:
            return p
        a, b, c = self.topic_calibration
        z = np.log(np.clip(p, 1e-9, 1.0)) - np.log(np.clip(1.0 - p, 1e-9, 1.0))
        return _sigmoid(a * z + b * rule_chosen + c)

    def decide(
        self, pt: np.ndarray, pl: np.ndarray, rule_topics: frozenset[str] = frozenset()
    ) -> tuple[list[tuple[str, float]], int, float]:
        """Topics with their confidences, the level and its confidence, for one article.

        One article-level answer: the level model says whether there is any conflict signal
        (level 0 = routine news, no topic). With topic_source "model", topics are those above
        the threshold; with "rules_first" (chosen by grouped CV: the cue rules name topics
        better than 200 articles can teach a model) they are the rules' topics when the rules
        found any, else the model's. Either way the likeliest topic stands in when the level
        says there is a signal and no topic was named; confidences are the model's."""
        level = int(np.argmax(pl))
        conf = float(pl[level])
        if level == 0:
            return [], 0, conf
        prob = dict(zip(self.codes, pt.tolist(), strict=True))
        if self.topic_source == "rules_first" and rule_topics:
            names = [c for c in self.codes if c in rule_topics]
        else:
            names = [c for c, p in prob.items() if p >= self.threshold]
        if not names:
            names = [self.codes[int(np.argmax(pt))]]
        rule = np.array([c in rule_topics for c in self.codes], dtype=float)
        cal = dict(zip(self.codes, self.topic_confidence(pt, rule).tolist(), strict=True))
        chosen = [(c, float(cal[c])) for c in names]
        chosen.sort(key=lambda cp: (-cp[1], cp[0]))
        return chosen, level, conf

    def predict(self, feats: ArticleFeatures) -> dict[str, Any]:
        pt, pl = self.probabilities(self.vector(feats))
        topics, level, conf = self.decide(pt[0], pl[0], rule_topic_set(feats))
        return {
            "topics": topics,
            "level": level,
            "level_confidence": conf,
            "topic_probs": dict(zip(self.codes, pt[0].tolist(), strict=True)),
            "level_probs": pl[0].tolist(),
        }

    # ---- storage
    def save(self, out_dir: Path) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / MODEL_FILE
        path.write_text(json.dumps(self.params, separators=(",", ":")) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, model_dir: Path | str) -> SignalModel:
        path = Path(model_dir) / MODEL_FILE
        return cls(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=4)
def load_model(model_dir: str | None = None) -> SignalModel | None:
    """The trained model in model_dir (default models/signals), or None when absent."""
    path = _model_dir(model_dir)
    if not (path / MODEL_FILE).exists():
        log.warning("no signal model at %s: the rules decide topics and level", path)
        return None
    return SignalModel.load(path)


def _model_dir(model_dir: str | None) -> Path:
    if not model_dir:
        return DEFAULT_MODEL_DIR
    p = Path(model_dir)
    return p if p.is_absolute() else REPO_ROOT / p


# --------------------------------------------------------------------------- spaCy
def apply_model(doc: Doc, model: SignalModel) -> Doc:
    """Replace the rules' topics and level on doc by the model's, keeping the rules' cues as
    evidence (the topic's first present cue; else the rules' evidence for that topic)."""
    # idempotent: a second pass starts again from the rules' answers, not the model's
    rule_topics = doc._.rule_topics if doc._.rule_topics is not None else doc._.topics or []
    rule_esc = doc._.rule_escalation or doc._.escalation or {"level": 0, "evidence": None}
    doc._.rule_topics = rule_topics
    doc._.rule_escalation = rule_esc
    feats = doc_features(doc, model.codes)
    out = model.predict(feats)
    rule_ev = {t["code"]: t.get("evidence") for t in rule_topics}
    topics = []
    for code, p in out["topics"]:
        ev = rule_ev.get(code) or feats.topic_evidence.get(code)
        topics.append(
            {"code": code, "score": round(p, 3), "confidence": round(p, 3), "evidence": ev}
        )
    level = out["level"]
    if level == 0:
        ev = None
    elif rule_esc.get("level") == level and rule_esc.get("evidence"):
        ev = rule_esc["evidence"]
    else:
        # the strongest present cue at or below the chosen level, else the top topic's
        ev = next(
            (feats.level_evidence[k] for k in range(level, 0, -1) if k in feats.level_evidence),
            None,
        )
        if ev is None and topics:
            ev = topics[0]["evidence"]
    doc._.topics = topics
    doc._.escalation = {
        "level": level,
        "evidence": ev,
        "confidence": round(out["level_confidence"], 3),
    }
    return doc


class SignalModelComponent:
    """spaCy component: the trained model decides topics and level (see module docstring)."""

    def __init__(self, model_dir: str | None = None):
        self.model = load_model(model_dir)

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None or doc._.topics is None:
            return doc
        return apply_model(doc, self.model)


@Language.factory("suar_signal_model", default_config={"model_dir": None})
def make_signal_model(nlp: Language, name: str, model_dir: str | None) -> SignalModelComponent:
    """Topics and escalation decided by the trained model in model_dir (models/signals)."""
    return SignalModelComponent(model_dir)
