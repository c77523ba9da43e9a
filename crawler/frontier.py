"""A crawl frontier shared through Redis: several `suar crawl` processes, one set of URLs.

With ``[crawl] frontier = "redis"`` article requests go through scrapy-redis's queue and
duplicate filter, so N crawler processes (on one or more machines) split the article fetches
between them and a URL is fetched once per crawl. What scrapy-redis does not do, this adds:

* **Discovery stays local.** robots.txt, sitemaps, feeds and listing walks carry per-process
  state in the spider (how many discovery requests are pending before the listing fallback),
  so they are scheduled in this process's own memory queue; only article requests, which need
  no such state, are shared. Every crawler reads the (cheap, small) discovery files itself.
* **Epochs.** The queue and the duplicate filter live under ``<prefix>:<epoch>:``. The first
  crawler to join when no live crawler is registered starts a new epoch, the others join it;
  so the next night's crawl starts with an empty duplicate filter, and what is already stored
  is skipped by the usual known-URL check.
* **Leases, so a killed crawler loses nothing.** Popping a request and recording it in the
  popper's lease hash is one Lua script; the lease is released only after the article (or its
  failure) is committed to the database (``RunRecorder.on_written``). Each crawler process
  sends heartbeats from a thread of its own, from the moment it joins; a crawler silent for ``redis_worker_timeout`` seconds is reaped by a live one, which puts the
  dead one's leased requests back in the queue (so does a crawler joining a running epoch,
  for any it finds stale). Idle crawlers wait while another live crawler still holds leases,
  so somebody is always left to reap. Marking a URL seen and queueing it is one Lua script
  too: a crawler killed between the two would leave a URL that everybody skips.
* **Politeness across processes.** ``concurrent_requests_per_domain`` is enforced for all
  crawlers together by a Redis semaphore per site (a sorted set of slot holders scored by their
  expiry), acquired in a downloader middleware before the download and released after it;
  slots of a killed crawler expire after ``download_timeout`` plus a margin. The middleware
  sits next to the downloader (order 950): retry and redirect middlewares answer a response
  with a new request, which would skip the release of a middleware further out.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.http import Request, Response
from scrapy.pqueues import ScrapyPriorityQueue
from scrapy.utils.misc import load_object

log = logging.getLogger(__name__)

# The spider callback whose requests are shared; everything else is discovery.
SHARED_CALLBACK = "parse_article"

# KEYS[1] workers zset, KEYS[2] epoch counter; ARGV[1] worker id, ARGV[2] timeout (s),
# ARGV[3] key prefix. Stale workers are dropped; with nobody left a new epoch starts, else
# their leased requests go back to the running epoch's queue (a crawler that died while the
# others ran on must not take its leases with it). Returns the epoch to join.
_JOIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local cut = '(' .. tostring(now - tonumber(ARGV[2]))
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cut)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cut)
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('INCR', KEYS[2])
else
  local base = ARGV[3] .. ':' .. redis.call('GET', KEYS[2])
  for _, dead in ipairs(stale) do
    local leases = base .. ':leases:' .. dead
    local leased = redis.call('HVALS', leases)
    for _, v in ipairs(leased) do redis.call('RPUSH', base .. ':requests', v) end
    redis.call('DEL', leases)
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return tonumber(redis.call('GET', KEYS[2]))
"""
# KEYS[1] duplicate-filter set, KEYS[2] queue list; ARGV[1] fingerprint, ARGV[2] encoded
# request, ARGV[3] "1" to skip the filter. Seen-mark and push in one step, so a crawler killed
# between the two cannot leave a URL marked seen that nobody will ever fetch.
_PUSH = """
if ARGV[3] == '1' or redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""
# KEYS[1] queue list, KEYS[2] this worker's lease hash. Pop and lease in one step.
_POP = """
local v = redis.call('RPOP', KEYS[1])
if v then redis.call('HSET', KEYS[2], redis.sha1hex(v), v) end
return v
"""
# KEYS[1] slot zset; ARGV[1] limit, ARGV[2] holder token, ARGV[3] ttl (s). 1 = acquired.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 60)
  return 1
end
return 0
"""


