"""The one generic spider: every outlet is a row of ``outlets.toml``, not a class.

Discovery per outlet, in the registry's order: robots.txt ``Sitemap:`` lines and the listed
sitemaps (index -> child sitemaps, with ``lastmod``), RSS/Atom feeds, and, when no sitemap
yields articles, listing pages (``/page/{n}/``) newest first. Incremental: a URL is fetched
only if it is unknown, or its sitemap/feed date is newer than what the database holds; listing
pagination stops after a few pages with nothing new, but only when the outlet's previous run
finished (a killed run is resumed by walking everything again, skipping what was saved).

Like Scrapy's own ``SitemapSpider``, behaviour is declarative (the registry) with small hook
methods (``article_request``, ``listing_links``) and hard limits on what a page may cost.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.extract import PAGE_SEPARATOR, continuation_paragraphs, extract, join_pages
from crawler.feeds import FeedError, parse_feed, parse_sitemap, robots_sitemaps
from crawler.registry import Outlet
from crawler.urls import canonical_url
from nlp.dates import parse_date

log = logging.getLogger(__name__)

# A date within this much of the stored one is "the same" (sites round and re-stamp times).
LASTMOD_TOLERANCE = timedelta(minutes=1)


class Sink(Protocol):
    """Where the spider reports; implemented by ``pipeline.crawl.RunRecorder``."""

    stats: dict[str, dict[str, Any]]

    def save(self, item: dict[str, Any]) -> str: ...

    def failure(self, outlet: str, url: str, status: int | None, error: str) -> None: ...


@dataclass
class OutletPlan:
    """What the spider knows about one outlet at the start of a run."""

    outlet: Outlet
    known: dict[str, datetime | None] = field(default_factory=dict)
    early_stop: bool = True  # False after an interrupted run: walk all listing pages
    since: datetime | None = None  # first crawl: ignore sitemap entries older than this


@dataclass
class _State:
    pending_discovery: int = 0
    sitemap_articles: int = 0
    listing_started: bool = False
    known_streak: int = 0
    queued: int = 0
    seen: set[str] = field(default_factory=set)
    queued_urls: set[str] = field(default_factory=set)
    discovery_urls: set[str] = field(default_factory=set)
    best_date: dict[str, datetime] = field(default_factory=dict)
    sitemap_queue: list[str] = field(default_factory=list)  # sitemaps_in_order: still to try


class OutletSpider(scrapy.Spider):
    """Crawl the outlets of ``plans`` into ``sink``."""

    name = "suar"
    # Hard limits: what one page or one outlet may cost in a run.
    max_links_per_page = 500
    max_sitemaps_per_outlet = 200
    max_listing_pages = 100

    def __init__(
        self,
        plans: list[OutletPlan],
        sink: Sink,
        max_articles_per_outlet: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plans = {p.outlet.id: p for p in plans}
        self.sink = sink
        self.max_articles = max_articles_per_outlet
        self.state: dict[str, _State] = defaultdict(_State)
        self.sitemaps_fetched: dict[str, int] = defaultdict(int)
        self.allowed_domains = sorted({p.outlet.host for p in plans})
        self.extract_seconds = 0.0  # time spent in extraction, for bench/crawl.py

    # -- discovery ---------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for plan in self.plans.values():
            for request in self.discovery_requests(plan.outlet):
                yield request

    def discovery_requests(self, outlet: Outlet) -> Iterable[scrapy.Request]:
        """Robots sitemaps, configured sitemaps and feeds; listing pages come after them."""
        disc = outlet.discovery
        requests: list[scrapy.Request | None] = []
        if disc.robots_sitemaps:
            requests.append(self._discovery(outlet, "/robots.txt", self.parse_robots))
        if disc.sitemaps_in_order and disc.sitemaps:
            # Which sitemap flavour the site has is unknown: try them one at a time.
            self.state[outlet.id].sitemap_queue = list(disc.sitemaps[1:])
            requests.append(self._root_sitemap(outlet, disc.sitemaps[0]))
        else:
            for path in disc.sitemaps:
                requests.append(self._root_sitemap(outlet, path))
        for path in disc.feeds:
            requests.append(self._discovery(outlet, path, self.parse_feed))
        if disc.wp_api:
            requests.append(self._discovery(outlet, disc.wp_api, self.parse_wp_api))
        # The home page and the first listing page are the freshest views of a site (sitemaps
        # lag); both are always read, but listing pages are walked further only when no
        # sitemap yields articles (see _discovery_done).
        requests.append(self.listing_request(outlet, 0, probe=True))
        if disc.listing:
            requests.append(self.listing_request(outlet, 1, probe=True))
        if not (disc.robots_sitemaps or disc.sitemaps or disc.feeds) and disc.listing:
            self.state[outlet.id].listing_started = True
            requests.append(self.listing_request(outlet, 1))
        return [r for r in requests if r is not None]

    def _discovery(
        self, outlet: Outlet, path: str, callback: Callable[..., Any], via: str = ""
    ) -> scrapy.Request | None:
        """A sitemap/feed request, counted so the listing fallback knows when all are done.

        Duplicates are dropped here, not by Scrapy's filter: a filtered request would never
        answer, and the fallback would wait for it forever.
        """
        st = self.state[outlet.id]
        url = urljoin(outlet.base_url + "/", path)
        if url in st.discovery_urls:
            return None
        st.discovery_urls.add(url)
        st.pending_discovery += 1
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.discovery_failed,
            meta={"outlet": outlet.id, "via": via or path},
            dont_filter=True,
            priority=10,
        )

    def _root_sitemap(self, outlet: Outlet, path: str) -> scrapy.Request | None:
        request = self._discovery(outlet, path, self.parse_sitemap)
        if request is not None:
            request.meta["root_sitemap"] = path
        return request

    def _next_sitemap(self, outlet: Outlet) -> Iterable[scrapy.Request]:
        """After a root sitemap failed or was empty: the next one in registry order, if any."""
        queue = self.state[outlet.id].sitemap_queue
        while queue:
            request = self._root_sitemap(outlet, queue.pop(0))
            if request is not None:
                yield request
                return

    def _discovery_done(self, outlet: Outlet) -> Iterable[scrapy.Request]:
        """When every sitemap/feed request is answered, fall back to listing pages if needed."""
        st = self.state[outlet.id]
        st.pending_discovery -= 1
        if (
            st.pending_discovery <= 0
            and st.sitemap_articles == 0
            and not st.listing_started
            and outlet.discovery.listing
        ):
            st.listing_started = True
            yield self.listing_request(outlet, 1)

    def discovery_failed(self, failure: Failure) -> Iterable[scrapy.Request]:
        request = failure.request
        outlet = self.plans[request.meta["outlet"]].outlet
        if request.meta.get("root_sitemap") and self.state[outlet.id].sitemap_queue:
            # one of several candidate sitemaps tried in order: its absence is expected
            log.info("%s: sitemap %s unavailable (%s)", outlet.id, request.url, _reason(failure))
        else:
            self._discovery_error(outlet.id, request.url, failure)
        if request.meta.get("root_sitemap"):
            yield from self._next_sitemap(outlet)
        yield from self._discovery_done(outlet)

    def _discovery_error(self, outlet: str, url: str, failure: Failure) -> None:
        """A robots/sitemap/feed/listing request that failed: counted and recorded, never
        silent, so an unreachable site is a failed outlet rather than a calm one."""
        status = failure.value.response.status if failure.check(HttpError) else None
        stats = self.sink.stats[outlet]
        stats["failed"] += 1
        stats["discovery_failed"] = stats.get("discovery_failed", 0) + 1
        self.sink.failure(outlet, url, status, f"discovery: {_reason(failure)}")
        log.info("%s: discovery %s failed (%s)", outlet, url, _reason(failure))

    def parse_robots(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        text = (
            response.text
            if isinstance(response, TextResponse)
            else response.body.decode("utf-8", "replace")
        )
        for url in robots_sitemaps(text):
            request = self._sitemap_request(outlet, url)
            if request is not None:  # None: already requested (e.g. listed in the registry)
                yield request
        yield from self._discovery_done(outlet)

    def _sitemap_request(self, outlet: Outlet, url: str) -> scrapy.Request | None:
        local = self._same_host_url(outlet, url)
        return self._discovery(outlet, local, self.parse_sitemap, via="sitemap")

    def _same_host_url(self, outlet: Outlet, url: str) -> str:
        """Sitemaps name absolute URLs; map them onto the host we crawl (demo, mirrors)."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return urljoin(outlet.base_url + "/", path)

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        plan = self.plans[outlet.id]
        st = self.state[outlet.id]
        try:
            kind, entries = parse_sitemap(
                response.body, outlet.timezone, self.settings.getint("DOWNLOAD_MAXSIZE")
            )
        except FeedError as exc:
            log.info("%s: %s is not a usable sitemap: %s", outlet.id, response.url, exc)
            if response.meta.get("root_sitemap"):
                yield from self._next_sitemap(outlet)
            yield from self._discovery_done(outlet)
            return
        root = response.meta.get("root_sitemap")
        if root and entries:
            # Record which sitemap answered (`suar runs`, crawl_run_outlets.discovery).
            self.sink.stats[outlet.id]["discovery"].add(f"sitemap:{root}")
        elif root:
            yield from self._next_sitemap(outlet)
        if kind == "sitemapindex":
            newest_known = max((d for d in plan.known.values() if d), default=None)
            for entry in entries:
                if self.sitemaps_fetched[outlet.id] >= self.max_sitemaps_per_outlet:
                    break
                if (
                    plan.early_stop
                    and newest_known
                    and entry.date
                    and entry.date + LASTMOD_TOLERANCE < newest_known
                ):
                    continue  # nothing in that child sitemap changed since our last crawl
                request = self._sitemap_request(outlet, entry.url)
                if request is not None:
                    self.sitemaps_fetched[outlet.id] += 1
                    yield request
        else:
            for entry in entries:
                url = self._same_host_url(outlet, entry.url)
                if self._is_candidate(outlet, url):
                    st.sitemap_articles += 1
                request = self.consider(outlet, url, entry.date, "sitemap")
                if request is not None:
                    yield request
        yield from self._discovery_done(outlet)

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        try:
            entries = parse_feed(
                response.body, outlet.timezone, self.settings.getint("DOWNLOAD_MAXSIZE")
            )
        except FeedError as exc:
            log.info("%s: %s is not a usable feed: %s", outlet.id, response.url, exc)
            entries = []
        for entry in entries:  # parse_feed caps entries like a sitemap (MAX_ENTRIES)
            url = self._same_host_url(outlet, entry.url)
            request = self.consider(outlet, url, entry.date, "feed")
            if request is not None:
                yield request
        yield from self._discovery_done(outlet)

    def parse_wp_api(self, response: Response) -> Iterable[scrapy.Request]:
        """WordPress REST API posts: a JSON list of {link, modified_gmt, date_gmt}."""
        outlet = self._outlet(response)
        st = self.state[outlet.id]
        try:
            posts = json.loads(response.body[: self.settings.getint("DOWNLOAD_MAXSIZE")])
        except ValueError as exc:
            log.info(
                "%s: %s is not a usable WordPress API answer: %s", outlet.id, response.url, exc
            )
            posts = []
        for post in posts[: self.max_links_per_page] if isinstance(posts, list) else []:
            link = post.get("link") if isinstance(post, dict) else None
            if not isinstance(link, str):
                continue
            stamp = post.get("modified_gmt") or post.get("date_gmt")
            date = parse_date(f"{stamp}+00:00", "WIB") if isinstance(stamp, str) else None
            url = self._same_host_url(outlet, link)
            if self._is_candidate(outlet, url):
                st.sitemap_articles += 1  # a complete, dated index: no listing walk needed
            request = self.consider(outlet, url, date, "wp-api")
            if request is not None:
                yield request
        yield from self._discovery_done(outlet)

    def listing_request(self, outlet: Outlet, n: int, probe: bool = False) -> scrapy.Request:
        """Listing page ``n`` (0 = the home page); a probe reads one page and never paginates."""
        path = "/" if n == 0 else outlet.discovery.listing.format(n=n)
        return scrapy.Request(
            urljoin(outlet.base_url + "/", path),
            callback=self.parse_listing,
            errback=self.listing_failed,
            meta={"outlet": outlet.id, "page": n, "probe": probe},
            priority=5,
            dont_filter=not probe,  # the walk may re-read page 1 after the probe
        )

    def listing_links(self, response: TextResponse) -> list[str]:
        """Hook: the links of a listing page, in page order (newest first on news sites)."""
        return response.css("a::attr(href)").getall()[: self.max_links_per_page]

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        outlet = self._outlet(response)
        plan = self.plans[outlet.id]
        st = self.state[outlet.id]
        page = response.meta["page"]
        if not isinstance(response, TextResponse):
            return
        found = new = 0
        for href in self.listing_links(response):
            url = response.urljoin(href)
            if not self._is_candidate(outlet, url):
                continue
            found += 1
            request = self.consider(outlet, url, None, "listing")
            if request is not None:
                new += 1
                yield request
        if response.meta.get("probe"):
            return
        st.known_streak = 0 if new else st.known_streak + 1
        limit = min(
            outlet.discovery.listing_max_pages or self.max_listing_pages, self.max_listing_pages
        )
        if found == 0 or page >= limit or self._capped(outlet):
            return
        if (
            plan.early_stop
            and plan.known
            and st.known_streak >= outlet.discovery.stop_after_known_pages
        ):
            log.info("%s: listing stops at page %d (nothing new)", outlet.id, page)
            return
        yield self.listing_request(outlet, page + 1)

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request
        self._discovery_error(request.meta["outlet"], request.url, failure)

    # -- articles ----------------------------------------------------------------------

    def _is_candidate(self, outlet: Outlet, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            return False
        if parts.hostname != urlsplit(outlet.base_url).hostname:
            return False  # off-site: another host is never followed
        return outlet.is_article_url(url)

    def _capped(self, outlet: Outlet) -> bool:
        return bool(self.max_articles) and self.state[outlet.id].queued >= self.max_articles

    def consider(
        self, outlet: Outlet, url: str, date: datetime | None, via: str
    ) -> scrapy.Request | None:
        """Decide whether a discovered URL needs fetching in this run."""
        if not self._is_candidate(outlet, url):
            return None
        canon = canonical_url(url)
        st = self.state[outlet.id]
        stats = self.sink.stats[outlet.id]
        stats["discovery"].add(via)  # every method that yields URLs, even ones seen already
        if canon not in st.seen:
            st.seen.add(canon)
            stats["discovered"] += 1
        if date is not None and (st.best_date.get(canon) is None or date > st.best_date[canon]):
            st.best_date[canon] = date  # the freshest date any discovery source gives
        if canon in st.queued_urls:
            return None  # a later, fresher date (sitemap after feed) may still queue it below
        plan = self.plans[outlet.id]
        if canon in plan.known:
            known = plan.known[canon]
            if date is None or known is None or date <= known + LASTMOD_TOLERANCE:
                return None
        elif plan.since and date and date < plan.since:
            return None
        if self._capped(outlet):
            return None
        st.queued += 1
        st.queued_urls.add(canon)
        return self.article_request(outlet, url, date)

    def article_request(self, outlet: Outlet, url: str, date: datetime | None) -> scrapy.Request:
        """Hook: the request for one article page (a site that needs ?page=all changes this)."""
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            meta={"outlet": outlet.id, "lastmod": date},
        )

    def parse_article(self, response: Response) -> Iterable[dict[str, Any]]:
        outlet = self._outlet(response)
        stats = self.sink.stats[outlet.id]
        stats["fetched"] += 1
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if not isinstance(response, TextResponse) or (content_type and "html" not in content_type):
            stats["not_article"] += 1
            self.sink.failure(
                outlet.id, response.url, response.status, f"not HTML ({content_type})"
            )
            return
        started = time.perf_counter()
        try:
            extracted = extract(response.body, response.url, outlet, encoding=response.encoding)
        except Exception as exc:  # a broken page must never stop the crawl
            stats["failed"] += 1
            self.sink.failure(outlet.id, response.url, response.status, f"extraction: {exc!r}")
            log.warning("%s: extraction failed for %s: %r", outlet.id, response.url, exc)
            return
        finally:
            self.extract_seconds += time.perf_counter() - started
        if not extracted.is_article:
            stats["not_article"] += 1
            log.info(
                "%s: %s is not an article (%s)",
                outlet.id,
                response.url,
                getattr(extracted, "not_article_reason", ""),
            )
            return
        aliases = []
        canonical_link = response.css('link[rel="canonical"]::attr(href)').get()
        fetched = canonical_url(response.url)
        if canonical_link:
            target = canonical_url(self._same_host_url(outlet, response.urljoin(canonical_link)))
            if self._is_candidate(outlet, target) and target != extracted.url:
                aliases.append(fetched)
                extracted.url = target
        if fetched != extracted.url and fetched not in aliases:
            aliases.append(fetched)
        item = {
            "outlet": outlet.id,
            "extracted": extracted,
            "html": response.body,
            "encoding": response.encoding,
            "fetched_url": response.url,
            "lastmod": self.state[outlet.id].best_date.get(
                canonical_url(response.request.url), response.meta.get("lastmod")
            ),
            "aliases": aliases,
        }
        more = continuation_urls(response, outlet) if outlet.pages else []
        if more:
            yield self._continuation(outlet, item, more)
        else:
            yield item

    def _continuation(
        self, outlet: Outlet, item: dict[str, Any], remaining: list[str]
    ) -> scrapy.Request:
        """The next page of a split article; the item is saved when the last page is in."""
        return scrapy.Request(
            remaining[0],
            callback=self.parse_continuation,
            errback=self.continuation_failed,
            meta={"outlet": outlet.id, "item": item, "remaining": remaining[1:]},
            priority=1,
        )

    def parse_continuation(self, response: Response) -> Iterable[Any]:
        outlet = self._outlet(response)
        item, remaining = response.meta["item"], response.meta["remaining"]
        if isinstance(response, TextResponse):
            more = continuation_paragraphs(response.body, outlet, encoding=response.encoding)
            join_pages(item["extracted"], more)
            item["html"] = item["html"] + PAGE_SEPARATOR + response.body
        if remaining:
            yield self._continuation(outlet, item, remaining)
        else:
            yield item

    def continuation_failed(self, failure: Failure) -> Iterable[Any]:
        """A missing page 2 must not lose page 1: save what we have, with a warning."""
        request = failure.request
        item = request.meta["item"]
        item["extracted"].warnings.append(f"continuation page {request.url} failed")
        self.sink.failure(request.meta["outlet"], request.url, None, _reason(failure))
        yield item

    def article_failed(self, failure: Failure) -> None:
        request = failure.request
        outlet = request.meta["outlet"]
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
        self.sink.stats[outlet]["failed"] += 1
        self.sink.failure(outlet, request.url, status, _reason(failure))
        log.warning("%s: failed %s (%s)", outlet, request.url, _reason(failure))

    def _outlet(self, response: Response) -> Outlet:
        return self.plans[response.meta["outlet"]].outlet


