"""Tokenizer special cases, sentence boundaries and datelines for Indonesian news text."""

from __future__ import annotations

import pytest

from nlp.dateline import find_dateline
from nlp.outlets import OutletLexicon, configure
from nlp.text import make_base_nlp


@pytest.fixture(scope="module")
def nlp():
    return make_base_nlp()


def sents(nlp, text: str) -> list[str]:
    return [s.text.strip() for s in nlp(text).sents if s.text.strip()]


@pytest.mark.parametrize(
    "abbr",
    ["Kab.", "Kec.", "Kel.", "Jl.", "Prov.", "Dr.", "Ir.", "H.", "Hj.", "No.", "dll.", "dsb.",
     "a.n.", "S.H.", "M.Si.", "Pol."],
)  # fmt: skip
def test_abbreviations_are_single_tokens(nlp, abbr):
    doc = nlp(f"Rapat itu dihadiri {abbr} Sulaiman kemarin.")
    assert abbr in [t.text for t in doc]


def test_numbers_and_codes_stay_whole(nlp):
    words = [t.text for t in nlp("Sebanyak 2.000 warga, naik 1,5 persen, kode 64.71 pukul 10.00.")]
    assert {"2.000", "1,5", "64.71", "10.00"} <= set(words)


def test_no_split_after_abbreviations_and_initials(nlp):
    text = (
        "Camat tiba di Kec. Sungai Kunjang, Kab. Kutai Kartanegara bersama Dr. H. Andi "
        "Wijaya, S.H., M.Si. dan M. Yusuf di Jl. Pahlawan No. 12 pada pukul 09.30 WITA."
    )
    assert sents(nlp, text) == [text]


def test_title_chain_is_one_unit(nlp):
    text = "Kapolres Samarinda Kombes Pol. Ary Fadli memimpin apel pagi itu. Semua anggota hadir."
    out = sents(nlp, text)
    assert out[0].startswith("Kapolres Samarinda Kombes Pol. Ary Fadli memimpin")
    assert len(out) == 2


def test_splits_on_punctuation_quotes_and_newlines(nlp):
    text = (
        "Judul Berita Banjir di Sangatta\nSANGATTA - Air naik sejak subuh. Warga mengungsi! "
        "“Kami butuh perahu,” kata Rina. “Tolong segera.” Bantuan tiba sore hari.\n"
        "Penulis: Dewi | Editor: Bayu"
    )
    assert sents(nlp, text) == [
        "Judul Berita Banjir di Sangatta",
        "SANGATTA - Air naik sejak subuh.",
        "Warga mengungsi!",
        "“Kami butuh perahu,” kata Rina.",
        "“Tolong segera.”",
        "Bantuan tiba sore hari.",
        "Penulis: Dewi | Editor: Bayu",
    ]


def test_etc_abbreviation_can_end_sentence(nlp):
    out = sents(nlp, "Harga beras, gula, dll. Pedagang mengeluh. Contoh lain dll. yang serupa.")
    assert out == ["Harga beras, gula, dll.", "Pedagang mengeluh.", "Contoh lain dll. yang serupa."]


def test_hard_wrapped_line_is_not_a_boundary(nlp):
    out = sents(nlp, "Kapolda Kaltara, Budi\nmengatakan situasi aman.\nWarga tenang.")
    assert out == ["Kapolda Kaltara, Budi\nmengatakan situasi aman.", "Warga tenang."]


def test_lowercase_after_period_does_not_split(nlp):
    assert len(sents(nlp, "Ia datang ke kantor kab. lalu pulang.")) == 1


def test_dateline_after_title_line_and_on_doc(nlp):
    """doc._.dateline is nlp.dateline's finding (forms are tested in test_dateline.py)."""
    text = "Warga Tolak Tambang Baru\nSAMARINDA, KOMPAS.com - Ratusan warga berunjuk rasa."
    found = find_dateline(text)
    assert found.place == "SAMARINDA"
    assert text[found.start : found.end] == "SAMARINDA, KOMPAS.com -"
    assert nlp(text)._.dateline == found.as_dict()


def test_sentences_component_uses_the_outlets_it_is_given(nlp):
    text = "Judul\nTIMESKU SAMARINDA, SAMARINDA – Warga berkumpul di halaman kantor camat."
    assert nlp(text)._.dateline is None  # no outlet known: neither part is a plain place
    given = make_base_nlp()
    configure(given, OutletLexicon(dateline_names=("TIMESKU",)))
    assert given(text)._.dateline["place"] == "SAMARINDA"


def test_no_dateline(nlp):
    assert nlp("Tidak ada dateline di sini.")._.dateline is None
