"""Scale-out benchmark: shared Redis frontier, Ray enrichment, DuckLake against the DuckDB file.

Three parts, each printed as medians (with min-max over --runs) and ratios to one process:

* crawl: the generated site of bench/crawl.py (--articles pages) crawled by 1, 2 and 4
  `suar crawl` processes sharing one Redis frontier (each into its own DuckDB file);
  articles stored per second of wall time;
* enrich: --enrich-articles invented articles (bench/enrich.py's generator) enriched on a
  local Ray cluster with 1 and 2 workers; articles per second (pipeline build included, as a
  real run pays it);
* lake: the synthetic database of bench/analytics.py at --lake-articles articles, moved into
  a DuckLake catalog (write cost against copying it into a new DuckDB file) and read there
  (v_weekly and v_hotspots for one week and the digest) against the file. Target: the lake
  no more than 3x slower than the file;
* writes: --write-articles invented articles saved by the crawler's writer
  (store.save_batch, batches of 50) into a DuckDB file, into a DuckLake catalog by one
  process, and by 2 processes at once (each its own half; they serialise on the writers'
  lock, pipeline/ducklake.py); articles written per second;
* embed: --embed-articles invented articles embedded by the local engine (`suar embed`) and
  on a local Ray cluster with 1 and 2 workers (`suar embed --engine ray`, model load
  included); articles per second.

    .venv/bin/python bench/scale.py --redis redis://127.0.0.1:56379/0 \
        --postgres "host=127.0.0.1 port=55432 user=postgres dbname=postgres" \
        [--articles 5000] [--enrich-articles 2000] [--lake-articles 100000] [--runs 3]
        [--parts crawl,enrich,lake,writes,embed] [--write-articles 2000] [--embed-articles 100]

On a 2-core machine expect at most ~2x from 2 workers, and less when others share the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}  ({min(values):.1f}-{max(values):.1f})"


def _print_ratios(title: str, unit: str, results: dict[int, list[float]]) -> None:
    print(f"{title} ({unit}, median (min-max)); ratio to 1 process")
    base = statistics.median(results[min(results)])
    for n, values in results.items():
        print(f"  {n} process(es): {_spread(values)}   x{statistics.median(values) / base:.2f}")


def bench_crawl(n_articles: int, redis_url: str, processes: list[int], runs: int) -> None:
    import redis

    from crawler.demosite import DemoSite, generate_site

    records = generate_site(n_articles)
    results: dict[int, list[float]] = {}
    client = redis.Redis.from_url(redis_url)
    for n in processes:
        for _ in range(runs):
            prefix = f"suarbench-{uuid.uuid4().hex[:8]}"
            env = {
                **os.environ,
                "SUAR_CRAWL_FRONTIER": "redis",
                "SUAR_CRAWL_REDIS_URL": redis_url,
                "SUAR_CRAWL_REDIS_PREFIX": prefix,
                "SUAR_CRAWL_RETRY_TIMES": "0",
                "SUAR_CRAWL_CONCURRENT_REQUESTS_PER_DOMAIN": "8",
            }
            with (
                tempfile.TemporaryDirectory() as tmp,
                DemoSite(records, breakage=False, per_page=100) as site,
            ):
                args = []
                for outlet, url in site.base_urls.items():
                    args += ["--base-url", f"{outlet}={url}"]
                started = time.perf_counter()
                procs = [
                    subprocess.Popen(
                        [sys.executable, "-m", "pipeline.cli", "--db", f"{tmp}/c{i}.duckdb"]
                        + ["crawl", "--impolite", *args],
                        cwd=REPO,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for i in range(n)
                ]
                for p in procs:
                    p.wait(timeout=3600)
                seconds = time.perf_counter() - started
                stored = _stored([Path(tmp) / f"c{i}.duckdb" for i in range(n)])
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
            results.setdefault(n, []).append(stored / seconds)
            print(f"  crawl, {n} process(es): {stored} articles in {seconds:.1f} s", flush=True)
    _print_ratios(f"crawl of {n_articles} pages", "articles/s", results)


def _stored(paths: list[Path]) -> int:
    import duckdb

    total = 0
    for path in paths:
        if path.exists():
            with duckdb.connect(str(path), read_only=True) as con:
                total += con.execute("SELECT count(*) FROM articles").fetchone()[0]
    return total


def bench_enrich(n_articles: int, workers: list[int], runs: int) -> None:
    import ray

    from pipeline.ray_engine import run_enrich_ray

    records = _article_records(n_articles)
    results: dict[int, list[float]] = {}
    for n in workers:
        for _ in range(runs):
            summary, seconds = _timed_on_fresh_db(
                records, lambda con, n=n: run_enrich_ray(con, workers=n, batch_size=32)
            )
            ray.shutdown()
            done = summary.enriched + summary.skipped_language
            results.setdefault(n, []).append(done / seconds)
            print(f"  enrich, {n} Ray worker(s): {done} articles in {seconds:.1f} s", flush=True)
    _print_ratios(f"enrichment of {n_articles} articles on Ray", "articles/s", results)


def _article_records(n_articles: int) -> list[Any]:
    import hashlib

    from bench.enrich import generate_articles
    from pipeline.store import ArticleRecord

    return [
        ArticleRecord(
            url=a["url"],
            outlet="contoh",
            title=a["title"],
            body=a["text"],
            content_hash=hashlib.sha256(a["text"].encode()).hexdigest(),
            language="id",
        )
        for a in generate_articles(n_articles)
    ]


T = TypeVar("T")


def _timed_on_fresh_db(records: list[Any], run: Callable[[Any], T]) -> tuple[T, float]:
    """``run`` on a new DuckDB file holding ``records``; its result and wall seconds."""
    from pipeline import db
    from pipeline.store import save_batch

    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "bench.duckdb")
        try:
            save_batch(con, records)
            started = time.perf_counter()
            out = run(con)
            return out, time.perf_counter() - started
        finally:
            con.close()


def bench_embed(n_articles: int, workers: list[int], runs: int) -> None:
    """Embedding: the local engine, then Ray with each worker count (model load included)."""
    import ray

    from pipeline.embed import configured_embedder, embed_settings, run_embed
    from pipeline.embed_ray import run_embed_ray

    records = _article_records(n_articles)
    local: list[float] = []
    results: dict[int, list[float]] = {}
    for _ in range(runs):
        stats, seconds = _timed_on_fresh_db(
            records, lambda con: run_embed(con, configured_embedder())
        )
        local.append(stats.embedded / seconds)
        print(f"  embed, local: {stats.embedded} articles in {seconds:.1f} s", flush=True)
    print(f"embedding of {n_articles} articles, local engine (articles/s): {_spread(local)}")
    for n in workers:
        for _ in range(runs):
            stats, seconds = _timed_on_fresh_db(
                records, lambda con, n=n: run_embed_ray(con, embed_settings(), workers=n)
            )
            ray.shutdown()
            results.setdefault(n, []).append(stats.embedded / seconds)
            print(f"  embed, {n} Ray worker(s): {stats.embedded} articles in {seconds:.1f} s")
    _print_ratios(f"embedding of {n_articles} articles on Ray", "articles/s", results)


def _median_time(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _scratch_catalog(postgres: str) -> tuple[str, str]:
    """A fresh PostgreSQL database for one catalog: (its name, its libpq connection string)."""
    name = f"suar_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", postgres, "-qc", f"CREATE DATABASE {name}"], check=True)
    parts = dict(p.split("=", 1) for p in postgres.split())
    parts["dbname"] = name
    return name, " ".join(f"{k}={v}" for k, v in parts.items())


def bench_lake(n_articles: int, postgres: str, runs: int) -> None:
    import duckdb

    from pipeline import ducklake
    from pipeline.config import load_config
    from pipeline.digest import write_digest

    cache = Path(tempfile.gettempdir()) / f"suar-bench-scale-{n_articles}.duckdb"
    if not cache.exists():
        print(f"  building {n_articles} synthetic articles (bench/analytics.py) ...", flush=True)
        subprocess.run(
            [sys.executable, "bench/analytics.py", "--articles", str(n_articles)]
            + ["--db", str(cache), "--runs", "1"],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    name, dsn = _scratch_catalog(postgres)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "SUAR_DATABASE_DUCKLAKE_POSTGRES": dsn,
            "SUAR_DATABASE_DUCKLAKE_DATA_PATH": f"{tmp}/lake",
        }
        cfg = load_config(environ=env)
        started = time.perf_counter()
        ducklake.migrate_to_ducklake(cache, cfg)
        lake_write = time.perf_counter() - started
        started = time.perf_counter()
        copy = Path(tmp) / "copy.duckdb"
        ducklake.migrate_to_duckdb(cfg, copy)
        print(f"  write {n_articles} articles: DuckLake {lake_write:.1f} s", flush=True)
        print(f"  (and back into a new DuckDB file: {time.perf_counter() - started:.1f} s)")
        file_con = duckdb.connect(str(cache), read_only=True)
        lake_con = ducklake.connect(cfg, read_only=True)
        last = file_con.execute("SELECT max(first_seen)::DATE FROM stories").fetchone()[0]
        year, number, _ = (last - timedelta(weeks=1)).isocalendar()
        week = f"{year}-W{number:02d}"
        queries = {
            "v_weekly, one week": f"SELECT * FROM v_weekly WHERE iso_week = '{week}'",
            "v_hotspots, one week": f"SELECT * FROM v_hotspots WHERE iso_week = '{week}'",
        }
        print(f"read, week {week} (seconds, median (min-max)); lake / file")
        for label, q in queries.items():
            f = _median_time(lambda q=q: file_con.execute(q).fetchall(), runs)
            lk = _median_time(lambda q=q: lake_con.execute(q).fetchall(), runs)
            ratio = statistics.median(lk) / statistics.median(f)
            print(f"  {label:<22} file {_spread(f)}  lake {_spread(lk)}  x{ratio:.2f}")

        def digest(con: Any) -> None:
            with tempfile.TemporaryDirectory() as out:
                write_digest(con, Path(out), week=week)

        f = _median_time(lambda: digest(file_con), runs)
        lk = _median_time(lambda: digest(lake_con), runs)
        ratio = statistics.median(lk) / statistics.median(f)
        print(f"  {'digest':<22} file {_spread(f)}  lake {_spread(lk)}  x{ratio:.2f}")
        file_con.close()
        lake_con.close()
    subprocess.run(["psql", postgres, "-qc", f"DROP DATABASE {name}"], check=False)


_WRITER = """
import sys, time
from datetime import UTC, datetime
from pipeline import db, ducklake, store
from pipeline.config import load_config
part, parts, n = (int(a) for a in sys.argv[1:4])
cfg = load_config()
con = db.connect_configured(cfg)
recs = [
    store.ArticleRecord(
        url=f"https://bench.test/{i}", outlet="bench", title=f"Judul {i}",
        body=("Kalimat uji tentang pemilihan daerah nomor %d. " % i) * 40,
        published_at=datetime(2026, 1, 1, tzinfo=UTC), content_hash=f"h{i}",
        html=b"<html>" + b"x" * 20000 + b"</html>",
    )
    for i in range(part, n, parts)
]
start = time.perf_counter()
for k in range(0, len(recs), 50):
    out = store.save_batch(con, recs[k : k + 50])
    assert not [r for r in out if isinstance(r, Exception)], out
