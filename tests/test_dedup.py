"""MinHash near-duplicates (nlp.dedup) on texts written for these tests."""

from __future__ import annotations

import zlib

import numpy as np
from datasketch import MinHash

from nlp import dedup

REPORT = (
    "Ratusan warga dari tiga desa di pesisir Kecamatan Muara Jaya mendatangi kantor camat "
    "pada Selasa pagi. Mereka menuntut perusahaan tambak udang menghentikan pembuangan "
    "limbah ke sungai yang menjadi sumber air bersih warga. Camat berjanji memanggil "
    "pengelola perusahaan dan dinas lingkungan hidup dalam pekan ini, sementara polisi "
    "berjaga di sekitar kantor hingga massa membubarkan diri menjelang siang."
)


def test_signature_matches_datasketch_minhash() -> None:
    """Batched numpy signatures equal datasketch's MinHash on the same shingle hashes."""
    toks = np.array([zlib.crc32(w.encode()) or 1 for w in dedup.words(REPORT)], dtype=np.uint32)
    ref = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.SEED, hashfunc=int)
    ref.update_batch([int(h) for h in dedup.shingle_hashes(toks)])
    assert np.array_equal(ref.hashvalues, dedup.signature(REPORT))
    batch = dedup.signatures(["", REPORT, "dua kata"])
    assert np.array_equal(batch[1], dedup.signature(REPORT))
    assert (batch[0] == dedup.EMPTY).all()


def test_copies_are_found_and_rewrites_are_not() -> None:
    texts = [
        REPORT,
        "Dikutip dari mitra kami. " + REPORT,  # syndicated with a new first line
        REPORT.replace("Selasa pagi", "Selasa (4/3) pagi").replace("ratusan", "sekitar 300"),
        "Warga pesisir Muara Jaya memprotes limbah tambak udang yang mencemari sungai. "
        "Mereka datang ke kantor kecamatan dan ditemui camat.",  # same event, own words
        "Harga cabai di pasar kota turun karena pasokan dari daerah sentra melimpah.",
    ]
    sigs = dedup.signatures(texts)
    pairs = {(a, b): s for a, b, s in dedup.near_pairs(sigs, 0.6)}
    assert set(pairs) == {(0, 1), (0, 2), (1, 2)}
    assert pairs[(0, 1)] > 0.8
    # an incremental query only reports pairs with the new rows
    assert {(a, b) for a, b, _ in dedup.near_pairs(sigs, 0.6, query=np.array([2]))} == {
        (0, 2),
        (1, 2),
    }


def test_groups_point_to_the_earliest_copy() -> None:
    order = {10: (3, 10), 11: (1, 11), 12: (2, 12), 13: (0, 13)}
    got = dedup.group_duplicates(order, [(10, 11, "near", 0.9), (12, 10, "exact", 1.0)])
    assert got[11].kind == "self" and got[11].canonical_id == 11
    assert (got[10].canonical_id, got[10].kind) == (11, "exact")
    assert (got[12].canonical_id, got[12].kind, got[12].similarity) == (11, "exact", 1.0)
    assert got[13] == dedup.Duplicate(13, 13, "self", 1.0)
