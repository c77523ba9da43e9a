"""Event dates from article text, for articles whose page gave no publication date.

Indonesian news states the event day in a fixed style: "Senin (1/9/2025)", or without the
year, "Kamis (6/7)". A weekday plus day/month pins the year: among the years up to the
reference date (the URL's date, publication, first sighting, or today), only some put 1
September on a Monday, and the most recent such year is the reporter's. Full dates written
out ("1 September 2025", "6/7/2023") come from nlp/dates.py. A URL path like
/2019/08/19/ is a date too, and the best reference for year-less forms.

Preference, because the first date on a page is often the page's own furniture (a byline
timestamp) while the "Weekday (d/m)" form is the event: the first weekday form (year written,
or inferred from other years in the text, else from the reference) > a written-out date >
"(d/m/yyyy)" > a written date with a clock time (the byline). A bare "(d/m)" is ignored (a
fraction or a score as often as a date). Dates after the reference (+2 days) are
announcements, not events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from nlp.dates import find_text_dates, weekday_numbers

SCAN_CHARS = 4000  # the event date is stated in the lead; later dates are background
FUTURE_SLACK = timedelta(days=2)
MAX_YEARS_BACK = 40


@dataclass(frozen=True)
class TextDate:
    """A date found in text: the day, the words it came from, and how sure the form is."""

    day: date
    evidence: str
    rank: int  # lower is better (see module docstring)
    start: int


def _weekdays() -> dict[str, int]:
    return weekday_numbers()


@lru_cache(maxsize=1)
def _paren() -> re.Pattern[str]:
    wd = "|".join(re.escape(w) for w in sorted(_weekdays(), key=len, reverse=True))
    return re.compile(
        rf"(?:(?<!\w)(?P<wd>{wd})\s*,?\s*)?\(\s*(?P<d>\d{{1,2}})\s*/\s*(?P<m>\d{{1,2}})"
        rf"(?:\s*/\s*(?P<y>\d{{4}}|\d{{2}}))?\s*(?:\)|(?=\s))",
        re.I,
    )


_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])(?:/(0?[1-9]|[12]\d|3[01]))?(?=/|$)")


def url_date(url: str | None) -> tuple[date | None, date | None]:
    """(the day a URL path names, the last day it allows): /2020/06/21/ or /2019/08/."""
    if not url:
        return None, None
    m = _URL_DATE.search(url)
    if not m:
        return None, None
    y, mo = int(m.group(1)), int(m.group(2))
    if m.group(3):
        try:
            d = date(y, mo, int(m.group(3)))
        except ValueError:
            return None, None
        return d, d
    nxt = date(y + (mo == 12), mo % 12 + 1, 1)
    return None, nxt - timedelta(days=1)


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _infer_year(d: int, m: int, weekday: int | None, reference: date) -> date | None:
    """The latest day d/m not after reference (+slack) whose weekday matches (if given)."""
    limit = reference + FUTURE_SLACK
    for year in range(limit.year, limit.year - MAX_YEARS_BACK, -1):
        cand = _day(year, m, d)
        if cand is None or cand > limit:
            continue
        if weekday is None or cand.isoweekday() == weekday:
            return cand
    return None


def find_event_dates(text: str, reference: date) -> list[TextDate]:
    """Every date the text gives for events, best first (rank, then position)."""
    text = text[:SCAN_CHARS]
    limit = reference + FUTURE_SLACK
    found: list[TextDate] = []
    taken: list[tuple[int, int]] = []
    pending: list[tuple[int, int, int, str, int]] = []  # year-less weekday forms
    for m in _paren().finditer(text):
        taken.append(m.span())
        wd = _weekdays().get(m.group("wd").lower()) if m.group("wd") else None
        d, mo, y = int(m.group("d")), int(m.group("m")), m.group("y")
        if y:
            day = _day(int(y) + (2000 if len(y) == 2 else 0), mo, d)
            if day is not None and day <= limit:
                found.append(TextDate(day, m.group(0).strip(), 0 if wd else 3, m.start()))
        elif wd:
            pending.append((d, mo, wd, m.group(0).strip(), m.start()))
        # a bare "(1/2)" is as likely a fraction or a score as a date: ignored
    ref = datetime.combine(reference, datetime.min.time())
    for dt, s, e in find_text_dates(text, reference=ref):
        if any(s < te and ts < e for ts, te in taken) or dt.date() > limit:
            continue
        # a written date with a clock time is the page's own timestamp (byline), not the event
        rank = 5 if (dt.hour or dt.minute) else 2
        found.append(TextDate(dt.date(), text[s:e].strip(), rank, s))
    # Years written elsewhere in the text anchor the year-less forms ("Sabtu (17/8/2019)" ...
    # "Senin (19/8)"), before the reference date does.
    anchors = sorted({t.day.year for t in found})
    for d, mo, wd, ev, start in pending:
        day = _anchored(d, mo, wd, anchors, limit) or _infer_year(d, mo, wd, reference)
        if day is not None:
            found.append(TextDate(day, ev, 0, start))
    found.sort(key=lambda t: (t.rank, t.start))
    return found


def _anchored(d: int, m: int, weekday: int, anchors: list[int], limit: date) -> date | None:
    for year in anchors:
        for y in (year, year - 1, year + 1):
            cand = _day(y, m, d)
            if cand is not None and cand <= limit and cand.isoweekday() == weekday:
                return cand
    return None


def text_event_date(
    title: str | None, body: str | None, *, url: str | None = None, reference: date | None = None
) -> TextDate | None:
    """The event date an article's text gives, or None.

    ``reference`` bounds the search (no event after it); a date in the URL tightens it,
    because a page cannot report what happened after its own URL was made.
    """
    url_day, url_limit = url_date(url)
    ref = reference or date.today()
    if url_limit is not None and url_limit < ref:
        ref = url_limit
    text = f"{title or ''}\n{body or ''}"
    dates = find_event_dates(text, ref)
    return dates[0] if dates else None


def event_date(
    *,
    title: str | None,
    body: str | None,
    url: str | None,
    published: date | None,
    first_seen: date | None,
    crawled: bool,
    today: date | None = None,
) -> tuple[date | None, str, str | None]:
    """(event date, source, evidence) in the order article_dates documents.

    publication > a date the text gives > a full date in the URL > first sighting by our
    own crawler (an import's first sighting is the import day, which says nothing) > none.
    """
    if published is not None:
        return published, "published", None
    ref = (first_seen if crawled else None) or today or date.today()
    found = text_event_date(title, body, url=url, reference=ref)
    if found is not None:
        return found.day, "text", found.evidence
    url_day, _ = url_date(url)
    if url_day is not None:
        return url_day, "url", url
    if crawled and first_seen is not None:
        return first_seen, "first_seen", None
    return None, "none", None
