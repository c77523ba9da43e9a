"""Enrichment benchmark: N generated ~400-word Indonesian articles through the default pipeline.

Prints articles/s through the same path as `suar annotate` / `suar enrich` (language
detection, outlet province, nlp.pipe with every component, 2 worker processes by default as
those commands use), pipeline load time (imports plus building the pipeline, in a fresh
process), CPU ms per article (parent and workers) and peak memory: an upper bound, the
parent's ru_maxrss plus each worker at the largest worker's (shared copy-on-write pages are
counted once per process). Target on the project's 2-core machine: >= 50 articles/s, peak
memory < 2 GB. The machine is shared, so articles/s moves with other load; CPU ms per article
is the steadier number to compare trees by. ``--profile`` says where that CPU goes: ms per
article by pipeline stage (each component over all docs, no profiler) and cProfile's top
functions of one worker's doc processing.

    .venv/bin/python bench/enrich.py [--articles 1000] [--runs 3] [--workers 2]
                                     [--ner-backend none]
    .venv/bin/python bench/enrich.py --articles 300 --profile   # where the time goes

Each run is a child process, so load time and memory are those of a cold `suar enrich`; the
medians over runs are printed because the machine is shared. The articles come from the
sentence templates below (invented text, not news-dev): routine local news with a share of
election and conflict sentences, names, titles, institutions, numbers and places.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PLACES = (
    "Samarinda", "Balikpapan", "Bontang", "Kutai Kartanegara", "Berau", "Paser", "Tarakan",
    "Makassar", "Kota Kupang", "Kabupaten Bima", "Jayapura", "Mimika", "Ambon", "Palu",
)  # fmt: skip
PEOPLE = (
    "Andi Saputra", "Rahmawati", "Budi Hartono", "Yohanes Tabuni", "Siti Aminah",
    "Hendra Wijaya", "Markus Kogoya", "Dewi Lestari", "La Ode Rahman", "Agus Salim",
)  # fmt: skip
TITLES = (
    "Kapolres", "Bupati", "Wali Kota", "Ketua KPU", "Ketua Bawaslu", "Kepala Dinas Pendidikan",
    "Dandim", "Camat",
)  # fmt: skip
ORGS = (
    "Polda", "DPRD", "Pemkab", "Bawaslu", "KPU", "Kodim", "Kejari", "Satpol PP",
)  # fmt: skip
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
NUMBERS = ("dua", "tiga", "lima", "tujuh", "12", "25", "40", "150", "1.200")
ROUTINE = (
    "Pemerintah daerah menyalurkan bantuan beras kepada {n} keluarga di {place} pada {day}.",
    "{title} {place} {person} meninjau pembangunan jalan dan jembatan di wilayah itu.",
    "Menurut {person}, anggaran tahun ini difokuskan pada sekolah, puskesmas dan air bersih.",
    "Warga berharap harga kebutuhan pokok di pasar tradisional tetap stabil menjelang akhir "
    "tahun.",
    "Kegiatan itu dihadiri perwakilan {org} {place}, tokoh masyarakat dan para kepala desa.",
    "Petani di {place} mulai memanen padi setelah musim hujan yang cukup panjang tahun ini.",
    "Festival budaya digelar selama tiga hari dan menarik ribuan pengunjung dari luar daerah.",
    "\u201cKami ingin pelayanan kesehatan semakin dekat dengan masyarakat,\u201d kata {person}.",
    "Dinas terkait juga mendata kebutuhan guru honorer di sekolah-sekolah terpencil.",
    "Program pelatihan usaha kecil diikuti {n} peserta dari berbagai kecamatan.",
)  # fmt: skip
SIGNAL = (
    "{org} {place} menggelar rapat koordinasi pengamanan pemilu bersama Forkopimda pada {day}.",
    "Ketua Bawaslu {place} {person} mengatakan pihaknya menerima laporan dugaan politik uang.",
    "Ratusan mahasiswa berunjuk rasa di depan kantor DPRD {place} menolak kenaikan harga BBM.",
    "Aksi itu sempat ricuh setelah massa melempari aparat dengan batu dan botol.",
    "Polisi menangkap {n} orang yang diduga menjadi provokator dalam kericuhan tersebut.",
    "Bentrokan antarwarga di {place} menyebabkan {n} orang luka-luka dan sebuah rumah dibakar.",
    "Kapolres {place} {person} meminta warga tidak terpancing isu hoaks menjelang pilkada.",
    "Tidak ada korban jiwa dalam peristiwa itu, namun aparat masih berjaga di lokasi.",
    "Sengketa lahan antara warga dan perusahaan perkebunan di {place} belum juga selesai.",
    "KPU {place} memastikan logistik pemilu tiba di seluruh TPS sebelum hari pemungutan suara.",
)  # fmt: skip


def generate_articles(n: int, words: int = 400, seed: int = 7) -> list[dict]:
    """N deterministic invented articles of about ``words`` words, as annotate input rows."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        place = rng.choice(PLACES)
        share = 0.35 if k % 3 == 0 else 0.03  # a third of the articles carry conflict signals

        def fill(template: str, place: str = place) -> str:
            return template.format(
                place=rng.choice((place, place, rng.choice(PLACES))),
                person=rng.choice(PEOPLE),
                title=rng.choice(TITLES),
                org=rng.choice(ORGS),
                n=rng.choice(NUMBERS),
                day=rng.choice(DAYS),
            )

        paragraphs, count = [], 0
        while count < words:
            sents = [
                fill(rng.choice(SIGNAL if rng.random() < share else ROUTINE))
                for _ in range(rng.randint(2, 4))
            ]
            para = " ".join(sents)
            count += len(para.split())
            paragraphs.append(para)
        paragraphs[0] = f"{place.upper()}, Contoh.id \u2013 {paragraphs[0]}"
        paragraphs.append(f"Penulis: {rng.choice(PEOPLE)} | Editor: {rng.choice(PEOPLE)}")
        out.append(
            {
                "id": f"bench-{k}",
                "title": fill(rng.choice(SIGNAL if k % 3 == 0 else ROUTINE)).rstrip("."),
                "text": "\n\n".join(paragraphs),
                "url": f"https://contoh.id/berita/{k}",
            }
        )
    return out


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from nlp.annotate import enrich_articles
from crawler.registry import outlet_lexicon
from nlp.pipeline import build_nlp
nlp = build_nlp(ner_backend=sys.argv[2] or None, outlets=outlet_lexicon())
load = time.perf_counter() - t0
arts = json.load(open(sys.argv[1], encoding="utf-8"))
enrich_articles(arts[:20], nlp)  # warm caches (lexicons, gazetteer, lingua)
def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
c1 = cpu()
t1 = time.perf_counter()
results = enrich_articles(arts, nlp, batch_size=int(sys.argv[3]), n_process=int(sys.argv[4]))
secs = time.perf_counter() - t1
cpu_ms = (cpu() - c1) * 1000 / len(arts)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
# upper bound: the parent plus every worker at the largest worker's peak (shared pages
# counted once per process)
rss = own + int(sys.argv[4]) * child if child else own
print(json.dumps({"load_s": load, "seconds": secs, "articles": len(arts),
                  "articles_per_s": len(arts) / secs, "peak_rss_mb": rss,
                  "parent_rss_mb": own, "worker_rss_mb": child, "cpu_ms_per_article": cpu_ms,
                  "pipeline": nlp.pipe_names,
                  "enriched": sum(r["enriched"] for r in results),
                  "with_topics": sum(bool(r["topics"]) for r in results)}))
