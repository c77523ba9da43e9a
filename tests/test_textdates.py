"""Event dates from text (nlp.textdates) on sentences written for these tests."""

from __future__ import annotations

from datetime import date

from nlp.textdates import event_date, find_event_dates, text_event_date, url_date


def test_weekday_pins_the_year_of_a_short_date() -> None:
    # 1 September fell on a Monday in 2025 and 2014; the latest before the reference wins
    got = text_event_date("", "Massa berkumpul di depan kantor bupati, Senin (1/9).",
                          reference=date(2026, 11, 28))  # fmt: skip
    assert got is not None and got.day == date(2025, 9, 1) and got.evidence == "Senin (1/9)"
    # the same words read before September 2025 belong to 2014
    got = text_event_date("", "Massa berkumpul, Senin (1/9).", reference=date(2025, 6, 1))
    assert got is not None and got.day == date(2014, 9, 1)


def test_full_numeric_and_month_name_dates() -> None:
    got = text_event_date("", "Rapat digelar Kamis (6/7/2023) di aula kantor camat.")
    assert got is not None and got.day == date(2023, 7, 6)
    got = text_event_date("", "Bentrokan terjadi pada 1 September 2025 sekitar tengah malam.")
    assert got is not None and got.day == date(2025, 9, 1)
    got = text_event_date("", "Serangan itu terjadi Sabtu (20/6/20) pagi.")
    assert got is not None and got.day == date(2020, 6, 20)


def test_weekday_form_beats_the_byline_timestamp() -> None:
    text = (
        "Penulis: Rina · Minggu 21 Juni 2020 03:00 WIB\n"
        "Rumah warga dibakar massa pada Sabtu (20/6/2020) pagi."
    )
    got = text_event_date("", text, reference=date(2026, 1, 1))
    assert got is not None and got.day == date(2020, 6, 20)
    # with no weekday form, a written date without a clock time beats the timestamp
    text = "Diperbarui 10 Mei 2020 - 11:38\nFestival dibuka malam ini 7 Desember 2019."
    assert text_event_date("", text).day == date(2019, 12, 7)


def test_year_written_elsewhere_anchors_the_short_form() -> None:
    text = (
        "Kerusuhan meluas pada Senin (19/8). Aksi itu dipicu penangkapan mahasiswa pada "
        "Sabtu (17/8/2019) di kota lain."
    )
    dates = find_event_dates(text, date(2026, 11, 28))
    assert dates[0].day == date(2019, 8, 19)  # not 2024, the latest Monday 19 August


def test_url_dates_bound_and_date() -> None:
    assert url_date("https://contoh.id/2019/08/19/massa-lempar-batu/") == (
        date(2019, 8, 19),
        date(2019, 8, 19),
    )
    assert url_date("https://contoh.id/2020/06/kantor-desa-dibakar.html") == (
        None,
        date(2020, 6, 30),
    )
    assert url_date("https://contoh.id/berita/123") == (None, None)
    # the URL's month bounds the year of a short form: not 2025, but 2020
    got = text_event_date("", "Kejadian Sabtu (20/6) pagi.",
                          url="https://contoh.id/2020/06/kejadian.html")  # fmt: skip
    assert got is not None and got.day == date(2020, 6, 20)


def test_noise_is_not_a_date() -> None:
    assert text_event_date("", "Skor akhir (2/1) untuk tuan rumah.") is None
    assert text_event_date("", "Setengah (1/2) anggaran belum cair.") is None
    assert text_event_date("", "Tidak ada tanggal di sini.") is None
    # an announced date after the reference is a plan, not the event
    got = text_event_date("", "Pemungutan suara ulang digelar 30 Desember 2026.",
                          reference=date(2026, 11, 1))  # fmt: skip
    assert got is None


def test_event_date_order_of_sources() -> None:
    common = {"title": "Bentrok", "url": "https://contoh.id/2024/03/05/bentrok/"}
    text = "Bentrok pecah Senin (4/3)."
    assert event_date(body=text, published=date(2024, 3, 5), first_seen=None, crawled=True,
                      **common) == (date(2024, 3, 5), "published", None)  # fmt: skip
    assert event_date(body=text, published=None, first_seen=None, crawled=False,
                      **common) == (date(2024, 3, 4), "text", "Senin (4/3)")  # fmt: skip
    assert event_date(body="Tanpa tanggal.", published=None, first_seen=None, crawled=False,
                      **common)[:2] == (date(2024, 3, 5), "url")  # fmt: skip
    no_url = {"title": "x", "url": "https://contoh.id/x"}
    assert event_date(body="Tanpa tanggal.", published=None, first_seen=date(2024, 3, 6),
                      crawled=True, **no_url)[:2] == (date(2024, 3, 6), "first_seen")  # fmt: skip
    # an import's first sighting is the import day: it dates nothing
    assert event_date(body="Tanpa tanggal.", published=None, first_seen=date(2024, 3, 6),
                      crawled=False, **no_url) == (None, "none", None)  # fmt: skip
