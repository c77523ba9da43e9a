"""Date parsing: ISO and Indonesian forms, always time-zone aware."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from nlp.dates import find_text_dates, parse_date

WIB, WITA, WIT = (timezone(timedelta(hours=h)) for h in (7, 8, 9))
REF = datetime(2023, 7, 10, 12, 0, tzinfo=WIB)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2025-09-02T14:40:00+08:00", "WIB", datetime(2025, 9, 2, 14, 40, tzinfo=WITA)),
        ("2025-09-02T06:40:00Z", "WIT", datetime(2025, 9, 2, 6, 40, tzinfo=UTC)),
        ("2025-09-02T14:40:00", "WIT", datetime(2025, 9, 2, 14, 40, tzinfo=WIT)),
        ("2025-09-02 14:40", "WITA", datetime(2025, 9, 2, 14, 40, tzinfo=WITA)),
        ("2025-09-02", "WIB", datetime(2025, 9, 2, tzinfo=WIB)),
        ("Senin, 2 September 2025 14:40 WITA", "WIB", datetime(2025, 9, 2, 14, 40, tzinfo=WITA)),
        ("2 Sep 2025 | 14.40 WIB", "WIT", datetime(2025, 9, 2, 14, 40, tzinfo=WIB)),
        ("Kamis (6/7/2023)", "WIB", datetime(2023, 7, 6, tzinfo=WIB)),
        ("Kamis, 06 Juli 2023 - 10:15", "WITA", datetime(2023, 7, 6, 10, 15, tzinfo=WITA)),
        ("6/7/2023 10:15", "WIB", datetime(2023, 7, 6, 10, 15, tzinfo=WIB)),
        ("Rabu, 12 Agt 2020", "WIB", datetime(2020, 8, 12, tzinfo=WIB)),
        ("Jumat, 5 Des 2024 pukul 09.00 WIT", "WIB", datetime(2024, 12, 5, 9, 0, tzinfo=WIT)),
        ("Diperbarui 1 Okt 2024, 07:05", "WITA", datetime(2024, 10, 1, 7, 5, tzinfo=WITA)),
        ("Tue, 02 Sep 2025 14:40:00 +0800", "WIB", datetime(2025, 9, 2, 14, 40, tzinfo=WITA)),
        ("2 Sep 2025 07:40 GMT", "WIT", datetime(2025, 9, 2, 7, 40, tzinfo=UTC)),
    ],
)
def test_forms(text, tz, expected):
    got = parse_date(text, tz, REF)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


def test_year_inferred_from_reference():
    assert parse_date("(6/7)", "WIB", REF) == datetime(2023, 7, 6, tzinfo=WIB)
    assert parse_date("Kamis (6/7)", "WIB", REF) == datetime(2023, 7, 6, tzinfo=WIB)
    # tomorrow is still this year (reference + 1 day), later days are last year
    assert parse_date("(11/7)", "WIB", REF).year == 2023
    assert parse_date("(20/7)", "WIB", REF).year == 2022
    assert parse_date("(31/12)", "WIB", REF) == datetime(2022, 12, 31, tzinfo=WIB)
    # 29 February goes back to the last leap year
    assert parse_date("(29/2)", "WIB", REF) == datetime(2020, 2, 29, tzinfo=WIB)


@pytest.mark.parametrize(
    "text", ["32/13/2023", "31/2/2023", "2023-13-40", "", "besok pagi", "(45/7)"]
)
def test_impossible_or_missing_dates_are_none(text):
    assert parse_date(text, "WIB", REF) is None


def test_find_text_dates_offsets():
    text = "Warga berkumpul Kamis (6/7/2023) lalu bubar pada Senin, 10 Juli 2023 pukul 09.00 WIT."
    found = find_text_dates(text, "WITA", REF)
    assert [d for d, _, _ in found] == [
        datetime(2023, 7, 6, tzinfo=WITA),
        datetime(2023, 7, 10, 9, 0, tzinfo=WIT),
    ]
    for _, start, end in found:
        assert text[start:end].split()[0] in ("Kamis", "Senin,")
    assert find_text_dates("Tidak ada tanggal di sini.", "WIB", REF) == []


def test_outlet_date_formats_are_tried_first():
    """An outlet's own strptime formats (registry `date_formats`), in the outlet's zone."""
    assert parse_date("06/07/2023 10:15", "WITA", formats=("%m/%d/%Y %H:%M",)) == datetime(
        2023, 6, 7, 10, 15, tzinfo=WITA
    )
    assert parse_date("06/07/2023 10:15", "WITA") == datetime(2023, 7, 6, 10, 15, tzinfo=WITA)
    assert parse_date("2 Sep 2025", "WIB", formats=("%d/%m/%Y",)) == datetime(
        2025, 9, 2, tzinfo=WIB
    )
