"""`suar import`: same canonical-URL and de-duplication rules as the crawl; bad rows reported."""

from __future__ import annotations

import json

import duckdb

from tests.conftest import run_suar

BODY = (
    "Ratusan warga dari tiga desa berkumpul di halaman kantor camat untuk menuntut kejelasan "
    "ganti rugi lahan yang dipakai perusahaan tambang. Mereka membawa spanduk dan berorasi "
    "secara bergantian sejak pagi hingga siang hari.\n\nCamat setempat menemui perwakilan "
    "warga dan berjanji membawa tuntutan itu ke pemerintah kabupaten pekan depan."
)


def test_import_jsonl_with_duplicates_and_malformed_rows(tmp_path):
    db = tmp_path / "imp.duckdb"
    rows = [
        {
            "url": "https://kalbaronline.com/2026/10/01/warga-tuntut-ganti-rugi/?utm_source=fb",
            "outlet": "kalbaronline",
            "title": "Warga Tuntut Ganti Rugi",
            "text": BODY,
            "published_at": "Kamis, 1 Oktober 2026 09:15 WIB",
        },
        # the same article under its canonical URL and an AMP variant: one row in the end
        {
            "url": "https://kalbaronline.com/2026/10/01/warga-tuntut-ganti-rugi/",
            "title": "Warga Tuntut Ganti Rugi",
            "text": BODY,
        },
        {
            "url": "https://kalbaronline.com/2026/10/01/warga-tuntut-ganti-rugi/amp/",
            "title": "Warga Tuntut Ganti Rugi",
            "text": BODY,
        },
        {"url": "not a url", "title": "x", "text": BODY},
        {"url": "https://contoh.id/berita-tanpa-isi/", "title": "kosong"},
        {
            "url": "https://contoh.id/berita-lain/",
            "title": "Berita Lain",
            "text": BODY,
            "published_at": "2026-10-02T08:00:00+08:00",
        },
    ]
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(3, "{this is not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    proc = run_suar("--db", str(db), "import", str(path))
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["read"] == 7
    assert report["new"] == 2
    assert report["unchanged"] + report["duplicate"] == 2
    assert report["malformed"] == 3
    assert "line 4" in proc.stderr  # the broken JSON line is named

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT url, outlet, published_at, source, language FROM articles ORDER BY url"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "https://contoh.id/berita-lain",
        "https://kalbaronline.com/2026/10/01/warga-tuntut-ganti-rugi",
    ]
    by_url = {r[0]: r for r in rows}
    kalbar = by_url["https://kalbaronline.com/2026/10/01/warga-tuntut-ganti-rugi"]
    assert kalbar[1] == "kalbaronline"
    assert kalbar[2].isoformat().startswith("2026-10-01T02:15")  # 09:15 WIB = 02:15 UTC
    assert kalbar[3] == "import" and kalbar[4] == "id"
    assert by_url["https://contoh.id/berita-lain"][1] == "contoh.id"  # unknown outlet: by host
    con.close()  # DuckDB: even a read-only reader in another process blocks the writer

    # importing the same file again adds nothing
    again = json.loads(run_suar("--db", str(db), "import", str(path)).stdout.splitlines()[-1])
    assert again["new"] == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_import_csv_and_missing_file(tmp_path):
    db = tmp_path / "imp.duckdb"
    path = tmp_path / "in.csv"
    path.write_text(
        "url,outlet,title,text,published_at\n"
        f'https://siwalimanews.com/warga-dua-desa-berdamai/,siwalima,Warga Berdamai,"{BODY}",'
        "2026-10-03\n",
        encoding="utf-8",
    )
    report = json.loads(run_suar("--db", str(db), "import", str(path)).stdout.splitlines()[-1])
    assert report["new"] == 1 and report["malformed"] == 0

    missing = run_suar("--db", str(db), "import", str(tmp_path / "nope.jsonl"), check=False)
    assert missing.returncode != 0
    assert "nope.jsonl" in missing.stderr and "Traceback" not in missing.stderr


def test_non_indonesian_articles_are_kept_but_flagged(tmp_path):
    db = tmp_path / "imp.duckdb"
    path = tmp_path / "en.jsonl"
    text = (
        "Hundreds of residents gathered outside the district office on Monday to demand "
        "compensation for farmland taken by a mining company, and officials promised to "
        "answer their demands within a week."
    )
    path.write_text(
        json.dumps({"url": "https://example.org/en", "title": "Residents", "text": text}) + "\n"
    )
    run_suar("--db", str(db), "import", str(path))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT language, is_indonesian FROM articles").fetchall() == [
            ("en", False)
        ]
