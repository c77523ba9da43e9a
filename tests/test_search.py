"""`suar search` on real DuckDB files: Indonesian BM25, filters, stories, index freshness,
and the semantic half with the real offline embedder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline import db
from pipeline import search as S
from pipeline.store import ArticleRecord, save_batch
from tests.conftest import run_suar
from tests.search_corpus import build_corpus


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The own-written corpus with a built index (copy it before writing to it)."""
    path = tmp_path_factory.mktemp("search") / "suar.duckdb"
    ids = build_corpus(path)
    con = db.connect(path)
    S.refresh_index(con)
    con.close()
    return path, ids


@pytest.fixture
def ro(corpus_db):
    con = db.connect(corpus_db[0], read_only=True)
    yield con
    con.close()


def _articles(result: S.SearchResult) -> list[int]:
    return [hit.article_id for hit in result.stories]


def test_analyser_uses_indonesian_stems_and_stopwords() -> None:
    # Snowball's Indonesian stemmer gives bentro / embak / angkap for these
    assert S.analyse("Bentrokan di antara warga") == ["bentrok", "warga"]
    assert S.analyse("penembakan, penangkapan") == ["tembak", "tangkap"]
    assert S.analyse("bentrok antarwarga") == ["bentrok", "antarwarga", "warga"]
    assert S.analyse("yang dan di") == []
    assert S.document_terms("Demo ricuh", "Massa membakar ban.").split()[:4] == [
        "demo",
        "ricuh",
        "demo",
        "ricuh",
    ]


def test_bm25_ranks_the_right_article_first(ro, corpus_db) -> None:
    _, ids = corpus_db
    result = S.search(ro, "penembakan prajurit")
    assert result.mode == "bm25"
    assert _articles(result)[0] == ids["shooting"]
    # an inflected query finds the root forms in the text (ditangkap / menangkap)
    result = S.search(ro, "penangkapan tujuh orang")
    assert result.stories[0].story_id == 1
    assert result.stories[0].article_id == ids["clash_b"]
    assert "menangkap tujuh orang" in result.stories[0].snippet
    assert any("no article embeddings" in n for n in result.notes)


@pytest.mark.parametrize(
    "query",
    [
        "penembakan prajurit",
        "bentrokan warga bakar rumah",
        "massa bakar ban",
        "pengamanan pilkada Samarinda",
    ],
)
def test_bm25_scores_equal_the_fts_extensions_match_bm25(ro, query) -> None:
    """search_bm25.sql computes BM25 itself, over the fts index's tables and only for the
    documents holding a query term; its scores must be match_bm25's for every document."""
    db.load_fts(ro)
    terms = " ".join(S.analyse(query))
    ro.execute(db.sql("search_no_candidates"))
    ours = ro.execute(
        db.sql("search_bm25"), {"query": terms, "pool": 10_000, "filtered": False}
    ).fetchall()
    theirs = ro.execute(
        "SELECT article_id, score FROM (SELECT article_id,"
        " fts_main_search_docs.match_bm25(article_id, $q) AS score FROM search_docs)"
        " WHERE score IS NOT NULL ORDER BY score DESC, article_id",
        {"q": terms},
    ).fetchall()
    assert theirs, query
    assert [a for a, _ in ours] == [a for a, _ in theirs]
    assert [round(x, 9) for _, x in ours] == [round(x, 9) for _, x in theirs]


def test_the_index_keeps_its_postings_ordered_by_term(ro) -> None:
    """search_index_build.sql re-sorts fts's postings; without it BM25 reads every posting."""
    termids = [r[0] for r in ro.execute("SELECT termid FROM fts_main_search_docs.terms").fetchall()]
    assert termids == sorted(termids)
    assert len(set(termids)) > 50


def test_story_grouping_and_sources(ro, corpus_db) -> None:
    _, ids = corpus_db
    result = S.search(ro, "bentrokan warga Woha tewas")
    first = result.stories[0]
    assert first.story_id == 1 and first.n_articles == 2 and first.n_outlets == 2
    # both reports of the event, in one result; the analyst link is the fetched URL
    assert {s.article_id for s in first.sources} == {ids["clash_a"], ids["clash_b"]}
    assert all(s.url.endswith("?utm=fetched") for s in first.sources)
    assert first.sources[0].article_id == first.article_id and first.sources[0].matched
    assert first.level == 4 and first.region_code == "52.06"
    assert first.region_name == "Kabupaten Bima"  # the official name, from `regions`
    # the sentence sharing most query words (bentrok, warga, woha) is the snippet
    assert first.snippet.startswith("Bentrokan antarwarga pecah di Kecamatan Woha")
    assert [h.story_id for h in result.stories].count(1) == 1
    # an article without a story stands alone
    lone = S.search(ro, "mahasiswa unjuk rasa").stories[0]
    assert lone.story_id is None and lone.article_id == ids["protest"]
    assert lone.n_articles == 1 and lone.sources[0].outlet == "kaltim_today"


