"""Added cost of the trained signal stage: CPU ms per article of `suar_signal_model` alone.

The docs (the demo site's own articles, repeated) first go through the rest of the pipeline
without the statistical NER; then the model component is timed over them, once per run
(it re-scans the rule cues, builds the feature vector and applies the weights). Prints the
median and the spread over runs, because the machine is shared.

    .venv/bin/python bench/signal_model.py [--runs 5] [--copies 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=5, help="times each demo article is used")
    args = ap.parse_args()
    from crawler.demosite.server import HERE as DEMO_SITE
    from nlp.evaluate import demo_texts
    from nlp.pipeline import build_nlp

    nlp = build_nlp(ner_backend="none")
    texts = list(demo_texts(DEMO_SITE / "articles.toml").values()) * args.copies
    with nlp.select_pipes(disable=["suar_signal_model"]):
        docs = list(nlp.pipe(texts))
    comp = nlp.get_pipe("suar_signal_model")
    if comp.model is None:
        sys.exit("no models/signals/model.json: run `suar models train signals` first")
    per_article = []
    for _ in range(args.runs):
        t0 = time.process_time()
        for d in docs:
            comp(d)
        per_article.append(1000 * (time.process_time() - t0) / len(docs))
    med = statistics.median(per_article)
    print(
        f"suar_signal_model: {med:.2f} ms CPU/article (median of {args.runs} runs over "
        f"{len(docs)} articles; min {min(per_article):.2f}, max {max(per_article):.2f})"
    )


if __name__ == "__main__":
    main()
