"""Analytics benchmark: the analysts' views, search and the digest over 1,000,000 articles.

Builds a synthetic database through the real schema (pipeline.db migrations), generated
set-wise in DuckDB SQL (bench/analytics.sql: generate_series + hash-based randomness, so a
build is reproducible and takes minutes, not hours): stories of 1-6 reports over the 514
Kemendagri regencies (Zipf-like: a few busy regencies, a long tail) and the provinces
themselves, the TAXONOMY topics (codes from nlp.signals), escalation levels 0-4 with most
reports at 0-1, two years of dates with volume growing towards the present, actors, region
mentions, magnitudes with their phrases, nightly crawl coverage per outlet, and the search
terms of every article. Words come from bench/analytics_vocab.toml (invented, not news) plus
a long tail of 20,000 made-up rare words, so that common words are in about half the articles
rather than all of them and the search index has realistic posting lists.

Then times, median of 3 (the first, cold run is printed too): `v_weekly` and `v_hotspots` for
one week, a full-text search (`pipeline.search.search`, BM25 alone: no vectors are generated),
and a full digest (`pipeline.digest.write_digest`). Targets: each view query < 1 s, the
digest < 10 s. Parts whose module does not exist yet are reported as not timed.

    .venv/bin/python bench/analytics.py [--articles 1000000] [--db PATH] [--rebuild]
                                        [--runs 3] [--week 2026-W40]

The build runs in a child process, so its time and peak memory are printed apart from the
queries' (this process). An existing database with the requested size is reused.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HERE = Path(__file__).resolve().parent
DAYS = 730
MEAN_REPORTS = 2.33  # expected reports per story from the distribution in analytics.sql
TABLES = (
    "articles", "enrichments", "article_topics", "article_regions", "article_entities",
    "stories", "story_articles", "crawl_runs", "crawl_run_outlets", "search_docs",
)  # fmt: skip


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _statements(params: dict[str, Any]) -> list[str]:
    from pipeline import db

    text = (HERE / "analytics.sql").read_text(encoding="utf-8")
    for key, value in params.items():
        text = text.replace(f":{key}:", str(value))
    return db.split_statements(text)


def build(db_path: Path, n_articles: int, start: date) -> dict[str, Any]:
    """Generate the database (run in a child process by main())."""
    from nlp.regions import load_regions
    from nlp.signals import TOPIC_CODES
    from pipeline import db

    vocab = tomllib.loads((HERE / "analytics_vocab.toml").read_text(encoding="utf-8"))
    weights = vocab["topic_weights"]
    if set(weights) != set(TOPIC_CODES) or set(vocab["topics"]) != set(TOPIC_CODES):
        raise SystemExit("analytics_vocab.toml topics differ from nlp.signals.TOPIC_CODES")
    regions = [
        (r["code"], r["name"], r["level"], r["province_code"])
        for r in load_regions()
        if r["level"] in {"province", "regency"}
    ]
    n_regencies = sum(1 for r in regions if r[2] == "regency")
    for suffix in ("", ".wal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    con = db.connect(db_path)
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET memory_limit = '4GB'")  # a shared machine: spill rather than crowd others
    con.execute(
        "CREATE TEMP TABLE src_regions (code VARCHAR, name VARCHAR, level VARCHAR, "
        "province_code VARCHAR)"
    )
    con.executemany("INSERT INTO src_regions VALUES (?, ?, ?, ?)", regions)
    con.execute(
        "CREATE TEMP TABLE topic_w AS SELECT unnest(?::VARCHAR[]) AS code, "
        "unnest(?::INTEGER[]) AS weight, unnest(?::VARCHAR[][]) AS words",
        [
            list(weights),
            list(weights.values()),
            [vocab["topics"][c].split() for c in weights],
        ],
    )
    con.execute(
        "CREATE TEMP TABLE vocab AS SELECT ?::VARCHAR[] AS words", [vocab["common"].split()]
    )
    params = {
        "articles": n_articles,
        "stories": int(n_articles / MEAN_REPORTS * 1.05) + 10,
        "days": DAYS,
        "start": start.isoformat(),
    }
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    for stmt in _statements(params):
        first = next(x for x in stmt.splitlines() if not x.startswith("--"))
        t = time.perf_counter()
        with db.transaction(con):
            con.execute(stmt)
        steps[" ".join(first.split()[:4])[:50]] = time.perf_counter() - t
    steps_total = time.perf_counter() - t0
    search_s = None
    if db.has_relations(con, "search_docs"):
        from pipeline.search import analyzer_version, refresh_index

        t = time.perf_counter()
        # The generated words are base forms: the analysed terms are the words themselves
        # (title twice, as pipeline.search.document_terms does), stored set-wise.
        con.execute(
            "INSERT INTO search_docs SELECT id, content_hash, ?, "
            "lower(title || ' ' || title || ' ' || body), now() FROM articles",
            [analyzer_version()],
        )
        refresh_index(con)
        search_s = time.perf_counter() - t
    con.execute("CHECKPOINT")
    counts = {}
    for table in TABLES:
        try:
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except Exception:  # a table from a migration not written yet
            counts[table] = None
    con.close()
    return {
        "seconds": steps_total,
        "search_index_seconds": search_s,
        "steps": steps,
        "counts": counts,
        "regencies": n_regencies,
        "topics": len(weights),
        "size_mb": db_path.stat().st_size / 1e6,
        "peak_rss_mb": _peak_mb(),
    }


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(median seconds, first-run seconds, last result)."""
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times[0], result