def test_filters(ro, corpus_db) -> None:
    _, ids = corpus_db
    # region prefix: province 64 holds the protest (64.72) and the rakor (64.71)
    assert set(_articles(S.search(ro, "aparat pengamanan aksi", region="64"))) == {
        ids["protest"],
        ids["rakor"],
    }
    # 64.72 is the protest's primary region and a region the rakor article mentions
    assert set(_articles(S.search(ro, "pengamanan", region="64.72"))) == {ids["rakor"]}
    assert S.search(ro, "rakor pilkada", region="52").stories == []
    # topic family and exact code
    fam = S.search(ro, "aparat", topic="conflict.*")
    assert set(_articles(fam)) == {ids["protest"], ids["clash_a"]}
    assert _articles(S.search(ro, "aparat", topic="conflict.protest")) == [ids["protest"]]
    assert S.search(ro, "aparat", topic="election.preparedness").stories == []
    # level: the story's highest level counts (clash_b is 3, its story 4)
    assert _articles(S.search(ro, "aparat", min_level=4)) == [ids["clash_a"]]
    assert _articles(S.search(ro, "polres", min_level=4)) == [ids["clash_b"]]
    # an article without a story is judged by its own level (the protest is level 1)
    assert _articles(S.search(ro, "mahasiswa unjuk rasa", min_level=1)) == [ids["protest"]]
    assert S.search(ro, "mahasiswa unjuk rasa", min_level=2).stories == []
    # dates: the event date, else publication (the protest has no event date)
    march = S.search(ro, "aparat", date_from=date(2025, 3, 5), date_to=date(2025, 3, 31))
    assert _articles(march) == [ids["protest"]]
    early = S.search(ro, "aparat", date_to=date(2025, 3, 3))
    assert _articles(early) == [ids["clash_a"]]
    with pytest.raises(ValueError, match="Kemendagri"):
        S.search(ro, "x", region="Kaltim")
    with pytest.raises(ValueError, match="topic"):
        S.search(ro, "x", topic="Conflict")


def test_an_index_built_the_old_way_is_rebuilt(corpus_db, tmp_path) -> None:
    """An index from before a change to search_index_build.sql (here: fts's own postings
    order) counts as stale, and the next writable search rebuilds it sorted."""
    path = tmp_path / "old.duckdb"
    shutil.copy(corpus_db[0], path)
    con = db.connect(path)
    db.load_fts(con)
    con.execute(db.sql("search_index_build").split(";")[0])  # fts alone: document order
    # what the code before the layout suffix recorded: the bare fingerprint of the terms
    bare = con.execute(db.sql("search_status"), {"analyzer": S.analyzer_version()}).fetchone()[2]
    con.execute("UPDATE search_index_state SET fingerprint = ?", [bare])
    assert not S.index_status(con).fresh
    assert S.search(con, "penembakan prajurit").stories
    assert S.index_status(con).fresh
    termids = [
        r[0] for r in con.execute("SELECT termid FROM fts_main_search_docs.terms").fetchall()
    ]
    assert termids == sorted(termids)
    con.close()


def test_index_stays_fresh_incrementally(corpus_db, tmp_path) -> None:
    path = tmp_path / "copy.duckdb"
    shutil.copy(corpus_db[0], path)
    con = db.connect(path)
    assert S.index_status(con).fresh
    stats = S.refresh_index(con)
    assert (stats.analysed, stats.rebuilt) == (0, False)  # nothing changed: nothing done
    save_batch(
        con,
        [
            ArticleRecord(
                url="https://baru.example/sengketa",
                outlet="baru",
                title="Sengketa lahan sawit memanas",
                body="Warga adat menghadang alat berat perusahaan sawit.",
                content_hash="hash-sengketa",
                language="id",
            )
        ],
    )
    assert S.index_status(con).pending == 1
    con.close()
    # a read-only search still works on the old index and says it is behind
    ro = db.connect(path, read_only=True)
    behind = S.search(ro, "sengketa sawit")
    assert behind.stories == [] and any("behind" in n for n in behind.notes)
    ro.close()
    # open_for_search refreshes it (only the new article is analysed)
    con, notes = S.open_for_search(path, wait=5, reindex_wait=5)
    assert any("1 articles analysed" in n for n in notes)
    assert S.search(con, "sengketa sawit").stories[0].title.startswith("Sengketa lahan")
    con.close()


