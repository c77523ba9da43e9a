"""The offline demo site: discovery files, article pages, breakage cases, mutation, shutdown."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from lxml import etree, html

from crawler.demosite import DemoSite, generate_site

SLOW = 0.6


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoSite]:
    site = DemoSite(slow_seconds=SLOW)
    site.start()
    yield site
    site.stop()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def locs(xml: bytes, tag: str = "loc") -> list[str]:
    root = etree.fromstring(xml)
    return [el.text or "" for el in root.iter() if etree.QName(el).localname == tag]


def feed_links(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    out = []
    for el in root.iter():
        name = etree.QName(el).localname
        if name == "link" and el.get("href") and el.get("rel") == "alternate":
            out.append(el.get("href"))
        elif name == "link" and el.text and el.getparent().tag == "item":
            out.append(el.text)
    return out


def test_robots_list_sitemaps_and_disallow_private(demo: DemoSite) -> None:
    status, ctype, body = fetch(demo.base_urls["niaga_asia"] + "/robots.txt")
    assert status == 200 and ctype.startswith("text/plain")
    text = body.decode()
    assert "Disallow: /private/" in text
    assert f"Sitemap: {demo.base_urls['niaga_asia']}/sitemap_index.xml" in text
    seram = fetch(demo.base_urls["serambinews"] + "/robots.txt")[2].decode()
    assert "Sitemap:" not in seram  # listing-only outlet


def test_discovery_methods_differ_per_outlet(demo: DemoSite) -> None:
    b = demo.base_urls
    assert fetch(b["serambinews"] + "/sitemap.xml")[0] == 404
    assert fetch(b["serambinews"] + "/rss")[0] == 404
    assert fetch(b["serambinews"] + "/index-news?page=1")[0] == 200
    assert fetch(b["jubi"] + "/sitemap.xml")[0] == 404
    assert fetch(b["jubi"] + "/tanah-papua/page/1/")[0] == 404
    assert fetch(b["kalbaronline"] + "/sitemap_index.xml")[0] == 404
    assert fetch(b["kalbaronline"] + "/wp-sitemap.xml")[0] == 200
    assert fetch(b["siwalima"] + "/feed/")[0] == 404


def _discover(demo: DemoSite, oid: str) -> set[str]:
    """Follow the outlet's robots sitemaps, feed and listing pages like a simple spider."""
    base = demo.base_urls[oid]
    cfg = demo.site["outlets"][oid]
    found: set[str] = set()
    robots = fetch(base + "/robots.txt")[2].decode()
    todo = re.findall(r"^Sitemap: (\S+)", robots, flags=re.M)
    while todo:
        status, _, body = fetch(todo.pop())
        assert status == 200
        root = etree.fromstring(body)
        if etree.QName(root).localname == "sitemapindex":
            todo += locs(body)
        else:
            found.update(locs(body))
    status, _, body = fetch(base + cfg["feed_path"])
    if status == 200:
        found.update(feed_links(body))
    n = 1
    while "listing" in cfg["discovery"]:
        status, _, body = fetch(base + cfg["listing"].format(n=n))
        if status != 200:
            break
        doc = html.fromstring(body)
        found.update(urljoin(base, h) for h in doc.xpath("//article[@class='list-item']//a/@href"))
        n += 1
        assert n < 50
    return found


def test_every_expected_article_is_discoverable(demo: DemoSite) -> None:
    expected = demo.expected_articles()
    assert len(expected) >= 20
    for oid in demo.base_urls:
        found = _discover(demo, oid)
        mine = {e["url"] for e in expected if e["outlet"] == oid}
        assert mine and mine <= found, (oid, mine - found)


def test_sitemap_lastmod_and_listing_order(demo: DemoSite) -> None:
    body = fetch(demo.base_urls["antara_kaltim"] + "/sitemap/news.xml")[2]
    assert len(locs(body, "lastmod")) == len(locs(body)) >= 3
    page = fetch(demo.base_urls["tribun_kaltim"] + "/index-news?page=1")[2].decode()
    stamps = re.findall(r'<time datetime="([^"]+)"', page)
    assert stamps == sorted(stamps, reverse=True) and len(stamps) >= 3
    assert 'href="/index-news?page=2"' not in page or "Berikutnya" in page


def test_article_pages_parse_with_registry_extractor(demo: DemoSite) -> None:
    """Every demo article yields its expected fields through the real extraction code."""
    from scrapy.http import HtmlResponse

    from crawler.extract import continuation_paragraphs, extract, join_pages
    from crawler.registry import load_registry
    from crawler.spider import continuation_urls

    registry = load_registry()
    wrong = []
    split = 0
    for exp in demo.expected_articles():
        status, ctype, body = fetch(exp["url"])
        if status == 500:  # the flaky page fails once
            status, ctype, body = fetch(exp["url"])
        assert status == 200, exp["url"]
        charset = ctype.split("charset=")[-1]
        outlet = registry[exp["outlet"]]
        res = extract(body, exp["url"], outlet, encoding=charset)
        # Split articles (Tribun ?page=N) are joined as the spider does.
        if outlet.pages:
            page1 = HtmlResponse(exp["url"], body=body, encoding=charset)
            for url in continuation_urls(page1, outlet):
                split += 1
                join_pages(res, continuation_paragraphs(fetch(url)[2], outlet))
        got = {
            "title": res.title,
            "published_at": res.published_at,
            "author": res.author,
            "dateline": res.dateline,
            "paragraphs": res.paragraphs,
            "modified_at": res.modified_at,
            "editor": res.editor,
            "tags": res.tags,
            "category": res.category,
        }
        assert res.is_article, (exp["url"], res.not_article_reason)
        for key, value in got.items():
            if value != exp[key]:
                wrong.append((exp["outlet"], exp["path"], key, value, exp[key]))
    assert not wrong, wrong[:5]
    assert split >= 1, "the demo has a multi-page Tribun article"


