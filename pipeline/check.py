"""`suar outlets check`: what an operator runs when adding an outlet or when a site changes."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from crawler.extract import extract
from crawler.registry import Outlet, outlet_for_url


def fetch(url: str, crawl: dict[str, Any]) -> tuple[bytes, str | None, str]:
    """One polite GET with Suar's User-Agent and the configured size cap."""
    ua = crawl["user_agent"].format(contact=crawl["contact_url"])
    req = urllib.request.Request(url, headers={"User-Agent": ua})
    with urllib.request.urlopen(req, timeout=crawl["download_timeout"]) as resp:  # noqa: S310
        data = resp.read(crawl["max_response_bytes"] + 1)
        if len(data) > crawl["max_response_bytes"]:
            raise ValueError(f"{url}: response larger than {crawl['max_response_bytes']} bytes")
        return data, resp.headers.get_content_charset(), resp.geturl()


def check_page(
    source: str, registry: dict[str, Outlet], outlet_id: str | None, crawl: dict[str, Any]
) -> dict[str, Any]:
    """Extract one page (URL or file) and return every field, plus how it was extracted.

    A FILE without ``--outlet`` goes through the generic path (trafilatura + htmldate + the
    shared cleaning), which is what a new outlet added by URL alone gets.
    """
    if outlet_id and outlet_id not in registry:
        raise ValueError(f"unknown outlet {outlet_id!r}; known: {', '.join(registry)}")
    outlet = registry.get(outlet_id) if outlet_id else None
    if source.startswith(("http://", "https://")):
        data, encoding, final_url = fetch(source, crawl)
        outlet = outlet or outlet_for_url(final_url, registry)
        url = final_url
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no such file or URL: {source}")
        data, encoding = path.read_bytes(), None
        url = outlet.base_url + "/" if outlet else f"file://{path.resolve()}"
    result = extract(data, url, outlet, encoding=encoding).to_dict()
    result["outlet"] = outlet.id if outlet else None
    return result
