"""Analysts' corrections (issue 13, item 4): the loop that turns checked articles into
training data.

A correction is one analyst's value for one field of one article, kept in its own table
(migration 009) so that re-enrichment never overwrites it; the latest per article and field
wins and the history stays. ``v_article_signals`` applies them, and stories, ``v_signals``,
the digest and search read that view. ``export_training_rows`` writes the corrected articles
in the news-dev JSON-lines format that ``suar models train signals --corrections`` reads.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from nlp.taxonomy import topic_codes
from pipeline import db, ducklake, stories

FIELDS = ("topics", "level", "killed", "injured", "arrested", "crowd", "primary_region")
MAGNITUDES = ("killed", "injured", "arrested", "crowd")


class CorrectionError(ValueError):
    """A correction that cannot be stored; the message says why in one line."""


def parse_value(con: duckdb.DuckDBPyConnection, field: str, raw: str) -> Any:
    """The typed value of ``raw`` for ``field``, or CorrectionError naming what is wrong."""
    raw = raw.strip()
    if field == "topics":
        codes = [c.strip() for c in raw.split(",") if c.strip()]
        known = set(topic_codes())
        bad = [c for c in codes if c not in known]
        if bad:
            raise CorrectionError(
                f"unknown topic code(s) {', '.join(bad)} (see `suar topics` for the codes)"
            )
        return sorted(set(codes))
    if field == "level":
        if not raw.isdigit() or not 0 <= int(raw) <= 4:
            raise CorrectionError(f"level must be an integer 0-4, not {raw!r}")
        return int(raw)
    if field in MAGNITUDES:
        if raw.lower() == "null":
            return None
        if not raw.isdigit():
            raise CorrectionError(f"{field} must be a non-negative integer or 'null', not {raw!r}")
        return int(raw)
    if field == "primary_region":
        if con.execute(db.sql("corrections_region"), {"code": raw}).fetchone() is None:
            raise CorrectionError(f"no region with Kemendagri code {raw!r} in the regions table")
        return raw
    raise CorrectionError(f"unknown field {field!r}; one of {', '.join(FIELDS)}")


def correct(
    con: duckdb.DuckDBPyConnection,
    article_id: int,
    field: str,
    raw_value: str,
    *,
    note: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Store one correction and refresh the article's story so views show it at once."""
    if field not in FIELDS:
        raise CorrectionError(f"unknown field {field!r}; one of {', '.join(FIELDS)}")
    if con.execute(db.sql("corrections_article"), {"id": article_id}).fetchone() is None:
        raise CorrectionError(f"no article with id {article_id}")
    value = parse_value(con, field, raw_value)
    row = {
        "article_id": article_id,
        "field": field,
        "value": json.dumps(value, ensure_ascii=False),
        "note": note,
        "by": by or _os_user(),
        "now": datetime.now(UTC),
    }
    lake = ducklake.is_lake(con)

    def write() -> None:
        # A DuckLake catalog has no sequences: the id is the next free one, taken under the
        # corrections lock row so that two analysts correcting at once never share an id.
        with ducklake.writing(con, "corrections"):
            if lake:
                lake_row = {**row, "id": ducklake.next_id(con, "corrections")}
                con.execute(db.sql("lake/corrections_insert"), lake_row)
            else:
                con.execute(db.sql("corrections_insert"), row)
            story = con.execute(db.sql("corrections_story"), {"id": article_id}).fetchone()
            if story is not None:
                stories._run(con, "stories_refresh", {"ids": [story[0]], "now": row["now"]})

    ducklake.retry(con, write)
    return {**row, "value": value}


def _os_user() -> str:
    """The OS user, the default author of a correction (containers may have no passwd entry)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def list_corrections(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    """The most recent corrections, newest first (the history, not only the winners)."""
    cur = con.execute(db.sql("corrections_list"), {"limit": limit})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _region(code: str | None, name: str | None) -> dict[str, str] | None:
    return {"code": code, "name": name} if code else None


def export_training_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every corrected article as a news-dev row: the analyst's value where corrected, the
    machine's elsewhere; ``story`` groups reports of one event for grouped CV."""
    cur = con.execute(db.sql("corrections_export"))
    names = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        x = dict(zip(names, r, strict=True))
        out.append(
            {
                "id": f"suar:{x['id']}",
                "url": x["url"],
                "outlet": x["outlet"],
                "title": x["title"] or "",
                "text": x["body"] or "",
                "story": f"suar-story:{x['story_id']}" if x["story_id"] is not None else None,
                "topics": list(x["topic_codes"] or []),
                "escalation": x["escalation_level"] if x["escalation_level"] is not None else 0,
                **{f: x[f] for f in MAGNITUDES},
                "primary_province": _region(x["province_code"], x["province_name"]),
                "primary_regency": _region(x["regency_code"], x["regency_name"]),
                "corrected_fields": list(x["corrected_fields"]),
            }
        )
    return out


def format_corrections(rows: list[dict[str, Any]]) -> str:
    """One line per correction for `suar corrections list`."""
    return "\n".join(
        f"{r['corrected_at']:%Y-%m-%d %H:%M} {r['article_id']:>8} {r['field']:<15} "
        f"{r['value']:<30} {r['corrected_by']}" + (f"  # {r['note']}" if r["note"] else "")
        for r in rows
    )
