"""Cold start-up of the CLI: wall and CPU seconds of `suar annotate` on one article and of
`suar --help`, each in fresh processes (median, min, max over N runs).

    python bench/startup.py --runs 5
    python bench/startup.py --runs 5 --module   # this checkout via `python -m pipeline.cli`

The annotate figure is what an analyst waits for on one paragraph: Python start, imports,
the NLP pipeline build (tokenizer, NER, gazetteer, signal model) and one document. It is
measured twice: with the user's cache directory as it is (the usual case) and with an empty
one each run (the first run after an install or a data change, when the caches are built).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTICLE = {"id": "bench", "text": "Bentrok warga di Kabupaten Mimika, dua orang luka."}


def _suar(module: bool) -> list[str]:
    """The installed `suar` beside this interpreter, else `python -m pipeline.cli`."""
    exe = Path(sys.executable).with_name("suar")
    if exe.exists() and not module:
        return [str(exe)]
    found = shutil.which("suar")
    return [found] if found and not module else [sys.executable, "-m", "pipeline.cli"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    cmd: list[str], runs: int, env: dict[str, str] | None = None, fresh_cache: bool = False
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``cmd`` in ``runs`` fresh processes (a failing run stops the
    bench); ``fresh_cache`` gives every run its own empty SUAR_CACHE_DIR."""
    walls, cpus = [], []
    for _ in range(runs):
        run_env = dict(env or os.environ)
        with tempfile.TemporaryDirectory() as cache:
            if fresh_cache:
                run_env["SUAR_CACHE_DIR"] = cache
            cpu, start = _children_cpu(), time.perf_counter()
            subprocess.run(
                cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env=run_env, cwd=REPO,
            )  # fmt: skip
            walls.append(time.perf_counter() - start)
            cpus.append(_children_cpu() - cpu)
    return walls, cpus


def show(label: str, secs: tuple[list[float], list[float]]) -> None:
    walls, cpus = secs
    print(
        f"{label:34s} median {statistics.median(walls):6.2f} s"
        f"  min {min(walls):6.2f}  max {max(walls):6.2f}"
        f"  cpu median {statistics.median(cpus):6.2f} s  (n={len(walls)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    ap.add_argument(
        "--module", action="store_true",
        help="run this checkout's code (python -m pipeline.cli) instead of the installed suar",
    )  # fmt: skip
    args = ap.parse_args()
    suar = _suar(args.module)
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(ARTICLE) + "\n", encoding="utf-8")
        annotate = [*suar, "annotate", str(one)]
        show("suar --help", timed([*suar, "--help"], args.runs))
        timed(annotate, 1)  # the user's caches are built once, as on any first use
        show("suar annotate (1 article)", timed(annotate, args.runs))
        show("suar annotate (empty cache dir)", timed(annotate, args.runs, fresh_cache=True))


if __name__ == "__main__":
    main()
