"""Outlet registry: loads crawler/outlets.toml into frozen `Outlet` records.

Why a registry: one generic spider serves every outlet, so everything that differs between
sites (start points, URL shapes, selectors, datelines, byline formats) must live in data.
Malformed entries fail loudly at load time (`RegistryError` naming outlet and key) rather
than silently producing an empty crawl days later.

The registry is also the one place that knows outlets for the NLP: `outlet_lexicon()` turns
the crawled outlets plus the non-crawled ones in crawler/data/known_outlets.toml into a plain
`nlp.outlets.OutletLexicon` (names that are not place mentions, dateline names, domain ->
home province), which the caller hands to `nlp.pipeline.get_nlp(outlets=...)`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nlp.outlets import OutletLexicon

DEFAULT_PATH = Path(__file__).with_name("outlets.toml")
KNOWN_OUTLETS_PATH = Path(__file__).with_name("data") / "known_outlets.toml"
TIMEZONES = ("WIB", "WITA", "WIT")
SELECTOR_FIELDS = ("title", "body", "published", "modified", "author", "editor", "tags", "category")
_REQUIRED = ("id", "base_url", "province", "timezone")
_TABLES = ("discovery", "urls", "selectors", "clean")
# How far an entry's structure is confirmed (`suar outlets list` shows it):
#   evidence    selectors/URLs rest on public evidence (saved pages, peer scrapers, feeds)
#   template    the host and CMS are known; selectors come from the network's template
#   unverified  written from general knowledge; run `suar outlets doctor` before trusting it
VERIFICATION = ("evidence", "template", "unverified")
_KNOWN_TOP = {
    "id",
    "name",
    "base_url",
    "province",
    "timezone",
    "platform",
    "extends",
    "notes",
    "enabled",
    "permission",
    "permission_note",
    "evidence",
    "verification",
    "covers",
    "names",
    "domains",
    "date_formats",
    *_TABLES,
}


class RegistryError(ValueError):
    """The outlet registry is malformed; the message names the outlet and the key."""


@dataclass(frozen=True)
class Discovery:
    """Where the spider finds article URLs for one outlet."""

    sitemaps: tuple[str, ...] = ()
    robots_sitemaps: bool = True
    feeds: tuple[str, ...] = ()
    listing: str | None = None
    listing_max_pages: int = 10
    stop_after_known_pages: int = 2
    # Sitemaps tried one after another, stopping at the first that answers (a site whose
    # sitemap flavour is unknown); False requests them all at once.
    sitemaps_in_order: bool = False
    # WordPress REST API listing (/wp-json/wp/v2/posts...): every post's link and modified
    # time, newest first; an index like a sitemap where the API is open.
    wp_api: str | None = None


@dataclass(frozen=True)
class Outlet:
    """One news site: identity, discovery, URL rules and extraction hints."""

    id: str
    name: str
    base_url: str
    province: str | None
    timezone: str
    platform: str = ""
    notes: str = ""
    names: tuple[str, ...] = ()  # other ways the outlet is written (datelines, running text)
    domains: tuple[str, ...] = ()  # further web domains besides base_url's host
    date_formats: tuple[str, ...] = ()  # strptime formats tried first on this outlet's dates
    discovery: Discovery = field(default_factory=Discovery)
    article_patterns: tuple[re.Pattern[str], ...] = ()
    skip_patterns: tuple[re.Pattern[str], ...] = ()
    selectors: dict[str, list[str]] = field(default_factory=dict, hash=False, compare=False)
    drop: tuple[str, ...] = ()
    dateline: re.Pattern[str] | None = None
    footer: tuple[re.Pattern[str], ...] = ()
    author_pattern: re.Pattern[str] | None = None
    editor_pattern: re.Pattern[str] | None = None
    # Continuation pages of one article: a query such as "page={n}" (Tribun's ?page=2).
    pages: str | None = None
    enabled: bool = True  # in the default crawl ("all")
    permission: str = ""  # "required": the publisher's terms forbid crawling without consent
    permission_note: str = ""
    evidence: str = ""
    verification: str = "unverified"
    covers: tuple[str, ...] = ()  # other provinces reported on routinely (coverage planning)

    @property
    def needs_permission(self) -> bool:
        """True when the publisher's stated terms require written permission to crawl."""
        return self.permission == "required"

    @property
    def host(self) -> str:
        """Lower-case host name, without port (what Scrapy's allowed_domains wants)."""
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def netloc(self) -> str:
        """Lower-case host with port when one is given (http://127.0.0.2:8000 -> ...:8000)."""
        return (urlsplit(self.base_url).netloc or "").lower()

    @property
    def has_selectors(self) -> bool:
        """True when the outlet has a body selector, i.e. the selector path applies."""
        return bool(self.selectors.get("body"))

    def is_article_url(self, url: str) -> bool:
        """True when the URL path (plus query) matches an article pattern and no skip pattern.

        Without article patterns (a generic outlet) any same-site URL not skipped counts,
        and the extractor's `is_article` has the last word.
        """
        parts = urlsplit(url)
        path = parts.path or "/"
        target = path + ("?" + parts.query if parts.query else "")
        for pat in self.skip_patterns:
            if pat.search(path) or pat.search(target):
                return False
        if not self.article_patterns:
            return path != "/"
        return any(p.search(path) or p.search(target) for p in self.article_patterns)

    def with_base_url(self, url: str) -> Outlet:
        """The same outlet served elsewhere (demo site, tests); patterns are on paths."""
        parts = urlsplit(url)
        return replace(self, base_url=f"{parts.scheme}://{parts.netloc}")


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise RegistryError(f"{where}: expected a regex string, got {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RegistryError(f"{where}: bad regex {pattern!r}: {exc}") from exc


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(f"{where}: expected a list of strings, got {value!r}")
    return list(value)


def _merge(template: dict[str, Any], outlet: dict[str, Any]) -> dict[str, Any]:
    """Outlet keys override the template's; sub-tables merge key by key."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in template.items() if k != "id"}
    for key, value in outlet.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _date_formats(value: Any, where: str) -> tuple[str, ...]:
    formats = tuple(_str_list(value, f"{where} date_formats"))
    for fmt in formats:
        if "%" not in fmt:
            raise RegistryError(f"{where}: date_formats entry {fmt!r} has no strptime directive")
    return formats


def _build(raw: dict[str, Any]) -> Outlet:
    oid = raw["id"]
    where = f"outlet {oid!r}"
    unknown = set(raw) - _KNOWN_TOP
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in _REQUIRED:
        if key not in raw or raw[key] in ("", None):
            raise RegistryError(f"{where}: missing required key {key!r}")
    tz = raw["timezone"]
    if tz not in TIMEZONES:
        raise RegistryError(f"{where}: key 'timezone' must be one of {TIMEZONES}, got {tz!r}")
    province = str(raw["province"])
    if not re.fullmatch(r"\d{2}", province):
        raise RegistryError(f"{where}: key 'province' must be a 2-digit code, got {province!r}")
    base = raw["base_url"]
    parts = urlsplit(base) if isinstance(base, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistryError(f"{where}: key 'base_url' must be an http(s) URL, got {base!r}")
    for table in _TABLES:
        if not isinstance(raw.get(table, {}), dict):
            raise RegistryError(f"{where}: key {table!r} must be a table")

    d = raw.get("discovery", {})
    try:
        discovery = Discovery(
            sitemaps=tuple(_str_list(d.get("sitemaps", []), f"{where} discovery.sitemaps")),
            robots_sitemaps=bool(d.get("robots_sitemaps", True)),
            feeds=tuple(_str_list(d.get("feeds", []), f"{where} discovery.feeds")),
            listing=d.get("listing"),
            listing_max_pages=int(d.get("listing_max_pages", 10)),
            stop_after_known_pages=int(d.get("stop_after_known_pages", 2)),
            sitemaps_in_order=bool(d.get("sitemaps_in_order", False)),
            wp_api=d.get("wp_api"),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, RegistryError):
            raise
        raise RegistryError(f"{where}: bad value in [discovery]: {exc}") from exc
    if discovery.wp_api is not None and not str(discovery.wp_api).startswith("/"):
        raise RegistryError(f"{where}: key 'discovery.wp_api' must be a path starting with '/'")
    if discovery.listing is not None and "{n}" not in str(discovery.listing):
        raise RegistryError(f"{where}: key 'discovery.listing' needs a {{n}} placeholder")

    urls = raw.get("urls", {})
    article = tuple(
        _compile(p, f"{where} urls.article")
        for p in _str_list(urls.get("article", []), f"{where} urls.article")
    )
    skip = tuple(
        _compile(p, f"{where} urls.skip")
        for p in _str_list(urls.get("skip", []), f"{where} urls.skip")
    )

    pages = urls.get("pages")
    if pages is not None and (not isinstance(pages, str) or "{n}" not in pages):
        raise RegistryError(f"{where}: key 'urls.pages' must be a string with a {{n}} placeholder")
    permission = str(raw.get("permission", ""))
    if permission not in ("", "required"):
        raise RegistryError(f"{where}: key 'permission' must be 'required', got {permission!r}")
    verification = str(raw.get("verification", "unverified"))
    if verification not in VERIFICATION:
        raise RegistryError(
            f"{where}: key 'verification' must be one of {VERIFICATION}, got {verification!r}"
        )
    covers = tuple(str(c) for c in _str_list(raw.get("covers", []), f"{where} covers"))
    if not all(re.fullmatch(r"\d{2}", c) for c in covers):
        raise RegistryError(f"{where}: key 'covers' must list 2-digit province codes")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RegistryError(f"{where}: key 'enabled' must be true or false, got {enabled!r}")

    sel_raw = raw.get("selectors", {})
    selectors: dict[str, list[str]] = {}
    for key, value in sel_raw.items():
        if key not in SELECTOR_FIELDS:
            raise RegistryError(f"{where}: unknown selector field {key!r}")
        selectors[key] = _str_list(value, f"{where} selectors.{key}")

    clean = raw.get("clean", {})
    known_clean = {"drop", "dateline", "footer", "author_pattern", "editor_pattern"}
    if set(clean) - known_clean:
        raise RegistryError(f"{where}: unknown [clean] key(s) {sorted(set(clean) - known_clean)}")

    def one(key: str) -> re.Pattern[str] | None:
        return _compile(clean[key], f"{where} clean.{key}") if clean.get(key) else None

    return Outlet(
        id=oid,
        name=str(raw.get("name") or oid),
        base_url=base.rstrip("/"),
        province=province,
        timezone=tz,
        platform=str(raw.get("platform", "")),
        notes=str(raw.get("notes", "")).strip(),
        names=tuple(_str_list(raw.get("names", []), f"{where} names")),
        domains=tuple(d.lower() for d in _str_list(raw.get("domains", []), f"{where} domains")),
        date_formats=_date_formats(raw.get("date_formats", []), where),
        discovery=discovery,
        article_patterns=article,
        skip_patterns=skip,
        selectors=selectors,
        drop=tuple(_str_list(clean.get("drop", []), f"{where} clean.drop")),
        dateline=one("dateline"),
        footer=tuple(
            _compile(p, f"{where} clean.footer")
            for p in _str_list(clean.get("footer", []), f"{where} clean.footer")
        ),
        author_pattern=one("author_pattern"),
        editor_pattern=one("editor_pattern"),
        pages=pages,
        enabled=enabled,
        permission=permission,
        permission_note=" ".join(str(raw.get("permission_note", "")).split()),
        evidence=str(raw.get("evidence", "")).strip(),
        verification=verification,
        covers=covers,
    )


def load_registry(path: Path | None = None) -> dict[str, Outlet]:
    """Load and validate the registry; raises RegistryError on anything malformed."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: invalid TOML: {exc}") from exc
    templates: dict[str, dict[str, Any]] = {}
    for tpl in data.get("template", []):
        tid = tpl.get("id")
        if not tid:
            raise RegistryError(f"{path}: a [[template]] has no 'id'")
        if tid in templates:
            raise RegistryError(f"template {tid!r}: duplicate id")
        templates[tid] = tpl
    outlets: dict[str, Outlet] = {}
    for raw in data.get("outlet", []):
        oid = raw.get("id")
        if not oid or not isinstance(oid, str):
            raise RegistryError(f"{path}: an [[outlet]] has no 'id' (name={raw.get('name')!r})")
        if oid in outlets:
            raise RegistryError(f"outlet {oid!r}: duplicate id")
        if "extends" in raw:
            tid = raw["extends"]
            if tid not in templates:
                raise RegistryError(f"outlet {oid!r}: key 'extends' names unknown template {tid!r}")
            raw = _merge(templates[tid], raw)
        outlets[oid] = _build(raw)
    return outlets


