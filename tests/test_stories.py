"""Stories on real DuckDB files: duplicates, grouping rules, incremental runs and the CLI.

Every article below is written for these tests (invented places' events, fictional people).
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from nlp.pipeline import get_nlp
from nlp.stories import StoryArticle, annotated_article, assign, pairwise_scores
from pipeline import db
from pipeline.config import load_config
from pipeline.enrich import run_enrich
from pipeline.store import ArticleRecord, save_batch
from pipeline.stories import build_stories, load_params, story_table
from tests.conftest import REPO, run_suar

WITA = timezone(timedelta(hours=8))
TODAY = date(2025, 3, 20)

BIMA = (
    "Bentrokan antarwarga pecah di Desa Talabiu, Kecamatan Woha, Kabupaten Bima, Senin "
    "(3/3/2025) malam. Dua warga tewas dan enam lainnya luka-luka setelah kedua kelompok "
    "saling serang dengan senjata tajam dan batu.\n\n"
    "Kapolres Bima AKBP Hendra Wijaya mengatakan pemicunya adalah pengeroyokan seorang pemuda "
    "sehari sebelumnya. Polisi menangkap tujuh orang yang diduga menggerakkan serangan dan "
    "menyita belasan parang.\n\n"
    "Sebanyak 200 personel gabungan TNI dan Polri berjaga di perbatasan kedua desa. Warga "
    "diminta tidak terpancing kabar bohong di media sosial."
)
# the same report pasted by another site under its own first line
BIMA_COPY = "Dikutip dari mitra kami di Bima.\n\n" + BIMA
# the same event written by another reporter
BIMA_REWRITE = (
    "Dua orang meninggal dunia dalam bentrokan warga di Kecamatan Woha, Kabupaten Bima, Nusa "
    "Tenggara Barat, Senin (3/3/2025). Enam warga lain mengalami luka akibat sabetan parang.\n\n"
    "Menurut Kapolres Bima AKBP Hendra Wijaya, bentrokan berawal dari dendam atas pengeroyokan "
    "seorang pemuda Talabiu. Tujuh orang sudah ditangkap dan diperiksa penyidik.\n\n"
    "Aparat gabungan masih berjaga di perbatasan desa hingga Selasa pagi."
)
# a different event in the same province with the same topic, two days later
LOTIM = (
    "Warga dua dusun di Kecamatan Sakra, Kabupaten Lombok Timur, terlibat bentrok pada Rabu "
    "(5/3/2025) sore karena sengketa saluran irigasi sawah. Tiga orang luka terkena lemparan "
    "batu dan sebuah gudang padi dibakar.\n\n"
    "Kapolres Lombok Timur AKBP Yudha Pratama menyebut polisi mengamankan dua orang. Camat "
    "Sakra mengundang tokoh kedua dusun untuk bermusyawarah soal pembagian air."
)
# an imported follow-up with no publication date: only the text dates it
BIMA_UNDATED = (
    "Situasi di Kecamatan Woha, Kabupaten Bima, mulai kondusif setelah bentrokan warga Desa "
    "Talabiu pada Senin (3/3) yang menewaskan dua orang. Kapolres Bima AKBP Hendra Wijaya "
    "memastikan tujuh orang yang ditangkap tetap ditahan.\n\n"
    "Personel gabungan TNI dan Polri masih berjaga di perbatasan desa dan warga yang sempat "
    "mengungsi mulai kembali ke rumah."
)
FESTIVAL = (
    "Festival budaya tahunan di Kota Mataram dibuka Sabtu (1/3/2025) malam dengan pawai "
    "kesenian dari sepuluh kecamatan. Ribuan pengunjung memadati jalan utama kota.\n\n"
    "Wali kota berharap festival mendorong kunjungan wisatawan dan penjualan produk UMKM."
)


def _rec(
    slug: str, outlet: str, title: str, body: str, when: datetime | None, **kw
) -> ArticleRecord:
    return ArticleRecord(
        url=f"https://{outlet}.example/{slug}", outlet=outlet, title=title, body=body,
        published_at=when, content_hash=f"h-{slug}-{hash(body) & 0xFFFF}", language="id", **kw,
    )  # fmt: skip


def _first_batch() -> list[ArticleRecord]:
    t = datetime(2025, 3, 3, 22, 0, tzinfo=WITA)
    return [
        _rec("bentrok-bima", "warta_ntb", "Bentrok Warga di Woha Bima, Dua Tewas", BIMA, t),
        _rec("bentrok-bima-salin", "kabar_sumbawa", "Bentrok Warga di Woha Bima, Dua Tewas",
             BIMA_COPY, t + timedelta(hours=3)),
        _rec("dua-tewas-woha", "lombok_pos", "Dua Orang Tewas dalam Bentrokan di Woha",
             BIMA_REWRITE, t + timedelta(hours=12)),
        _rec("bentrok-sakra", "warta_ntb", "Bentrok Warga Dua Dusun di Sakra Lombok Timur",
             LOTIM, datetime(2025, 3, 5, 18, 0, tzinfo=WITA)),
    ]  # fmt: skip


def _second_batch() -> list[ArticleRecord]:
    return [
        _rec("woha-kondusif", "arsip_impor", "Woha Bima Mulai Kondusif", BIMA_UNDATED, None,
             source="import"),
        _rec("festival-mataram", "lombok_pos", "Festival Budaya Mataram Dibuka", FESTIVAL,
             datetime(2025, 3, 1, 20, 0, tzinfo=WITA)),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def nlp():
    return get_nlp()


def _story_of(con, url_part: str) -> int:
    return con.execute(
        "SELECT s.story_id FROM story_articles s JOIN articles a ON a.id = s.article_id "
        "WHERE a.url LIKE ?",
        [f"%{url_part}"],
    ).fetchone()[0]


def _article_id(con, url_part: str) -> int:
    return con.execute("SELECT id FROM articles WHERE url LIKE ?", [f"%{url_part}"]).fetchone()[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory, nlp):
    """A database with the first batch enriched and grouped, then the second batch added."""
    path = tmp_path_factory.mktemp("stories") / "suar.duckdb"
    con = db.connect(path)
    save_batch(con, _first_batch())
    run_enrich(con, nlp=nlp, version="test")
    first = build_stories(con, load_config(db=path), today=TODAY)
    ids_before = {u: _story_of(con, u) for u in ("bentrok-bima", "dua-tewas-woha", "bentrok-sakra")}
    n_before = con.execute(
        "SELECT n_articles FROM stories WHERE id = ?", [ids_before["bentrok-bima"]]
    ).fetchone()[0]
    save_batch(con, _second_batch())
    run_enrich(con, nlp=nlp, version="test")
    second = build_stories(con, load_config(db=path), today=TODAY)
    third = build_stories(con, load_config(db=path), today=TODAY)
    yield {
        "con": con,
        "path": path,
        "first": first,
        "second": second,
        "third": third,
        "ids_before": ids_before,
        "n_before": n_before,
    }
    con.close()


def test_syndicated_copy_is_a_near_duplicate_of_the_earliest(built) -> None:
    con = built["con"]
    copy, orig = _article_id(con, "bentrok-bima-salin"), _article_id(con, "bentrok-bima")
    row = con.execute(
        "SELECT canonical_id, kind, similarity FROM article_duplicates WHERE article_id = ?",
        [copy],
    ).fetchone()
    assert row[0] == orig and row[1] == "near" and row[2] >= 0.6
    assert con.execute(
        "SELECT canonical_id, kind FROM article_duplicates WHERE article_id = ?", [orig]
    ).fetchone() == (orig, "self")
    # a rewrite by another reporter is the same story but not a copy
    rewrite = _article_id(con, "dua-tewas-woha")
    assert (
        con.execute(
            "SELECT kind FROM article_duplicates WHERE article_id = ?", [rewrite]
        ).fetchone()[0]
        == "self"
    )
    assert _story_of(con, "bentrok-bima-salin") == _story_of(con, "bentrok-bima")
    assert built["first"].duplicates.get("near") == 1


def test_same_event_across_outlets_is_one_story(built) -> None:
    con = built["con"]
    assert _story_of(con, "dua-tewas-woha") == _story_of(con, "bentrok-bima")


def test_different_events_same_province_and_topic_stay_apart(built) -> None:
    con = built["con"]
    sakra, bima = _story_of(con, "bentrok-sakra"), _story_of(con, "bentrok-bima")
    assert sakra != bima
    provs = con.execute(
        "SELECT primary_province_code, topic_codes FROM stories WHERE id IN (?, ?)", [sakra, bima]
    ).fetchall()
    # the guard is meaningful only if they really share province and topic
    assert provs[0][0] == provs[1][0] == "52"
    assert "conflict.communal" in provs[0][1] and "conflict.communal" in provs[1][1]
    assert _story_of(con, "festival-mataram") not in {sakra, bima}


def test_undated_import_clusters_by_its_text_date(built) -> None:
    con = built["con"]
    aid = _article_id(con, "woha-kondusif")
    assert (
        con.execute("SELECT published_at FROM articles WHERE id = ?", [aid]).fetchone()[0] is None
    )
    day, source, evidence = con.execute(
        "SELECT event_date, source, evidence FROM article_dates WHERE article_id = ?", [aid]
    ).fetchone()
    assert (day, source) == (date(2025, 3, 3), "text") and "(3/3)" in evidence
    assert _story_of(con, "woha-kondusif") == _story_of(con, "bentrok-bima")


def test_incremental_keeps_ids_and_updates_aggregates(built) -> None:
    con = built["con"]
    assert built["first"].pending == 4
    assert built["second"].pending == 2  # only the new articles were assigned
    assert built["third"].pending == 0  # nothing new: nothing done
    for url, sid in built["ids_before"].items():
        assert _story_of(con, url) == sid
    bima = built["ids_before"]["bentrok-bima"]
    row = con.execute(
        "SELECT n_articles, n_outlets, outlets, killed, killed_article_id, max_level, "
        "primary_region_code, first_seen FROM stories WHERE id = ?",
        [bima],
    ).fetchone()
    assert row[0] == built["n_before"] + 1 == 4
    assert row[1] == 4 and "arsip_impor" in row[2]
    # the figure most original reports agree on (the copy does not vote twice)
    assert row[3] == 2
    assert row[4] in {_article_id(con, u) for u in ("bentrok-bima", "dua-tewas-woha",
                                                     "woha-kondusif")}  # fmt: skip
    assert row[5] >= 3 and row[6].startswith("52.06")
    assert row[7].astimezone(timezone(timedelta(hours=7))).date() == date(2025, 3, 3)
    assert con.execute("SELECT count(*) FROM story_articles").fetchone()[0] == 6


def test_changed_article_is_reassigned_and_rebuild_is_stable(built, nlp) -> None:
    con = built["con"]
    before = {
        u: _story_of(con, u)
        for u in ("bentrok-bima", "bentrok-sakra", "woha-kondusif", "festival-mataram")
    }
    grouping = _grouping(con)
    # the festival page is rewritten into a report on the Sakra clash: it moves
    changed = _rec("festival-mataram", "lombok_pos", "Bentrok Irigasi di Sakra Lombok Timur",
                   LOTIM.replace("Rabu", "Rabu malam,"), datetime(2025, 3, 5, 21, 0, tzinfo=WITA))  # fmt: skip
    save_batch(con, [changed])
    run_enrich(con, nlp=nlp, version="test")
    stats = build_stories(con, load_config(db=built["path"]), today=TODAY)
    assert stats.pending == 1
    assert _story_of(con, "festival-mataram") == before["bentrok-sakra"]
    assert not con.execute(
        "SELECT count(*) FROM stories WHERE id = ?", [before["festival-mataram"]]
    ).fetchone()[0]  # its old story had no other article: gone
    rebuilt = build_stories(con, load_config(db=built["path"]), rebuild=True, today=TODAY)
    assert rebuilt.pending == 6
    new_grouping = _grouping(con)
    grouping = {frozenset(g - {_article_id(con, "festival-mataram")}) for g in grouping} - {
        frozenset()
    }
    assert {frozenset(g - {_article_id(con, "festival-mataram")}) for g in new_grouping} - {
        frozenset()
    } == grouping


def _grouping(con) -> set[frozenset[int]]:
    rows = con.execute(
        "SELECT list(article_id ORDER BY article_id) FROM story_articles GROUP BY story_id"
    ).fetchall()
    return {frozenset(r[0]) for r in rows}


def test_cli_builds_and_lists_json(tmp_path: Path, nlp) -> None:
    path = tmp_path / "cli.duckdb"
    con = db.connect(path)
    recs = _first_batch()
    recs[0].fetched_url = "https://warta_ntb.example/bentrok-bima?utm_source=feed"
    recs[0].html = b"<html><body>stored page</body></html>"
    save_batch(con, recs)
    run_enrich(con, nlp=nlp, version="test")
    con.close()
    out = run_suar("--db", str(path), "stories")
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    assert stats["pending"] == 4 and stats["stories_total"] == 2
    lines = run_suar("--db", str(path), "stories", "--list", "--json").stdout.splitlines()
    stories = [json.loads(line) for line in lines]
    assert len(stories) == 2
    keys = {"id", "first_seen", "last_seen", "level", "region", "topics", "urls"}
    for s in stories:
        assert keys <= set(s)
        assert set(s["region"]) == {"code", "name"}
        datetime.fromisoformat(s["first_seen"])
    bima = next(s for s in stories if len(s["urls"]) == 3)
    assert bima["region"]["code"].startswith("52.06") and bima["region"]["name"]
    assert "https://warta_ntb.example/bentrok-bima?utm_source=feed" in bima["urls"]
    assert "conflict.communal" in bima["topics"] and bima["level"] >= 3
    table = run_suar("--db", str(path), "stories", "--list").stdout
    assert "Bentrok" in table and "region" in table
    bad = run_suar("--db", str(path), "stories", "--json", check=False)
    assert bad.returncode != 0 and "--list" in bad.stderr


# -- the pure clustering, with vectors written for the test ------------------------------


def _art(i: int, day: date | None, vec: np.ndarray | None, text: str, **kw) -> StoryArticle:
    return StoryArticle(id=i, outlet=f"o{i}", title="", text=text, day=day,
                        order=(day or date.max, i), vector=vec, **kw)  # fmt: skip


def test_vectors_join_reports_text_alone_would_not() -> None:
    rng = np.random.default_rng(7)
    base = rng.normal(size=384).astype(np.float32)
    base /= np.linalg.norm(base)
    near = base + 0.12 * rng.normal(size=384).astype(np.float32) / np.sqrt(384)
    near /= np.linalg.norm(near)
    far = rng.normal(size=384).astype(np.float32)
    far /= np.linalg.norm(far)
    d = date(2025, 3, 3)
    kw = {"region": "52.06", "region_level": "regency", "province": "52"}
    arts = [
        _art(1, d, base, "Massa membakar pos ronda di desa pesisir", **kw),
        _art(2, d, near, "Warga mengamuk, gardu jaga kampung nelayan hangus", **kw),
        _art(3, d, far, "Pasar murah digelar menjelang bulan puasa", **kw),
    ]
    params = load_params(load_config()).for_model("multilingual-e5-small-q4")
    got = assign(arts, params).story
    assert got[1] == got[2] != got[3]
    # the same articles without vectors: the two wordings share no content word
    plain = [_art(a.id, a.day, None, a.text, **kw) for a in arts]
    got = assign(plain, params).story
    assert len(set(got.values())) == 3
    # and far-apart dates split even identical vectors
    later = [arts[0], _art(2, d + timedelta(days=30), near, arts[1].text, **kw)]
    got = assign(later, params).story
    assert got[1] != got[2]


def test_follow_up_with_the_same_dead_joins_the_first_report() -> None:
    # own words: a shooting, then next day a follow-up worded differently with the same dead
    d = date(2025, 6, 2)
    kw = {"region": "52.06.01", "region_level": "district", "province": "52"}
    first = ("Tiga warga tewas ditembak orang tak dikenal di sebuah ladang jagung Senin pagi. "
             "Polisi memburu pelaku penembakan.")  # fmt: skip
    follow = ("Keluarga tiga warga yang tewas di ladang itu menuntut aparat segera bertindak. "
              "Warga kampung masih takut pergi berladang sejak kejadian pekan lalu.")  # fmt: skip
    params = load_params(load_config())

    def pair(figures: dict[str, int], day: date, **other) -> dict[int, int]:
        arts = [_art(1, d, None, first, figures={"killed": 3}, **kw),
                _art(2, day, None, follow, figures=figures, **(other or kw))]  # fmt: skip
        return assign(arts, params).story

    got = pair({"killed": 3}, d + timedelta(days=1))
    assert got[1] == got[2]
    # the text alone is not enough, a different death toll is another incident
    for figures in ({}, {"killed": 5}):
        got = pair(figures, d + timedelta(days=1))
        assert got[1] != got[2]
    # a figure only one report gives does not contradict
    got = pair({"killed": 3, "injured": 2}, d + timedelta(days=1))
    assert got[1] == got[2]
    # the same toll in another regency or weeks later is not evidence
    elsewhere = {"region": "52.01.01", "region_level": "district", "province": "52"}
    got = pair({"killed": 3}, d + timedelta(days=1), **elsewhere)
    assert got[1] != got[2]
    got = pair({"killed": 3}, d + timedelta(days=10))
    assert got[1] != got[2]


def test_story_table_uses_the_width_and_cuts_nothing() -> None:
    long_title = "Warga dua kampung bertikai soal batas ladang hingga larut malam di tepi sungai"
    rows = [{"id": 7, "first_seen": "2025-06-02T10:00:00", "level": 3, "n_articles": 2,
             "region": {"code": "52.06.01", "name": "Kecamatan Contoh, Kabupaten Contoh Raya"},
             "title": long_title}]  # fmt: skip
    for width in (60, 100, 200):
        out = story_table(rows, width=width)
        lines = out.splitlines()
        assert all(len(line) <= width for line in lines), out
        words = " ".join(line[lines[0].index("title") :] for line in lines[1:]).split()
        assert " ".join(words) == long_title
    wide = story_table(rows, width=200).splitlines()
    assert len(wide) == 2 and "Kecamatan Contoh, Kabupaten Contoh Raya" in wide[1]


def test_pairwise_scores_counts_pairs() -> None:
    gold = {1: "a", 2: "a", 3: "a", 4: "b"}
    pred = {1: 1, 2: 1, 3: 2, 4: 2}
    s = pairwise_scores(gold, pred)
    assert (s["pairs_gold"], s["pairs_predicted"]) == (3, 2)
    assert s["precision"] == 0.5 and s["recall"] == 0.333
    assert s["false_merges"] == [[3, 4]]


@pytest.mark.slow
def test_demo_articles_match_the_demo_gold_grouping(nlp) -> None:
    """The demo site's own articles, through annotate and the same clustering as the
    database path, against the hand grouping in nlp/data/eval/demo_stories.toml."""
    from nlp.annotate import annotate_lines

    demo = tomllib.loads((REPO / "crawler/demosite/articles.toml").read_text("utf-8"))["article"]
    gold_file = tomllib.loads((REPO / "nlp/data/eval/demo_stories.toml").read_text("utf-8"))
    arts = [
        {"id": i, "title": a["title"], "text": "\n\n".join(a["paragraphs"]),
         "outlet": a["outlet"], "url": f"https://demo.example/{a['slug']}",
         "published_at": a["published"]}
        for i, a in enumerate(demo)
    ]  # fmt: skip
    pred = list(annotate_lines([json.dumps(a) for a in arts], nlp))
    recs = [annotated_article(i, a, p) for i, (a, p) in enumerate(zip(arts, pred, strict=True))]
    key = {f"{a['outlet']}/{a['slug']}": i for i, a in enumerate(demo)}
    gold = {i: f"single-{i}" for i in range(len(demo))}
    for story in gold_file["story"]:
        for slug in story["articles"]:
            gold[key[slug]] = story["name"]
    got = assign(recs, load_params(load_config())).story
    scores = pairwise_scores(gold, got)
    assert scores["false_merges"] == []
    assert scores["f1"] >= 0.85, scores


def test_event_dates_use_published_then_text() -> None:
    """The date rule the database path and the evaluation share."""
    art = {"title": "x", "text": "Kericuhan terjadi Kamis (6/3) malam.", "url": "https://a.id/x"}
    rec = annotated_article(1, art, {"regions": []}, today=date(2025, 3, 20))
    assert rec.day == date(2025, 3, 6)
    art["published_at"] = datetime(2025, 3, 7, 1, 0, tzinfo=UTC).isoformat()
    rec = annotated_article(1, art, {"regions": []}, today=date(2025, 3, 20))
    assert rec.day == date(2025, 3, 7)


# -- end to end: the demo database `suar demo` builds (crawl, enrich, embed, stories) --------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo-stories") / "demo.duckdb"
    run_suar("--db", str(path), "demo", timeout=1800)
    return path


@pytest.mark.slow
def test_demo_database_stories_match_the_gold_grouping(demo_db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT a.url, s.story_id FROM articles a "
            "LEFT JOIN story_articles s ON s.article_id = a.id"
        ).fetchall()
        n_vectors = con.execute("SELECT count(*) FROM article_embeddings").fetchone()[0]
    finally:
        con.close()
    assert rows and all(sid is not None for _, sid in rows)  # every article has a story
    assert n_vectors >= 30  # the embed step ran, so this exercises the vector path
    demo = tomllib.loads((REPO / "crawler/demosite/articles.toml").read_text("utf-8"))["article"]
    gold_file = tomllib.loads((REPO / "nlp/data/eval/demo_stories.toml").read_text("utf-8"))
    slug_story = {f"{a['outlet']}/{a['slug']}": f"single-{k}" for k, a in enumerate(demo)}
    for story in gold_file["story"]:
        for slug in story["articles"]:
            slug_story[slug] = story["name"]
    gold, pred = {}, {}
    for url, sid in rows:
        match = [k for k in slug_story if k.split("/", 1)[1] in url]
        if len(match) == 1:
            gold[url], pred[url] = slug_story[match[0]], sid
    assert len(gold) >= 35
    scores = pairwise_scores(gold, pred)
    assert scores["false_merges"] == [], scores
    assert scores["recall"] >= 0.8, scores
    # nothing changed: a second run assigns nothing and keeps every story
    out = run_suar("--db", str(demo_db), "stories")
    assert json.loads(out.stdout.strip().splitlines()[-1])["pending"] == 0
    listed = run_suar("--db", str(demo_db), "stories", "--list", "--json").stdout.splitlines()
    assert len(listed) == len({sid for _, sid in rows})


@pytest.mark.slow
def test_eval_story_section_on_news_dev(shared_dir: Path, nlp) -> None:
    """`suar eval`'s same-story section: news-dev (dates from text only) and the demo set."""
    from nlp.evaluate import _committable, _stories_markdown, annotate_news_dev, story_section

    gold, pred, _ = annotate_news_dev(shared_dir, nlp)
    st = story_section(gold, pred, nlp, demo_articles=REPO / "crawler/demosite/articles.toml")
    for key in ("news_dev_text_only", "demo_text_only"):
        assert st[key]["pairs_gold"] > 0
        assert st[key]["f1"] >= 0.85, st[key]
    assert st["demo_text_only"]["false_merges"] == []
    md = "\n".join(_stories_markdown(st))
    assert "news_dev" in md and "precision" in md
    # the written report names no shared article
    written = json.dumps(_committable({"stories": st}))
    assert "false_merges" not in written and not any(g["id"] in written for g in gold)
