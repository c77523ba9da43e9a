"""Turn one fetched page into an `Extracted` article record.

Two paths, one cleaning pass:
- selectors: the outlet's CSS / JSON-LD selectors (outlets.toml) pick the fields and the
  body fragment, which goes through crawler.clean with the outlet's extra drop selectors;
- generic: for outlets known only by URL (or when the body selector finds too little),
  trafilatura picks the main text (precision-favouring) and htmldate the date, then the
  same cleaning pass runs, so boilerplate rules help both paths.
Everything a later stage needs to judge the record (method, warnings, not_article_reason)
is kept on it.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from crawler.clean import clean_paragraphs, normalise_space, rules, split_footer
from crawler.registry import Outlet, outlet_lexicon
from crawler.urls import canonical_url
from nlp.dateline import find_dateline, is_tagline
from nlp.dates import find_text_dates, parse_date
from nlp.lang import detect_language
from nlp.outlets import OutletLexicon

_DATA = Path(__file__).with_name("data") / "extract.toml"
_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "blogposting",
    "reportagenews",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "webpage",
}


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    return data


@dataclass
class Extracted:
    """One page as the rest of the pipeline sees it."""

    url: str
    title: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    author: str | None = None
    editor: str | None = None
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    dateline: str | None = None
    dateline_raw: str | None = None  # the exact prefix removed from the first paragraph
    paragraphs: list[str] = field(default_factory=list)
    language: str = "unknown"
    is_article: bool = False
    not_article_reason: str | None = None
    content_hash: str = ""
    method: str = "generic"
    warnings: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        """The article text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO 8601 datetimes), including `body`."""
        d = asdict(self)
        for key in ("published_at", "modified_at"):
            d[key] = d[key].isoformat() if d[key] else None
        d["body"] = self.body
        return d


# ---------------------------------------------------------------------------- decoding


def decode_html(data: str | bytes, encoding: str | None = None) -> str:
    """Bytes -> text: HTTP-declared encoding, then BOM / <meta charset>, then detection.

    w3lib applies the HTML5 rules (e.g. 'iso-8859-1' means Windows-1252); detection uses
    charset_normalizer only when nothing is declared and the bytes are not valid UTF-8.
    """
    if isinstance(data, str):
        return data
    from w3lib.encoding import html_to_unicode

    def detect(body: bytes) -> str | None:
        try:
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(body[:200_000]).best()
            return best.encoding if best else "cp1252"
        except Exception:
            return "cp1252"

    header = f"text/html; charset={encoding}" if encoding else None
    try:
        _, text = html_to_unicode(header, data, auto_detect_fun=detect)
    except Exception:
        text = data.decode("utf-8", errors="replace")
    return text


# ---------------------------------------------------------------------------- selectors


def _jsonld_nodes(sel: Selector) -> list[dict[str, Any]]:
    """All JSON-LD objects on the page (@graph flattened), article-typed ones first."""
    nodes: list[dict[str, Any]] = []

    def add(obj: Any) -> None:
        if isinstance(obj, list):
            for x in obj:
                add(x)
        elif isinstance(obj, dict):
            nodes.append(obj)
            if "@graph" in obj:
                add(obj["@graph"])

    for raw in sel.css('script[type="application/ld+json"]::text').getall():
        raw = raw.strip().rstrip(";")
        try:
            add(json.loads(raw, strict=False))
        except ValueError:
            continue

    def rank(node: dict[str, Any]) -> int:
        types = node.get("@type", [])
        types = [types] if isinstance(types, str) else types
        low = {str(t).lower() for t in types}
        return 0 if low & (_ARTICLE_TYPES - {"webpage"}) else (1 if low else 2)

    return sorted(nodes, key=rank)


def _jsonld_lookup(nodes: list[dict[str, Any]], path: str) -> list[str]:
    for node in nodes:
        values: list[Any] = [node]
        for key in path.split("."):
            nxt: list[Any] = []
            for v in values:
                items = v if isinstance(v, list) else [v]
                for item in items:
                    if isinstance(item, dict) and key in item:
                        nxt.append(item[key])
                    elif isinstance(item, str) and key == "name":
                        nxt.append(item)  # "author": "Budi" instead of {"name": "Budi"}
            values = nxt
        out: list[str] = []
        for v in values:
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, str | int | float) and str(item).strip():
                    out.append(str(item).strip())
                elif isinstance(item, dict) and item.get("name"):
                    out.append(str(item["name"]).strip())
        if out:
            return out
    return []


class _Page:
    """A parsed page with cached JSON-LD, answering selector strings from outlets.toml."""

    def __init__(self, html: str) -> None:
        self.sel = Selector(text=html or "<html></html>", type="html")
        self._jsonld: list[dict[str, Any]] | None = None

    def jsonld(self) -> list[dict[str, Any]]:
        if self._jsonld is None:
            self._jsonld = _jsonld_nodes(self.sel)
        return self._jsonld

    def values(self, selector: str) -> list[str]:
        """All non-empty text values for one selector string."""
        if selector.startswith("jsonld:"):
            return _jsonld_lookup(self.jsonld(), selector[len("jsonld:") :])
        try:
            if "::" in selector:
                found = self.sel.css(selector).getall()
            else:
                found = [" ".join(el.css("::text").getall()) for el in self.sel.css(selector)]
        except Exception:  # invalid CSS in the registry: treat as no match
            return []
        return [v for v in (normalise_space(x) for x in found) if v]

    def first(self, selectors: Iterable[str]) -> str | None:
        for s in selectors:
            vals = self.values(s)
            if vals:
                return vals[0]
        return None

    def all_of_first(self, selectors: Iterable[str]) -> list[str]:
        for s in selectors:
            vals = self.values(s)
            if vals:
                return vals
        return []

    def fragment(self, selectors: Iterable[str]) -> tuple[str | None, str | None]:
        """HTML of the first element matched by the first body selector that hits."""
        for s in selectors:
            try:
                got = self.sel.css(s).get()
            except Exception:
                continue
            if got:
                return got, s
        return None, None


# ---------------------------------------------------------------------------- helpers


def _split_tags(values: Sequence[str]) -> list[str]:
    """Tag strings -> unique tags; a 'keywords' field that is a chopped-up sentence
    (many one-word items, as some CMSs generate) is discarded as noise."""
    out: list[str] = []
    for v in values:
        parts = re.split(r"\s*[,;|#]\s*", v) if re.search(r"[,;|#]", v) else [v]
        for p in parts:
            p = p.strip(" .")
            if p and p.lower() not in (x.lower() for x in out):
                out.append(p)
    if len(out) >= 8 and sum(len(t.split()) for t in out) / len(out) < 1.3:
        return []
    return out[:30]


def _clean_title(title: str | None, page: _Page, outlet: Outlet | None, url: str) -> str | None:
    """Strip ' - Outlet' / ' | Outlet' suffixes naming the site."""
    if not title:
        return None
    title = normalise_space(title)
    site_names = {
        n.lower()
        for sel in ('meta[property="og:site_name"]::attr(content)', "jsonld:publisher.name")
        for n in page.values(sel)
    }
    if outlet:
        site_names.add(outlet.name.lower())
    host = urlsplit(url).netloc.lower().removeprefix("www.").split(":")[0]
    label = (
        host.split(".")[-3]
        if host.count(".") >= 2 and host.endswith(".co.id")
        else (host.split(".")[-2] if "." in host else host)
    )
    for _ in range(2):
        m = re.match(r"^(?P<head>.+?)\s+[-|–—]\s+(?P<tail>[^-|–—]{2,60})$", title)
        if not m:
            break
        tail = m.group("tail").lower().strip()
        compact = re.sub(r"[^a-z0-9]", "", tail)
        if (
            tail in site_names
            or (label and label in compact)
            or any(re.sub(r"[^a-z0-9]", "", n) in compact for n in site_names if n)
        ):
            title = m.group("head").strip()
        else:
            break
    return title or None


@lru_cache(maxsize=1)
def _outlets() -> OutletLexicon:
    """The registry's outlet names, to tell the outlet from the place in a dateline."""
    return outlet_lexicon()