def generic_outlet(url: str, timezone: str = "WIB", province: str | None = None) -> Outlet:
    """An outlet known only by URL: no selectors, so extraction takes the generic path."""
    if timezone not in TIMEZONES:
        raise RegistryError(f"generic outlet {url!r}: timezone must be one of {TIMEZONES}")
    if province is not None and not re.fullmatch(r"\d{2}", province):
        raise RegistryError(f"generic outlet {url!r}: province must be a 2-digit code")
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = parts.netloc.lower()
    oid = re.sub(r"[^a-z0-9]+", "_", host.removeprefix("www.")).strip("_")
    return Outlet(
        id=oid,
        name=host.removeprefix("www."),
        base_url=f"{parts.scheme}://{host}",
        province=province,
        timezone=timezone,
        platform="generic",
        skip_patterns=tuple(
            re.compile(p)
            for p in (
                r"^/(tag|tags|topic|category|kategori|author|penulis|page|search|cari|feed|wp-)",
                r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp4|mp3|css|js|xml)$",
            )
        ),
    )


def _bare_host(host: str) -> str:
    host = host.lower()
    for prefix in ("www.", "amp."):
        host = host.removeprefix(prefix)
    return host


def outlet_for_url(url: str, registry: dict[str, Outlet]) -> Outlet | None:
    """The registered outlet serving this URL ('www.'/'amp.' ignored).

    Host and port must both match when either side names a port (outlets served on one
    host with different ports stay apart); otherwise the host name decides.
    """
    parts = urlsplit(url if "://" in url else "https://" + url)
    netloc, host = _bare_host(parts.netloc), _bare_host(parts.hostname or "")
    for outlet in registry.values():
        if _bare_host(outlet.netloc) == netloc:
            return outlet
    for outlet in registry.values():
        if _bare_host(outlet.netloc) == host and ":" not in netloc:
            return outlet
    return None