# Frontier objects by worker id: Scrapy deep-copies its settings, so they carry only the id.
_FRONTIERS: dict[str, Frontier] = {}


def _redis(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url)


def _server_now(server) -> float:  # type: ignore[no-untyped-def]
    """Redis's clock with microseconds: whole seconds made a 1 s timeout reap live members."""
    seconds, micros = server.time()
    return seconds + micros / 1e6


class Frontier:
    """One crawler's membership in the shared frontier: epoch, heartbeats, leases, reaping."""

    def __init__(
        self,
        url: str,
        prefix: str,
        timeout: float,
        worker: str | None = None,
        *,
        pulse: bool = True,
    ) -> None:
        self.server = _redis(url)
        self.prefix = prefix
        self.timeout = timeout
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.workers_key = f"{prefix}:workers"
        self.epoch = int(
            self.server.eval(
                _JOIN, 2, self.workers_key, f"{prefix}:epoch", self.worker, timeout, prefix
            )
        )
        base = f"{prefix}:{self.epoch}"
        self.queue_key = f"{base}:requests"
        self.dupefilter_key = f"{base}:dupefilter"
        self._pop = self.server.register_script(_POP)
        self._last_beat = 0.0
        # The pulse: a thread that says "this process lives" from the moment it joins, so
        # neither Scrapy's start-up nor a reactor busy for a while (a big batch write) gets a
        # live crawler reaped, and nobody joining meanwhile takes it for gone and opens a
        # second epoch. Reaping stays on the reactor (heartbeat), where the leases are known.
        self._stopped = threading.Event()
        self._pulse: threading.Thread | None = None
        if pulse:
            self._pulse = threading.Thread(
                target=self._beat_forever, args=(_redis(url),), name="suar-frontier", daemon=True
            )
            self._pulse.start()

    def _beat_forever(self, server) -> None:  # type: ignore[no-untyped-def]
        interval = max(0.2, min(1.0, self.timeout / 4))
        while not self._stopped.wait(interval):
            try:
                server.zadd(self.workers_key, {self.worker: _server_now(server)})
            except Exception as exc:  # a Redis hiccup: the reactor's heartbeat still runs
                log.warning("frontier pulse: %s", exc)

    def lease_key(self, worker: str | None = None) -> str:
        return f"{self.prefix}:{self.epoch}:leases:{worker or self.worker}"

    def pop(self) -> bytes | None:
        """The next shared request (encoded), leased to this crawler."""
        return self._pop(keys=[self.queue_key, self.lease_key()])

    def release(self, lease: str) -> None:
        self.server.hdel(self.lease_key(), lease)

    def heartbeat(self) -> None:
        """Tell the others this crawler lives; reap dead ones (at most once a second)."""
        now = time.time()
        if now - self._last_beat < 0.5:
            return
        self._last_beat = now
        server_now = _server_now(self.server)
        self.server.zadd(self.workers_key, {self.worker: server_now})
        cut = f"({server_now - self.timeout!r}"  # strictly older than the timeout
        for dead in self.server.zrangebyscore(self.workers_key, "-inf", cut):
            self.reap(dead.decode())

    def reap(self, dead: str) -> int:
        """Requeue a dead crawler's leased requests; only the crawler that removes it does."""
        if not self.server.zrem(self.workers_key, dead):
            return 0  # another crawler reaped it first
        key = self.lease_key(dead)
        leased = self.server.hvals(key)
        if leased:
            pipe = self.server.pipeline()
            pipe.rpush(self.queue_key, *leased)  # RPUSH: popped first (RPOP), they are overdue
            pipe.delete(key)
            pipe.execute()
        log.warning("crawler %s stopped answering; %d requests requeued", dead, len(leased))
        return len(leased)

    def others_busy(self) -> bool:
        """Whether another live crawler still holds leases (so this one should not close)."""
        for member in self.server.zrange(self.workers_key, 0, -1):
            name = member.decode()
            if name != self.worker and self.server.hlen(self.lease_key(name)):
                return True
        return False

    def leave(self) -> None:
        """A clean exit: everything this crawler fetched is committed, so its leases go."""
        self._stopped.set()
        if self._pulse is not None:
            self._pulse.join(timeout=5)  # no beat may land after the membership is removed
        pipe = self.server.pipeline()
        pipe.delete(self.lease_key())
        pipe.zrem(self.workers_key, self.worker)
        pipe.execute()