def _dateline(paragraphs: list[str], outlet: Outlet | None) -> tuple[str | None, str | None]:
    """Find and remove the dateline prefix; returns (place, raw prefix).

    The detector is nlp.dateline (the one the NLP uses), with the outlet's own pattern
    (registry ``clean.dateline``) tried first. The dateline opens the story, so short
    paragraphs before it (a repeated title, a kicker, a date line, a photo caption, a site
    slogan) are page furniture and are dropped from `paragraphs`. An outlet-only opener
    ('TRIBUNKALTIM.CO - ') is stripped with no place.
    """
    cfg = _config()["datelines"]
    extra = (outlet.dateline,) if outlet and outlet.dateline else ()
    for k, para in enumerate(paragraphs[: cfg["search_paragraphs"]]):
        if k and (
            len(paragraphs[k - 1].split()) > cfg["max_furniture_words"]
            or len(" ".join(paragraphs[:k]).split()) > cfg["max_furniture_total"]
        ):
            break  # real text came first: the story has started without a dateline
        lines = para.split("\n")
        while len(lines) > 1 and is_tagline(lines[0]):
            lines.pop(0)  # 'Papua No. 1 News Portal | Jubi' on the dateline's own paragraph
        first = lines[0]
        found = find_dateline(first, _outlets(), max_lines=1, extra=extra)
        if found is None or not first[found.end :].strip():
            continue
        lines[0] = first[found.end :].lstrip(" -–—:")
        paragraphs[k] = "\n".join(lines).strip()
        del paragraphs[:k]
        place = normalise_space(found.place).strip(" ,.") if found.place else None
        return place, first[: found.end].strip()
    return None, None


