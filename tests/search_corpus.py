"""A small own-written corpus for the search, query and export tests, in a real DuckDB file.

Articles go through the real store (`save_batch`); their enrichment, dates and stories are
written as rows the way the NLP and story stages write them, so each test knows exactly what
a filter or a grouping must return.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from pipeline import db
from pipeline.store import ArticleRecord, save_batch

# key: (outlet, title, body, published, region, level, topics, event date, story, mentions)
ARTICLES = {
    "clash_a": (
        "kabar_bima",
        "Bentrokan antarwarga pecah di Woha, dua orang tewas",
        "Bentrokan antarwarga pecah di Kecamatan Woha, Kabupaten Bima, Senin pagi. Dua orang "
        "tewas dan lima lainnya luka-luka akibat senjata tajam.\n\nKapolres Bima mengatakan "
        "aparat masih berjaga di perbatasan kedua desa.",
        datetime(2025, 3, 3, 4, tzinfo=UTC),
        "52.06",
        4,
        ["conflict.communal"],
        date(2025, 3, 3),
        1,
        ["52.06", "52"],
    ),
    "clash_b": (
        "warta_ntb",
        "Polisi amankan tujuh orang usai bentrok di Bima",
        "Polres Bima menangkap tujuh orang yang diduga terlibat bentrokan antarwarga di Woha. "
        "Situasi kini berangsur kondusif.",
        datetime(2025, 3, 4, 6, tzinfo=UTC),
        "52.06",
        3,
        ["conflict.communal", "security.force"],
        date(2025, 3, 4),
        1,
        ["52.06"],
    ),
    "protest": (
        "kaltim_today",
        "Ratusan mahasiswa berunjuk rasa di depan Kantor DPRD Kaltim",
        "Ratusan mahasiswa menggelar aksi unjuk rasa di Samarinda menolak kenaikan tarif "
        "angkutan. Aksi berlangsung tertib dan dijaga aparat kepolisian.",
        datetime(2025, 3, 10, 2, tzinfo=UTC),
        "64.72",
        1,
        ["conflict.protest"],
        None,  # no event date: the publication date counts
        None,  # no story yet: stands alone
        ["64.72", "64"],
    ),
    "rakor": (
        "kaltim_today",
        "Forkopimda gelar rakor pengamanan pilkada di Balikpapan",
        "Forkopimda menggelar rapat koordinasi pengamanan pilkada di Balikpapan. Rapat juga "
        "membahas kesiapan personel untuk pengamanan di Samarinda.",
        datetime(2025, 2, 20, 3, tzinfo=UTC),
        "64.71",
        0,
        ["election.preparedness"],
        date(2025, 2, 20),
        2,
        ["64.71", "64.72"],
    ),
    "shooting": (
        "papua_pos",
        "Kelompok bersenjata menembak prajurit di Intan Jaya",
        "Kelompok kriminal bersenjata menembak seorang prajurit yang sedang berpatroli di "
        "Distrik Sugapa. Prajurit itu dievakuasi ke Timika dengan helikopter.",
        datetime(2025, 3, 5, 1, tzinfo=UTC),
        "94.05",
        4,
        ["conflict.armed"],
        date(2025, 3, 5),
        3,
        ["94.05"],
    ),
    "riot": (
        "kabar_bima",
        "Massa melempari gedung KPU dengan batu",
        "Massa membakar ban dan melempari gedung KPU dengan batu setelah penghitungan suara "
        "ditunda. Sejumlah kaca jendela pecah dan petugas berlindung di dalam gedung.",
        datetime(2025, 2, 14, 9, tzinfo=UTC),
        "52.06",
        3,
        ["conflict.riot", "election.violence"],
        date(2025, 2, 14),
        4,
        ["52.06"],
    ),
}


def build_corpus(path: Path) -> dict[str, int]:
    """Write the corpus into a fresh database at ``path``; return article ids by key."""
    con = db.connect(path)
    try:
        recs = [
            ArticleRecord(
                url=f"https://{outlet}.example/{key}",
                outlet=outlet,
                title=title,
                body=body,
                published_at=published,
                language="id",
                content_hash=f"hash-{key}",
                html=b"<html></html>",
                fetched_url=f"https://{outlet}.example/{key}?utm=fetched",
            )
            for key, (outlet, title, body, published, *_) in ARTICLES.items()
        ]
        save_batch(con, recs)
        ids = dict(con.execute("SELECT split_part(url, '/', 4), id FROM articles").fetchall())
        now = datetime.now(UTC)
        for key, row in ARTICLES.items():
            region, level, topics, event, story, mentions = row[4:]
            aid = ids[key]
            con.execute(
                "INSERT INTO enrichments (article_id, pipeline_version, content_hash, language, "
                "status, primary_region_code, primary_region_level, primary_province_code, "
                "escalation_level, topic_codes, enriched_at) "
                "VALUES (?, 'test', ?, 'id', 'enriched', ?, ?, ?, ?, ?, ?)",
                [aid, f"hash-{key}", region, "regency", region[:2], level, topics, now],
            )
            for code in mentions:
                con.execute(
                    "INSERT INTO article_regions (article_id, code, name, level, province_code, "
                    "text, start_char, end_char, is_primary) VALUES (?, ?, ?, ?, ?, ?, 0, 1, ?)",
                    [aid, code, f"Region {code}", "regency", code[:2], code, code == region],
                )
            for code in topics:
                con.execute(
                    "INSERT INTO article_topics (article_id, code, score) VALUES (?, ?, 1.0)",
                    [aid, code],
                )
            if event is not None:
                con.execute(
                    "INSERT INTO article_dates VALUES (?, ?, 'published', NULL, ?)",
                    [aid, event, now],
                )
            if story is not None:
                con.execute("INSERT INTO story_articles VALUES (?, ?, 1.0, ?)", [aid, story, now])
        stories = {}
        for key, row in ARTICLES.items():
            story = row[8]
            if story is not None:
                stories.setdefault(story, []).append(key)
        for story, keys in stories.items():
            rows = [ARTICLES[k] for k in keys]
            first = min(r[3] for r in rows)
            last = max(r[3] for r in rows)
            outlets = sorted({r[0] for r in rows})
            con.execute(
                "INSERT INTO stories (id, title, representative_id, first_seen, last_seen, "
                "n_articles, n_outlets, outlets, primary_region_code, primary_region_level, "
                "primary_province_code, topic_codes, max_level, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'regency', ?, ?, ?, ?)",
                [
                    story,
                    rows[0][1],
                    ids[keys[0]],
                    first,
                    last,
                    len(rows),
                    len(outlets),
                    outlets,
                    rows[0][4],
                    rows[0][4][:2],
                    sorted({t for r in rows for t in r[6]}),
                    max(r[5] for r in rows),
                    now,
                ],
            )
        return ids
    finally:
        con.close()