def outlet_lexicon(
    registry: dict[str, Outlet] | None = None, known_path: Path | None = None
) -> OutletLexicon:
    """What the NLP needs to know about outlets, from the registry plus known_outlets.toml.

    Crawled outlets contribute their ``name`` and ``names`` (as outlet names and dateline
    names) and their domains (base_url's host and ``domains``) with their home province.
    """
    registry = load_registry() if registry is None else registry
    path = Path(known_path) if known_path is not None else KNOWN_OUTLETS_PATH
    try:
        known = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: invalid TOML: {exc}") from exc
    names = list(_str_list(known.get("not_places", []), f"{path} not_places"))
    dateline = list(_str_list(known.get("dateline", []), f"{path} dateline"))
    domains = dict(known.get("domains", {}))
    for outlet in registry.values():
        own = [outlet.name, *outlet.names]
        names += own
        dateline += own
        for host in (_bare_host(outlet.host), *outlet.domains):
            if host and outlet.province:
                domains.setdefault(host, outlet.province)
    for domain, prov in domains.items():
        if not isinstance(prov, str) or not (prov == "*" or re.fullmatch(r"\d{2}", prov)):
            raise RegistryError(f"{path}: domain {domain!r}: province must be a code or '*'")
    return OutletLexicon(
        names=tuple(dict.fromkeys(names)),
        dateline_names=tuple(dict.fromkeys(dateline)),
        domains=tuple(sorted(domains.items())),
    )


def home_province(
    registry: dict[str, Outlet], outlet: str | None = None, url: str | None = None
) -> str | None:
    """Home province of the article's outlet: a registry id, else the outlet serving the URL."""
    if outlet and outlet in registry:
        return registry[outlet].province
    if url:
        found = outlet_for_url(url, registry)
        if found is not None:
            return found.province
    return None