def _drop_furniture_lines(paragraphs: list[str], title: str | None, tz: str) -> list[str]:
    """Drop body lines that repeat the title or only state the publication date."""
    key = normalise_space(title or "").lower()
    out = []
    for para in paragraphs:
        if key and normalise_space(para).lower() == key:
            continue
        words = para.split()
        if len(words) <= 12:
            rest = para
            for _, s, e in reversed(find_text_dates(para, tz)):
                rest = rest[:s] + " " + rest[e:]
            if rest != para and len(re.findall(r"[^\W\d_]{2,}", rest)) <= 1:
                continue
        out.append(para)
    return out


def _from_footer(lines: Sequence[str], pats: Sequence[re.Pattern[str]]) -> str | None:
    for line in lines:
        for p in pats:
            m = p.search(line)
            if m:
                value = normalise_space(m.group(1)).strip(" ,.;-")
                if value:
                    return value
    return None


def content_hash(title: str | None, paragraphs: Sequence[str]) -> str:
    """sha256 of the normalised title + body: stable across re-extraction of the same text."""
    norm = normalise_space((title or "") + "\n" + "\n".join(paragraphs)).lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def _generic_body(html: str, url: str, page: _Page) -> list[str]:
    """Main text via trafilatura (precision first), then the shared cleaning pass.

    A body the publisher declares with schema.org microdata (itemprop="articleBody") is
    preferred when, after the same cleaning, it holds at least as much text: trafilatura's
    precision mode drops loose text (e.g. a lead paragraph not wrapped in <p>).
    """
    import trafilatura

    try:
        out = trafilatura.extract(
            html,
            url=url,
            output_format="html",
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            deduplicate=False,
        )
    except Exception:
        out = None
    paragraphs = clean_paragraphs(out) if out else []
    declared = page.sel.css('[itemprop="articleBody"]').get()
    if declared:
        alt = clean_paragraphs(declared)
        n_alt, n_main = len(" ".join(alt).split()), len(" ".join(paragraphs).split())
        if n_alt >= max(40, n_main):
            return alt
    return paragraphs