"""


PROFILE_CHILD = r"""
import cProfile, io, json, pstats, sys, time
from nlp.annotate import article_text, doc_result, enrich_articles
from crawler.registry import outlet_lexicon
from nlp.lang import detect_language
from nlp.pipeline import build_nlp
nlp = build_nlp(ner_backend=sys.argv[2] or None, outlets=outlet_lexicon())
arts = json.load(open(sys.argv[1], encoding="utf-8"))
batch, top = int(sys.argv[3]), int(sys.argv[4])
enrich_articles(arts[:20], nlp)  # warm caches
# 1. CPU per stage without a profiler: each component over all docs in turn
cost = {}
t = time.process_time()
texts = [article_text(a.get("title"), a.get("text")) for a in arts]
langs = [detect_language(x[:2000]) for x in texts]
cost["language detection"] = time.process_time() - t
t = time.process_time()
docs = [nlp.make_doc(x) for x in texts]
cost["tokenizer (make_doc)"] = time.process_time() - t
for d in docs:
    d.user_data["outlet_province"] = None
    d.user_data["dateline"] = None
for name, proc in nlp.pipeline:
    t = time.process_time()
    if hasattr(proc, "pipe"):
        docs = list(proc.pipe(docs, batch_size=batch))
    else:
        docs = [proc(d) for d in docs]
    cost[name] = time.process_time() - t
