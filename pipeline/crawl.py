"""Run a crawl: pick outlets, open the database, run the generic spider, record the run.

Articles are committed in batches as they arrive: one transaction per batch of at most
``crawl.write_batch_size`` articles (50) or ``crawl.write_batch_seconds`` (2 s), whichever
comes first (see :class:`RunRecorder`). A crawl killed at any point keeps every batch written
so far and loses only the unwritten one; the next run marks the dead run 'interrupted',
re-walks discovery without early stopping, and fetches only what is still missing.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.registry import Outlet, load_registry
from crawler.settings import build_settings
from crawler.spider import OutletPlan, OutletSpider, outlet_verdict
from pipeline import db, store
from pipeline.config import Config

log = logging.getLogger(__name__)


class UnknownOutlet(ValueError):
    """An outlet id that the registry does not know."""


class PermissionNotGranted(ValueError):
    """An outlet whose publisher requires written permission, and none was stated."""


def _new_stats() -> dict[str, Any]:
    return {
        "discovered": 0,
        "fetched": 0,
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "not_article": 0,
        "discovery_failed": 0,
        "discovery": set(),
        "sample_errors": [],
    }


def select_outlets(
    registry: dict[str, Outlet],
    wanted: list[str] | None,
    base_urls: dict[str, str] | None = None,
    permission_granted: list[str] | None = None,
) -> list[Outlet]:
    """Outlets to crawl, in registry order; ``base_urls`` serves an outlet elsewhere (demo).

    "all" means every enabled outlet whose publisher's terms allow crawling; an outlet marked
    ``permission = "required"`` is crawled only when the operator lists it in
    ``crawl.permission_granted`` (we respect stated terms as we respect robots.txt), or when it
    is served from a loopback address (the demo site). Naming such an outlet explicitly
    without that is an error, never a silent skip.
    """
    granted = set(permission_granted or [])
    # A loopback address (the demo site, test fixtures) is never the publisher's server.
    granted |= {i for i, url in (base_urls or {}).items() if _is_loopback(url)}
    if not wanted or wanted == ["all"]:
        ids = [
            i for i, o in registry.items() if o.enabled and (not o.needs_permission or i in granted)
        ]
    else:
        ids = wanted
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise UnknownOutlet(
            f"unknown outlet(s): {', '.join(unknown)}; known: {', '.join(registry)}"
        )
    refused = [i for i in ids if registry[i].needs_permission and i not in granted]
    if refused:
        raise PermissionNotGranted(
            f"outlet(s) {', '.join(refused)} require the publisher's written permission to crawl "
            f"({registry[refused[0]].permission_note or 'see crawler/outlets.toml'}); once granted, "
            "list them in [crawl] permission_granted"
        )
    chosen = [registry[i] for i in ids]
    if base_urls:
        chosen = [o.with_base_url(base_urls[o.id]) if o.id in base_urls else o for o in chosen]
    return chosen


def _is_loopback(url: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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

    def flush(self, finished: bool = True) -> None:
        """Write everything pending; called when the crawl ends, with each outlet's verdict."""
        self.write_pending()
        if finished:
            for stats in self.stats.values():
                stats["status"], stats["reason"] = outlet_verdict(stats)
        self.flush_stats()

    def run_status(self, spider_status: str) -> str:
        """'failed' when no outlet found anything, 'partial' when some did not, else as is."""
        if spider_status != "ok" or not self.stats:
            return spider_status
        bad = [o for o, s in self.stats.items() if s.get("status", "ok") != "ok"]
        if len(bad) == len(self.stats):
            return "failed"
        return "partial" if bad else "ok"


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
    # A robots.txt that cannot be fetched is logged there with a traceback; the same error is
    # recorded as a discovery failure of the outlet (crawl_failures, sample_errors) instead.
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").setLevel(logging.CRITICAL)
    # "Gave up retrying" is logged there at ERROR; the spider logs the same page as a failed
    # URL once, with its status, and records it in crawl_failures.
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)


def contact_warning(config: Config, outlets: list[Outlet]) -> str | None:
    """A warning when real sites would see the project's default contact, not the operator's.

    Sites read the User-Agent to reach whoever crawls them; the shipped ``contact_url`` points
    at the project. Crawls of local servers only (the demo, tests) need no warning.
    """
    from pipeline.config import DEFAULTS_FILE, _read_toml

    default = _read_toml(DEFAULTS_FILE)["crawl"]["contact_url"]
    remote = [o for o in outlets if not is_local_host(urlsplit(o.base_url).hostname)]
    if config.crawl["contact_url"] != default or not remote:
        return None
    return (
        f"warning: crawl.contact_url is still the default ({default}); set it to a page or "
        "address where site operators can reach you (suar.toml or SUAR_CRAWL_CONTACT_URL)"
    )


def is_local_host(host: str | None) -> bool:
    """True for loopback names and addresses (the demo serves its outlets on 127.0.0.11-17)."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    with db.pandas_short_cut():
        return _run_crawl(config, outlets, base_urls, polite, progress, registry_path, on_wait)


def _run_crawl(
    config: Config,
    outlets: list[str] | None,
    base_urls: dict[str, str] | None,
    polite: bool,
    progress: Any,
    registry_path: str | Path | None,
    on_wait: Any,
) -> CrawlSummary:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    crawl_cfg = config.crawl
    registry = load_registry(registry_path or crawl_cfg["registry"] or None)
    chosen = select_outlets(
        registry,
        outlets or crawl_cfg["outlets"],
        base_urls,
        permission_granted=crawl_cfg.get("permission_granted", []),
    )
    warning = contact_warning(config, chosen)
    if warning:
        log.warning("%s", warning)
    con = db.connect_configured(config, on_wait=on_wait)
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
        recorder.flush(finished=status == "ok")
        status = recorder.run_status(status)
        if status in {"failed", "partial"} and error is None:
            error = "; ".join(
                f"{o}: {s['status']} ({s['reason']})"
                for o, s in recorder.stats.items()
                if s.get("status") != "ok"
            )[:500]
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
