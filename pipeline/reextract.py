"""`suar reextract`: run today's extraction over the raw HTML kept from earlier crawls.

When selectors or cleaning improve, old articles improve too, without crawling again.
"""

from __future__ import annotations

import gzip
from collections import Counter

import duckdb

from crawler.extract import extract_pages
from crawler.registry import Outlet, generic_outlet
from pipeline.db import sql
from pipeline.store import ArticleRecord, save_article


def reextract(
    con: duckdb.DuckDBPyConnection,
    registry: dict[str, Outlet],
    outlet: str | None = None,
) -> Counter:
    """Re-extract stored pages; returns counts of updated / unchanged / failed / not_article."""
    counts: Counter = Counter()
    rows = con.execute(sql("reextract_rows"), {"outlet": outlet}).fetchall()
    for _id, url, outlet_id, fetched_url, encoding, html_gz, lastmod in rows:
        site = registry.get(outlet_id) or generic_outlet(url)
        try:
            html = gzip.decompress(html_gz)
            ex = extract_pages(html, fetched_url or url, site, encoding=encoding)
        except Exception:  # a page that cannot be re-read keeps its stored text
            counts["failed"] += 1
            continue
        if not ex.is_article:
            counts["not_article"] += 1
            continue
        ex.url = url  # the stored canonical URL stays the key
        rec = ArticleRecord.from_extracted(ex, outlet_id, lastmod=lastmod)
        outcome, _ = save_article(con, rec)
        counts[outcome] += 1
    return counts