t = time.process_time()
for d, a in zip(docs, arts):
    doc_result(d, a["id"])
cost["doc_result"] = time.process_time() - t
# 2. cProfile of one worker's path (what each worker process runs on its chunk)
prof = cProfile.Profile()
prof.enable()
enrich_articles(arts, nlp, batch_size=batch)
prof.disable()
out = io.StringIO()
pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
print(json.dumps({"cost": cost, "n": len(arts), "profile": out.getvalue()}))
"""


def profile_run(path: Path, backend: str, batch_size: int, top: int) -> None:
    """Print CPU ms per article by stage and cProfile's top functions of one worker."""
    r = _child(PROFILE_CHILD, path, backend, batch_size, top)
    total = sum(r["cost"].values())
    print(f"CPU by stage, one process, {r['n']} articles (no profiler):")
    for name, secs in sorted(r["cost"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:22s} {secs * 1000 / r['n']:6.2f} ms/article  {100 * secs / total:5.1f} %")
    print(f"  {'total':22s} {total * 1000 / r['n']:6.2f} ms/article")
    print(f"\ncProfile of one worker's doc processing (top {top} by cumulative time):")
    print(r["profile"])


def _child(code: str, *args: object) -> dict:
    """Run ``code`` in a fresh interpreter (cold start, own memory) and read its JSON line."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def one_run(path: Path, backend: str, batch_size: int, workers: int) -> dict:
    return _child(CHILD, path, backend, batch_size, workers)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2, help="worker processes (as suar enrich)")
    ap.add_argument("--ner-backend", default="", help="spacy | none (default: the config's)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing runs: CPU by pipeline stage and cProfile of one worker",
    )
    ap.add_argument("--top", type=int, default=40, help="functions shown by --profile")
    args = ap.parse_args(argv)
    import tempfile

    arts = generate_articles(args.articles, args.words)
    mean_words = statistics.mean(len((a["title"] + " " + a["text"]).split()) for a in arts)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "articles.json"
        path.write_text(json.dumps(arts, ensure_ascii=False), encoding="utf-8")
        if args.profile:
            profile_run(path, args.ner_backend, args.batch_size, args.top)
            return 0
        for i in range(args.runs):
            r = one_run(path, args.ner_backend, args.batch_size, args.workers)
            runs.append(r)
            print(
                f"run {i + 1}: {r['articles_per_s']:.1f} articles/s, load {r['load_s']:.1f} s, "
                f"peak {r['peak_rss_mb']:.0f} MB, CPU {r['cpu_ms_per_article']:.0f} ms/article "
                f"({r['enriched']} enriched, "
                f"{r['with_topics']} with topics)",
                flush=True,
            )

    def spread(key: str) -> list[float]:
        vals = [r[key] for r in runs]
        return [round(min(vals), 1), round(max(vals), 1)]

    summary = {
        "articles": args.articles,
        "mean_words": round(mean_words),
        "pipeline": runs[0]["pipeline"],
        "workers": args.workers,
        "runs": len(runs),
        "median_articles_per_s": round(statistics.median(r["articles_per_s"] for r in runs), 1),
        "articles_per_s_min_max": spread("articles_per_s"),
        "median_load_s": round(statistics.median(r["load_s"] for r in runs), 1),
        "load_s_min_max": spread("load_s"),
        "max_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
        "median_cpu_ms_per_article": round(
            statistics.median(r["cpu_ms_per_article"] for r in runs), 1
        ),
        "cpu_ms_per_article_min_max": spread("cpu_ms_per_article"),
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