def scrapy_settings(crawl: dict[str, Any]) -> dict[str, Any]:
    """Settings that switch a crawl onto the shared frontier (joins the current epoch)."""
    frontier = Frontier(
        crawl["redis_url"], crawl["redis_prefix"], float(crawl["redis_worker_timeout"])
    )
    _FRONTIERS[frontier.worker] = frontier
    return {
        "SCHEDULER": "crawler.frontier.SharedScheduler",
        "REDIS_URL": crawl["redis_url"],
        "SCHEDULER_QUEUE_KEY": frontier.queue_key,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
        "SCHEDULER_DUPEFILTER_KEY": frontier.dupefilter_key,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the last crawler out must not wipe a running epoch
        "SUAR_FRONTIER_WORKER": frontier.worker,
        "SUAR_SLOT_TTL": float(crawl["download_timeout"]) + 30.0,
        "DOWNLOADER_MIDDLEWARES_EXTRA": {"crawler.frontier.SiteSemaphoreMiddleware": 950},
    }


class SharedScheduler:
    """scrapy-redis for article requests, Scrapy's own memory queue for discovery."""

    def __init__(self, crawler: Any) -> None:
        from scrapy_redis.scheduler import Scheduler as RedisScheduler

        self.crawler = crawler
        self.frontier = _FRONTIERS[crawler.settings["SUAR_FRONTIER_WORKER"]]
        self.redis = RedisScheduler.from_crawler(crawler)
        self.local = ScrapyPriorityQueue.from_crawler(
            crawler, load_object("scrapy.squeues.FifoMemoryQueue"), key=""
        )
        self.local_seen: set[str] = set()
        self.stats = crawler.stats
        self._push = self.frontier.server.register_script(_PUSH)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        return cls(crawler)

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.redis.open(spider)
        sink = getattr(spider, "sink", None)
        if sink is not None:
            sink.on_written = self.written  # leases end when the database has the result
        self.leases: dict[str, str] = {}  # url -> lease, for the recorder's callback
        self.crawler.signals.connect(self._response, signal=signals.response_received)
        # Heartbeats on a timer of their own: while downloads wait for site slots the engine
        # asks for no requests, and a silent crawler would be reaped while alive.
        from twisted.internet import task

        self._beat = task.LoopingCall(self.frontier.heartbeat)
        self._beat.start(1.0, now=True)

    def close(self, reason: str) -> None:
        """Commit what the recorder holds, then leave (so no lease outlives its data)."""
        if self._beat.running:
            self._beat.stop()
        sink = getattr(self.spider, "sink", None)
        if sink is not None and hasattr(sink, "flush"):
            sink.flush()
        self.redis.close(reason)
        self.frontier.leave()

    def _response(self, response: Response, request: Request, spider: Any) -> None:
        lease = request.meta.get("suar_lease")
        if lease:
            self.leases[response.url] = lease

    def written(self, urls: list[str]) -> None:
        """The recorder committed these URLs (articles or failures): release their leases."""
        for url in urls:
            lease = self.leases.pop(url, None)
            if lease:
                self.frontier.release(lease)

    def __len__(self) -> int:
        return len(self.local) + len(self.redis)

    def has_pending_requests(self) -> bool:
        self.frontier.heartbeat()
        if len(self.local) or len(self.redis) > 0:
            return True
        self._release_when_idle()
        return self.frontier.others_busy()

    def _release_when_idle(self) -> None:
        """Nothing downloading or parsing here: commit the recorder's batch, drop every lease.

        Responses that produced no article (not HTML, not an article page) never reach the
        recorder; once this crawler is idle they are all processed, so their leases go too
        (two idle crawlers must not wait for each other's leases).
        """
        engine = getattr(self.crawler, "engine", None)
        if engine is None or engine.downloader.active:
            return
        scraper = getattr(engine.scraper, "slot", None)
        if scraper is not None and not scraper.is_idle():
            return
        sink = getattr(self.spider, "sink", None)
        if sink is not None and getattr(sink, "pending", None):
            sink.write_pending()
        self.frontier.server.delete(self.frontier.lease_key())
        self.leases.clear()

    def enqueue_request(self, request: Request) -> bool:
        if getattr(request.callback, "__name__", "") == SHARED_CALLBACK:
            return self._share(request)
        if not request.dont_filter:
            fp = request.url
            if fp in self.local_seen:
                return False
            self.local_seen.add(fp)
        self.local.push(request)
        return True

    def _share(self, request: Request) -> bool:
        """Mark seen and queue in one Redis step (scrapy-redis does it in two)."""
        df, queue = self.redis.df, self.redis.queue
        pushed = self._push(
            keys=[df.key, queue.key],
            args=[
                df.request_fingerprint(request),
                queue._encode_request(request),
                "1" if request.dont_filter else "0",
            ],
        )
        if not pushed:
            df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def next_request(self) -> Request | None:
        self.frontier.heartbeat()
        request = self.local.pop()
        if request is not None:
            return request
        raw = self.frontier.pop()
        if raw is None:
            return None
        request = self.redis.queue._decode_request(raw)
        lease = hashlib.sha1(raw).hexdigest()
        request.meta["suar_lease"] = lease
        self.leases[request.url] = lease
        return request


