"""Region linking (nlp/regions.py): official gazetteer, aliases, hard cases, primary region.

The example sentences are written for these tests; the seed article and news-dev metrics
come from ../shared and skip when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from crawler.registry import outlet_lexicon
from nlp.evaluate import evaluate_regions, mention_codes
from nlp.outlets import configure
from nlp.regions import (
    build_gazetteer,
    link_regions,
    load_regions,
    outlet_province,
)

# what the registry tells the NLP about outlets (names that are not places, domains)
OUTLETS = outlet_lexicon()


def codes(text: str, outlet: str | None = None) -> list[str]:
    """Codes of the mentions, in text order (title line left empty)."""
    mentions, _ = link_regions("\n" + text, outlet, outlets=OUTLETS)
    return [m["code"] for m in mentions]


def primary(title: str, body: str, outlet: str | None = None) -> str | None:
    _, found = link_regions(title + "\n" + body, outlet, outlets=OUTLETS)
    return found["code"] if found else None


# --------------------------------------------------------------------------- official data


def test_gazetteer_holds_the_whole_kemendagri_list():
    gaz = build_gazetteer()
    assert gaz.sizes == {"province": 38, "regency": 514, "district": 7285, "village": 83762}
    assert gaz.units["64.71"].name == "Kota Balikpapan"
    assert gaz.units["95"].name == "Papua Pegunungan"


def test_load_regions_rows_for_the_reference_table():
    rows = load_regions()
    assert len(rows) == 38 + 514 + 7285 + 83762
    by_code = {r["code"]: r for r in rows}
    assert by_code["64"] == {
        "code": "64",
        "name": "Kalimantan Timur",
        "level": "province",
        "parent_code": None,
        "province_code": "64",
    }
    assert by_code["64.71"]["level"] == "regency"
    assert by_code["64.71"]["parent_code"] == "64"
    assert by_code["64.71.01"]["level"] == "district"
    village = by_code["64.71.01.1001"]
    assert village["level"] == "village"
    assert village["parent_code"] == "64.71.01"
    assert village["province_code"] == "64"


# --------------------------------------------------------------------------- aliases


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hujan deras turun di Kaltim sejak pagi.", "64"),
        ("Pasokan beras ke Kaltara tersendat.", "65"),
        ("Harga sawit di Kalbar naik lagi.", "61"),
        ("Petani di Sulsel mulai panen.", "73"),
        ("Nelayan di NTT libur melaut.", "53"),
        ("Wisatawan memadati DIY saat libur panjang.", "34"),
        ("Macet parah di DKI Jakarta pagi ini.", "31"),
        ("Kepri menambah kapal patroli.", "21"),
        ("Banjir di Palangka Raya belum surut.", "62.71"),
        ("Banjir di Palangkaraya belum surut.", "62.71"),
        ("Gempa mengguncang Tojo Una-Una pagi tadi.", "72.09"),
        ("Warga Kukar menanam padi.", "64.02"),
    ],
)
def test_abbreviations_and_spelling_variants(text: str, code: str):
    assert codes(text) == [code]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Listrik padam di Sampit semalaman.", "62.02"),
        ("Pesawat perintis mendarat di Timika.", "94.04"),
        ("Harga bensin di Wamena melonjak.", "95.01"),
        ("Jalan poros ke Sangatta rusak berat.", "64.08"),
        ("Pelabuhan Tanjung Selor ramai penumpang.", "65.01"),
    ],
)
def test_towns_count_as_their_regency(text: str, code: str):
    mentions, _ = link_regions("\n" + text, outlets=OUTLETS)
    assert [m["code"] for m in mentions] == [code]
    assert mentions[0]["level"] == "regency"


def test_ikn_is_evidence_for_kaltim_but_not_a_unit_mention():
    mentions, found = link_regions(
        "\nPekerja proyek di IKN berunjuk rasa menuntut upah.", outlets=OUTLETS
    )
    assert mentions == []
    assert found is not None and found["code"] == "64"


# --------------------------------------------------------------------------- hard cases


def test_kota_and_kabupaten_of_the_same_name():
    assert codes("Wali Kota Bima meresmikan pasar.") == ["52.72"]
    assert codes("Pemkab Bima membagikan bibit jagung.") == ["52.06"]
    assert codes("Kab. Bima dilanda kekeringan.") == ["52.06"]
    assert codes("Bupati Kupang dan Wali Kota Kupang bertemu.") == ["53.01", "53.71"]
    # a bare name follows the unit the article names with a cue ...
    assert codes("Kabupaten Bima menambah sumur bor. Warga Bima menyambut baik.") == [
        "52.06",
        "52.06",
    ]
    # ... and otherwise defaults to the kota
    assert codes("Warga Bima menyambut baik sumur bor baru.") == ["52.72"]


def test_provinsi_cue_makes_a_province():
    assert codes("Pemerintah Provinsi Gorontalo menambah anggaran.") == ["75"]
    assert codes("Kabupaten Gorontalo menambah anggaran.") == ["75.01"]
    assert codes("Pasar di Kota Jambi sepi, kata Gubernur Jambi.") == ["15.71", "15"]


def test_common_word_names_need_a_cue():
    assert codes("Petani menggarap tanah datar di tepi sungai.") == []
    assert codes("Batu besar menutup jalan desa.") == []
    assert codes("Warga Kota Batu bergotong royong.") == ["35.79"]
    assert codes("Bupati Tanah Datar meninjau sawah.") == ["13.04"]
    # capitalisation at the start of a sentence proves nothing
    assert codes("Malang benar nasib pedagang itu.") == []
    assert codes("Pedagang asal Malang itu pulang kampung.") == ["35.73"]
    # a following capitalised name makes it a person: Bima Arya
    assert codes("Wali Kota Bogor Bima Arya hadir.") == ["32.71"]
    # Kota Baru (two words) is not Kabupaten Kotabaru
    assert codes("Kawasan Kota Baru ramai pengunjung. Nelayan di Kotabaru mogok.") == ["63.02"]


def test_places_inside_other_names_are_not_mentions():
    text = "Kaltim Post, detikJatim, Tribun-Papua, TribunKaltim dan Radar Bogor memuat berita itu."
    assert codes(text) == []
    assert codes("Kapal nelayan hilang di Laut Natuna. Di Teluk Bone ombak tinggi.") == []
    assert codes("Situs jatim.antaranews.com memuatnya.") == []
    assert codes("Dari Sabang sampai Merauke warga merayakan.") == []
    assert codes("Ia menyaksikan sidang Roh Kudus.") == []


def test_kecamatan_and_desa_only_after_cues_and_placed_by_context():
    found = link_regions(
        "\nWarga Desa Padolo, Kecamatan Palibelo, Kabupaten Bima mengungsi.", outlets=OUTLETS
    )[0]
    assert [(m["code"], m["level"]) for m in found] == [
        ("52.06.18.2012", "village"),
        ("52.06.18", "district"),
        ("52.06", "regency"),
    ]
    # a village name that cannot be placed is dropped, not guessed
    assert codes("Warga Desa Sukamaju menggelar syukuran.") == []
    # a kecamatan name without its cue is not a mention
    assert codes("Palibelo sedang musim panen.") == []


def test_datelines_and_offsets():
    text = (
        "Judul berita\nSAMARINDA, KOMPAS.com - Mahasiswa berunjuk rasa di depan Gedung DPRD Kaltim."
    )
    mentions, found = link_regions(text, outlets=OUTLETS)
    assert [(m["code"], m["text"]) for m in mentions] == [("64.72", "SAMARINDA"), ("64", "Kaltim")]
    for m in mentions:
        assert text[m["start"] : m["end"]] == m["text"]
    assert found["code"] == "64.72"
    assert (
        primary("", "BALIKPAPAN.NIAGA.ASIA – Warga antre bensin sejak subuh hari ini.") == "64.71"
    )
    assert (
        primary("", "Ambon (ANTARA) - Pasar ikan di kota ini kembali dibuka untuk umum.") == "81.71"
    )


def test_stored_dateline_counts_as_the_raw_dateline():
    """The crawler strips the dateline and stores it apart: passed back, it is the same
    evidence as in the raw text, but not a mention (it has no offsets in the text)."""
    title = "Demo ricuh"
    body = (
        "Massa membakar ban di depan kantor DPRD, Senin. Polisi berjaga hingga malam dan "
        "warga Kaltim diminta tenang."
    )
    _, raw = link_regions(f"{title}\nBONTANG - {body}", outlets=OUTLETS)
    text = f"{title}\n{body}"
    mentions, stored = link_regions(text, dateline="BONTANG", outlets=OUTLETS)
    assert raw["code"] == stored["code"] == "64.74"
    assert link_regions(text, outlets=OUTLETS)[1]["code"] == "64"
    assert [(m["code"], text[m["start"] : m["end"]]) for m in mentions] == [("64", "Kaltim")]
    # a dateline already in the text wins over a stored one
    _, found = link_regions(f"{title}\nBONTANG - {body}", dateline="AMBON", outlets=OUTLETS)
    assert found["code"] == "64.74"


def test_se_and_possessive_forms():
    assert codes("Rakor Forkopimda se-Kaltim digelar pekan depan.") == ["64"]
    assert codes("Demo itu disebut terbesar di Kaltimnya sendiri.") == ["64"]


# --------------------------------------------------------------------------- primary region


def test_lead_locative_beats_the_reporters_dateline():
    body = (
        "Ambon (ANTARA) - Bentrok antarwarga terjadi di Kecamatan Amahai, Kabupaten Maluku "
        "Tengah, Senin malam. Polisi masih berjaga di lokasi."
    )
    assert primary("Bentrok warga", body)[:5] == "81.01"


def test_province_wide_statistic_is_the_province_even_with_a_capital_dateline():
    body = (
        "MAKASSAR - Badan Pusat Statistik (BPS) Sulsel mencatat inflasi provinsi itu turun "
        "menjadi 2,1 persen pada bulan lalu di seluruh kabupaten/kota."
    )
    assert primary("Inflasi Sulsel turun", body) == "73"


def test_event_at_a_venue_in_the_capital_is_the_city():
    body = (
        "BALIKPAPAN - Gubernur Kaltim membuka rapat koordinasi Forkopimda se-Kaltim di "
        "Hotel Mawar Balikpapan, Kamis. Rapat membahas kesiapan pemilu di daerah."
    )
    assert primary("Rakor pemilu", body) == "64.71"


def test_national_story_has_no_primary_region():
    body = (
        "JAKARTA - Kementerian Dalam Negeri menerbitkan surat edaran kepada semua kepala "
        "daerah tentang netralitas aparatur sipil negara menjelang pemilu."
    )
    assert primary("Edaran netralitas ASN", body) is None


def test_place_then_containing_unit_is_a_locative():
    body = (
        "AMBON, KOMPAS.com - Sebanyak 300 warga Negeri Kariu di Pulau Haruku, Maluku Tengah, "
        "masih mengungsi setelah bentrokan dengan warga negeri tetangga."
    )
    mentions, found = link_regions("Pengungsi bentrok\n" + body, outlets=OUTLETS)
    assert found["code"] == "81.01"
    assert [m["level"] for m in mentions] == ["regency", "village", "regency"]


def test_unknown_desa_name_is_not_read_as_the_kota():
    assert codes("Warga Desa Batuxyz di Malang mengungsi.") == ["35.73"]


def test_events_in_several_regencies_leave_the_province():
    body = (
        "Surabaya (ANTARA) - Bentrok antarperguruan silat terjadi di Kabupaten Jember dan "
        "Kabupaten Banyuwangi pada akhir pekan lalu."
    )
    assert primary("Bentrok perguruan silat", body) == "35"


def test_country_wide_story_from_jakarta_has_no_primary_region():
    body = (
        "TEMPO.CO, Jakarta - Badan Nasional Penanggulangan Bencana mencatat banjir melanda "
        "12 provinsi sepanjang pekan ini."
    )
    assert primary("Banjir di mana-mana", body) is None


def test_menus_and_photo_captions_do_not_decide_the_primary_region():
    body = (
        "Beranda | Nasional | Kaltim | Kaltara | Samarinda | Balikpapan | Bontang\n"
        "Warga antre di SPBU Samarinda, Senin (1/4). (Foto: Dok. Redaksi)\n"
        "BONTANG - Ratusan warga berunjuk rasa di depan kantor Wali Kota Bontang menuntut "
        "perbaikan jalan yang rusak sejak tahun lalu."
    )
    assert primary("Warga tuntut perbaikan jalan", body) == "64.74"


def test_outlet_province_is_weak_evidence_only():
    assert (
        primary("Harga cabai naik", "Pedagang mengeluh harga cabai naik tajam pekan ini.", "64")
        == "64"
    )
    assert (
        primary("Harga cabai naik", "Pedagang di Kota Kendari mengeluh harga cabai.", "64")
        == "74.71"
    )
    assert primary("Harga cabai naik", "Pedagang mengeluh harga cabai naik tajam.") is None


def test_outlet_domains_map_to_home_provinces():
    assert outlet_province("kaltimpost.jawapos.com", OUTLETS) == "64"
    assert outlet_province("kaltim.tribunnews.com", OUTLETS) == "64"
    assert outlet_province("www.jatim.antaranews.com", OUTLETS) == "35"
    assert outlet_province("news.example.org", OUTLETS) is None
    assert outlet_province(None) is None
    # nlp knows no outlet unless the caller says so
    assert outlet_province("kaltimpost.jawapos.com") is None


def test_mention_codes_follow_the_gold_convention():
    mentions, _ = link_regions(
        "\nWarga Desa Padolo, Kecamatan Palibelo, Kabupaten Bima di NTB.", outlets=OUTLETS
    )
    assert mention_codes(mentions) == ({"52"}, {"52.06"})


# --------------------------------------------------------------------------- spaCy + speed


def test_spacy_component_sets_extensions():
    nlp = spacy.blank("id")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("suar_regions")
    configure(nlp, OUTLETS)
    doc = nlp.make_doc("Harga cabai naik\nPedagang mengeluh harga cabai naik tajam pekan ini.")
    doc.user_data["outlet_province"] = "62"
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert doc._.regions == []
    assert doc._.primary_region["code"] == "62"
    doc = nlp("Demo ricuh\nSAMARINDA - Massa membakar ban di depan kantor DPRD Kaltim.")
    assert [m["code"] for m in doc._.regions] == ["64.72", "64"]
    assert doc._.primary_region["province_name"] == "Kalimantan Timur"


# --------------------------------------------------------------------------- shared data


def test_seed_article_links_as_gold(shared_dir: Path):
    seed = shared_dir / "data" / "seed"
    text = (seed / "niaga-asia-rakor-forkopimda-pemilu-2024.txt").read_text(encoding="utf-8")
    gold = json.loads((seed / "niaga-asia-rakor-forkopimda-pemilu-2024.gold.json").read_text())
    mentions, found = link_regions("\n" + text, "64", outlets=OUTLETS)
    assert found["code"] == gold["primary_region"]["code"]
    assert found["province_code"] == gold["primary_region"]["province_code"]
    assert {m["code"] for m in mentions} == {r["code"] for r in gold["regions_mentioned"]}
    for region in gold["regions_mentioned"]:
        written = {m["text"] for m in mentions if m["code"] == region["code"]}
        assert written == set(region["as_written"])
    assert all("IKN" not in m["text"] and "Jawa" not in m["text"] for m in mentions)


def test_news_dev_metrics(shared_dir: Path):
    result = evaluate_regions(shared_dir, OUTLETS)
    assert result["articles"] >= 40
    assert result["primary_province_accuracy"] >= 0.95
    assert result["primary_regency_accuracy"] >= 0.85
    assert result["mention_f1"] >= 0.90