def test_breakage_cases(demo: DemoSite) -> None:
    missing = demo.breakage_case("missing")
    assert fetch(missing["url"])[0] == 404
    home = fetch(demo.base_urls["niaga_asia"] + "/")[2].decode()
    assert missing["path"] in home and "/private/" in home and "utm_source=" in home
    assert fetch(demo.breakage_case("always_500")["url"])[0] == 500
    assert fetch(demo.breakage_case("always_500")["url"])[0] == 500

    slow = demo.breakage_case("slow")
    t0 = time.monotonic()
    assert fetch(slow["url"])[0] == 200
    assert SLOW <= time.monotonic() - t0 < SLOW + 1.5

    cp = demo.breakage_case("cp1252")
    status, ctype, body = fetch(cp["url"])
    assert "charset=windows-1252" in ctype
    assert "“".encode("cp1252") in body and "é".encode("cp1252") in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")

    broken = fetch(demo.breakage_case("broken_html")["url"])[2].decode()
    assert broken.count("<p>") > broken.count("</p>") and "</span></b>" in broken

    dup = demo.breakage_case("duplicate")
    a = fetch(dup["url"])[2]
    b = fetch(dup["url"] + "?utm_source=facebook")[2]
    c = fetch(dup["url"] + "amp/")[2]
    assert a == b == c and f'rel="canonical" href="{dup["url"]}"'.encode() in a

    from crawler.extract import extract
    from crawler.registry import load_registry

    registry = load_registry()
    for case in demo.site["breakage"]["non_article"]:
        url = demo.base_urls[case["outlet"]] + case["path"]
        status, _, body = fetch(url)
        assert status == 200 and b"article:published_time" not in body
        assert not extract(body, url, registry[case["outlet"]]).is_article
    assert demo.offsite_url.split("//")[1].split(":")[0] not in demo.base_urls.values()


def test_flaky_page_fails_once_then_succeeds() -> None:
    with DemoSite(slow_seconds=0) as site:
        url = site.breakage_case("flaky_500")["url"]
        assert [fetch(url)[0] for _ in range(3)] == [500, 200, 200]
        assert site.request_log[-3:] == [
            ("tribun_kaltim", url.split(site.base_urls["tribun_kaltim"])[1], s)
            for s in (500, 200, 200)
        ]


def test_modify_and_add_article() -> None:
    with DemoSite(slow_seconds=0) as site:
        oid, slug = "siwalima", "festival-teluk-ambon-sedot-ribuan-pengunjung"
        url = site.base_urls[oid] + f"/{slug}/"
        before = fetch(url)[2].decode()
        smap = site.base_urls[oid] + "/post-sitemap.xml"

        def lastmod() -> str:
            root = etree.fromstring(fetch(smap)[2])
            ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
            for u in root.findall("s:url", ns):
                if u.findtext("s:loc", namespaces=ns) == url:
                    return u.findtext("s:lastmod", namespaces=ns) or ""
            raise AssertionError("url not in sitemap")

        old = lastmod()
        site.modify_article(oid, slug, title="Festival Teluk Ambon Diperpanjang Sehari")
        after = fetch(url)[2].decode()
        assert before != after and "Diperpanjang Sehari" in after
        assert lastmod() > old and "article:modified_time" in after

        new_url = site.add_article(
            "jubi",
            "kabar-baru-dari-merauke",
            "Kabar Baru dari Merauke",
            ["Paragraf pertama berita baru.", "Paragraf kedua berita baru."],
            dateline="Merauke",
        )
        assert fetch(new_url)[0] == 200
        assert feed_links(fetch(site.base_urls["jubi"] + "/feed/")[2])[0] == new_url
        assert new_url in {e["url"] for e in site.expected_articles()}


def test_generated_site_and_clean_stop() -> None:
    before = threading.active_count()
    records = generate_site(300, seed=1)
    assert records == generate_site(300, seed=1) and len({r["slug"] for r in records}) == 300
    with DemoSite(records, breakage=False, per_page=100) as site:
        expected = site.expected_articles()
        assert len(expected) == 300
        total = 0
        for oid in site.base_urls:
            found = _discover(site, oid)
            total += len({e["url"] for e in expected if e["outlet"] == oid} & found)
        assert total == 300
        assert fetch(site.base_urls["niaga_asia"] + "/tentang-kami/")[0] == 404
    time.sleep(0.1)
    assert threading.active_count() == before


def test_private_and_offsite_never_requested_by_helpers(demo: DemoSite) -> None:
    paths = [p for _, p, _ in demo.request_log]
    assert not any(p.startswith("/private/") for p in paths)
    assert all(o != "offsite" for o, _, _ in demo.request_log)
