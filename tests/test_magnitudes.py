"""Magnitudes of the present event (TAXONOMY section 3), on sentences written for the tests."""

from __future__ import annotations

from nlp.signals import extract_signals


def mags(text: str) -> dict:
    return extract_signals(text)["magnitudes"]


def test_accident_dead_and_injured_are_counted_without_a_conflict_topic():
    # a road accident has no topic, but its dead and injured are the event's figures
    text = (
        "Minibus masuk jurang di Kabupaten Contoh\n"
        "Sebuah minibus terperosok ke jurang di jalan lintas kabupaten pada Senin malam. "
        "Tiga penumpang tewas di lokasi dan delapan orang lainnya luka-luka."
    )
    res = extract_signals(text)
    assert res["topics"] == []
    assert res["magnitudes"]["killed"] == 3
    assert res["magnitudes"]["injured"] == 8


def test_drug_raid_arrests_are_counted_without_a_topic():
    text = (
        "Polisi bekuk pengedar sabu\n"
        "Satuan reserse narkoba menangkap lima orang pria di sebuah rumah kos pada Rabu dini "
        "hari dan menyita beberapa paket sabu."
    )
    assert mags(text)["arrested"] == 5


def test_vague_quantity_stays_null_without_a_topic():
    text = (
        "Banjir rendam permukiman\n"
        "Puluhan warga terluka saat mengungsi dari rumah yang terendam banjir setinggi dada."
    )
    assert mags(text)["injured"] is None


def test_headline_verbs_without_prefix_lead_a_count():
    # headlines drop the me- prefix ("Tewaskan", "Tangkap"); the count follows the bare verb
    assert (
        mags("Truk Tabrakan di Tanjakan Tewaskan 4 Penumpang\nKecelakaan terjadi Senin.")["killed"]
        == 4
    )
    assert (
        mags("Polres Contoh Tangkap 6 Pengedar Sabu\nPenangkapan dilakukan Rabu.")["arrested"] == 6
    )


def test_securing_places_is_no_arrest():
    # "amankan" also means to secure a venue: a count of places is no arrest
    text = "Polda Contoh Amankan 1.200 Tempat Pemungutan Suara\nPersonel disebar ke desa-desa."
    assert mags(text)["arrested"] is None