def _report(name: str, target: float | None, fn: Callable[[], Any], runs: int) -> dict:
    try:
        median, first, result = _time(fn, runs)
    except Exception as exc:
        line = " ".join(str(exc).split())[:160]
        print(f"  {name:<34} NOT TIMED: {type(exc).__name__}: {line}", flush=True)
        return {"name": name, "error": f"{type(exc).__name__}: {line}"}
    verdict = "" if target is None else ("  ok" if median < target else f"  OVER {target:g} s")
    rows = len(result) if isinstance(result, list) else ""
    extra = f"  ({rows} rows)" if rows != "" else ""
    print(
        f"  {name:<34} median {median * 1000:8.1f} ms  (first {first * 1000:8.1f} ms){extra}"
        f"{verdict}",
        flush=True,
    )
    return {"name": name, "median_s": median, "first_s": first, "target_s": target}


def time_queries(db_path: Path, runs: int, week: str | None) -> list[dict]:
    from pipeline import db

    con = db.connect(db_path)  # writable: the digest and search may refresh what they need
    if week is None:  # the last complete week: the one before the newest story's
        last = con.execute("SELECT max(first_seen)::DATE FROM stories").fetchone()[0]
        year, number, _ = (last - timedelta(weeks=1)).isocalendar()
        week = f"{year}-W{number:02d}"
    print(f"timing week {week}, median of {runs} runs:", flush=True)
    results = [
        _report(
            "v_weekly, one week",
            1.0,
            lambda: con.execute("SELECT * FROM v_weekly WHERE iso_week = ?", [week]).fetchall(),
            runs,
        ),
        _report(
            "v_hotspots, one week",
            1.0,
            lambda: con.execute(
                "SELECT * FROM v_hotspots WHERE iso_week = ? ORDER BY score DESC", [week]
            ).fetchall(),
            runs,
        ),
    ]

    def do_search(**filters: Any) -> list:
        from pipeline.search import search

        return search(con, "bentrok warga bakar", limit=10, **filters).stories

    results.append(_report("search 'bentrok warga bakar'", 1.0, do_search, runs))
    results.append(
        _report(
            "search + region/level filter", 1.0, lambda: do_search(region="73", min_level=2), runs
        )
    )

    def do_digest() -> Any:
        from pipeline.digest import write_digest

        with tempfile.TemporaryDirectory() as out:
            return write_digest(con, Path(out), week=week)

    results.append(_report("digest (html/md/csv)", 10.0, do_digest, runs))
    con.close()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, help="default: a file under the system temp directory")
    ap.add_argument("--rebuild", action="store_true", help="build even if the file exists")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--week", help="ISO week to time (default: the last complete week)")
    ap.add_argument("--start", default=None, help="first day of data (default: 2 years ago)")
    ap.add_argument("--_build", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    db_path = args.db or Path(tempfile.gettempdir()) / f"suar-bench-{args.articles}.duckdb"
    start = (
        date.fromisoformat(args.start)
        if args.start
        else date.today() - timedelta(days=DAYS + date.today().weekday())
    )
    if args._build:
        print(json.dumps(build(db_path, args.articles, start)))
        return
    if args.rebuild or not _has_articles(db_path, args.articles):
        print(f"building {args.articles:,} articles into {db_path} ...", flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--_build", "--db", str(db_path),
             "--articles", str(args.articles), "--start", start.isoformat()],
            capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            raise SystemExit(f"build failed:\n{proc.stderr[-3000:]}")
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"build: {info['seconds']:.1f} s generation + "
            f"{info['search_index_seconds'] or 0:.1f} s search index "
            f"({'built' if info['search_index_seconds'] is not None else 'no search tables'}); "
            f"file {info['size_mb']:.0f} MB; peak RSS {info['peak_rss_mb']:.0f} MB; "
            f"{info['regencies']} regencies, {info['topics']} topics"
        )
        print("  rows: " + ", ".join(f"{k}={v:,}" for k, v in info["counts"].items() if v))
        slow = sorted(info["steps"].items(), key=lambda kv: -kv[1])[:4]
        print("  slowest statements: " + "; ".join(f"{k} {v:.1f} s" for k, v in slow))
    else:
        print(f"reusing {db_path} ({args.articles:,} articles; --rebuild to regenerate)")
    before = _peak_mb()
    results = time_queries(db_path, args.runs, args.week)
    print(f"query process peak RSS {max(before, _peak_mb()):.0f} MB")
    not_timed = [r["name"] for r in results if "error" in r]
    if not_timed:
        print("not timed: " + ", ".join(not_timed))


def _has_articles(db_path: Path, n: int) -> bool:
    if not db_path.exists():
        return False
    import duckdb

    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            return con.execute("SELECT count(*) FROM articles").fetchone()[0] == n
    except duckdb.Error:
        return False


if __name__ == "__main__":
    main()
