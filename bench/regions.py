"""Region linking cost: gazetteer build and linking one 400-word article (medians, spread).

These were timed tests once; timings belong here, where a noisy machine prints numbers
instead of failing a build. Run: ``.venv/bin/python bench/regions.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARAGRAPH = (
    "SAMARINDA - Ribuan mahasiswa dari berbagai kampus di Kaltim berunjuk rasa di depan "
    "Gedung DPRD Kaltim, Jalan Teuku Umar, Samarinda, Senin siang. Mereka menolak rencana "
    "kenaikan harga bahan bakar dan meminta Gubernur Kaltim menemui massa. Polresta "
    "Samarinda menurunkan ratusan personel, dibantu Brimob Polda Kaltim dan Satpol PP "
    "Kota Samarinda. Aksi serupa juga digelar di Balikpapan, Bontang dan Tenggarong. "
)


def _spread(values: list[float], unit: float, label: str) -> str:
    med = statistics.median(values) * unit
    return f"{label}: median {med:.2f} (min {min(values) * unit:.2f}, max {max(values) * unit:.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="linking repeats")
    ap.add_argument("--builds", type=int, default=3, help="gazetteer builds")
    args = ap.parse_args()
    from crawler.registry import outlet_lexicon
    from nlp.regions import build_gazetteer, link_regions

    builds = []
    for _ in range(args.builds):
        build_gazetteer.cache_clear()
        t0 = time.perf_counter()
        build_gazetteer()
        builds.append(time.perf_counter() - t0)
    print(_spread(builds, 1, f"gazetteer build, s ({args.builds} runs)"))
    outlets = outlet_lexicon()
    text = "Demo mahasiswa di Samarinda\n" + PARAGRAPH * 6
    link_regions(text, outlets=outlets)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        link_regions(text, outlets=outlets)
        times.append(time.perf_counter() - t0)
    words = len(text.split())
    print(_spread(times, 1000, f"link_regions on {words} words, ms ({args.runs} runs)"))


if __name__ == "__main__":
    main()
