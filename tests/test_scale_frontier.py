"""Several `suar crawl` processes sharing one Redis frontier, over the demo site.

Real Redis, real Scrapy engines in subprocesses, a real HTTP demo site. Each crawler writes its
own DuckDB file (one writer per file); the union of the files must equal a single-process
crawl, no URL may be stored twice or fetched twice, and killing one crawler midway must lose
nothing: the others requeue its leased requests and finish.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import duckdb
import pytest

from crawler.demosite import DemoSite, generate_site
from tests.conftest import REPO, run_suar
from tests.scale_servers import REDIS, redis_client
from tests.test_crawl import FAST

pytest.importorskip("scrapy_redis")


@pytest.fixture
def frontier_env():
    client = redis_client()
    prefix = f"suartest-{uuid.uuid4().hex[:8]}"
    yield {
        **FAST,
        "SUAR_CRAWL_FRONTIER": "redis",
        "SUAR_CRAWL_REDIS_URL": REDIS,
        "SUAR_CRAWL_REDIS_PREFIX": prefix,
        "SUAR_CRAWL_REDIS_WORKER_TIMEOUT": "8",
    }
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def crawl_cmd(site: DemoSite, db, polite: bool = False) -> list[str]:
    args = [sys.executable, "-m", "pipeline.cli", "--db", str(db), "crawl"]
    if not polite:
        args.append("--impolite")
    for outlet, url in site.base_urls.items():
        args += ["--base-url", f"{outlet}={url}"]
    return args


def urls(db) -> list[str]:
    """The stored articles as host + path (each DemoSite serves on fresh ports)."""
    with duckdb.connect(str(db)) as con:  # read-write: replays the WAL of a killed crawler
        rows = con.execute("SELECT url FROM articles").fetchall()
    return [f"{urlsplit(u).hostname}{urlsplit(u).path}?{urlsplit(u).query}" for (u,) in rows]


def article_fetches(site: DemoSite) -> Counter:
    """Successful fetches per article path (discovery files and retries excluded)."""
    paths = {a["path"] for a in site.expected_articles()}
    return Counter(p for _, p, status in site.request_log if status == 200 and p in paths)


def run_parallel(cmds, env, timeout=240, kill_after=None):
    full = {**os.environ, **env}
    procs = [
        subprocess.Popen(c, cwd=REPO, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in cmds
    ]
    if kill_after is not None:
        kill_after(procs)
    deadline = time.monotonic() + timeout
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        outs.append((p.returncode, out.decode(), err.decode()))
    return outs


def test_site_semaphore_holds_across_clients(frontier_env) -> None:
    """The per-site limit holds for every holder together (the Lua acquire is atomic)."""
    from crawler.frontier import _ACQUIRE

    client = redis_client()
    key = f"{frontier_env['SUAR_CRAWL_REDIS_PREFIX']}:slots:example"
    active, peak, lock = [0], [0], threading.Lock()

    def worker() -> None:
        own = redis_client()  # one connection per holder, as one per process
        acquire = own.register_script(_ACQUIRE)
        for _ in range(8):
            token = uuid.uuid4().hex
            while not acquire(keys=[key], args=[2, token, 30]):
                time.sleep(0.005)
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.01)
            with lock:
                active[0] -= 1
            own.zrem(key, token)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert peak[0] == 2, f"at most 2 at once, and the limit was reached (peak {peak[0]})"
    assert client.zcard(key) == 0


def test_joining_crawler_requeues_a_stale_crawlers_leases(frontier_env) -> None:
    """A crawler that died unseen while others ran on: the next to join puts its leases back."""
    from crawler.frontier import Frontier

    prefix, timeout = frontier_env["SUAR_CRAWL_REDIS_PREFIX"], 2.0
    live = Frontier(REDIS, prefix, timeout, worker="live", pulse=False)
    dead = Frontier(REDIS, prefix, timeout, worker="dead", pulse=False)
    assert dead.epoch == live.epoch
    client = redis_client()
    client.lpush(live.queue_key, b"request-a", b"request-b")
    assert dead.pop() == b"request-a"
    now = int(client.time()[0])
    client.zadd(live.workers_key, {"dead": now - 60, "live": now})  # dead fell silent long ago
    late = Frontier(REDIS, prefix, timeout, worker="late", pulse=False)
    assert late.epoch == live.epoch, "live crawlers remain: the epoch goes on"
    assert client.hlen(dead.lease_key()) == 0
    assert sorted(client.lrange(live.queue_key, 0, -1)) == [b"request-a", b"request-b"]
    assert late.pop() == b"request-a", "the requeued request is popped first"
    assert client.zscore(live.workers_key, "dead") is None


def test_a_new_epoch_starts_when_every_crawler_is_gone(frontier_env) -> None:
    from crawler.frontier import Frontier

    prefix = frontier_env["SUAR_CRAWL_REDIS_PREFIX"]
    first = Frontier(REDIS, prefix, 2.0, worker="first", pulse=False)
    first.leave()
    assert Frontier(REDIS, prefix, 2.0, worker="second", pulse=False).epoch == first.epoch + 1


def test_a_busy_crawler_stays_registered_and_leaves_for_good(frontier_env) -> None:
    """Membership is kept by a pulse thread while the reactor never calls heartbeat(): a
    crawler slow to start is not taken for dead (a second joiner would open a new epoch)."""
    from crawler.frontier import Frontier

    prefix = frontier_env["SUAR_CRAWL_REDIS_PREFIX"]
    slow = Frontier(REDIS, prefix, 1.0, worker="slow")
    time.sleep(2.5)  # longer than the timeout, no heartbeat() call
    # Joins at many sub-second phases: scores in whole seconds made a live member look a
    # full timeout old whenever a second boundary fell between its last beat and a join.
    for i in range(12):
        joiner = Frontier(REDIS, prefix, 1.0, worker=f"joiner-{i}", pulse=False)
        assert joiner.epoch == slow.epoch, f"the slow crawler was taken for gone (join {i})"
        joiner.leave()
        time.sleep(0.09)
    other = Frontier(REDIS, prefix, 1.0, worker="other", pulse=False)
    slow.leave()
    time.sleep(1.0)
    assert redis_client().zscore(slow.workers_key, "slow") is None, "a beat after leave()"
    other.leave()


def test_seen_mark_and_push_are_one_step(frontier_env) -> None:
    """The push script queues a fingerprint once; dont_filter requests go through anyway."""
    from crawler.frontier import _PUSH

    client = redis_client()
    prefix = frontier_env["SUAR_CRAWL_REDIS_PREFIX"]
    push = client.register_script(_PUSH)
    keys = [f"{prefix}:df", f"{prefix}:q"]
    assert push(keys=keys, args=["fp1", "req1", "0"]) == 1
    assert push(keys=keys, args=["fp1", "req1-again", "0"]) == 0
    assert push(keys=keys, args=["fp1", "req1-forced", "1"]) == 1
    assert client.lrange(keys[1], 0, -1) == [b"req1-forced", b"req1"]
    assert client.smembers(keys[0]) == {b"fp1"}


@pytest.mark.slow
def test_three_crawlers_equal_one_without_duplicates(tmp_path, frontier_env) -> None:
    with DemoSite(slow_seconds=0.3) as site:
        run_suar(*crawl_cmd(site, tmp_path / "one.duckdb")[3:], env=FAST, timeout=240)
        single = set(urls(tmp_path / "one.duckdb"))
    assert len(single) > 20
    with DemoSite(slow_seconds=0.3) as site:
        dbs = [tmp_path / f"c{i}.duckdb" for i in range(3)]
        outs = run_parallel([crawl_cmd(site, d) for d in dbs], frontier_env)
        assert [rc for rc, _, _ in outs] == [0, 0, 0], outs
        fetched = article_fetches(site)
    stored = [u for d in dbs for u in urls(d)]
    assert set(stored) == single
    assert len(stored) == len(set(stored)), "an article stored by two crawlers"
    assert max(fetched.values()) == 1, f"fetched twice: {[p for p, n in fetched.items() if n > 1]}"
    assert sum(1 for d in dbs if urls(d)) >= 2, "the work was shared"


@pytest.mark.slow
def test_killed_crawler_loses_nothing(tmp_path, frontier_env) -> None:
    articles = generate_site(240, seed=3)
    client = redis_client()
    prefix = frontier_env["SUAR_CRAWL_REDIS_PREFIX"]
    with DemoSite(articles, breakage=False) as site:
        run_suar(*crawl_cmd(site, tmp_path / "one.duckdb")[3:], env=FAST, timeout=240)
        single = set(urls(tmp_path / "one.duckdb"))
    killed: list[int] = []

    def kill_one(procs) -> None:
        """SIGKILL the first crawler seen holding leases (requests it popped, not written)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for member in client.zrange(f"{prefix}:workers", 0, -1):
                pid = int(member.decode().split(":")[1])
                epoch = int(client.get(f"{prefix}:epoch") or 0)
                if client.hlen(f"{prefix}:{epoch}:leases:{member.decode()}") >= 2:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.05)

    env = {**frontier_env, "SUAR_CRAWL_DOWNLOAD_DELAY": "0.05", "SUAR_CRAWL_AUTOTHROTTLE": "0"}
    with DemoSite(articles, breakage=False) as site:
        dbs = [tmp_path / f"k{i}.duckdb" for i in range(3)]
        outs = run_parallel(
            [crawl_cmd(site, d, polite=True) for d in dbs], env, kill_after=kill_one
        )
    assert killed, "no crawler could be killed midway"
    codes = sorted(rc for rc, _, _ in outs)
    assert codes == [-signal.SIGKILL, 0, 0], outs
    stored = [u for d in dbs if d.exists() for u in urls(d)]
    missing = sorted(single - set(stored))
    assert not missing, f"missing {missing[:5]}; {_failures(dbs, missing)}; killed {killed}"
    assert set(stored) == single
    assert len(stored) == len(set(stored)), "an article stored by two crawlers"


def _failures(dbs, wanted: list[str]) -> list[tuple[str, str, str]]:
    """What each crawler recorded as a failure for the wanted URLs (for the failure message)."""
    found = []
    for db in dbs:
        if not db.exists():
            continue
        with duckdb.connect(str(db)) as con:
            rows = con.execute("SELECT url, error FROM crawl_failures").fetchall()
        for url, error in rows:
            key = f"{urlsplit(url).hostname}{urlsplit(url).path}?{urlsplit(url).query}"
            if key in wanted:
                found.append((db.name, key, error))
    return found
