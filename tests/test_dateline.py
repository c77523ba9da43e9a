"""The one dateline detector (nlp/dateline.py): every form seen on real pages, written here in
our own words with the real shapes (issue 18), and the outlet names from the registry."""

from __future__ import annotations

import re

import pytest

from crawler.registry import outlet_lexicon
from nlp.dateline import find_dateline, is_tagline, match_line, prefix_segments
from nlp.outlets import NO_OUTLETS

OUTLETS = outlet_lexicon()


@pytest.mark.parametrize(
    ("text", "place", "outlet"),
    [
        ("BALIKPAPAN.NIAGA.ASIA – Kondisi wilayah aman.", "BALIKPAPAN", "NIAGA.ASIA"),
        ("SAMARINDA, KOMPAS.com - Polisi menangkap dua orang.", "SAMARINDA", "KOMPAS.com"),
        ("metroikn, SAMARINDA – Hujan deras turun.", "SAMARINDA", "metroikn"),
        ("TRIBUNKALTIM.CO, SAMARINDA - Banjir melanda.", "SAMARINDA", "TRIBUNKALTIM.CO"),
        ("JAYAPURA, Jubi – Warga menolak rencana itu.", "JAYAPURA", "Jubi"),
        ("Ambon (ANTARA) - Ratusan warga mengungsi.", "Ambon", "ANTARA"),
        ("Jakarta (ANTARA News) - Pemerintah menyiapkan bantuan.", "Jakarta", "ANTARA News"),
        ("Mataram, NTB (ANTARA News) - Warga berkumpul di alun-alun.", "Mataram", "ANTARA News"),
        ("KalbarOnline, Pontianak – Hujan deras mengguyur kota.", "Pontianak", "KalbarOnline"),
        ("BANDA ACEH - Seorang warga terluka.", "BANDA ACEH", None),
        ("KUTAI KARTANEGARA (ANTARA) - Jalan putus.", "KUTAI KARTANEGARA", "ANTARA"),
        ("TANJUNG REDEB (12/3) - Rapat digelar.", "TANJUNG REDEB", None),
        ("TIMES SAMARINDA, SAMARINDA – Warga berkumpul.", "SAMARINDA", "TIMES SAMARINDA"),
        ("contoh.com - BANDUNG - Panitia bersiap.", "BANDUNG", "contoh.com"),
        ("Tarakan, berita.id - Panitia bersiap.", "Tarakan", "berita.id"),
        ("NUNUKAN: Panitia bersiap sejak pagi.", "NUNUKAN", None),
        ("AMBON, Siwalimanews – Warga antre minyak tanah.", "AMBON", "Siwalimanews"),
        ("KBR, Balikpapan - Warga antre minyak.", "Balikpapan", "KBR"),
        ("Manokwari, Contoh News -- Ratusan warga hadir.", "Manokwari", "Contoh News"),
    ],
)
def test_forms(text, place, outlet):
    found = find_dateline(text, OUTLETS)
    assert found is not None
    assert (found.place, found.outlet) == (place, outlet)
    assert text[found.place_start : found.place_end] == place
    assert found.start == 0
    assert text[found.end :].lstrip(" -–—:")[0].isupper()


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        ("TRIBUNKALTIM.CO - Warga berkumpul di depan kantor wali kota.", "TRIBUNKALTIM.CO"),
        ("SERAMBINEWS.COM – Hujan deras sejak pagi.", "SERAMBINEWS.COM"),
    ],
)
def test_outlet_only_opener_is_a_dateline_without_place(text, outlet):
    found = find_dateline(text, OUTLETS)
    assert found is not None and found.place is None and found.outlet == outlet
    assert text[found.end :].lstrip(" -–—").startswith(("Warga", "Hujan"))
    assert find_dateline(text) is not None  # a domain needs no lexicon


def test_jubi_tagline_line_before_the_dateline_is_skipped():
    text = (
        "Warga Tolak Rencana Tambang\nPapua No. 1 News Portal | Jubi\n"
        "Jayapura, Jubi – Warga adat menolak rencana itu."
    )
    assert is_tagline("Papua No. 1 News Portal | Jubi")
    assert not is_tagline("Jayapura, Jubi – Warga adat menolak rencana itu.")
    found = find_dateline(text, OUTLETS)
    assert found.place == "Jayapura" and found.outlet == "Jubi"
    assert text[found.start : found.end] == "Jayapura, Jubi –"


def test_outlet_names_come_from_the_caller():
    # 'KBR' is a generic outlet word in the data file; an outlet's own name needs the lexicon
    text = "RADARKU SAMARINDA, SAMARINDA – Warga berkumpul."
    assert find_dateline(text, NO_OUTLETS) is None
    assert "KalbarOnline" in OUTLETS.dateline_names  # from crawler/outlets.toml
    assert "KOMPAS.com" in OUTLETS.dateline_names  # from crawler/data/known_outlets.toml


def test_outlet_pattern_from_the_registry_is_tried_first():
    own = re.compile(r"^\s*(?P<place>[A-Z]+)\s*//\s*CONTOH\s*[–-]\s*")
    found = match_line("SORONG // CONTOH – Warga berkumpul.", 0, OUTLETS, (own,))
    assert found.place == "SORONG" and found.form == "outlet pattern"
    assert match_line("SORONG // CONTOH – Warga berkumpul.", 0, OUTLETS) is None


@pytest.mark.parametrize(
    "text",
    [
        "Warga berunjuk rasa di depan kantor bupati.",
        "PEMILU 2024\nKeamanan dijaga ketat.",
        "Jakarta - Bandung",  # a short 'X - Y' line is a title
    ],
)
def test_no_dateline(text):
    assert find_dateline(text, OUTLETS) is None


def test_loose_prefix_segments_for_a_gazetteer():
    line = "Kota Ambon, Maluku | Suara - Ratusan warga mengungsi ke gedung gereja sejak Senin pagi."
    segs = [line[a:b] for a, b in prefix_segments(line)]
    assert segs[:3] == ["Kota Ambon", "Maluku", "Suara"]
    assert list(prefix_segments("Ambon - Warga")) == []  # short lines are captions or titles
