"""Score the GENERIC extraction path against ../shared/data/extraction.

Each NAME.html has NAME_expectation.txt (the body a reader would call the article). The
score is token-level precision/recall/F1 over lower-cased word tokens with multiset
overlap, as that folder's README defines. The text scored is what a reader sees: the
dateline as written (which extraction moves to its own field) plus the body.

    python -m crawler.quality [--shared PATH]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

from crawler.extract import extract

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def tokens(text: str) -> Counter[str]:
    """Lower-cased word tokens as a multiset."""
    return Counter(re.findall(r"\w+", text.lower()))


def prf(predicted: str, expected: str) -> tuple[float, float, float]:
    """Token precision, recall and F1 of predicted text against expected text."""
    p, e = tokens(predicted), tokens(expected)
    overlap = sum((p & e).values())
    precision = overlap / sum(p.values()) if p else 0.0
    recall = overlap / sum(e.values()) if e else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_extraction(shared_dir: Path) -> dict[str, Any]:
    """Per-page and mean P/R/F1 of the generic path over shared_dir/data/extraction."""
    folder = Path(shared_dir) / "data" / "extraction"
    pages: dict[str, dict[str, Any]] = {}
    for html_path in sorted(folder.glob("*.html")):
        expected_path = folder / f"{html_path.stem}_expectation.txt"
        if not expected_path.exists():
            continue
        ex = extract(html_path.read_bytes(), f"https://example.org/{html_path.stem}", None)
        text = ((ex.dateline_raw or "") + " " + ex.body).strip()
        p, r, f = prf(text, expected_path.read_text(encoding="utf-8"))
        pages[html_path.stem] = {
            "precision": p,
            "recall": r,
            "f1": f,
            "language": ex.language,
            "is_article": ex.is_article,
        }
    n = len(pages) or 1
    mean = {k: sum(v[k] for v in pages.values()) / n for k in ("precision", "recall", "f1")}
    return {"pages": pages, "mean": mean, "count": len(pages)}


def main(argv: list[str] | None = None) -> int:
    """Print the score table; exit status 1 when the shared folder is missing."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = ap.parse_args(argv)
    if not (args.shared / "data" / "extraction").is_dir():
        print(f"no extraction test set under {args.shared}")
        return 1
    res = score_extraction(args.shared)
    print(f"{'page':<18}{'P':>7}{'R':>7}{'F1':>7}  lang  article")
    for name, s in res["pages"].items():
        print(
            f"{name:<18}{s['precision']:7.3f}{s['recall']:7.3f}{s['f1']:7.3f}  "
            f"{s['language']:<5} {s['is_article']}"
        )
    m = res["mean"]
    print(f"{'MEAN':<18}{m['precision']:7.3f}{m['recall']:7.3f}{m['f1']:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
