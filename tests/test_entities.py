"""Institution rules, title + name persons, bylines and actor classes (nlp/entities.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.entities import ACTOR_CLASSES, DEFAULT_NER_MODEL, add_entity_pipes, load_lexicon
from nlp.text import make_base_nlp

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SEED = SHARED / "data" / "seed" / "niaga-asia-rakor-forkopimda-pemilu-2024"


@pytest.fixture(scope="module")
def rules_nlp():
    """Rules only (no statistical model), so these tests pin the rules' own behaviour."""
    nlp = make_base_nlp()
    nlp.add_pipe("suar_entity_rules")
    nlp.add_pipe("suar_actors")
    return nlp


@pytest.fixture(scope="module")
def full_nlp():
    if not DEFAULT_NER_MODEL.exists():
        pytest.skip("trained NER model not present")
    return add_entity_pipes(make_base_nlp())


def ents(doc) -> dict[str, tuple[str, str | None, str | None]]:
    return {e.text: (e.label_, e._.actor_class, e._.role) for e in doc.ents}


def test_lexicon_classes_are_taxonomy_classes():
    lex = load_lexicon()
    classes = {
        v.actor_class for bucket in lex.institutions.by_first.values() for _, v in bucket
    } | {v.actor_class for bucket in lex.titles.by_first.values() for _, v in bucket}
    assert classes - {None, "inherit"} <= set(ACTOR_CLASSES)


@pytest.mark.parametrize(
    ("text", "span", "actor_class"),
    [
        ("Personel Polda Kaltim berjaga di sana.", "Polda Kaltim", "security"),
        ("Anggota Polresta Samarinda berpatroli.", "Polresta Samarinda", "security"),
        ("Prajurit Kodam IV/Mulawarman ikut membantu.", "Kodam IV/Mulawarman", "security"),
        ("Pasukan dari Korem 091/ASN tiba.", "Korem 091/ASN", "security"),
        ("Markas Kodim 0901/Samarinda dijaga.", "Kodim 0901/Samarinda", "security"),
        ("Tim Densus 88 menangkap terduga.", "Densus 88", "security"),
        ("Petugas Satpol PP membongkar lapak.", "Satpol PP", "security"),
        ("Laporan masuk ke Bawaslu Kaltim kemarin.", "Bawaslu Kaltim", "election_body"),
        ("Data dari Komisi Pemilihan Umum Kaltim berubah.", "Komisi Pemilihan Umum Kaltim",
         "election_body"),
        ("Rapat di DPRD Kota Samarinda memanas.", "DPRD Kota Samarinda", "legislature"),
        ("Surat dari Pemkab Kutai Timur belum dibalas.", "Pemkab Kutai Timur", "government"),
        ("Kasus itu ditangani Kejari Balikpapan.", "Kejari Balikpapan", "judiciary"),
        ("Kader PDI-P dan Gerindra bertemu.", "PDI-P", "party"),
        ("Serangan KKB melukai dua orang.", "KKB", "armed_group"),
        ("Tambang milik PT Bara Sejahtera Abadi disegel.", "PT Bara Sejahtera Abadi", "company"),
        ("Mahasiswa dari BEM Universitas Mulawarman berorasi.", "BEM Universitas Mulawarman",
         "civil_society"),
    ],
)  # fmt: skip
def test_institutions(rules_nlp, text, span, actor_class):
    found = ents(rules_nlp(text))
    assert found.get(span) == ("ORG", actor_class, None)


def test_title_and_name(rules_nlp):
    doc = rules_nlp(
        "Gubernur Kaltara Rahmat Hidayat meninjau lokasi bersama Kapolres Bontang "
        "AKBP Dedi Kurnia dan Ketua Bawaslu Kaltim Sri Wulandari."
    )
    found = ents(doc)
    assert found["Rahmat Hidayat"] == ("PER", "government", "Gubernur Kaltara")
    assert found["Dedi Kurnia"] == ("PER", "security", "Kapolres Bontang AKBP")
    assert found["Sri Wulandari"] == ("PER", "election_body", "Ketua Bawaslu Kaltim")
    assert found["Bawaslu Kaltim"][:2] == ("ORG", "election_body")
    assert "Gubernur Kaltara Rahmat Hidayat" not in found


