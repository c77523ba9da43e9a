"""`suar demo`: the offline quick start.

Serves the demo site (fixture pages in the page structures of every registered outlet, with
realistic breakage) on loopback addresses and crawls it with the real Scrapy engine into a
fresh database, then says where the data is and what to try.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.config import Config

TRY_QUERY = (
    "SELECT outlet, count(*) AS articles, min(published_at) AS first, max(published_at) AS last "
    "FROM articles GROUP BY outlet ORDER BY articles DESC"
)


def _fresh(path: Path) -> None:
    """The demo always starts from an empty database so its output is reproducible."""
    for suffix in ("", ".wal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.unlink()


def _enrich(config: Config, echo: Callable[[str], None]) -> None:
    """Run the NLP stage over what the crawl stored (one process: no worker forks)."""
    from pipeline import db
    from pipeline.enrich import EnrichProgress, run_enrich

    con = db.connect(config.db_path, wait=config.get("database", "lock_timeout"))
    try:
        with EnrichProgress() as progress:
            result = run_enrich(con, workers=1, progress=progress)
    finally:
        con.close()
    echo(
        f"Enriched {result.enriched} articles ({result.skipped_language} not Indonesian) with "
        f"pipeline {result.version}; see the enrichments, article_topics, article_regions "
        "and article_entities tables."
    )


def run_demo(
    config: Config,
    *,
    serve: bool = False,
    echo: Callable[[str], None] = print,
    enrich: bool = True,
) -> Path:
    """Serve the demo site, crawl it into ``config.db_path``, enrich it and report."""
    from crawler.demosite import DemoSite
    from pipeline.crawl import run_crawl
    from pipeline.progress import Progress, plain_lines

    db_path = config.db_path
    _fresh(db_path)
    # The demo site's always-failing page should not make the quick start wait for backoff.
    config.data["crawl"]["retry_backoff_base"] = min(config.crawl["retry_backoff_base"], 0.2)
    with DemoSite() as site:
        base_urls = site.base_urls
        echo(f"demo site serving {len(base_urls)} outlets on loopback:")
        for outlet, url in base_urls.items():
            echo(f"  {outlet:<16} {url}")
        with Progress() as progress:
            summary = run_crawl(
                config, list(base_urls), base_urls=base_urls, polite=False, progress=progress
            )
        for line in plain_lines(summary.stats):
            echo(line)
        echo("")
        echo(f"Crawl run {summary.run_id} finished ({summary.status}).")
        if enrich:
            _enrich(config, echo)
        echo(f"Database: {db_path.resolve()}")
        echo("Try:")
        echo(f'  suar --db {db_path} query "{TRY_QUERY}"')
        if serve:
            echo("Serving the demo site until Ctrl-C ...")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    return db_path