print(time.perf_counter() - start)
"""


def bench_writes(n_articles: int, postgres: str, runs: int) -> None:
    """The crawler's writes: file, lake with 1 process, lake with 2 processes at once."""
    results: dict[str, list[float]] = {"DuckDB file": [], "DuckLake, 1 process": []}
    results["DuckLake, 2 processes"] = []
    for _ in range(runs):
        name, dsn = _scratch_catalog(postgres)
        solo_name, solo_dsn = _scratch_catalog(postgres)
        with tempfile.TemporaryDirectory() as tmp:
            lake = {
                "SUAR_DATABASE_BACKEND": "ducklake",
                "SUAR_DATABASE_DUCKLAKE_POSTGRES": dsn,
                "SUAR_DATABASE_DUCKLAKE_DATA_PATH": f"{tmp}/lake",
            }
            for label, env, procs in (
                ("DuckDB file", {"SUAR_DB": f"{tmp}/file.duckdb"}, 1),
                (
                    "DuckLake, 1 process",
                    {
                        **lake,
                        "SUAR_DATABASE_DUCKLAKE_DATA_PATH": f"{tmp}/a",
                        "SUAR_DATABASE_DUCKLAKE_POSTGRES": solo_dsn,
                    },
                    1,
                ),
                ("DuckLake, 2 processes", lake, 2),
            ):
                if label == "DuckLake, 2 processes":
                    _writer(env, 0, 1, 0)  # the schema once, before both writers start
                # Each writer times its own writes (start-up and connecting excluded); the
                # pair takes as long as its slower member.
                workers = [_writer(env, i, procs, n_articles, wait=False) for i in range(procs)]
                seconds = [float(w.communicate()[0]) for w in workers]
                assert all(w.returncode == 0 for w in workers)
                results[label].append(n_articles / max(seconds))
        for db_name in (name, solo_name):
            subprocess.run(["psql", postgres, "-qc", f"DROP DATABASE {db_name}"], check=False)
    print(f"writes of {n_articles} articles, batches of 50 (articles/s, median (min-max))")
    base = statistics.median(results["DuckDB file"])
    for label, values in results.items():
        print(f"  {label:<22} {_spread(values)}   x{statistics.median(values) / base:.2f} of file")