def _generic_date(html: str) -> str | None:
    try:
        from htmldate import find_date

        return find_date(
            html, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S", extensive_search=False
        )
    except Exception:
        return None


# ---------------------------------------------------------------------------- extract


def extract(
    html: str | bytes,
    url: str,
    outlet: Outlet | None = None,
    *,
    encoding: str | None = None,
    reference: datetime | None = None,
) -> Extracted:
    """Extract one page; never raises on bad HTML (problems become warnings)."""
    text = decode_html(html, encoding)
    # An XML declaration in front of HTML makes lxml-based parsers return nothing.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
    cfg = _config()
    generic_sel: dict[str, list[str]] = cfg["selectors"]
    res = Extracted(url=canonical_url(url))
    page = _Page(text)
    tz = outlet.timezone if outlet else "WIB"
    outlet_sel = outlet.selectors if outlet else {}

    def sels(name: str) -> list[str]:
        return [*outlet_sel.get(name, []), *generic_sel.get(name, [])]

    # Body: outlet selectors first, generic path when they find nothing or too little.
    paragraphs: list[str] = []
    footer_pats = tuple(outlet.footer) if outlet else ()
    if outlet and outlet.has_selectors:
        res.method = "selectors"
        frag, _ = page.fragment(outlet_sel["body"])
        if frag:
            paragraphs = clean_paragraphs(frag, outlet.drop, footer_pats)
        if len(" ".join(paragraphs).split()) < 20:
            res.warnings.append("body selector found too little; body from fallback")
            res.method = "generic"
            paragraphs = []
    if not paragraphs:
        paragraphs = _generic_body(text, url, page)
    body, footer_lines = split_footer(paragraphs, footer_pats)

    # Metadata.
    raw_title = page.first(sels("title"))
    res.title = _clean_title(raw_title, page, outlet, url)

    res.dateline, res.dateline_raw = _dateline(body, outlet)
    body = _drop_furniture_lines(body, res.title, tz)
    if raw_title != res.title:
        body = _drop_furniture_lines(body, raw_title, tz)
    res.paragraphs = [p for p in body if p]
    formats = outlet.date_formats if outlet else ()
    res.published_at = _first_date(page, sels("published"), tz, reference, formats)
    if res.published_at is None:
        found = _generic_date(text)
        res.published_at = parse_date(found, tz, reference) if found else None
        if res.published_at is not None:
            res.warnings.append("published date from htmldate (time of day may be missing)")
    if res.published_at is None:
        res.warnings.append("no published date")
    res.modified_at = _first_date(page, sels("modified"), tz, reference, formats)

    r = rules()
    author_pats = ([outlet.author_pattern] if outlet and outlet.author_pattern else []) + list(
        r.author
    )
    editor_pats = ([outlet.editor_pattern] if outlet and outlet.editor_pattern else []) + list(
        r.editor
    )
    res.author = _from_sel_or_footer(
        page, outlet_sel.get("author", []), footer_lines, author_pats, generic_sel.get("author", [])
    )
    res.editor = _from_sel_or_footer(
        page, outlet_sel.get("editor", []), footer_lines, editor_pats, []
    )
    tag_values = page.all_of_first(outlet_sel.get("tags", []))
    if not tag_values:
        for line in footer_lines:
            for p in r.tags:
                m = p.search(line)
                if m:
                    tag_values.append(m.group(1))
    if not tag_values:
        tag_values = page.all_of_first(generic_sel.get("tags", []))
    res.tags = _split_tags(tag_values)
    res.category = page.first(sels("category"))

    res.language = detect_language(((res.title or "") + "\n" + res.body)[:5000])
    res.content_hash = content_hash(res.title, res.paragraphs)
    res.is_article, res.not_article_reason = _judge(res, page, outlet)
    return res


