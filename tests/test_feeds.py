"""Sitemaps and feeds are untrusted XML: no entity expansion, no network, capped gzip."""

from __future__ import annotations

import gzip

import pytest

from crawler.feeds import FeedError, gunzip_capped, parse_feed, parse_sitemap, robots_sitemaps

SITEMAP = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://contoh.id/a/</loc><lastmod>2026-10-01T08:00:00+08:00</lastmod></url>
  <url><loc>https://contoh.id/b/</loc>
       <news:news><news:publication_date>2026-10-02</news:publication_date></news:news></url>
  <url><loc>https://contoh.id/c/</loc></url>
</urlset>"""


def test_sitemap_entries_with_lastmod_and_news_dates():
    kind, entries = parse_sitemap(SITEMAP, "WITA")
    assert kind == "urlset"
    assert [e.url for e in entries] == [
        "https://contoh.id/a/",
        "https://contoh.id/b/",
        "https://contoh.id/c/",
    ]
    assert entries[0].date.isoformat() == "2026-10-01T08:00:00+08:00"
    assert entries[1].date.utcoffset().total_seconds() == 8 * 3600  # bare date: outlet zone
    assert entries[2].date is None


def test_entities_are_never_expanded_and_nothing_is_fetched():
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/passwd">
  <!ENTITY lol "lollollollollollollollollollol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<urlset><url><loc>https://contoh.id/&secret;</loc></url>
<url><loc>https://contoh.id/&lol2;</loc></url></urlset>"""
    _, entries = parse_sitemap(xxe)
    joined = " ".join(e.url for e in entries)
    assert "root:" not in joined and "lollol" not in joined


def test_gzip_is_decompressed_up_to_a_cap():
    packed = gzip.compress(SITEMAP)
    assert parse_sitemap(packed)[1][0].url == "https://contoh.id/a/"
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    with pytest.raises(FeedError, match="exceeds"):
        gunzip_capped(bomb, 1_000_000)
    with pytest.raises(FeedError):
        parse_sitemap(bomb, max_bytes=1_000_000)


def test_rss_and_atom_feeds():
    rss = b"""<rss version="2.0"><channel><item><title>x</title>
      <link>https://contoh.id/x/</link><pubDate>Tue, 06 Oct 2026 14:40:00 +0800</pubDate></item>
      <item><guid>https://contoh.id/y/</guid></item></channel></rss>"""
    entries = parse_feed(rss)
    assert [e.url for e in entries] == ["https://contoh.id/x/", "https://contoh.id/y/"]
    assert entries[0].date.isoformat() == "2026-10-06T14:40:00+08:00"
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link rel="alternate" href="https://jubi.id/tanah-papua/2026/z/"/>
      <updated>2026-10-07T10:00:00+09:00</updated></entry></feed>"""
    (entry,) = parse_feed(atom)
    assert entry.url == "https://jubi.id/tanah-papua/2026/z/" and entry.date.hour == 10


def test_not_a_feed_and_garbage_give_clear_errors():
    with pytest.raises(FeedError, match="not an RSS"):
        parse_feed(SITEMAP)
    with pytest.raises(FeedError, match="not a sitemap"):
        parse_sitemap(b"<html><body>404</body></html>")
    with pytest.raises(FeedError):
        parse_sitemap(b"\x00\x01 not xml at all")


def test_robots_sitemap_lines():
    text = "User-agent: *\nDisallow: /private/\nSitemap: https://contoh.id/s.xml\nsitemap:https://contoh.id/n.xml\n"
    assert robots_sitemaps(text) == ["https://contoh.id/s.xml", "https://contoh.id/n.xml"]
