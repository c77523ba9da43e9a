"""Safe parsing of sitemaps and RSS/Atom feeds.

Sitemaps and feeds are untrusted XML from the open web: entities are never resolved, no
network access happens while parsing, and gzip is decompressed only up to a byte cap, so a
hostile or broken file costs a bounded amount of memory and never reaches other hosts.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from nlp.dates import parse_date

MAX_ENTRIES = 50_000  # the sitemap protocol's own per-file limit


class FeedError(ValueError):
    """The document is not a sitemap/feed we can read; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One URL found by discovery with the freshest date the document gives for it."""

    url: str
    date: datetime | None = None


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip data, refusing to produce more than ``max_bytes`` (zip bombs)."""
    if data[:2] != b"\x1f\x8b":
        return data
    out = io.BytesIO()
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        for start in range(0, len(data), 65536):
            out.write(decomp.decompress(data[start : start + 65536], max_bytes + 1 - out.tell()))
            if out.tell() > max_bytes:
                raise FeedError(f"decompressed size exceeds {max_bytes} bytes")
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise FeedError(f"broken gzip data: {exc}") from exc
    return out.getvalue()


def _parse_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
    )
    try:
        root = etree.fromstring(data.strip() or b"<empty/>", parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not XML: {exc}") from exc
    if root is None:
        raise FeedError("empty or unreadable XML")
    return root


def _stamp(text: str | None, tz: str) -> datetime | None:
    """Feed dates are RFC 822 (RSS) or ISO 8601 (Atom, sitemaps); anything else is tried too."""
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
        if value is not None and value.tzinfo is not None:
            return value
    except (TypeError, ValueError, IndexError):
        pass
    return parse_date(text, tz)


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_sitemap(
    data: bytes, tz: str = "WIB", max_bytes: int = 20_000_000
) -> tuple[str, list[Entry]]:
    """Parse a sitemap or sitemap index: ('urlset' | 'sitemapindex', entries with lastmod).

    News sitemaps (``news:publication_date``) count as lastmod when lastmod is missing.
    """
    root = _parse_xml(gunzip_capped(data, max_bytes))
    kind = _local(root.tag)
    if kind not in {"urlset", "sitemapindex"}:
        raise FeedError(f"not a sitemap (root element <{kind}>)")
    entries: list[Entry] = []
    for item in root:
        if _local(item.tag) not in {"url", "sitemap"}:
            continue
        loc = _child_text(item, "loc")
        if not loc:
            continue
        stamp = _child_text(item, "lastmod")
        if stamp is None:
            for child in item:
                if _local(child.tag) == "news":
                    stamp = _child_text(child, "publication_date")
        entries.append(Entry(loc, _stamp(stamp, tz)))
        if len(entries) >= MAX_ENTRIES:
            break
    return kind, entries


def parse_feed(data: bytes, tz: str = "WIB", max_bytes: int = 20_000_000) -> list[Entry]:
    """Parse RSS 2.0 / RSS 1.0 / Atom into links with their updated-or-published date."""
    root = _parse_xml(gunzip_capped(data, max_bytes))
    kind = _local(root.tag)
    if kind not in {"rss", "feed", "rdf"}:
        raise FeedError(f"not an RSS/Atom feed (root element <{kind}>)")
    entries: list[Entry] = []
    for item in root.iter():
        name = _local(item.tag)
        if name not in {"item", "entry"}:
            continue
        link = _child_text(item, "link")
        if link is None:  # Atom: <link href=... rel="alternate"/>
            for child in item:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    link = (child.get("href") or "").strip() or None
                    break
        if link is None:
            guid = _child_text(item, "guid", "id")
            link = guid if guid and guid.startswith("http") else None
        if link is None:
            continue
        stamp = _child_text(item, "updated", "modified") or _child_text(
            item, "pubdate", "published", "date", "issued"
        )
        entries.append(Entry(link, _stamp(stamp, tz)))
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


def robots_sitemaps(text: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt."""
    found = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found
