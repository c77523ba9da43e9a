"""Run a crawl: pick outlets, open the database, run the generic spider, record the run.

Each article is committed on its own as it arrives, so a crawl killed at any point keeps
everything saved so far; the next run marks the dead run 'interrupted', re-walks discovery
without early stopping, and fetches only what is still missing.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.registry import Outlet, load_registry
from crawler.settings import build_settings
from crawler.spider import OutletPlan, OutletSpider
from pipeline import db, store
from pipeline.config import Config

log = logging.getLogger(__name__)


class UnknownOutlet(ValueError):
    """An outlet id that the registry does not know."""


def _new_stats() -> dict[str, Any]:
    return {
        "discovered": 0,
        "fetched": 0,
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "not_article": 0,
        "discovery": set(),
        "sample_errors": [],
    }


def select_outlets(
    registry: dict[str, Outlet], wanted: list[str] | None, base_urls: dict[str, str] | None = None
) -> list[Outlet]:
    """Outlets to crawl, in registry order; ``base_urls`` serves an outlet elsewhere (demo)."""
    ids = list(registry) if not wanted or wanted == ["all"] else wanted
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise UnknownOutlet(
            f"unknown outlet(s): {', '.join(unknown)}; known: {', '.join(registry)}"
        )
    chosen = [registry[i] for i in ids]
    if base_urls:
        chosen = [o.with_base_url(base_urls[o.id]) if o.id in base_urls else o for o in chosen]
    return chosen


class RunRecorder:
    """The spider's sink: saves articles in small batches, counts per outlet, shows progress.

    Articles are buffered for at most ``batch_size`` items or ``max_wait`` seconds, then
    written in one transaction. A crawl killed in between loses only unsaved fetches, which
    the next run fetches again (they are not in the database, so they are not "known").
    """

    def __init__(
        self,
        con: Any,
        run_id: int,
        outlets: list[str],
        show: Any = None,
        batch_size: int = 50,
        max_wait: float = 2.0,
    ) -> None:
        self.con = con
        self.run_id = run_id
        self.stats: dict[str, dict[str, Any]] = defaultdict(_new_stats)
        for outlet in outlets:
            self.stats[outlet]  # noqa: B018 - create the row so silent outlets show up
        self.show = show
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.pending: list[store.ArticleRecord] = []
        self._oldest = 0.0
        self._last_stats = time.monotonic()
        # Called with the fetched URLs once their articles or failures are committed: the
        # shared Redis frontier (crawler/frontier.py) releases their leases then.
        self.on_written: Any = None

    def save(self, item: dict[str, Any]) -> str:
        rec = store.ArticleRecord.from_extracted(
            item["extracted"],
            item["outlet"],
            html=item.get("html"),
            encoding=item.get("encoding"),
            fetched_url=item.get("fetched_url"),
            lastmod=item.get("lastmod"),
            alias_urls=item.get("aliases", []),
        )
        if not self.pending:
            self._oldest = time.monotonic()
        self.pending.append(rec)
        self.tick()
        return "queued"

    def failure(self, outlet: str, url: str, status: int | None, error: str) -> None:
        samples = self.stats[outlet]["sample_errors"]
        if len(samples) < 10:
            samples.append(f"{error}: {url}")
        store.record_failure(self.con, self.run_id, outlet, url, status, error)
        if self.on_written is not None:
            self.on_written([url])
        self.tick()

    def tick(self) -> None:
        """Called on every event and by a timer: write what is due, refresh the display."""
        now = time.monotonic()
        if self.pending and (
            len(self.pending) >= self.batch_size or now - self._oldest >= self.max_wait
        ):
            self.write_pending()
        if now - self._last_stats > 5:
            self.flush_stats()
        if self.show is not None:
            self.show(self.stats)

    def write_pending(self) -> None:
        batch, self.pending = self.pending, []
        for rec, result in zip(batch, store.save_batch(self.con, batch, self.run_id), strict=True):
            if isinstance(result, Exception):
                self.stats[rec.outlet]["failed"] += 1
                self.failure(rec.outlet, rec.url, None, f"storage: {result!r}")
                continue
            outcome = "unchanged" if result[0] == "duplicate" else result[0]
            self.stats[rec.outlet][outcome] += 1
        if self.on_written is not None and batch:
            self.on_written([rec.fetched_url or rec.url for rec in batch])

    def flush_stats(self) -> None:
        """Persist the counters (also mid-run, so a killed run still tells what it did)."""
        for outlet, stats in self.stats.items():
            store.save_run_outlet(self.con, self.run_id, outlet, stats)
        self._last_stats = time.monotonic()

    def flush(self) -> None:
        """Write everything pending; called when the crawl ends."""
        self.write_pending()
        self.flush_stats()


def _quiet_scrapy(tty: bool) -> None:
    """Scrapy's own INFO chatter (stats dumps, middleware lists) drowns our counters."""
    for name in ("scrapy", "crawler", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING if tty else logging.INFO)
    for name in (
        "scrapy.utils.log",
        "scrapy.statscollectors",
        "scrapy.middleware",
        "scrapy.addons",
        "scrapy.extensions.telnet",
        "scrapy.core.engine",
        "scrapy.crawler",
        "scrapy.extensions.logstats",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    stats: dict[str, dict[str, Any]]
    db_path: Path
    seconds: float = 0.0
    extract_seconds: float = 0.0


def run_crawl(
    config: Config,
    outlets: list[str] | None = None,
    *,
    base_urls: dict[str, str] | None = None,
    polite: bool = True,
    progress: Any = None,
    registry_path: str | Path | None = None,
    on_wait: Any = None,
) -> CrawlSummary:
    """Crawl the chosen outlets into the configured database and return the run's counters.

    Runs the real Scrapy engine in this process (a process can run it once: the Twisted
    reactor does not restart). ``progress`` is called with the live counters.
    """
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    crawl_cfg = config.crawl
    registry = load_registry(registry_path or crawl_cfg["registry"] or None)
    chosen = select_outlets(registry, outlets or crawl_cfg["outlets"], base_urls)
    con = db.connect(config.db_path, wait=config.get("database", "lock_timeout"), on_wait=on_wait)
    run_id = store.start_run(con, [o.id for o in chosen])
    recorder = RunRecorder(
        con,
        run_id,
        [o.id for o in chosen],
        show=progress,
        batch_size=crawl_cfg["write_batch_size"],
        max_wait=crawl_cfg["write_batch_seconds"],
    )
    since = None
    if crawl_cfg["first_crawl_days"]:
        since = datetime.now(UTC) - timedelta(days=crawl_cfg["first_crawl_days"])
    plans = [
        OutletPlan(
            outlet=o,
            known=store.known_urls(con, o.id),
            early_stop=store.last_run_complete(con, o.id),
            since=since,
        )
        for o in chosen
    ]
    settings = build_settings(crawl_cfg, polite=polite)
    if crawl_cfg["log_file"]:
        handler = logging.FileHandler(crawl_cfg["log_file"], encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    status, error = "failed", None
    try:
        _quiet_scrapy(progress is not None and sys.stderr.isatty())
        process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
        _quiet_scrapy(progress is not None and sys.stderr.isatty())
        crawler = process.create_crawler(OutletSpider)
        reasons: list[str] = []

        def on_closed(spider: Any, reason: str) -> None:
            reasons.append(reason)

        # pydispatcher keeps weak references: on_closed lives in this frame until the end.
        crawler.signals.connect(on_closed, signal=signals.spider_closed)
        process.crawl(
            crawler,
            plans=plans,
            sink=recorder,
            max_articles_per_outlet=crawl_cfg["max_articles_per_outlet"],
        )
        from twisted.internet import task

        timer = task.LoopingCall(recorder.tick)
        timer.start(1.0, now=False)
        started = time.perf_counter()
        process.start()
        elapsed = time.perf_counter() - started
        status = "ok" if reasons == ["finished"] else "interrupted"
        error = None if status == "ok" else f"spider closed: {', '.join(reasons) or 'unknown'}"
    except BaseException as exc:  # record the failure, then let it propagate
        error = repr(exc)[:500]
        raise
    finally:
        recorder.flush()
        store.finish_run(con, run_id, status, error)
        con.close()
    return CrawlSummary(
        run_id,
        status,
        dict(recorder.stats),
        config.db_path,
        seconds=elapsed,
        extract_seconds=crawler.spider.extract_seconds,
    )
