"""`suar outlets check` and `suar outlets doctor`: what an operator runs when adding an
outlet or when a site changes its layout.

check: one page (URL or saved FILE) through the real extractor, every field printed. A saved
page is judged by its real URL (``--url``, else its ``<link rel=canonical>`` / ``og:url``), so
a real article of a registered outlet is not "not an article" because of its file path.

doctor: per outlet, one listing page and one article from it, and per field whether the
registry's selectors still match. Silence is never mistaken for calm: an unreachable site, a
listing with no article links and a selector that matches nothing are all reported.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.extract import _Page, decode_html, extract
from crawler.feeds import FeedError, parse_feed, parse_sitemap
from crawler.registry import SELECTOR_FIELDS, Outlet, outlet_for_url

# Fields an article cannot do without: doctor fails an outlet when one of them is missing.
ESSENTIAL = ("title", "body", "published")


class CheckError(ValueError):
    """A page could not be fetched or read; the message is one line for the operator."""


def fetch(url: str, crawl: dict[str, Any]) -> tuple[bytes, str | None, str]:
    """One polite GET with Suar's User-Agent and the configured size cap.

    Network failures and HTTP errors become one-line `CheckError`s (no traceback).
    """
    ua = crawl["user_agent"].format(contact=crawl["contact_url"])
    req = urllib.request.Request(url, headers={"User-Agent": ua})
    try:
        with urllib.request.urlopen(req, timeout=crawl["download_timeout"]) as resp:  # noqa: S310
            data = resp.read(crawl["max_response_bytes"] + 1)
            if len(data) > crawl["max_response_bytes"]:
                raise CheckError(f"{url}: response larger than {crawl['max_response_bytes']} bytes")
            return data, resp.headers.get_content_charset(), resp.geturl()
    except urllib.error.HTTPError as exc:
        raise CheckError(f"{url}: the site answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise CheckError(f"cannot reach {url}: {_reason(exc.reason)}") from None
    except TimeoutError as exc:
        raise CheckError(f"cannot reach {url}: timed out ({exc})") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, CheckError):
            raise
        raise CheckError(f"cannot fetch {url}: {_reason(exc)}") from None


def _reason(reason: object) -> str:
    text = str(reason) or type(reason).__name__
    return " ".join(text.split())[:200]


def page_url(data: bytes, encoding: str | None = None) -> str | None:
    """The URL a saved page declares for itself: <link rel=canonical>, else og:url."""
    page = _Page(decode_html(data, encoding))
    for sel in ('link[rel="canonical"]::attr(href)', 'meta[property="og:url"]::attr(content)'):
        value = page.first([sel])
        if value and urlsplit(value).scheme in ("http", "https"):
            return value
    return None


def check_page(
    source: str,
    registry: dict[str, Outlet],
    outlet_id: str | None,
    crawl: dict[str, Any],
    url: str | None = None,
) -> dict[str, Any]:
    """Extract one page (URL or file) and return every field, plus how it was extracted.

    A FILE is judged by ``url`` when given, else by the canonical URL the page declares;
    the outlet is ``outlet_id`` or the registered outlet of that URL. A FILE with neither
    goes through the generic path, which is what an outlet added by URL alone gets.
    """
    if outlet_id and outlet_id not in registry:
        raise ValueError(f"unknown outlet {outlet_id!r}; known: {', '.join(registry)}")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"--url must be an http(s) URL, got {url!r}")
    outlet = registry.get(outlet_id) if outlet_id else None
    if source.startswith(("http://", "https://")):
        data, encoding, final_url = fetch(source, crawl)
        target = url or final_url
        how = "fetched"
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no such file or URL: {source}")
        data, encoding = path.read_bytes(), None
        declared = page_url(data)
        target = url or declared
        how = "--url" if url else ("canonical" if declared else None)
        if target is None:
            target = outlet.base_url + "/" if outlet else f"file://{path.resolve()}"
            how = "outlet home page (no --url, no canonical)" if outlet else "file path"
    # URL rules are on paths, so a page saved from the live site is judged like the live one.
    outlet = outlet or outlet_for_url(target, registry)
    result = extract(data, target, outlet, encoding=encoding).to_dict()
    result["outlet"] = outlet.id if outlet else None
    result["judged_as"] = how if how != "fetched" else None
    return result


# ---------------------------------------------------------------------------- doctor


@dataclass
class FieldCheck:
    """One field on one article page: which selector matched and the value extracted."""

    field: str
    status: str  # ok | missing | no-selectors (the field is not configured for the outlet)
    selector: str | None = None
    value: str | None = None


@dataclass
class OutletDoctor:
    """The doctor's verdict for one outlet."""

    outlet: str
    status: str  # ok | warn | fail
    listing_url: str | None = None
    article_url: str | None = None
    error: str | None = None
    fields: list[FieldCheck] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _article_links(outlet: Outlet, base: str, data: bytes, encoding: str | None) -> list[str]:
    page = _Page(decode_html(data, encoding))
    host = urlsplit(outlet.base_url).hostname
    links = []
    for href in page.sel.css("a::attr(href)").getall()[:500]:
        url = urljoin(base, href)
        if urlsplit(url).hostname == host and outlet.is_article_url(url) and url not in links:
            links.append(url)
    return links


