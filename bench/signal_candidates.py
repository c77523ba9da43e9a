"""Signal-model candidates compared by grouped cross-validation (the issue's candidate b).

    .venv/bin/python bench/signal_candidates.py --shared ../shared [--folds 5]

Same training set (news-train + the demo gold), same story-grouped folds and same decision
rule (``rules_first`` topics; level 0 = no topic) as ``suar models train signals``; the
logistic models see the standardised rule features plus, per row of the table, one extra
block computed with the project's e5 model (multilingual-e5-small, offline):

* ``e5 article``: the passage vector of the title and body (256 tokens);
* ``e5 zero-shot``: for each topic and each escalation level of ../shared/TAXONOMY.md, the
  cosine between its description (as an e5 query) and the article's sentences (max and mean
  of the top three): a feature no article taught, so it cannot fit the training set;

and a last row blends the level probabilities with the rules' level (weight chosen on the
other folds, nested). Prints topic micro-F1, relevance, escalation exact and within one.
Needs ../shared (real articles: nothing is written).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def sentences(text: str, limit: int = 20) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [s for s in parts if len(s) > 20][:limit]


def zero_shot(texts: list[str], taxonomy: str, embedder) -> np.ndarray:  # type: ignore[no-untyped-def]
    """(n, 2 * queries): max and top-3 mean cosine of sentences to each description."""
    topics = re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \| ([^|]+) \|", taxonomy, re.M)
    levels = re.findall(r"^\| (\d) \| (\w+) \| ([^|]+) \| ([^|]+) \|", taxonomy, re.M)
    queries = [f"{label.strip()}: {what.strip()}" for _, label, what in topics]
    queries += [f"{meaning.strip()}; {cues.strip()}" for _, _, meaning, cues in levels]
    q = embedder.encode_queries(queries)
    owner, sents = [], []
    for i, text in enumerate(texts):
        ss = sentences(text) or [text[:300]]
        sents += ss
        owner += [i] * len(ss)
    sim = embedder.encode_passages(sents) @ q.T
    owner_a = np.array(owner)
    out = np.zeros((len(texts), 2 * len(queries)))
    for i in range(len(texts)):
        s = np.sort(sim[owner_a == i], axis=0)[::-1]
        out[i] = np.concatenate([s[0], s[:3].mean(axis=0)])
    return out


def cv_probs(dense, extra, weight, examples, codes, names, folds, c=0.3):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    from nlp.signal_train import _other_topic

    n = len(examples)
    gold_t = np.array([[t in e.topics for t in codes] for e in examples], dtype=int)
    gold_l = np.array([e.level for e in examples])
    pl, pt = np.zeros((n, 5)), np.zeros((n, len(codes)))
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        mu, sd = dense[train].mean(0), dense[train].std(0)
        sd[sd < 1e-6] = 1.0
        x = np.hstack([(dense - mu) / sd, extra * weight])
        clf = LogisticRegression(C=c, max_iter=3000).fit(x[train], gold_l[train])
        pl[np.ix_(test, clf.classes_)] = clf.predict_proba(x[test])
        for k, code in enumerate(codes):
            if gold_t[train, k].sum() == 0:
                continue
            own = [not _other_topic(nm, code, codes) for nm in names]
            cols = np.array(own + [True] * extra.shape[1])
            clf = LogisticRegression(C=c, max_iter=3000).fit(x[train][:, cols], gold_t[train, k])
            pt[test, k] = clf.predict_proba(x[test][:, cols])[:, 1]
    return pl, pt


def measures(levels, pt, rule_topics, examples, codes) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from nlp.signal_train import score

    topics = []
    for i, lv in enumerate(levels):
        if lv == 0:
            topics.append(set())
        elif rule_topics[i]:
            topics.append(set(rule_topics[i]))
        else:
            chosen = {c for c, p in zip(codes, pt[i], strict=True) if p >= 0.5}
            topics.append(chosen or {codes[int(np.argmax(pt[i]))]})
    return score(examples, topics, [int(v) for v in levels])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from crawler.demosite.server import HERE as DEMO_SITE
    from nlp import signal_model as sm
    from nlp import signal_train as st
    from nlp.embeddings import EmbedSettings, load_embedder

    shared = Path(args.shared)
    t0 = time.perf_counter()
    examples = st.training_examples(shared, None, DEMO_SITE / "articles.toml")
    feats, rules = st.featurize(examples)
    codes = sm.topic_codes()
    names = sorted(feats[0].dense)
    dense = np.array([[f.dense.get(nm, 0.0) for nm in names] for f in feats])
    folds = st.group_folds(examples, args.folds, 0)
    rule_topics = [sorted(r["topics"]) for r in rules]
    texts = [e.text for e in examples]
    article = load_embedder(EmbedSettings(max_seq_length=256)).encode_passages(texts)
    short = load_embedder(EmbedSettings(max_seq_length=64))
    zs = zero_shot(texts, (shared / "TAXONOMY.md").read_text(encoding="utf-8"), short)
    zs = (zs - zs.mean(0)) / np.where(zs.std(0) < 1e-9, 1.0, zs.std(0))
    none = np.zeros((len(examples), 0))
    rows = {"rules alone": None}
    rows["rule features (the shipped recipe, no TF-IDF)"] = (none, 0.0)
    rows["+ e5 article vector"] = (article, 3.0)
    rows["+ e5 zero-shot similarities"] = (zs, 1.0)
    rows["e5 zero-shot similarities alone"] = (zs, -1.0)
    print(f"{len(examples)} articles, {len(folds)} story-grouped folds")
    header = ("candidate", "topic F1", "relevance", "exact", "within one")
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    base_pl = None
    for label, spec in rows.items():
        if spec is None:
            res = st.rules_score(examples, rules)
        else:
            extra, weight = spec
            d, dn = (dense, names) if weight >= 0 else (np.zeros((len(examples), 0)), [])
            pl, pt = cv_probs(d, extra, abs(weight), examples, codes, dn, folds)
            if extra.shape[1] == 0:
                base_pl, base_pt = pl, pt
            res = measures(pl.argmax(1), pt, rule_topics, examples, codes)
        print(
            f"| {label} | {res['topic_micro_f1']:.3f} | {res['relevance_accuracy']:.3f} "
            f"| {res['escalation_exact']:.3f} | {res['escalation_within_one']:.3f} |"
        )
    # the rules' level blended into the model's probabilities, weight chosen on other folds
    gold = np.array([e.level for e in examples])
    onehot = np.eye(5)[[r["level"] for r in rules]]
    levels = np.zeros(len(examples), dtype=int)
    for test in folds:
        rest = np.setdiff1d(np.arange(len(examples)), test)

        def fit(a: float, idx: np.ndarray) -> float:
            lv = ((1 - a) * base_pl[idx] + a * onehot[idx]).argmax(1)
            return float((lv == gold[idx]).mean() + (abs(lv - gold[idx]) <= 1).mean())

        a = max((0.0, 0.1, 0.2, 0.3, 0.4, 0.5), key=lambda w: fit(w, rest))
        levels[test] = ((1 - a) * base_pl[test] + a * onehot[test]).argmax(1)
    res = measures(levels, base_pt, rule_topics, examples, codes)
    print(
        f"| rule features, level blended with the rules' (nested) | {res['topic_micro_f1']:.3f} "
        f"| {res['relevance_accuracy']:.3f} | {res['escalation_exact']:.3f} "
        f"| {res['escalation_within_one']:.3f} |"
    )
    # the level by an ensemble: the logistic model's probabilities averaged with a random
    # forest's and a gradient-boosted model's over the same dense features
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    makers = (
        lambda: RandomForestClassifier(500, min_samples_leaf=2, random_state=0, n_jobs=1),
        lambda: HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.05,
            max_depth=3,
            min_samples_leaf=8,
            l2_regularization=1.0,
            random_state=0,
        ),
    )
    mix = base_pl.copy()
    for make in makers:
        p = np.zeros_like(base_pl)
        for test in folds:
            rest = np.setdiff1d(np.arange(len(examples)), test)
            clf = make().fit(dense[rest], gold[rest])
            p[np.ix_(test, clf.classes_)] = clf.predict_proba(dense[test])
        mix += p
    res = measures((mix / 3).argmax(1), base_pt, rule_topics, examples, codes)
    print(
        f"| rule features, level by logistic + forest + boosting | {res['topic_micro_f1']:.3f} "
        f"| {res['relevance_accuracy']:.3f} | {res['escalation_exact']:.3f} "
        f"| {res['escalation_within_one']:.3f} |"
    )
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
