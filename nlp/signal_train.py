"""Training and grouped cross-validation of the trained signal stage (nlp/signal_model.py).

Why grouped: news-train reports 37 events through two or three outlets; an article whose
sister report sits in the training fold is not an unseen article. Folds therefore split by
``story`` (an article without one is its own group), and the rules alone are scored on the
same articles so that the comparison is like for like. news-dev is never trained on; it is
scored as a separate check (a model far better there than in cross-validation is fitted).

    python -m nlp.signal_train --shared ../shared [--corrections FILE] [--out models/signals]
    suar models train signals            # the same, through the CLI

Writes ``models/signals/model.json`` (weights, vocabulary, idf; no text, no labels) and
``models/signals/cv_report.json`` (figures only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp import signal_model as sm

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = REPO_ROOT / "models" / "signals" / "config.toml"
DEMO_GOLD = Path(__file__).parent / "data" / "eval" / "demo_gold.jsonl"
DEMO_STORIES = Path(__file__).parent / "data" / "eval" / "demo_stories.toml"


class TrainingDataError(ValueError):
    """A training row or file that cannot be used; the message says why."""


@dataclass
class Example:
    """One labelled article: its text (title + newline + body), group and gold labels."""

    id: str
    text: str
    group: str
    topics: frozenset[str]
    level: int


# --------------------------------------------------------------------------- data
def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise TrainingDataError(f"{path}:{n}: not JSON ({exc.msg})") from exc
    return rows


def example_from_row(row: dict[str, Any], source: str, codes: tuple[str, ...]) -> Example:
    """An Example from a news-dev-format row (id, title, text, story, topics, escalation)."""
    where = f"{source}:{row.get('id')}"
    if not isinstance(row.get("text"), str):
        raise TrainingDataError(f"{where}: no text")
    topics = row.get("topics")
    level = row.get("escalation")
    if not isinstance(topics, list) or any(t not in codes for t in topics):
        raise TrainingDataError(f"{where}: topics must be a list of taxonomy codes: {topics!r}")
    if not isinstance(level, int) or level not in sm.LEVELS:
        raise TrainingDataError(f"{where}: escalation must be 0-4: {level!r}")
    title = row.get("title") or ""
    story = row.get("story")
    group = f"{source}:{story}" if story and not str(story).startswith("single") else where
    return Example(str(row.get("id")), f"{title}\n{row['text']}", group, frozenset(topics), level)


def load_jsonl_examples(path: Path, source: str) -> list[Example]:
    codes = sm.topic_codes()
    return [example_from_row(r, source, codes) for r in _read_jsonl(path)]


def load_demo_examples(
    articles: Path, gold: Path = DEMO_GOLD, stories: Path = DEMO_STORIES
) -> list[Example]:
    """The project's own 40 demo articles (the demo site's articles.toml, passed by the
    caller: nlp reads no crawler file) with their hand labels (demo_gold.jsonl)."""
    from nlp.evaluate import demo_texts

    texts = demo_texts(articles)
    story_of: dict[str, str] = {}
    if stories.exists():
        with open(stories, "rb") as fh:
            for st in tomllib.load(fh).get("story", []):
                for key in st["articles"]:
                    story_of[key] = st["name"]
    codes = sm.topic_codes()
    out = []
    for g in _read_jsonl(gold):
        key = f"{g['outlet']}/{g['slug']}"
        title, _, body = texts[(g["outlet"], g["slug"])].partition("\n")
        row = {**g, "id": key, "title": title, "text": body, "story": story_of.get(key)}
        out.append(example_from_row(row, "demo", codes))
    return out


def training_examples(
    shared: Path, corrections: Path | None = None, demo_articles: Path | None = None
) -> list[Example]:
    """news-train + the demo gold when ``demo_articles`` is given (+ analysts' corrections
    in news-dev format)."""
    path = shared / "data" / "news-train" / "articles.jsonl"
    if not path.exists():
        raise TrainingDataError(f"no news-train at {path}")
    examples = load_jsonl_examples(path, "news-train")
    if demo_articles is not None:
        examples += load_demo_examples(Path(demo_articles))
    if corrections:
        examples += load_jsonl_examples(Path(corrections), "corrections")
    return examples


# --------------------------------------------------------------------------- features
def rules_nlp() -> Any:
    """The project pipeline without the statistical NER or the model: what the features
    need (sentences + rule signals) at a fraction of the cost."""
    from nlp.pipeline import build_nlp

    nlp = build_nlp(ner_backend="none")
    keep = {"suar_sentences", "suar_signals"}
    return nlp, [p for p in nlp.pipe_names if p not in keep]


def featurize(examples: list[Example], nlp: Any = None) -> tuple[list, list[dict]]:
    """(features, rule predictions) per example, through the real spaCy components."""
    if nlp is None:
        nlp, disable = rules_nlp()
    else:
        disable = [p for p in nlp.pipe_names if p == "suar_signal_model"]
    feats, rules = [], []
    codes = sm.topic_codes()
    with nlp.select_pipes(disable=disable):
        for doc in nlp.pipe((e.text for e in examples), batch_size=32):
            feats.append(sm.doc_features(doc, codes))
            rules.append(
                {
                    "topics": {t["code"]: t["score"] for t in (doc._.topics or [])},
                    "level": (doc._.escalation or {}).get("level") or 0,
                }
            )
    return feats, rules


# --------------------------------------------------------------------------- fitting
def load_recipe(path: Path = CONFIG_PATH) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def fit(examples: list[Example], feats: list, recipe: dict[str, Any]) -> sm.SignalModel:
    """Train the topic and level models on examples (recipe: models/signals/config.toml)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    codes = sm.topic_codes()
    names = sorted(feats[0].dense)
    dense = np.array([[f.dense.get(n, 0.0) for n in names] for f in feats])
    mean = dense.mean(axis=0)
    scale = dense.std(axis=0)
    scale[scale < 1e-6] = 1.0
    tfidf = TfidfVectorizer(
        analyzer=sm.analyzer,
        sublinear_tf=True,
        min_df=int(recipe["min_df"]),
        max_features=int(recipe["max_features"]),
    )
    tfidf.fit([f.text for f in feats])
    vocab = {t: int(i) for t, i in sorted(tfidf.vocabulary_.items(), key=lambda kv: kv[1])}
    params: dict[str, Any] = {
        "format": 1,
        "topics": list(codes),
        "dense_names": names,
        "dense_mean": mean.round(6).tolist(),
        "dense_scale": scale.round(6).tolist(),
        "vocab": vocab,
        "idf": tfidf.idf_.round(6).tolist(),
        "text_weight": float(recipe["text_weight"]),
        "topic_threshold": float(recipe["topic_threshold"]),
        "topic_source": str(recipe.get("topic_source", "model")),
    }
    width = len(names) + len(vocab)
    params.update(
        topic_coef=np.zeros((len(codes), width)).tolist(),
        topic_bias=np.zeros(len(codes)).tolist(),
        level_coef=np.zeros((len(sm.LEVELS), width)).tolist(),
        level_bias=np.zeros(len(sm.LEVELS)).tolist(),
    )
    model = sm.SignalModel(params)
    x = np.array([model.vector(f) for f in feats])
    seed = int(recipe.get("seed", 0))
    topic_coef = np.zeros((len(codes), width))
    topic_bias = np.full(len(codes), -8.0)
    for k, code in enumerate(codes):
        y = np.array([code in e.topics for e in examples], dtype=int)
        if y.sum() == 0 or y.sum() == len(y):
            topic_bias[k] = -8.0 if y.sum() == 0 else 8.0
            continue
        # a topic's model sees its own cue and rule features, not the other topics' (with a
        # few dozen positives, sixteen topics' worth of cue columns only add noise)
        cols = np.array([not _other_topic(n, code, codes) for n in names] + [True] * len(vocab))
        clf = LogisticRegression(
            C=float(recipe["topic_C"]),
            class_weight=recipe.get("topic_class_weight") or None,
            max_iter=2000,
            random_state=seed,
        )
        clf.fit(x[:, cols], y)
        topic_coef[k, cols] = clf.coef_[0]
        topic_bias[k] = clf.intercept_[0]
    y = np.array([e.level for e in examples])
    params["level_mode"] = str(recipe.get("level_mode", "multinomial"))
    if params["level_mode"] == "ordinal":
        # P(level >= k) for k = 1..4: neighbouring levels share evidence, so a near miss
        # costs less than a far one (within-one is a target)
        level_coef = np.zeros((len(sm.LEVELS) - 1, width))
        level_bias = np.zeros(len(sm.LEVELS) - 1)
        for k in sm.LEVELS[1:]:
            yk = (y >= k).astype(int)
            if yk.sum() in (0, len(yk)):
                level_bias[k - 1] = 8.0 if yk.sum() else -8.0
                continue
            clf = LogisticRegression(C=float(recipe["level_C"]), max_iter=3000, random_state=seed)
            clf.fit(x, yk)
            level_coef[k - 1] = clf.coef_[0]
            level_bias[k - 1] = clf.intercept_[0]
    else:
        clf = LogisticRegression(C=float(recipe["level_C"]), max_iter=3000, random_state=seed)
        clf.fit(x, y)
        level_coef = np.zeros((len(sm.LEVELS), width))
        level_bias = np.full(len(sm.LEVELS), -30.0)
        for row, cls in enumerate(clf.classes_):
            level_coef[int(cls)] = clf.coef_[row]
            level_bias[int(cls)] = clf.intercept_[row]
    params.update(
        topic_coef=topic_coef.round(6).tolist(),
        topic_bias=topic_bias.round(6).tolist(),
        level_coef=level_coef.round(6).tolist(),
        level_bias=level_bias.round(6).tolist(),
        level_trees=[
            fit_trees(kind, x[:, : len(names)], y, recipe, seed)
            for kind in recipe.get("level_ensemble", [])
        ],
    )
    return sm.SignalModel(params)


