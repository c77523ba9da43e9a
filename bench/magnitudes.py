"""Magnitude scores of the signal rules on labelled real news, by error kind.

    .venv/bin/python bench/magnitudes.py [--data ../shared/data/news-train] [--folds 5]

Why: "exact" alone hides what goes wrong. Each field's error is one of three kinds:
missed (null where the gold states a figure), wrong number (both stated, different) or
spurious (a figure where the gold has null). "exact" is over all articles (null = null
counts as right, as in `suar eval`); "stated" is the share right among the articles whose
gold states a figure, the recall the issue's independent set measures. Magnitudes are rule-based (nothing is
trained), so the whole set is scored at once; the story-grouped folds (articles sharing a
`story` kept together) give the spread a held-out set of that size would see. Prints no
article text. Needs the labelled sets under ../shared; exits 2 without them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.signals import extract_signals  # noqa: E402

FIELDS = ("killed", "injured", "arrested", "crowd")
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def load(path: Path) -> list[dict]:
    """The articles of a news-dev-format set (one JSON object a line)."""
    f = path / "articles.jsonl" if path.is_dir() else path
    return [json.loads(ln) for ln in f.read_text("utf-8").splitlines() if ln.strip()]


def kind(pred: int | None, gold: int | None) -> str:
    """ok / missed / wrong / spurious for one field of one article."""
    if pred == gold:
        return "ok"
    if pred is None:
        return "missed"
    if gold is None:
        return "spurious"
    return "wrong"


def score(arts: list[dict]) -> tuple[dict, list[dict]]:
    """Per-field counts of each kind, and per-article kinds (for the folds)."""
    counts = {
        f: dict.fromkeys(("ok", "missed", "wrong", "spurious", "stated", "stated_ok"), 0)
        for f in FIELDS
    }
    rows = []
    for a in arts:
        mags = extract_signals(a["text"], title=a.get("title"))["magnitudes"]
        row = {"story": a.get("story") or a["id"]}
        for f in FIELDS:
            k = kind(mags[f], a.get(f))
            counts[f][k] += 1
            if a.get(f) is not None:  # the gold states a figure (or a zero)
                counts[f]["stated"] += 1
                counts[f]["stated_ok"] += k == "ok"
            row[f] = k
        rows.append(row)
    return counts, rows


def folds(rows: list[dict], k: int) -> list[dict[str, float]]:
    """Exact score per field on each of k story-grouped folds (stable hash of the story)."""
    out = []
    for fold in range(k):
        part = [r for r in rows if zlib.crc32(r["story"].encode()) % k == fold]
        if part:
            out.append({f: sum(r[f] == "ok" for r in part) / len(part) for f in FIELDS})
    return out


def report(name: str, arts: list[dict], k: int) -> None:
    counts, rows = score(arts)
    n = len(arts)
    print(f"{name}: {n} articles")
    print(
        f"  {'field':9} {'exact':>6} {'stated':>13} {'missed':>7} {'wrong':>6} {'spurious':>9}"
        "   exact on story-grouped folds"
    )
    per_fold = folds(rows, k) if k > 1 else []
    for f in FIELDS:
        c = counts[f]
        spread = ""
        if per_fold:
            vals = [p[f] for p in per_fold]
            spread = f"median {statistics.median(vals):.3f} [{min(vals):.3f}-{max(vals):.3f}]"
        print(
            f"  {f:9} {c['ok'] / n:6.3f} {c['stated_ok']:3d}/{c['stated']:3d} "
            f"{c['stated_ok'] / max(c['stated'], 1):5.3f} "
            f"{c['missed']:7d} {c['wrong']:6d} {c['spurious']:9d}"
            f"   {spread}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append", help="set dir (repeatable)")
    ap.add_argument("--folds", type=int, default=5, help="story-grouped folds (0: none)")
    args = ap.parse_args()
    sets = args.data or [SHARED / "news-train", SHARED / "news-dev"]
    if not all((p / "articles.jsonl").exists() or p.is_file() for p in sets):
        print("labelled sets not found (../shared/data)", file=sys.stderr)
        return 2
    for p in sets:
        report(p.name, load(p), args.folds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