def _reason(failure: Failure) -> str:
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]


def continuation_urls(response: TextResponse, outlet: Outlet) -> list[str]:
    """Pages 2..N of a split article, in order, from the links on page 1.

    Only links to the same path whose query is exactly the outlet's ``pages`` form
    (``page={n}``) count: the site says which pages exist, nothing is guessed.
    """
    form = re.escape(outlet.pages or "").replace(re.escape("{n}"), r"(\d+)")
    here = urlsplit(response.url)
    found: dict[int, str] = {}
    for href in response.css("a::attr(href)").getall()[:500]:
        target = urlsplit(response.urljoin(href))
        if target.path != here.path or target.netloc != here.netloc:
            continue
        m = re.fullmatch(form, target.query)
        if m and int(m.group(1)) >= 2:
            found.setdefault(int(m.group(1)), target._replace(fragment="").geturl())
    return [found[n] for n in sorted(found)][:20]


def outlet_verdict(stats: dict[str, Any]) -> tuple[str, str | None]:
    """An outlet's status after a run: discovering no article URL is never 'ok'.

    'failed' when discovery requests failed and nothing was found (DNS, refused, TLS,
    timeout, HTTP errors); 'empty' when the site answered but yielded no article URL.
    """
    if stats.get("discovered", 0) > 0:
        return "ok", None
    if stats.get("discovery_failed", 0) > 0:
        errors = [e for e in stats.get("sample_errors", []) if e.startswith("discovery:")]
        first = errors[0].removeprefix("discovery: ") if errors else "discovery failed"
        n = stats["discovery_failed"]
        return "failed", f"no article URL found; {n} discovery request(s) failed, first: {first}"
    return "empty", "the site answered but discovery found no article URL"