# --------------------------------------------------------------------------- level trees
def fit_trees(
    kind: str, x: np.ndarray, y: np.ndarray, recipe: dict[str, Any], seed: int
) -> dict[str, Any]:
    """A random forest ("forest") or gradient-boosted trees ("boosting") for the level over
    the standardised rule features x, exported as a packed sm.TreeEnsemble spec. Trees
    catch interactions a linear model cannot (a clash word counts only when present and not
    preventive); grouped CV: see MODEL_CARD.md. The export is checked against
    scikit-learn's own probabilities, so a change in its internals fails here, loudly."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    opts = dict(recipe.get(kind, {}))
    if kind == "forest":
        clf = RandomForestClassifier(random_state=seed, n_jobs=1, **opts).fit(x, y)
        spec = _forest_spec(clf)
    elif kind == "boosting":
        clf = HistGradientBoostingClassifier(random_state=seed, **opts).fit(x, y)
        spec = _boosting_spec(clf, x)
    else:
        raise ValueError(f"level_ensemble: unknown kind {kind!r} (forest, boosting)")
    want = np.zeros((len(x), len(sm.LEVELS)))
    want[:, clf.classes_.astype(int)] = clf.predict_proba(x)
    got = sm.TreeEnsemble(spec).probabilities(x)
    if not np.allclose(got, want, atol=1e-4):
        raise RuntimeError(f"{kind}: exported trees disagree with scikit-learn's probabilities")
    return spec


def _pack(trees: list[tuple[np.ndarray, ...]]) -> dict[str, Any]:
    """(feature, threshold, left, right, value, depth) per tree -> one flat spec."""
    spec: dict[str, Any] = {k: [] for k in ("feature", "threshold", "left", "right", "value")}
    spec["roots"], depth, offset = [], 0, 0
    for feature, threshold, left, right, value, d in trees:
        leaf = feature < 0
        spec["roots"].append(offset)
        spec["feature"] += np.where(leaf, -1, feature).astype(int).tolist()
        spec["threshold"] += np.where(leaf, 0.0, threshold).tolist()
        spec["left"] += np.where(leaf, -1, left + offset).astype(int).tolist()
        spec["right"] += np.where(leaf, -1, right + offset).astype(int).tolist()
        spec["value"] += np.round(value, 6).tolist()
        depth, offset = max(depth, int(d)), offset + len(feature)
    spec["depth"] = depth
    return spec


def _forest_spec(clf: Any) -> dict[str, Any]:
    trees = []
    for est in clf.estimators_:
        t = est.tree_
        value = np.zeros((t.node_count, len(sm.LEVELS)))
        frac = t.value[:, 0, :]
        value[:, clf.classes_.astype(int)] = frac / frac.sum(axis=1, keepdims=True)
        trees.append(
            (t.feature, t.threshold, t.children_left, t.children_right, value, t.max_depth)
        )
    return {"kind": "forest", **_pack(trees)}


def _boosting_spec(clf: Any, x: np.ndarray) -> dict[str, Any]:
    classes = clf.classes_.astype(int)
    if len(classes) < 3:
        raise ValueError("boosting: the level needs at least three classes in training")
    trees, tree_class = [], []
    for iteration in clf._predictors:  # noqa: SLF001 (the fitted trees; no public accessor)
        for k, predictor in enumerate(iteration):
            n = predictor.nodes
            feature = np.where(n["is_leaf"].astype(bool), -1, n["feature_idx"])
            value = n["value"] * n["is_leaf"]
            trees.append(
                (feature, n["num_threshold"], n["left"], n["right"], value, n["depth"].max())
            )
            tree_class.append(int(classes[k]))
    spec = {"kind": "boosting", **_pack(trees), "tree_class": tree_class}
    # the baseline (log-odds of the class priors) from the public decision function
    spec["baseline"] = [0.0] * len(sm.LEVELS)
    raw = clf.decision_function(x) - sm.TreeEnsemble(spec).raw(x)[:, classes]
    base = np.full(len(sm.LEVELS), -30.0)
    base[classes] = raw.mean(axis=0)
    spec["baseline"] = base.round(8).tolist()
    return spec


def _other_topic(name: str, code: str, codes: tuple[str, ...]) -> bool:
    """A dense feature about another topic than code (cue:<topic>:* or rule_topic:<topic>)."""
    for prefix in ("cue:", "rule_topic:"):
        if name.startswith(prefix):
            topic = name[len(prefix) :].split(":")[0]
            return topic in codes and topic != code
    return False


# --------------------------------------------------------------------------- scoring
def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |accuracy - confidence| per confidence bin, weighted."""
    conf = np.asarray(conf, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if not len(conf):
        return 0.0
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(correct[m].mean() - conf[m].mean())
    return total / len(conf)


def score(
    examples: list[Example],
    topics: list[set[str]],
    levels: list[int],
    topic_probs: np.ndarray | None = None,
    level_conf: np.ndarray | None = None,
) -> dict[str, Any]:
    """The issue's measures for predictions against examples' gold labels."""
    codes = sm.topic_codes()
    tp = fp = fn = 0
    rel_tp = rel_fp = rel_fn = rel_ok = exact = near = 0
    for e, pt, pl in zip(examples, topics, levels, strict=True):
        tp += len(pt & e.topics)
        fp += len(pt - e.topics)
        fn += len(e.topics - pt)
        g, p = bool(e.topics), bool(pt)
        rel_ok += g == p
        rel_tp += g and p
        rel_fp += p and not g
        rel_fn += g and not p
        exact += pl == e.level
        near += abs(pl - e.level) <= 1
    n = len(examples)
    out: dict[str, Any] = {
        "articles": n,
        "topic_micro_f1": round(_f1(tp, fp, fn), 3),
        "relevance_accuracy": round(rel_ok / n, 3),
        "relevance_f1": round(_f1(rel_tp, rel_fp, rel_fn), 3),
        "escalation_exact": round(exact / n, 3),
        "escalation_within_one": round(near / n, 3),
    }
    if topic_probs is not None:
        gold = np.array([[c in e.topics for c in codes] for e in examples], dtype=float)
        p = np.asarray(topic_probs)
        # reliability of "topic present" probabilities over every (article, topic) pair,
        # and over the pairs that matter (the predicted or the gold topics)
        out["topic_ece"] = round(ece(p.ravel(), gold.ravel()), 3)
        m = (p >= 0.5) | (gold > 0)
        out["topic_ece_active"] = round(ece(p[m], gold[m]), 3)
    if level_conf is not None:
        correct = np.array([pl == e.level for e, pl in zip(examples, levels, strict=True)])
        out["level_ece"] = round(ece(level_conf, correct), 3)
    return out


def rules_score(examples: list[Example], rules: list[dict]) -> dict[str, Any]:
    codes = sm.topic_codes()
    probs = np.array([[r["topics"].get(c, 0.0) for c in codes] for r in rules])
    return score(examples, [set(r["topics"]) for r in rules], [r["level"] for r in rules], probs)


def rule_matrix(model: sm.SignalModel, feats: list) -> np.ndarray:
    """(n, T) 1 where the rules chose the topic: an input of the topic calibration."""
    return np.array([[c in sm.rule_topic_set(f) for c in model.codes] for f in feats], dtype=float)


def predict_all(model: sm.SignalModel, feats: list) -> tuple[list, list, np.ndarray, np.ndarray]:
    """Topics, levels, per-pair topic confidences (calibrated when the model is) and the
    level confidences of feats."""
    x = np.array([model.vector(f) for f in feats])
    pt, pl = model.probabilities(x)
    topics, levels, confs = [], [], []
    for i in range(len(feats)):
        chosen, level, conf = model.decide(pt[i], pl[i], sm.rule_topic_set(feats[i]))
        topics.append({c for c, _ in chosen})
        levels.append(level)
        confs.append(conf)
    return topics, levels, model.topic_confidence(pt, rule_matrix(model, feats)), np.array(confs)


# --------------------------------------------------------------------------- calibration
def fit_level_temperature(
    z: np.ndarray, y: np.ndarray, model: sm.SignalModel, trees: np.ndarray | None = None
) -> float:
    """The temperature T minimising the log-loss of the level probabilities from logits z
    (and the tree ensembles' probabilities, which it leaves as they are): one number, so it
    cannot reorder a model's levels, only soften or sharpen them."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        model.level_temp = float(np.exp(log_t))
        p = model.level_probabilities(z, trees)
        return -float(np.log(np.clip(p[np.arange(len(y)), y], 1e-9, 1.0)).mean())

    saved = model.level_temp
    try:
        res = minimize_scalar(nll, bounds=(-2.5, 2.5), method="bounded")
    finally:
        model.level_temp = saved
    return round(float(np.exp(res.x)), 4)


def fit_topic_calibration(p: np.ndarray, rule: np.ndarray, gold: np.ndarray) -> list[float]:
    """Platt scaling shared by all topics: sigmoid(a * logit(p) + b * rule + c) over every
    (article, topic) pair. Shared because rare topics have 3-5 positives (a per-topic fit
    would be noise); the rules' choice is an input because under rules_first a chosen topic
    is right far more often than its model probability says."""
    from sklearn.linear_model import LogisticRegression

    z = np.log(np.clip(p, 1e-9, 1)) - np.log(np.clip(1 - p, 1e-9, 1))
    x = np.column_stack([z.ravel(), rule.ravel()])
    clf = LogisticRegression(C=100.0, max_iter=1000).fit(x, gold.ravel().astype(int))
    return [round(float(v), 6) for v in (*clf.coef_[0], clf.intercept_[0])]


def calibrate(model: sm.SignalModel, oof: dict[str, np.ndarray]) -> None:
    """Set model's level temperature and topic calibration from out-of-fold outputs."""
    model.level_temp = fit_level_temperature(
        oof["level_logits"], oof["level_gold"], model, oof.get("level_trees")
    )
    model.topic_calibration = fit_topic_calibration(
        oof["topic_probs"], oof["rules"], oof["topic_gold"]
    )
    model.params["level_temperature"] = model.level_temp
    model.params["topic_calibration"] = model.topic_calibration


def group_folds(examples: list[Example], k: int, seed: int) -> list[np.ndarray]:
    """k test folds, whole groups each, balanced by size (groups shuffled with seed)."""
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault(e.group, []).append(i)
    rng = np.random.default_rng(seed)
    order = list(groups.values())
    rng.shuffle(order)
    order.sort(key=len, reverse=True)  # stable: big groups first, shuffled within a size
    folds: list[list[int]] = [[] for _ in range(k)]
    for members in order:
        min(folds, key=len).extend(members)
    return [np.array(sorted(f)) for f in folds]


def out_of_fold(
    examples: list[Example], feats: list, recipe: dict[str, Any], k: int | None = None
) -> dict[str, Any]:
    """Raw (uncalibrated) out-of-fold outputs of the recipe over grouped folds."""
    k = k or int(recipe.get("folds", 5))
    n = len(examples)
    codes = sm.topic_codes()
    n_logits = len(sm.LEVELS) - (recipe.get("level_mode") == "ordinal")
    oof: dict[str, Any] = {
        "topic_probs": np.zeros((n, len(codes))),
        "level_logits": np.zeros((n, n_logits)),
        "level_trees": np.zeros((n, len(sm.LEVELS))),
        "rules": np.zeros((n, len(codes))),
        "fold": np.zeros(n, dtype=int),
        "level_gold": np.array([e.level for e in examples]),
        "topic_gold": np.array([[c in e.topics for c in codes] for e in examples], dtype=float),
    }
    for f, test in enumerate(group_folds(examples, k, int(recipe.get("seed", 0)))):
        train = np.setdiff1d(np.arange(n), test)
        model = fit([examples[i] for i in train], [feats[i] for i in train], recipe)
        x = np.array([model.vector(feats[i]) for i in test])
        oof["topic_probs"][test] = model.probabilities(x)[0]
        oof["level_logits"][test] = x @ model.level_coef.T + model.level_bias
        trees = model.tree_probabilities(x)
        if trees is not None:
            oof["level_trees"][test] = trees
        oof["rules"][test] = rule_matrix(model, [feats[i] for i in test])
        oof["fold"][test] = f
    oof["model"] = model  # the last fold's: decision rule and mode, not its weights
    return oof


def _oof_score(
    examples: list[Example], feats: list, oof: dict[str, Any], calibrated: bool
) -> dict[str, Any]:
    """Score out-of-fold outputs; calibrated: each fold's calibrators are fitted on the
    other folds' out-of-fold outputs (never on its own articles)."""
    model: sm.SignalModel = oof["model"]
    n = len(examples)
    topics: list[set[str]] = [set()] * n
    levels = [0] * n
    conf = np.zeros(n)
    pt_conf = np.zeros_like(oof["topic_probs"])
    for f in np.unique(oof["fold"]):
        test = np.flatnonzero(oof["fold"] == f)
        if calibrated:
            rest = oof["fold"] != f
            calibrate(model, {k: v[rest] for k, v in oof.items() if isinstance(v, np.ndarray)})
        else:
            model.level_temp, model.topic_calibration = 1.0, None
        pl = model.level_probabilities(oof["level_logits"][test], oof["level_trees"][test])
        pt = oof["topic_probs"][test]
        pt_conf[test] = model.topic_confidence(pt, oof["rules"][test])
        for j, i in enumerate(test):
            chosen, levels[i], conf[i] = model.decide(pt[j], pl[j], sm.rule_topic_set(feats[i]))
            topics[i] = {c for c, _ in chosen}
    return score(examples, topics, levels, pt_conf, conf)


def cross_validate(
    examples: list[Example], feats: list, recipe: dict[str, Any], k: int | None = None
) -> dict[str, Any]:
    """Pooled out-of-fold scores of the recipe, with calibrated confidences; the ECE before
    calibration is kept beside it (``*_uncalibrated``). Also returns the out-of-fold
    outputs under ``"oof"`` for fitting the final model's calibrators."""
    oof = out_of_fold(examples, feats, recipe, k)
    raw = _oof_score(examples, feats, oof, calibrated=False)
    out = _oof_score(examples, feats, oof, calibrated=True)
    for key in ("topic_ece", "topic_ece_active", "level_ece"):
        out[f"{key}_uncalibrated"] = raw[key]
    out["oof"] = oof
    return out


# --------------------------------------------------------------------------- command
def train(
    shared: Path,
    out: Path = sm.DEFAULT_MODEL_DIR,
    corrections: Path | None = None,
    recipe_path: Path = CONFIG_PATH,
    echo: Any = print,
    demo_articles: Path | None = None,
) -> dict[str, Any]:
    """Cross-validate the recipe, train on all the data, write the artifact and report."""
    t0 = time.perf_counter()
    recipe = load_recipe(recipe_path)
    examples = training_examples(shared, corrections, demo_articles)
    echo(f"signals: {len(examples)} training articles in {len({e.group for e in examples})} groups")
    nlp, disable = rules_nlp()
    feats, rules = featurize(examples, nlp)
    report: dict[str, Any] = {
        "command": "suar models train signals",
        "training_articles": len(examples),
        "groups": len({e.group for e in examples}),
        "folds": int(recipe.get("folds", 5)),
        "cv_rules": rules_score(examples, rules),
        "cv_model": cross_validate(examples, feats, recipe),
    }
    model = fit(examples, feats, recipe)
    calibrate(model, report["cv_model"].pop("oof"))
    dev = shared / "data" / "news-dev" / "articles.jsonl"
    if dev.exists():
        dev_ex = load_jsonl_examples(dev, "news-dev")
        dev_feats, dev_rules = featurize(dev_ex, nlp)
        t, lv, p, c = predict_all(model, dev_feats)
        report["news_dev_rules"] = rules_score(dev_ex, dev_rules)
        report["news_dev_model"] = score(dev_ex, t, lv, p, c)
    model.params["trained"] = {
        "articles": len(examples),
        "cv": report["cv_model"],
        "recipe": recipe,
    }
    path = model.save(out)
    report["artifact"] = str(path)
    report["artifact_bytes"] = path.stat().st_size
    report["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "cv_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def report_markdown(report: dict[str, Any]) -> str:
    """The CV table: rules vs model per measure, grouped CV and news-dev."""
    measures = (
        "topic_micro_f1", "relevance_accuracy", "relevance_f1", "escalation_exact",
        "escalation_within_one", "topic_ece", "topic_ece_uncalibrated", "topic_ece_active",
        "topic_ece_active_uncalibrated", "level_ece", "level_ece_uncalibrated",
    )  # fmt: skip
    cols = [k for k in ("cv_rules", "cv_model", "news_dev_rules", "news_dev_model") if k in report]
    lines = ["| measure | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for m in measures:
        cells = [str(report[c].get(m, "-")) for c in cols]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--out", default=str(sm.DEFAULT_MODEL_DIR))
    ap.add_argument("--corrections", default=None)
    ap.add_argument("--recipe", default=str(CONFIG_PATH))
    args = ap.parse_args(argv)
    try:
        report = train(
            Path(args.shared),
            Path(args.out),
            Path(args.corrections) if args.corrections else None,
            Path(args.recipe),
        )
    except TrainingDataError as exc:
        print(f"suar: {exc}", file=sys.stderr)
        return 2
    print(report_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
