"""Enrichment output fingerprint: every full result (doc_result) of a fixed corpus, to prove a
performance change leaves outputs byte-identical.

The corpus is the hand-written demo articles (crawler/demosite/articles.toml), the
generated demo-site articles, the bench/enrich.py articles and, when ../shared is present,
news-train and news-dev. Results are written as sorted-key JSON lines (kept outside the
repository: news text must not be committed) and summarised by one sha256 per source.

    .venv/bin/python bench/outputs.py --save /tmp/before.jsonl
    .venv/bin/python bench/outputs.py --compare /tmp/before.jsonl   # exit 1 on any difference

Run it on the tree before and after a change; ``--compare`` names the first differing
article and field.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("SUAR_SHARED", REPO.parent / "shared")) / "data"


def corpus(generated: int = 200) -> list[tuple[str, dict[str, Any]]]:
    """(source, annotate input row) for every article of the fixed corpus."""
    from bench.enrich import generate_articles
    from crawler.demosite.server import generate_site, load_articles

    rows: list[tuple[str, dict[str, Any]]] = []
    for k, rec in enumerate(load_articles() + generate_site(generated, seed=3)):
        text = "\n\n".join([f"{rec['dateline']} - {rec['paragraphs'][0]}", *rec["paragraphs"][1:]])
        src = "demo" if k < len(load_articles()) else "demo-generated"
        rows.append((src, {"id": f"{src}-{k}", "title": rec["title"], "text": text}))
    rows += [("bench", a) for a in generate_articles(generated, seed=11)]
    for split in ("news-train", "news-dev"):
        path = SHARED / split / "articles.jsonl"
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    art = json.loads(line)
                    row = {k: art.get(k) for k in ("id", "title", "text", "url", "outlet")}
                    rows.append((split, row))
    return rows


def run(rows: list[tuple[str, dict[str, Any]]], batch_size: int) -> list[str]:
    """One sorted-key JSON line per article (its source, then the full result)."""
    from crawler.registry import outlet_lexicon
    from nlp.annotate import enrich_articles
    from nlp.pipeline import build_nlp

    nlp = build_nlp(outlets=outlet_lexicon())
    results = enrich_articles([r for _, r in rows], nlp, batch_size=batch_size)
    return [
        json.dumps({"source": s, "result": res}, ensure_ascii=False, sort_keys=True)
        for (s, _), res in zip(rows, results, strict=True)
    ]


def digests(lines: list[str]) -> dict[str, str]:
    by: dict[str, Any] = {}
    for line in lines:
        src = json.loads(line)["source"]
        by.setdefault(src, hashlib.sha256()).update(line.encode() + b"\n")
    return {k: v.hexdigest()[:16] for k, v in sorted(by.items())}


def first_difference(a: list[str], b: list[str]) -> str:
    if len(a) != len(b):
        return f"{len(a)} results vs {len(b)}"
    for x, y in zip(a, b, strict=True):
        if x != y:
            rx, ry = json.loads(x)["result"], json.loads(y)["result"]
            fields = [k for k in sorted(set(rx) | set(ry)) if rx.get(k) != ry.get(k)]
            return f"article {rx.get('id')}: fields {fields}"
    return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", type=Path, help="write the result lines here")
    ap.add_argument("--compare", type=Path, help="compare with lines saved earlier")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--generated", type=int, default=200)
    args = ap.parse_args(argv)
    rows = corpus(args.generated)
    lines = run(rows, args.batch_size)
    for src, digest in digests(lines).items():
        n = sum(1 for s, _ in rows if s == src)
        print(f"{src:16s} {n:5d} articles  sha256 {digest}")
    if args.save:
        args.save.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.compare:
        before = args.compare.read_text(encoding="utf-8").splitlines()
        diff = first_difference(before, lines)
        print("identical" if not diff else f"DIFFERENT: {diff}")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
