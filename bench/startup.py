"""Cold start-up of the CLI: wall seconds of `suar annotate` on one article and of
`suar --help`, each in fresh processes (median, min, max over N runs).

    python bench/startup.py --runs 5

The annotate figure is what an analyst waits for on one paragraph: Python start, imports,
the NLP pipeline build (tokenizer, NER, gazetteer, signal model) and one document.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARTICLE = {"id": "bench", "text": "Bentrok warga di Kabupaten Mimika, dua orang luka."}


def _suar() -> list[str]:
    """The installed `suar` beside this interpreter, else `python -m pipeline.cli`."""
    exe = Path(sys.executable).with_name("suar")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("suar")
    return [found] if found else [sys.executable, "-m", "pipeline.cli"]


def timed(cmd: list[str], runs: int) -> list[float]:
    """Wall seconds of ``cmd`` in ``runs`` fresh processes; a failing run stops the bench."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        out.append(time.perf_counter() - start)
    return out


def show(label: str, secs: list[float]) -> None:
    print(
        f"{label:28s} median {statistics.median(secs):6.2f} s"
        f"  min {min(secs):6.2f}  max {max(secs):6.2f}  (n={len(secs)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    args = ap.parse_args()
    suar = _suar()
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(ARTICLE) + "\n", encoding="utf-8")
        show("suar --help", timed([*suar, "--help"], args.runs))
        show("suar annotate (1 article)", timed([*suar, "annotate", str(one)], args.runs))


if __name__ == "__main__":
    main()
