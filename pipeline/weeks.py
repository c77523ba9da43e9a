"""Suar's calendar: weeks run Monday to Sunday in Jakarta time (WIB, UTC+7, no DST).

One place, because three clocks disagreed: the analytics views bucket articles into WIB weeks
(``sql/macros.sql``), so the digest's "last complete week" and the nightly's "is today the
digest weekday" must ask the same calendar, not the UTC date or the machine's local date. A
nightly at Monday 02:30 WIB is still Sunday 19:30 UTC; only in WIB has the week just ended.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

JAKARTA = timezone(timedelta(hours=7), "WIB")


def wib_date(now: datetime | None = None) -> date:
    """The date in Jakarta at ``now`` (default: the clock); a naive ``now`` is local time."""
    return (now or datetime.now(UTC)).astimezone(JAKARTA).date()


def week_monday(day: date) -> date:
    """The Monday of the ISO week ``day`` falls in."""
    return day - timedelta(days=day.weekday())


def current_week(now: datetime | None = None) -> date:
    """The Monday of the ISO week that ``now`` (default: the clock) is in, in WIB."""
    return week_monday(wib_date(now))