class SiteSemaphoreMiddleware:
    """At most CONCURRENT_REQUESTS_PER_DOMAIN downloads per site across every crawler."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.server = _redis(settings["REDIS_URL"])
        self.prefix = _FRONTIERS[settings["SUAR_FRONTIER_WORKER"]].prefix
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.ttl = settings.getfloat("SUAR_SLOT_TTL")
        self._acquire = self.server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteSemaphoreMiddleware:
        return cls(crawler)

    def slot_key(self, url: str) -> str:
        return f"{self.prefix}:slots:{urlsplit(url).netloc}"

    async def process_request(self, request: Request, spider: Any = None) -> None:
        token = uuid.uuid4().hex
        key = self.slot_key(request.url)
        delay = 0.02
        while not self._acquire(keys=[key], args=[self.limit, token, self.ttl]):
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        request.meta["suar_slot"] = (key, token)
        return None

    def _release(self, request: Request) -> None:
        slot = request.meta.pop("suar_slot", None)
        if slot:
            self.server.zrem(*slot)

    def process_response(self, request: Request, response: Response, spider: Any = None):  # type: ignore[no-untyped-def]
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None):  # type: ignore[no-untyped-def]
        self._release(request)
        return None


def with_frontier(settings: dict[str, Any], crawl: dict[str, Any]) -> dict[str, Any]:
    """``settings`` unchanged for the local frontier; on the Redis frontier for "redis"."""
    if crawl.get("frontier", "local") != "redis":
        return settings
    extra = scrapy_settings(crawl)
    middlewares = {**settings.get("DOWNLOADER_MIDDLEWARES", {})}
    middlewares.update(extra.pop("DOWNLOADER_MIDDLEWARES_EXTRA"))
    return {**settings, **extra, "DOWNLOADER_MIDDLEWARES": middlewares}
