"""Crawl benchmark: a generated local site of N article pages, politeness delays off.

Prints pages/s, the crawl process's peak memory (RSS) and the share of crawl time spent in
extraction. Target on the project's 2-core machine: >= 50 pages/s, peak memory < 500 MB.

    .venv/bin/python bench/crawl.py [--articles 5000] [--repeat 1]

The site is served from this process (crawler.demosite, breakage off); the crawl runs in a
child process (the real `run_crawl`, as `suar crawl` does), so its peak RSS is the child's.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, sys
from pipeline.config import load_config
from pipeline.crawl import run_crawl
base_urls = json.loads(sys.argv[2])
cfg = load_config(db=sys.argv[1])
cfg.data["crawl"]["retry_times"] = 0
s = run_crawl(cfg, list(base_urls), base_urls=base_urls, polite=False)
stored = sum(v["new"] for v in s.stats.values())
fetched = sum(v["fetched"] for v in s.stats.values())
print(json.dumps({"seconds": s.seconds, "extract_seconds": s.extract_seconds,
                  "stored": stored, "fetched": fetched, "status": s.status}))
"""


def one_run(n_articles: int) -> dict:
    from crawler.demosite import DemoSite, generate_site

    records = generate_site(n_articles)
    with (
        tempfile.TemporaryDirectory() as tmp,
        DemoSite(records, breakage=False, per_page=100) as site,
    ):
        db = Path(tmp) / "bench.duckdb"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(db), json.dumps(site.base_urls)],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result["peak_rss_mb"] = max(peak_kb, before) / 1024
        result["pages_per_s"] = result["fetched"] / result["seconds"]
        result["extract_share"] = result["extract_seconds"] / result["seconds"]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    runs = [one_run(args.articles) for _ in range(args.repeat)]
    for i, r in enumerate(runs, 1):
        print(
            f"run {i}: {r['fetched']} pages fetched, {r['stored']} stored in {r['seconds']:.1f} s "
            f"= {r['pages_per_s']:.1f} pages/s; peak RSS {r['peak_rss_mb']:.0f} MB; "
            f"extraction {100 * r['extract_share']:.0f}% of crawl time"
        )
    print(
        f"median: {statistics.median(r['pages_per_s'] for r in runs):.1f} pages/s, "
        f"peak RSS {max(r['peak_rss_mb'] for r in runs):.0f} MB, "
        f"extraction share {100 * statistics.median(r['extract_share'] for r in runs):.0f}%"
    )


if __name__ == "__main__":
    main()
