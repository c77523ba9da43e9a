"""The real Scrapy engine, over HTTP, against the local demo site (crawler/demosite).

Every crawl runs the `suar crawl` command in a subprocess (one Twisted reactor per process),
exactly as cron would, and every check reads the DuckDB file it wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import duckdb
import pytest

from crawler.demosite import DemoSite
from crawler.urls import canonical_url
from tests.conftest import REPO, run_suar

FAST = {
    "SUAR_CRAWL_RETRY_BACKOFF_BASE": "0.05",
    "SUAR_CRAWL_RETRY_TIMES": "2",
    "SUAR_CRAWL_DOWNLOAD_TIMEOUT": "15",
}


@pytest.fixture
def site():
    with DemoSite(slow_seconds=0.5) as demo:
        yield demo


def crawl_args(site: DemoSite, db) -> list[str]:
    args = ["--db", str(db), "crawl", "--impolite"]
    for outlet, url in site.base_urls.items():
        args += ["--base-url", f"{outlet}={url}"]
    return args


def crawl(site: DemoSite, db, **kw):
    return run_suar(*crawl_args(site, db), env=FAST, **kw)


def query(db, sql: str, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_first_crawl_extracts_every_field_per_outlet(site, tmp_path):
    db = tmp_path / "c.duckdb"
    crawl(site, db)
    expected = {canonical_url(e["url"]): e for e in site.expected_articles()}
    rows = query(
        db,
        "SELECT url, outlet, title, published_at, author, editor, tags, dateline, body, "
        "language, content_hash FROM articles",
    )
    stored = {r[0]: r for r in rows}
    assert set(stored) == set(expected), "every demo article stored once, nothing else"
    for url, exp in expected.items():
        _, outlet, title, published, author, editor, tags, dateline, body, lang, chash = stored[url]
        assert outlet == exp["outlet"]
        assert title == exp["title"], url
        assert published == exp["published_at"], url
        assert author == exp["author"], url
        assert editor == exp["editor"], url
        assert sorted(tags) == sorted(exp["tags"]), url
        assert dateline == exp["dateline"], url
        assert body == "\n\n".join(exp["paragraphs"]), url
        assert lang == "id" and len(chash) == 64
        assert published.tzinfo is not None
    # each discovery method did real work somewhere
    disc = dict(query(db, "SELECT outlet, discovery FROM crawl_run_outlets WHERE run_id = 1"))
    assert "sitemap" in disc["niaga_asia"]
    # niaga's sitemaps are tried in order; the one that answered is recorded
    assert "sitemap:/sitemap_index.xml" in disc["niaga_asia"]
    assert "feed" in disc["jubi"]
    assert "wp-api" in disc["siwalima"]  # WordPress REST API /wp-json/wp/v2/posts
    assert disc["serambinews"] == ["listing"]
    # Tribun: /sitemap.xml is an index of per-section sitemaps; /rss (home links) is not read
    assert "sitemap:/sitemap.xml" in disc["tribun_kaltim"] and "feed" not in disc["tribun_kaltim"]
    tribun_paths = [p for (o, p, _s) in site.request_log if o == "tribun_kaltim"]
    assert "/news/sitemap_web.xml" in tribun_paths and "/rss" not in tribun_paths
    # a split article: page 2 fetched once and joined (the body check above holds the text)
    assert sum(p.endswith("?page=2") for p in tribun_paths) == 1
    # raw HTML is kept, compressed, for re-extraction
    assert query(db, "SELECT count(*) FROM article_html")[0][0] == len(expected)


def test_incremental_rerun_adds_nothing_and_fetches_no_known_article(site, tmp_path):
    db = tmp_path / "c.duckdb"
    crawl(site, db)
    before = query(db, "SELECT count(*), max(last_changed) FROM articles")[0]
    article_paths = {e["path"] for e in site.expected_articles()}
    mark = len(site.request_log)
    crawl(site, db)
    refetched = [p for (_o, p, _s) in site.request_log[mark:] if p in article_paths]
    assert refetched == [], f"known, unchanged articles fetched again: {refetched}"
    after = query(db, "SELECT count(*), max(last_changed) FROM articles")[0]
    assert after == before
    assert query(db, "SELECT sum(new), sum(updated) FROM crawl_run_outlets WHERE run_id = 2") == [
        (0, 0)
    ]
    assert query(db, "SELECT status FROM crawl_runs ORDER BY id") == [("ok",), ("ok",)]


def test_modified_page_on_the_server_is_updated(site, tmp_path):
    db = tmp_path / "c.duckdb"
    crawl(site, db)
    exp = next(e for e in site.expected_articles() if e["outlet"] == "niaga_asia")
    slug = exp["path"].strip("/")
    new_para = "Pembaruan: panitia menambahkan keterangan baru setelah rapat lanjutan sore ini."
    site.modify_article("niaga_asia", slug, paragraphs=[*exp["paragraphs"], new_para])
    crawl(site, db)
    ((body, first_seen, last_changed),) = query(
        db,
        "SELECT body, first_seen, last_changed FROM articles WHERE url = ?",
        [canonical_url(exp["url"])],
    )
    assert body.endswith(new_para)
    assert last_changed > first_seen
    stats = query(db, "SELECT outlet, updated, new FROM crawl_run_outlets WHERE run_id = 2")
    assert ("niaga_asia", 1, 0) in stats
    assert sum(r[1] for r in stats) == 1
    assert query(db, "SELECT count(*) FROM articles")[0][0] == len(site.expected_articles())


def test_killed_crawl_resumes_without_loss_or_duplicates(tmp_path):
    db = tmp_path / "c.duckdb"
    with DemoSite(slow_seconds=0.2) as site:
        article_paths = {e["path"] for e in site.expected_articles()}
        env = {
            **os.environ,
            **FAST,
            "SUAR_CRAWL_AUTOTHROTTLE": "false",
            "SUAR_CRAWL_DOWNLOAD_DELAY": "0.4",
            "SUAR_CRAWL_CONCURRENT_REQUESTS_PER_DOMAIN": "1",
            "SUAR_CRAWL_WRITE_BATCH_SIZE": "3",
        }
        args = [a for a in crawl_args(site, db) if a != "--impolite"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            fetched = sum(1 for (_o, p, s) in site.request_log if p in article_paths and s == 200)
            if fetched >= 15 or proc.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # let the crawler write the batches of what it has fetched
        assert proc.poll() is None, "crawl finished before it could be killed; slow it down"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = query(db, "SELECT count(*) FROM articles")[0][0]
        assert 0 < partial < len(article_paths)
        assert query(db, "SELECT status FROM crawl_runs") == [("running",)]

        crawl(site, db)
        urls = [r[0] for r in query(db, "SELECT url FROM articles")]
        assert len(urls) == len(set(urls)) == len(article_paths)
        assert set(urls) == {canonical_url(e["url"]) for e in site.expected_articles()}
        assert query(db, "SELECT id, status FROM crawl_runs ORDER BY id") == [
            (1, "interrupted"),
            (2, "ok"),
        ]


def test_robots_disallow_and_offsite_links_are_respected(site, tmp_path):
    crawl(site, tmp_path / "c.duckdb")
    assert site.request_log, "the crawl reached the demo site"
    assert not [r for r in site.request_log if r[1].startswith("/private/")]
    assert not [r for r in site.request_log if r[0] == "offsite"]


def test_breakage_is_logged_counted_and_the_crawl_goes_on(site, tmp_path):
    db = tmp_path / "c.duckdb"
    proc = crawl(site, db)
    assert "run 1: ok" in proc.stdout
    failures = {
        (path_of(url), status)
        for url, status in query(db, "SELECT url, status FROM crawl_failures")
    }
    assert (site.breakage_case("missing")["path"], 404) in failures
    assert (site.breakage_case("always_500")["path"], 500) in failures
    stats = {
        r[0]: r[1:]
        for r in query(
            db, "SELECT outlet, failed, not_article, sample_errors FROM crawl_run_outlets"
        )
    }
    assert stats["niaga_asia"][0] >= 1 and any("404" in e for e in stats["niaga_asia"][2])
    assert stats["tribun_kaltim"][0] >= 1 and any("500" in e for e in stats["tribun_kaltim"][2])
    assert stats["niaga_asia"][1] >= 1 and stats["siwalima"][1] >= 1  # about pages: not articles

    def body_of(case: str) -> str:
        url = canonical_url(site.breakage_case(case)["url"])
        rows = query(db, "SELECT body FROM articles WHERE url = ?", [url])
        assert rows, f"{case} article missing"
        return rows[0][0]

    assert "“" in body_of("cp1252") and "é" in body_of("cp1252")  # Windows-1252 decoded right
    assert len(body_of("broken_html").split()) > 40
    assert body_of("slow")
    assert body_of("flaky_500")  # failed once, retried, stored
    dup = canonical_url(site.breakage_case("duplicate")["url"])
    assert query(
        db, "SELECT count(*) FROM articles WHERE url LIKE ?", [dup.split("?")[0] + "%"]
    ) == [(1,)]
    assert not query(
        db, "SELECT url FROM articles WHERE url LIKE '%tentang-kami%' OR url LIKE '%redaksi%'"
    )


def path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_waits_for_a_locked_database_then_fails_clearly(site, tmp_path):
    db = tmp_path / "c.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = run_suar(
            *crawl_args(site, db), env={**FAST, "SUAR_DATABASE_LOCK_TIMEOUT": "2"}, check=False
        )
        assert proc.returncode == 75
        assert "in use by another process" in proc.stderr
        assert "stayed locked" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()
    # released: the same command now waits briefly and succeeds
    crawl(site, db)
    assert query(db, "SELECT count(*) FROM articles")[0][0] == len(site.expected_articles())


def test_unknown_outlet_and_malformed_config_give_one_clear_line(tmp_path):
    proc = run_suar("--db", str(tmp_path / "x.duckdb"), "crawl", "--outlet", "nope", check=False)
    assert proc.returncode == 2
    assert "unknown outlet(s): nope" in proc.stderr and "niaga_asia" in proc.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl]\nconcurrent_requests_per_domain = 'two'\n")
    proc = run_suar("--config", str(bad), "config", check=False)
    assert proc.returncode == 2 and "concurrent_requests_per_domain" in proc.stderr
    bad.write_text("[crawl\n")
    proc = run_suar("--config", str(bad), "config", check=False)
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr
    assert not (tmp_path / "x.duckdb").exists()  # nothing was created by a failed command


def test_reextract_uses_stored_html_without_crawling(site, tmp_path):
    db = tmp_path / "c.duckdb"
    crawl(site, db)
    with duckdb.connect(str(db)) as con:  # simulate an article stored by an older extractor
        con.execute("UPDATE articles SET body = 'lama', content_hash = 'x' WHERE id = 1")
    mark = len(site.request_log)
    proc = run_suar("--db", str(db), "reextract")
    assert site.request_log[mark:] == []
    assert '"updated": 1' in proc.stdout
    assert query(db, "SELECT body <> 'lama' FROM articles WHERE id = 1") == [(True,)]


def test_published_dates_are_timezone_aware_in_outlet_zones(site, tmp_path):
    db = tmp_path / "c.duckdb"
    crawl(site, db)
    for exp in site.expected_articles():
        assert isinstance(exp["published_at"], datetime) and exp["published_at"].utcoffset()


def test_response_size_cap_fails_the_page_not_the_crawl(site, tmp_path):
    db = tmp_path / "c.duckdb"
    args = crawl_args(site, db) + ["--outlet", "jubi"]
    proc = run_suar(*args, env={**FAST, "SUAR_CRAWL_MAX_RESPONSE_BYTES": "4000"})
    assert "run 1: ok" in proc.stdout
    (failed,) = query(db, "SELECT failed FROM crawl_run_outlets WHERE outlet = 'jubi'")[0]
    assert failed >= 1
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 0  # every page is over the cap


def test_outlets_check_fetches_a_page_and_prints_every_field(site):
    import json

    exp = next(e for e in site.expected_articles() if e["outlet"] == "tribun_kaltim")
    out = json.loads(
        run_suar("outlets", "check", exp["url"], "--outlet", "tribun_kaltim", "--json").stdout
    )
    assert out["outlet"] == "tribun_kaltim" and out["method"] == "selectors"
    assert out["title"] == exp["title"] and out["author"] == exp["author"]
    assert out["published_at"] == exp["published_at"].isoformat()
    assert out["body"] == "\n\n".join(exp["paragraphs"])
    text = run_suar("outlets", "check", exp["url"], "--outlet", "tribun_kaltim").stdout
    assert "title:" in text and exp["title"] in text
    listed = run_suar("outlets", "list").stdout
    assert all(o in listed for o in site.base_urls)
    bad = run_suar("outlets", "check", exp["url"], "--outlet", "nope", check=False)
    assert bad.returncode == 2 and "unknown outlet" in bad.stderr


def test_an_outlet_added_by_url_alone_crawls_through_the_generic_path(site, tmp_path):
    """A registry entry with no selectors: discovery defaults + trafilatura extraction."""
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        "[[template]]\nid = 'generic'\n[template.discovery]\nfeeds = ['/feed', '/rss']\n"
        "sitemaps = ['/sitemap.xml']\n\n"
        f"[[outlet]]\nid = 'situs_baru'\nbase_url = '{site.base_urls['jubi']}'\n"
        "province = '91'\ntimezone = 'WIT'\nextends = 'generic'\n",
        encoding="utf-8",
    )
    db = tmp_path / "g.duckdb"
    run_suar(
        "--db", str(db), "crawl", "--impolite", env={**FAST, "SUAR_CRAWL_REGISTRY": str(registry)}
    )
    rows = query(db, "SELECT outlet, extraction, title, published_at, body FROM articles")
    expected = {e["title"]: e for e in site.expected_articles() if e["outlet"] == "jubi"}
    assert len(rows) == len(expected)
    for outlet, method, title, published, body in rows:
        assert outlet == "situs_baru" and method == "generic"
        assert title in expected
        assert published == expected[title]["published_at"]
        assert expected[title]["paragraphs"][-1] in body


def test_sitemaps_tried_in_order_record_the_one_that_answered(site, tmp_path):
    registry = (REPO / "crawler" / "outlets.toml").read_text(encoding="utf-8")
    order = 'sitemaps = ["/sitemap_index.xml", "/wp-sitemap.xml", "/sitemap.xml"]'
    assert order in registry
    copy = tmp_path / "outlets.toml"
    copy.write_text(
        registry.replace(
            order,
            'sitemaps = ["/sitemap.xml", "/wp-sitemap.xml", "/sitemap_index.xml"]\n'
            "robots_sitemaps = false",
        ),
        encoding="utf-8",
    )
    db = tmp_path / "c.duckdb"
    env = {**FAST, "SUAR_CRAWL_REGISTRY": str(copy)}
    run_suar(*crawl_args(site, db), "--outlet", "niaga_asia", env=env)
    asked = [
        p
        for (o, p, _s) in site.request_log
        if o == "niaga_asia" and p in ("/sitemap.xml", "/wp-sitemap.xml", "/sitemap_index.xml")
    ]
    assert asked == ["/sitemap.xml", "/wp-sitemap.xml", "/sitemap_index.xml"]  # one at a time
    (disc,) = query(db, "SELECT discovery FROM crawl_run_outlets WHERE outlet = 'niaga_asia'")[0]
    assert "sitemap:/sitemap_index.xml" in disc and "sitemap:/sitemap.xml" not in disc
    stored = query(db, "SELECT count(*) FROM articles WHERE outlet = 'niaga_asia'")[0][0]
    assert stored == sum(e["outlet"] == "niaga_asia" for e in site.expected_articles())


class _ErrorSite:
    """A local site that answers every request with one HTTP error (500 or 404)."""

    def __init__(self, status: int) -> None:
        import http.server
        import threading

        code = status

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
                self.send_response(code)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html><body>no</body></html>")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: connections are refused


def test_unreachable_and_erroring_sites_are_failed_outlets_not_calm(tmp_path):
    """Silence is never calm: refused connections and HTTP errors on every discovery request
    are counted failures, the outlets are 'failed', the run is 'failed', the exit non-zero."""
    db = tmp_path / "c.duckdb"
    err500, err404 = _ErrorSite(500), _ErrorSite(404)
    try:
        proc = run_suar(
            "--db", str(db), "crawl", "--impolite",
            "--outlet", "niaga_asia", "--outlet", "siwalima", "--outlet", "jubi",
            "--base-url", f"niaga_asia=http://127.0.0.1:{_closed_port()}",
            "--base-url", f"siwalima={err500.url}",
            "--base-url", f"jubi={err404.url}",
            env=FAST, check=False,
        )  # fmt: skip
    finally:
        err500.close()
        err404.close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "run 1: failed" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert "niaga_asia: failed" in proc.stderr
    assert query(db, "SELECT status FROM crawl_runs") == [("failed",)]
    rows = {
        r[0]: r[1:]
        for r in query(
            db, "SELECT outlet, status, reason, failed, sample_errors FROM crawl_run_outlets"
        )
    }
    for outlet in ("niaga_asia", "siwalima", "jubi"):
        status, reason, failed, samples = rows[outlet]
        assert status == "failed" and failed >= 1 and samples, rows[outlet]
        assert "discovery" in reason
    assert any("ConnectionRefused" in e for e in rows["niaga_asia"][3])
    assert any("HTTP 500" in e for e in rows["siwalima"][3])
    assert any("HTTP 404" in e for e in rows["jubi"][3])
    failures = query(db, "SELECT outlet, status, error FROM crawl_failures")
    assert {o for o, _, _ in failures} == {"niaga_asia", "siwalima", "jubi"}
    assert ("jubi", 404) in {(o, s) for o, s, _ in failures}


def test_one_failed_outlet_makes_a_partial_run_that_still_exits_zero(site, tmp_path):
    db = tmp_path / "c.duckdb"
    proc = run_suar(
        "--db", str(db), "crawl", "--impolite", "--outlet", "niaga_asia", "--outlet", "jubi",
        "--base-url", f"niaga_asia={site.base_urls['niaga_asia']}",
        "--base-url", f"jubi=http://127.0.0.1:{_closed_port()}",
        env=FAST,
    )  # fmt: skip
    assert "run 1: partial" in proc.stdout
    assert "jubi: failed" in proc.stderr
    statuses = dict(query(db, "SELECT outlet, status FROM crawl_run_outlets"))
    assert statuses == {"niaga_asia": "ok", "jubi": "failed"}


def test_the_default_contact_url_is_warned_about_for_real_sites_only() -> None:
    from crawler.registry import load_registry
    from pipeline.config import load_config
    from pipeline.crawl import contact_warning

    cfg = load_config(None, "x.duckdb")
    outlet = load_registry()["niaga_asia"]
    assert "contact_url" in contact_warning(cfg, [outlet])
    assert contact_warning(cfg, [outlet.with_base_url("http://127.0.0.1:9")]) is None
    # the demo site serves each outlet on its own loopback address (127.0.0.11-17)
    assert contact_warning(cfg, [outlet.with_base_url("http://127.0.0.14:9")]) is None
    assert contact_warning(cfg, [outlet.with_base_url("http://[::1]:9")]) is None
    assert "contact_url" in contact_warning(cfg, [outlet.with_base_url("http://128.0.0.1:9")])
    cfg.data["crawl"]["contact_url"] = "mailto:ops@example.org"
    assert contact_warning(cfg, [outlet]) is None
