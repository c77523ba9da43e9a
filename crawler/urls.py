"""URL canonicalisation: one string per article, so dedup and "already seen" checks work.

Rules (all deliberate, documented because storage keys depend on them):
- scheme and host lower-cased; default ports (:80 for http, :443 for https) dropped;
- a leading 'www.' and 'amp.' are dropped from the host: the same article is often linked
  both ways, and the canonical string is an identity key first (every site we know
  redirects between the two forms, so it stays fetchable);
- fragment dropped; tracking parameters (crawler/data/urls.toml) dropped, remaining
  parameters kept (they can select the article: ?p=123, ?page=2) and sorted;
- AMP renderings map to the normal page: '/amp' or '/amp/' at the end or the start of the
  path, '.amp' at the end, '?amp=1' / '?amp' / '?outputType=amp';
- the trailing slash is removed from every path except the root, which is '/'.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DATA = Path(__file__).with_name("data") / "urls.toml"
_AMP_PATH = (
    re.compile(r"/amp/?$"),
    re.compile(r"^/amp(?=/)"),
    re.compile(r"\.amp$"),
)


@lru_cache(maxsize=1)
def _rules() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    return (
        frozenset(p.lower() for p in data["tracking"]),
        tuple(data["prefixes"]),
        frozenset(data["amp_values"]),
    )


def _host(netloc: str, scheme: str) -> str:
    netloc = netloc.lower()
    userinfo, _, hostport = netloc.rpartition("@")
    host, sep, port = hostport.partition(":")
    if hostport.startswith("["):  # IPv6 literal
        host, _, port = hostport.partition("]:")
        host = host + ("]" if not host.endswith("]") else "")
    if (scheme, port) in (("http", "80"), ("https", "443")):
        port = ""
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    out = host + (":" + port if port else "")
    return (userinfo + "@" + out) if userinfo else out


def canonical_url(url: str) -> str:
    """The canonical form of an article URL (see module docstring for the rules)."""
    url = url.strip()
    if "://" not in url and not url.startswith("//"):
        url = "https://" + url
    parts = urlsplit(url)
    scheme = (parts.scheme or "https").lower()
    tracking, prefixes, amp_values = _rules()
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        low = key.lower()
        if low in ("amp", "outputtype") and value.lower() in amp_values:
            continue
        if low in tracking or low.startswith(prefixes):
            continue
        query.append((key, value))
    query.sort()
    path = parts.path or "/"
    path = re.sub(r"/{2,}", "/", path)
    for pat in _AMP_PATH:
        path = pat.sub("", path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, _host(parts.netloc, scheme), path, urlencode(query), ""))


def same_site(url: str, base_url: str) -> bool:
    """True when url is served by the same host as base_url ('www.'/'amp.' ignored).

    Sub-domains of the base count too (m.site.com belongs to site.com), so that mobile
    links found on a page are not treated as foreign.
    """
    a = urlsplit(canonical_url(url)).netloc
    b = urlsplit(canonical_url(base_url)).netloc
    a = a.removeprefix("m.") if a.count(".") >= 2 else a
    return a == b or a.endswith("." + b)