def _writer(env: dict[str, str], part: int, parts: int, n: int, wait: bool = True) -> Any:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(part), str(parts), str(n)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    if wait:
        proc.communicate()
        assert proc.returncode == 0
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redis", default="redis://127.0.0.1:56379/0")
    ap.add_argument("--postgres", default="host=127.0.0.1 port=55432 user=postgres dbname=postgres")
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--enrich-articles", type=int, default=2000)
    ap.add_argument("--lake-articles", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write-articles", type=int, default=2000)
    ap.add_argument("--embed-articles", type=int, default=100)
    ap.add_argument("--parts", default="crawl,enrich,lake")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    print(json.dumps({"cpus": os.cpu_count(), "runs": args.runs, "parts": sorted(parts)}))
    if "crawl" in parts:
        bench_crawl(args.articles, args.redis, [1, 2, 4], args.runs)
    if "enrich" in parts:
        bench_enrich(args.enrich_articles, [1, 2], args.runs)
    if "lake" in parts:
        bench_lake(args.lake_articles, args.postgres, args.runs)
    if "writes" in parts:
        bench_writes(args.write_articles, args.postgres, args.runs)
    if "embed" in parts:
        bench_embed(args.embed_articles, [1, 2], args.runs)


if __name__ == "__main__":
    main()
