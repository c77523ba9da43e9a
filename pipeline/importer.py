"""`suar import`: bring articles other tools collected under Suar's URL and de-dup rules.

Accepts JSON lines or CSV with ``url``, ``outlet``, ``title``, ``text`` or ``html`` and
``published_at``. A malformed row is reported with its line number and skipped; every good
row is saved, each in its own transaction, so one bad row never costs the others.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from crawler.extract import content_hash, extract
from crawler.registry import Outlet, outlet_for_url
from crawler.urls import canonical_url
from nlp.dates import parse_date
from nlp.lang import detect_language
from pipeline.store import ArticleRecord, save_article


@dataclass
class ImportReport:
    read: int = 0
    outcomes: Counter = field(default_factory=Counter)
    malformed: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            **{k: self.outcomes.get(k, 0) for k in ("new", "updated", "unchanged", "duplicate")},
            "malformed": len(self.malformed),
            "errors": [f"line {n}: {why}" for n, why in self.malformed[:50]],
        }


def _rows(path: Path, fmt: str | None) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row dict) or (line number, error message) for each input row."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if fmt == "csv":
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "url" not in reader.fieldnames:
                raise ValueError(f"{path}: CSV needs a header row with at least a 'url' column")
            for row in reader:
                yield reader.line_num, row
            return
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, f"not JSON ({exc.msg})"
                continue
            yield n, obj if isinstance(obj, dict) else "not a JSON object"


def _paragraphs(text: str) -> list[str]:
    parts = re.split(r"\n\s*\n|\n", text.replace("\r\n", "\n"))
    return [re.sub(r"\s+", " ", p).strip() for p in parts if p.strip()]


def row_to_record(
    row: dict[str, Any], registry: dict[str, Outlet], default_outlet: str | None = None
) -> ArticleRecord:
    """One input row -> a record; raises ValueError with the reason for a malformed row."""
    url = (row.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"missing or invalid url {url!r}")
    outlet_id = (row.get("outlet") or default_outlet or "").strip()
    outlet = registry.get(outlet_id) or outlet_for_url(url, registry)
    if not outlet_id:
        outlet_id = outlet.id if outlet else parts.hostname.removeprefix("www.")
    tz = outlet.timezone if outlet else "WIB"
    html, text = row.get("html") or "", row.get("text") or ""
    if html.strip():
        ex = extract(html, url, outlet)
        title = (row.get("title") or "").strip() or ex.title
        paragraphs = ex.paragraphs
        published = ex.published_at
        extra = {
            "author": ex.author,
            "editor": ex.editor,
            "tags": ex.tags,
            "category": ex.category,
            "dateline": ex.dateline,
            "modified_at": ex.modified_at,
            "html": html.encode("utf-8"),
            "encoding": "utf-8",
        }
    elif text.strip():
        title = (row.get("title") or "").strip() or None
        paragraphs = _paragraphs(text)
        published, extra = None, {}
    else:
        raise ValueError("row has neither text nor html")
    if not paragraphs:
        raise ValueError("no article text could be extracted")
    warnings = []
    if row.get("published_at"):
        parsed = parse_date(str(row["published_at"]), tz)
        if parsed is None:
            warnings.append(f"unparsed published_at {row['published_at']!r}")
        else:
            published = parsed
    body = "\n\n".join(paragraphs)
    return ArticleRecord(
        url=canonical_url(url),
        outlet=outlet_id,
        title=title,
        body=body,
        published_at=published,
        language=detect_language(f"{title or ''}\n{body}"),
        content_hash=content_hash(title, paragraphs),
        extraction="import",
        warnings=warnings,
        source="import",
        **extra,
    )


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    registry: dict[str, Outlet],
    *,
    fmt: str | None = None,
    default_outlet: str | None = None,
) -> ImportReport:
    """Import every good row of ``path``; return counts and the malformed rows."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"import file not found: {path}")
    report = ImportReport()
    for line, row in _rows(path, fmt):
        report.read += 1
        if isinstance(row, str):
            report.malformed.append((line, row))
            continue
        try:
            rec = row_to_record(row, registry, default_outlet)
        except ValueError as exc:
            report.malformed.append((line, str(exc)))
            continue
        outcome, _ = save_article(con, rec)
        report.outcomes[outcome] += 1
    return report