def _hold_read_only(path: Path) -> subprocess.Popen:
    """Another process reading the file: it keeps any process from opening it for writing."""
    code = (
        "import sys, time, duckdb; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print('ready', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_stale_index_with_a_busy_database(corpus_db, tmp_path) -> None:
    path = tmp_path / "copy.duckdb"
    shutil.copy(corpus_db[0], path)
    con = db.connect(path)
    con.execute("UPDATE articles SET content_hash = 'changed' WHERE id = 1")
    con.close()
    reader = _hold_read_only(path)
    try:
        con, notes = S.open_for_search(path, wait=5, reindex_wait=0.5)
        assert any("behind (1 articles changed" in n for n in notes)
        assert S.search(con, "penembakan").stories  # the old index still answers
        con.close()
    finally:
        reader.kill()
        reader.wait()
    # never built, and the file is busy: one clear error, nothing written
    fresh = tmp_path / "fresh.duckdb"
    build_corpus(fresh)
    reader = _hold_read_only(fresh)
    try:
        with pytest.raises(db.DatabaseBusy, match="has not been built yet"):
            S.open_for_search(fresh, wait=5, reindex_wait=0.5)
    finally:
        reader.kill()
        reader.wait()


def test_cli_search_builds_the_index_lazily_and_prints_json(tmp_path) -> None:
    path = tmp_path / "suar.duckdb"
    ids = build_corpus(path)
    env = {"SUAR_DB": str(path), "SUAR_SEARCH_SEMANTIC": "0"}
    proc = run_suar("search", "bentrokan antarwarga", "--json", env=env)
    assert "search index refreshed: 6 articles analysed" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["story_id"] == 1 and lines[0]["level"] == 4
    assert {s["article_id"] for s in lines[0]["sources"]} == {ids["clash_a"], ids["clash_b"]}
    text = run_suar("search", "penembakan", "--region", "94", env=env)
    assert "refreshed" not in text.stderr  # fresh now: searched read-only
    assert text.stdout.startswith("1. [level 4] Kelompok bersenjata menembak prajurit")
    assert "* papua_pos: https://papua_pos.example/shooting?utm=fetched" in text.stdout
    bad = run_suar("search", "x", "--region", "kaltim", env=env, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "Kemendagri" in bad.stderr
    early = {"SUAR_DB": str(tmp_path / "absent.duckdb")}  # a typo fails before any loading
    bad = run_suar("search", "x", "--topic", "Konflik!", env=early, check=False)
    assert bad.returncode == 2 and "--topic 'Konflik!'" in bad.stderr
    rebuilt = run_suar("search", "--reindex", env=env)
    assert "search index refreshed: 0 articles analysed, 6 indexed" in rebuilt.stderr
    assert rebuilt.stdout == ""
    empty = run_suar("search", env=env, check=False)
    assert empty.returncode == 2 and "give the text" in empty.stderr
    none = run_suar("search", "yang", env=env)
    assert "no matching stories" in none.stdout and "only stopwords" in none.stderr


@pytest.mark.slow
def test_semantic_finds_a_paraphrase_bm25_misses(corpus_db, tmp_path) -> None:
    from nlp.embeddings import EmbeddingError
    from pipeline.embed import configured_embedder, run_embed

    try:
        embedder = configured_embedder()
    except EmbeddingError as exc:  # pragma: no cover - the model is built from a pip package
        pytest.skip(f"embedding model unavailable: {exc}")
    path = tmp_path / "copy.duckdb"
    shutil.copy(corpus_db[0], path)
    con = db.connect(path)
    run_embed(con, embedder)
    ids = build_ids(con)
    # "riots" and "election" appear nowhere in the riot article (massa melempari gedung KPU)
    assert S.search(con, "kerusuhan pemilu").stories == []
    hybrid = S.search(con, "kerusuhan pemilu", embedder=embedder)
    assert hybrid.mode == "hybrid"
    assert hybrid.stories[0].article_id == ids["riot"]
    assert hybrid.stories[0].bm25 is None and hybrid.stories[0].similarity > 0.5
    # keyword hits keep their place when both rankings agree
    both = S.search(con, "penembakan prajurit", embedder=embedder)
    assert both.stories[0].article_id == ids["shooting"]
    assert both.stories[0].bm25 is not None and both.stories[0].similarity is not None
    # filters apply to the semantic half too
    filtered = S.search(con, "kerusuhan pemilu", embedder=embedder, region="64")
    assert ids["riot"] not in _articles(filtered)
    con.close()


def build_ids(con) -> dict[str, int]:
    return dict(con.execute("SELECT split_part(url, '/', 4), id FROM articles").fetchall())


def test_snippets_never_cut_inside_numbers_or_words() -> None:
    from pipeline.search import analyse, snippet

    text = "Tim gabungan menemukan 3.412 butir amunisi di gudang itu. Kalimat lain sama sekali."
    assert snippet(text, set(analyse("amunisi"))) == (
        "Tim gabungan menemukan 3.412 butir amunisi di gudang itu."
    )
    long = "Awal " * 30 + "warga menemukan 3.412 butir amunisi di gudang tua milik perusahaan itu"
    cut = snippet(long, set(analyse("amunisi")), width=40)
    assert "3.412" in cut or "3." not in cut
    words = set(long.split())
    assert all(w in words for w in cut.strip("…").split()), cut  # only whole words


def test_result_lines_count_in_english() -> None:
    from pipeline.search import StoryHit, format_hit

    hit = StoryHit(
        story_id=7, article_id=1, title="Bentrok", level=3, region_code="64.72.06",
        region_name="Sungai Kunjang, Kota Samarinda", first_seen=None, last_seen=None,
        n_articles=1, n_outlets=1, topics=[], score=0.5, bm25=1.0, similarity=None, snippet="",
    )  # fmt: skip
    line = format_hit(1, hit)[1]
    assert "1 report, 1 outlet" in line and "Sungai Kunjang, Kota Samarinda" in line
    hit.n_articles, hit.n_outlets = 3, 2
    assert "3 reports, 2 outlets" in format_hit(1, hit)[1]