def test_office_without_name_is_an_institution(rules_nlp):
    found = ents(rules_nlp("Berkas perkara sudah diserahkan ke Kajati Kaltara pekan lalu."))
    assert found["Kajati Kaltara"] == ("ORG", "judiciary", None)


def test_candidate_and_party_posts(rules_nlp):
    found = ents(rules_nlp("Caleg Partai Hanura Joko Susilo dan Ketua DPD Golkar Maya Sari hadir."))
    assert found["Joko Susilo"][1] == "candidate"
    assert found["Maya Sari"][1] == "party"


def test_weak_context_does_not_guess_names(rules_nlp):
    # no place or institution after the title, a lower-case descriptor, a headline:
    # without the statistical model's PER these are not persons
    doc = rules_nlp(
        "Menteri Pertahanan meninjau lokasi. Petani Tulangbawang mengadu ke dewan.\n"
        "Gubernur Kaltara Hadiri Acara Penyerahan Bantuan"
    )
    assert not [e for e in doc.ents if e.label_ == "PER"]
    doc = rules_nlp("Seorang warga bernama Yohanes Kareth terluka dalam kejadian itu.")
    assert ents(doc)["Yohanes Kareth"][:2] == ("PER", "community")


def test_short_mention_inherits_class(rules_nlp):
    doc = rules_nlp("Bupati Paser Fahmi Fadli membuka acara. Menurut Fahmi, situasi aman.")
    short = [e for e in doc.ents if e.text == "Fahmi"]
    assert short and short[0]._.actor_class == "government"


def test_bylines_are_not_actors(rules_nlp):
    doc = rules_nlp("Warga menolak tambang itu.\nPenulis: Rudi Hartono | Editor: Sinta")
    byline = {e.text: e for e in doc.ents if e._.is_byline}
    assert set(byline) == {"Rudi Hartono", "Sinta"}
    assert all(e.label_ == "PER" and e._.actor_class is None for e in byline.values())
    assert byline["Rudi Hartono"]._.role == "Penulis"


def test_full_pipeline_merges_model_and_rules(full_nlp):
    doc = full_nlp(
        "Kapolres Samarinda Kombes Pol Ary Fadli mengatakan massa membubarkan diri setelah "
        "bertemu Wali Kota Samarinda Andi Harun di halaman kantor DPRD Kaltim."
    )
    found = ents(doc)
    assert found["Ary Fadli"] == ("PER", "security", "Kapolres Samarinda Kombes Pol")
    assert found["Andi Harun"][:2] == ("PER", "government")
    assert found["DPRD Kaltim"][:2] == ("ORG", "legislature")


def test_seed_article(full_nlp):
    if not SEED.with_suffix(".txt").exists():
        pytest.skip("shared seed article not available")
    gold = json.loads(SEED.with_suffix(".gold.json").read_text())
    doc = full_nlp(SEED.with_suffix(".txt").read_text())
    got: dict[str, list] = {}
    for e in doc.ents:
        got.setdefault(e.text, []).append(e)
    for g in gold["entities"]:
        assert g["text"] in got, g["text"]
        spans = got[g["text"]]
        assert all(s.label_ == g["label"] for s in spans), g["text"]
        if "byline" in g.get("role", ""):
            assert all(s._.is_byline and s._.actor_class is None for s in spans)
        else:
            assert all(s._.actor_class == g["actor_class"] for s in spans), g["text"]
            assert not any(s._.is_byline for s in spans)
        if g["label"] == "PER" and "role" in g and "byline" not in g["role"]:
            assert spans[0]._.role == g["role"]
