"""Date parsing for Indonesian news pages.

Pages write dates many ways ('Senin, 2 September 2025 14:40 WITA', '2 Sep 2025 | 14.40 WIB',
'Kamis (6/7/2023)', '(6/7)' with no year) and often without an offset. Every result is
time-zone aware: a date with no zone gets the outlet's zone (WIB/WITA/WIT), because storing
naive datetimes would shift East-Indonesian stories by one or two hours. Day/month order is
always Indonesian (day first). Impossible dates return None rather than raising.

This module is spaCy-free: the crawler parses page dates with it and nlp.textdates dates
events in running text with it (month and weekday names in nlp/data/dates.toml).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "dates.toml"


@lru_cache(maxsize=1)
def _names() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    return data["months"], data["weekdays"], data["zones"]


def weekday_numbers() -> dict[str, int]:
    """Weekday name (lower case, Indonesian and English) -> ISO weekday number."""
    return _names()[1]


def zone(tz: str) -> timezone:
    """The fixed offset for an Indonesian zone name (WIB/WITA/WIT); unknown -> WIB."""
    zones = _names()[2]
    hours = zones.get(tz.upper(), 7)
    return timezone(timedelta(hours=hours), tz.upper() if tz.upper() in zones else "WIB")


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    months, weekdays, zones = _names()
    mon, wd, zn = _alt(list(months)), _alt(list(weekdays)), _alt(list(zones))
    time = r"(?:(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?)"
    tail = rf"(?:\s*(?:[,|\-–—]|pukul|jam)?\s*{time}(?:\s*(?:(?P<zone>{zn})|(?P<off>[+-]\d{{2}}:?\d{{2}}|GMT|UTC)))?)?"
    weekday = rf"(?:(?:{wd})\s*,?\s*)?"
    return {
        # 2 September 2025 14:40 WITA / Senin, 2 Sep 2025 | 14.40 WIB
        "named": re.compile(
            rf"(?<!\w){weekday}(?P<d>\d{{1,2}})\s+(?P<mon>{mon})\.?\s+(?P<y>\d{{4}}){tail}(?!\w)",
            re.I,
        ),
        # September 2, 2025 (English outlets)
        "named_us": re.compile(
            rf"(?<!\w){weekday}(?P<mon>{mon})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}}){tail}(?!\w)",
            re.I,
        ),
        # 6/7/2023 10:15, 06-07-2023, Kamis (6/7/2023)
        "numeric": re.compile(
            rf"(?<![\w/]){weekday}\(?(?P<d>\d{{1,2}})[/.\-](?P<m>\d{{1,2}})[/.\-](?P<y>\d{{4}})\)?"
            rf"{tail}(?![\w/])",
            re.I,
        ),
        # (6/7) or Kamis (6/7): year from the reference date
        "short": re.compile(rf"(?:(?:{wd})\s*)?\((?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})\)", re.I),
    }


_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.I,
)


def _build(y: int, m: int, d: int, hh: int, mm: int, ss: int, tzinfo: timezone) -> datetime | None:
    try:
        return datetime(y, m, d, hh, mm, ss, tzinfo=tzinfo)
    except ValueError:
        return None


def _offset(off: str) -> timezone:
    """'+08:00' / '+0800' / 'Z' / 'UTC' / 'GMT' -> a fixed offset."""
    if off.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = 1 if off[0] == "+" else -1
    digits = off[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _parse_iso(text: str, tz: str) -> datetime | None:
    m = _ISO.match(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss, off = m.groups()
    tzinfo = zone(tz) if off is None else _offset(off)
    return _build(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), tzinfo)


def _from_match(
    m: re.Match[str], kind: str, tz: str, reference: datetime | None
) -> datetime | None:
    months = _names()[0]
    g = m.groupdict()
    tzinfo = zone(g["zone"]) if g.get("zone") else zone(tz)
    if g.get("off"):
        tzinfo = _offset(g["off"])
    hh = int(g["H"]) if g.get("H") else 0
    mi = int(g["M"]) if g.get("M") else 0
    ss = int(g["S"]) if g.get("S") else 0
    month = months[g["mon"].lower()] if kind in ("named", "named_us") else int(g["m"])
    day = int(g["d"])
    if kind != "short":
        return _build(int(g["y"]), month, day, hh, mi, ss, tzinfo)
    ref = reference or datetime.now(tzinfo)
    if ref.tzinfo is None:
        ref = ref.replace(tzinfo=tzinfo)
    limit = ref + timedelta(days=1)
    for year in (limit.year, limit.year - 1, limit.year - 2, limit.year - 3, limit.year - 4):
        cand = _build(year, month, day, 0, 0, 0, tzinfo)
        if cand is not None and cand <= limit:
            return cand
    return None


def _parse_formats(text: str, formats: Sequence[str], tz: str) -> datetime | None:
    """The first strptime format (an outlet's own, from the registry) that reads the text."""
    for fmt in formats:
        try:
            dt = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return dt if dt.tzinfo is not None else dt.replace(tzinfo=zone(tz))
    return None


def parse_date(
    text: str,
    tz: str = "WIB",
    reference: datetime | None = None,
    formats: Sequence[str] = (),
) -> datetime | None:
    """Parse one date string into an aware datetime, or None when nothing valid is found.

    `reference` (default: now) only matters for year-less forms like '(6/7)', which take
    the most recent such day not after reference + 1 day. `formats` are an outlet's own
    strptime formats (registry key ``date_formats``), tried first on the whole string.
    """
    if not text:
        return None
    text = " ".join(str(text).split())
    if formats:
        own = _parse_formats(text, formats, tz)
        if own is not None:
            return own
    iso = _parse_iso(text, tz)
    if iso is not None or _ISO.match(text):
        return iso
    # ISO embedded in a longer string ('Published 2025-09-02T14:40:00+08:00').
    emb = re.search(
        r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?", text
    )
    if emb:
        return _parse_iso(emb.group(0), tz)
    for kind, pat in _patterns().items():
        m = pat.search(text)
        if m:
            return _from_match(m, kind, tz, reference)
    return None


def find_text_dates(
    text: str, tz: str = "WIB", reference: datetime | None = None
) -> list[tuple[datetime, int, int]]:
    """All full dates written in running text, as (datetime, start, end) in text order.

    Used by later stages to date events mentioned in the body ('Kamis (6/7/2023)');
    overlapping matches keep the first/longest one.
    """
    found: list[tuple[datetime, int, int]] = []
    taken: list[tuple[int, int]] = []
    for kind, pat in _patterns().items():
        for m in pat.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            dt = _from_match(m, kind, tz, reference)
            if dt is not None:
                found.append((dt, s, e))
                taken.append((s, e))
    found.sort(key=lambda t: t[1])
    return found