def find_article(outlet: Outlet, crawl: dict[str, Any]) -> tuple[str, str]:
    """(listing URL, first article URL on it): listing page 1, home page, feeds, sitemaps."""
    tried: list[str] = []
    candidates = []
    if outlet.discovery.listing:
        candidates.append(("listing", outlet.discovery.listing.format(n=1)))
    candidates.append(("listing", "/"))
    candidates += [("feed", p) for p in outlet.discovery.feeds]
    candidates += [("sitemap", p) for p in outlet.discovery.sitemaps]
    for kind, path in candidates:
        url = urljoin(outlet.base_url + "/", path)
        try:
            data, encoding, final = fetch(url, crawl)
        except CheckError as exc:
            tried.append(str(exc))
            continue
        links: list[str] = []
        try:
            if kind == "listing":
                links = _article_links(outlet, final, data, encoding)
            elif kind == "feed":
                links = [e.url for e in parse_feed(data, outlet.timezone)]
            else:
                links = _sitemap_links(outlet, data, crawl)
        except FeedError as exc:
            tried.append(f"{url}: {exc}")
            continue
        links = [_same_host(outlet, u) for u in links]
        links = [u for u in links if outlet.is_article_url(u)]
        if links:
            return url, links[0]
        tried.append(f"{url}: no article links")
    raise CheckError("no article found: " + "; ".join(tried[-4:]))


def _same_host(outlet: Outlet, url: str) -> str:
    parts = urlsplit(url)
    return urljoin(outlet.base_url + "/", parts.path + (f"?{parts.query}" if parts.query else ""))


def _sitemap_links(outlet: Outlet, data: bytes, crawl: dict[str, Any]) -> list[str]:
    kind, entries = parse_sitemap(data, outlet.timezone)
    if kind == "sitemapindex" and entries:
        child, _, _ = fetch(_same_host(outlet, entries[0].url), crawl)
        kind, entries = parse_sitemap(child, outlet.timezone)
    return [e.url for e in entries] if kind != "sitemapindex" else []


def check_fields(outlet: Outlet, data: bytes, url: str, encoding: str | None) -> list[FieldCheck]:
    """Per field: the first registry selector that matches, and what extraction made of it."""
    page = _Page(decode_html(data, encoding))
    extracted = extract(data, url, outlet, encoding=encoding)
    values = {
        "title": extracted.title,
        "body": f"{len(extracted.body.split())} words" if extracted.paragraphs else None,
        "published": extracted.published_at.isoformat() if extracted.published_at else None,
        "modified": extracted.modified_at.isoformat() if extracted.modified_at else None,
        "author": extracted.author,
        "editor": extracted.editor,
        "tags": ", ".join(extracted.tags) or None,
        "category": extracted.category,
    }
    checks = []
    for name in SELECTOR_FIELDS:
        selectors = outlet.selectors.get(name, [])
        if not selectors:
            checks.append(FieldCheck(name, "no-selectors", None, values[name]))
            continue
        if name == "body":
            _, hit = page.fragment(selectors)
        else:
            hit = next((s for s in selectors if page.values(s)), None)
        checks.append(FieldCheck(name, "ok" if hit else "missing", hit, values[name]))
    return checks


def doctor_outlet(outlet: Outlet, crawl: dict[str, Any]) -> OutletDoctor:
    """Fetch one listing and one article of ``outlet`` and judge every field."""
    report = OutletDoctor(outlet.id, "fail")
    try:
        report.listing_url, report.article_url = find_article(outlet, crawl)
        data, encoding, final = fetch(report.article_url, crawl)
    except CheckError as exc:
        report.error = str(exc)
        return report
    report.fields = check_fields(outlet, data, final, encoding)
    by_name = {f.field: f for f in report.fields}
    essential_ok = all(
        by_name[n].status == "ok" or (by_name[n].status == "no-selectors" and by_name[n].value)
        for n in ESSENTIAL
    )
    if not essential_ok:
        missing = [n for n in ESSENTIAL if by_name[n].status == "missing" or not by_name[n].value]
        report.error = f"essential field(s) not found: {', '.join(missing)}"
        return report
    report.status = "warn" if any(f.status == "missing" for f in report.fields) else "ok"
    return report


def doctor(outlets: list[Outlet], crawl: dict[str, Any]) -> list[OutletDoctor]:
    """Doctor every outlet, one after another (two requests per outlet, polite enough)."""
    return [doctor_outlet(o, crawl) for o in outlets]