# A split article's pages are stored as one HTML blob, pages joined by this marker, so
# `suar reextract` rebuilds the whole text from what was fetched (see extract_pages).
PAGE_SEPARATOR = b"\n<!--suar:next-page-->\n"


def extract_pages(
    html: bytes, url: str, outlet: Outlet | None = None, *, encoding: str | None = None
) -> Extracted:
    """Extract stored HTML that may hold continuation pages (``PAGE_SEPARATOR``)."""
    first, *more = html.split(PAGE_SEPARATOR) if isinstance(html, bytes) else [html]
    res = extract(first, url, outlet, encoding=encoding)
    for page in more:
        if outlet is not None:
            join_pages(res, continuation_paragraphs(page, outlet, encoding=encoding))
    return res


def continuation_paragraphs(
    html: str | bytes, outlet: Outlet, *, encoding: str | None = None
) -> list[str]:
    """Body paragraphs of page 2..N of a split article (Tribun's ``?page=2``).

    Only the outlet's body selector and the shared cleaning apply: the metadata and the
    dateline belong to page 1, and the footer (bylines, 'Artikel ini telah tayang') is cut.
    """
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_html(html, encoding).lstrip("\ufeff"))
    frag, _ = _Page(text).fragment(outlet.selectors.get("body", []))
    if not frag:
        return []
    body, _ = split_footer(clean_paragraphs(frag, outlet.drop, outlet.footer), outlet.footer)
    return [p for p in body if p]


def join_pages(res: Extracted, more: Sequence[str]) -> Extracted:
    """Append a continuation page's paragraphs; the hash follows the whole text."""
    seen = {p.lower() for p in res.paragraphs}
    res.paragraphs.extend(p for p in more if p.lower() not in seen or len(p) <= 30)
    res.content_hash = content_hash(res.title, res.paragraphs)
    return res


def _first_date(
    page: _Page,
    selectors: Sequence[str],
    tz: str,
    reference: datetime | None,
    formats: Sequence[str] = (),
) -> datetime | None:
    """The first selector value that parses as a date (an unparseable one does not stop us)."""
    for s in selectors:
        for value in page.values(s)[:3]:
            parsed = parse_date(value, tz, reference, formats)
            if parsed is not None:
                return parsed
    return None


def _from_sel_or_footer(
    page: _Page,
    outlet_selectors: Sequence[str],
    footer_lines: Sequence[str],
    patterns: Sequence[re.Pattern[str]],
    generic_selectors: Sequence[str],
) -> str | None:
    """Selector value, else a byline in the body footer, else a generic meta value.

    Values naming the publisher ('PT ... Media', 'Redaksi', 'kompas.com') are skipped.
    """
    not_person = re.compile(_config()["author"]["not_person"])
    candidates = [
        *(v for s in outlet_selectors for v in page.values(s)[:1]),
        _from_footer(footer_lines, patterns),
        *(v for s in generic_selectors for v in page.values(s)[:1]),
    ]
    for value in candidates:
        if value and not not_person.search(value):
            return value[:200]
    return None


def _judge(res: Extracted, page: _Page, outlet: Outlet | None) -> tuple[bool, str | None]:
    """Is this page an article? Returns (verdict, reason when not)."""
    cfg = _config()["article"]
    if outlet is not None and outlet.article_patterns and not outlet.is_article_url(res.url):
        return False, "URL does not match the outlet's article patterns"
    og_type = (page.first(['meta[property="og:type"]::attr(content)']) or "").lower()
    if og_type in cfg["non_article_og_types"] and res.published_at is None:
        return False, f"og:type is {og_type!r} and the page has no published date"
    words = len(res.body.split())
    if words < cfg["min_words"]:
        return False, f"too little body text ({words} words)"
    return True, None
