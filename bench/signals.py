"""Benchmark the signal component (nlp/signals.py) on generated ~400-word articles.

    .venv/bin/python bench/signals.py [--docs 200] [--words 400] [--repeats 3]

Articles are made of everyday words with a share of conflict cues, numbers and dates, as
in news (no real text). Prints the component's CPU ms per article (median and p90 over the
articles; CPU time, so other processes on a shared machine do not count) and docs/s of a
blank pipeline (sentencizer + suar_signals), as the median and spread over the repeats.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import spacy  # noqa: E402

import nlp.signals  # noqa: E402, F401  (registers suar_signals)
from nlp.text import make_base_nlp  # noqa: E402

PLAIN = re.findall(
    r"\S+",
    "yang dan di ke dari untuk dengan pada itu ini dalam tidak akan sudah juga karena oleh "
    "para bupati gubernur pemerintah daerah kabupaten kota warga masyarakat program jalan "
    "pembangunan ekonomi sekolah rumah sakit pasar harga beras petani nelayan kegiatan "
    "menyampaikan mengatakan menurut kepala dinas kantor desa kecamatan provinsi tahun "
    "anggaran bantuan sosial pelayanan kesehatan pendidikan wisata festival budaya Senin "
    "Selasa Rabu (1/9/2025) sekitar orang banyak baru besar kecil pertama kedua",
)
CUES = re.findall(
    r"\S+",
    "massa aksi unjuk rasa berakhir ricuh gedung DPRD 2.000 dua anggota terluka menangkap "
    "tujuh pelaku bentrokan antarwarga tidak ada korban jiwa pemilu KPU Bawaslu "
    "mengantisipasi potensi kerawanan pilkada ditembak mati kelompok bersenjata menewaskan "
    "tiga warga pada 2019 lalu gas air mata",
)


def articles(n_docs: int, words: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)

    def article() -> str:
        sents = []
        for _ in range(words // 16):
            ws = [rng.choice(CUES) if rng.random() < 0.15 else rng.choice(PLAIN) for _ in range(16)]
            sents.append(" ".join(ws).capitalize() + ".")
        return "Judul berita tentang daerah\n" + " ".join(sents)

    return [article() for _ in range(n_docs)]


def run_once(texts: list[str]) -> dict[str, float]:
    base = make_base_nlp()
    nlp = spacy.blank("id")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("suar_signals")
    list(base.pipe(texts[:20]))  # warm up tokeniser caches
    times = []
    for doc in base.pipe(texts):
        t0 = time.process_time()
        nlp.get_pipe("suar_signals")(doc)
        times.append((time.process_time() - t0) * 1000)
    t0 = time.perf_counter()
    list(nlp.pipe(texts))
    total = time.perf_counter() - t0
    return {
        "component_median_ms": statistics.median(times),
        "component_p90_ms": sorted(times)[int(0.9 * len(times))],
        "pipeline_docs_per_s": len(texts) / total,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    texts = articles(args.docs, args.words)
    runs = [run_once(texts) for _ in range(args.repeats)]
    print(f"{args.docs} docs of ~{args.words} words, {args.repeats} repeats")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(
            f"{key:22s} median {statistics.median(values):8.2f}  "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )


if __name__ == "__main__":
    main()
