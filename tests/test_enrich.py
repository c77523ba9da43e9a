"""`suar enrich` on a real DuckDB file: idempotent, re-enriches on change, skips other languages."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from crawler.demosite import DemoSite
from pipeline import db
from pipeline.cli import main
from pipeline.enrich import (
    pending_ids,
    registry_nlp,
    registry_version,
    run_enrich,
    write_results,
)
from pipeline.store import ArticleRecord, save_batch
from tests.conftest import run_suar

CLASH = (
    "BIMA, Contoh.id – Bentrokan antarwarga pecah di Kecamatan Woha, Kabupaten Bima, Senin "
    "(3/3). Dua warga tewas dan lima lainnya luka-luka.\n\n"
    "Kapolres Bima AKBP Hendra Wijaya mengatakan polisi menangkap tujuh orang.\n\n"
    "Penulis: Rudi"
)
RAKOR = (
    "SAMARINDA, Contoh.id – Forkopimda Kaltim menggelar rapat koordinasi pengamanan pemilu di "
    "Kota Samarinda. Gubernur meminta semua pihak mewaspadai potensi kerawanan."
)
ENGLISH = "The council met on Tuesday to discuss the new bus routes and the budget for parks."


def _records(clash_body: str = CLASH, clash_hash: str = "h-clash") -> list[ArticleRecord]:
    return [
        ArticleRecord(
            url="https://contoh.id/bentrok-bima", outlet="contoh", title="Bentrok di Bima",
            body=clash_body, content_hash=clash_hash, language="id",
        ),
        ArticleRecord(
            url="https://contoh.id/rakor", outlet="contoh", title="Rakor pengamanan pemilu",
            body=RAKOR, content_hash="h-rakor", language="id",
        ),
        ArticleRecord(
            url="https://contoh.id/en", outlet="contoh", title="Bus routes",
            body=ENGLISH, content_hash="h-en", language="en",
        ),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def nlp():
    return registry_nlp()  # what `suar enrich` runs


@pytest.fixture
def con(tmp_path: Path):
    con = db.connect(tmp_path / "suar.duckdb")
    save_batch(con, _records())
    yield con
    con.close()


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_enrich_writes_results_and_is_idempotent(con, nlp) -> None:
    first = run_enrich(con, nlp=nlp, version="v1", batch_size=2)
    assert (first.pending, first.enriched, first.skipped_language) == (3, 2, 1)
    rows = con.execute(
        "SELECT a.url, e.status, e.language, e.primary_region_code, e.escalation_level, "
        "e.killed, e.injured, e.arrested, e.killed_evidence, e.topic_codes "
        "FROM enrichments e JOIN articles a ON a.id = e.article_id ORDER BY a.url"
    ).fetchall()
    by_url = {r[0]: r[1:] for r in rows}
    clash = by_url["https://contoh.id/bentrok-bima"]
    assert clash[:2] == ("enriched", "id")
    assert clash[2].startswith("52.06") and clash[3] == 4
    assert clash[4:7] == (2, 5, 7)
    assert "tewas" in clash[7]
    assert "conflict.communal" in clash[8]
    assert by_url["https://contoh.id/en"][:2] == ("skipped_language", "en")
    assert by_url["https://contoh.id/en"][3] is None  # not assessed, not 'level 0'
    entities = _count(con, "article_entities")
    regions = _count(con, "article_regions")
    topics = _count(con, "article_topics")
    assert entities and regions and topics
    byline = con.execute(
        "SELECT is_byline, actor_class FROM article_entities WHERE text = 'Rudi'"
    ).fetchall()
    assert byline == [(True, None)]
    assert con.execute("SELECT count(*) FROM article_regions WHERE is_primary").fetchone()[0] >= 2
    evidence = con.execute(
        "SELECT t.cue, t.start_char, t.end_char, a.title || chr(10) || a.body "
        "FROM article_topics t JOIN articles a ON a.id = t.article_id"
    ).fetchall()
    for cue, start, end, text in evidence:
        assert text[start:end].lower() == cue.lower()

    second = run_enrich(con, nlp=nlp, version="v1")
    assert (second.pending, second.enriched, second.skipped_language) == (0, 0, 0)
    assert _count(con, "article_entities") == entities


def test_pipeline_change_and_content_change_re_enrich(con, nlp) -> None:
    run_enrich(con, nlp=nlp, version="v1")
    counts = [_count(con, t) for t in ("enrichments", "article_entities", "article_topics")]
    again = run_enrich(con, nlp=nlp, version="v2")
    assert again.pending == 3  # a new pipeline version re-enriches everything
    assert [_count(con, t) for t in ("enrichments", "article_entities", "article_topics")] == (
        counts
    )  # replaced, not duplicated
    assert {r[0] for r in con.execute("SELECT pipeline_version FROM enrichments").fetchall()} == {
        "v2"
    }
    # the clash story is updated: only it is enriched again, and its old rows are gone
    calmer = CLASH.replace("Dua warga tewas dan lima lainnya luka-luka.", "Tidak ada korban.")
    outcome = save_batch(con, _records(calmer, "h-clash-2")[:1])
    assert outcome[0][0] == "updated"
    assert len(pending_ids(con, "v2")) == 1
    third = run_enrich(con, nlp=nlp, version="v2")
    assert (third.pending, third.enriched) == (1, 1)
    killed = con.execute(
        "SELECT e.killed, e.content_hash FROM enrichments e JOIN articles a ON a.id = e.article_id "
        "WHERE a.url = 'https://contoh.id/bentrok-bima'"
    ).fetchone()
    assert killed == (None, "h-clash-2")
    assert run_enrich(con, nlp=nlp, version="v2", force=True, limit=2).pending == 2


def test_cli_enrich_uses_the_pipeline_version(tmp_path: Path, nlp) -> None:
    path = tmp_path / "cli.duckdb"
    con = db.connect(path)
    save_batch(con, _records())
    con.close()
    runner = CliRunner()
    first = runner.invoke(main, ["--db", str(path), "enrich", "--workers", "1"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["version"] == registry_version()
    assert (summary["enriched"], summary["skipped_language"]) == (2, 1)
    second = runner.invoke(main, ["--db", str(path), "enrich"])
    assert json.loads(second.stdout.strip().splitlines()[-1])["pending"] == 0


def test_crawl_and_enrich_link_the_region_as_annotate_does_on_raw_text(tmp_path: Path) -> None:
    """Production enriches what evaluation measures (issue 13, item 5).

    The crawler strips the dateline from the body and stores it apart; `suar enrich` passes
    it back (with the stored language and the outlet's home province), so the primary region
    is the one `suar annotate` finds on the page's raw text. Without the dateline this
    article would be the province only (Aceh), not Kota Banda Aceh.
    """
    slug = "forkopimda-aceh-gelar-rakor-pengamanan-pilkada-ulang"
    path = tmp_path / "demo.duckdb"
    with DemoSite() as site:
        expected = next(a for a in site.expected_articles() if slug in a["path"])
        prefix = site.outlets["serambinews"].cfg["dateline"].format(place=expected["dateline"])
        run_suar(
            "--db", str(path), "crawl", "--impolite", "--outlet", "serambinews",
            "--base-url", f"serambinews={site.base_urls['serambinews']}",
        )  # fmt: skip
    with duckdb.connect(str(path), read_only=True) as con:
        url, dateline, body = con.execute(
            "SELECT url, dateline, body FROM articles WHERE url LIKE ?", [f"%{slug}%"]
        ).fetchone()
    assert dateline == "BANDA ACEH" and not body.startswith("SERAMBINEWS")
    run_suar("--db", str(path), "enrich", "--workers", "1")
    with duckdb.connect(str(path), read_only=True) as con:
        enriched = con.execute(
            "SELECT e.primary_region_code FROM enrichments e JOIN articles a ON a.id = "
            "e.article_id WHERE a.url = ?",
            [url],
        ).fetchone()[0]
    raw = {
        "id": "raw",
        "title": expected["title"],
        "text": prefix.rstrip() + " " + "\n\n".join(expected["paragraphs"]),
        "outlet": "serambinews",
        "url": url,
    }
    result = CliRunner().invoke(main, ["annotate", "--workers", "1", "-"], input=json.dumps(raw))
    assert result.exit_code == 0, result.output
    annotated = json.loads(result.stdout.strip().splitlines()[-1])["primary_region"]["code"]
    assert enriched == annotated == "11.71"


def test_write_results_stores_every_value_as_given(con) -> None:
    """The batch goes to DuckDB as JSON (pipeline/enrich.py): quotes, backslashes, line
    breaks, non-ASCII text, nulls, floats and lists must come back exactly."""
    ids = [r[0] for r in con.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    odd = 'Kata "Bupati" \\ di\nKota Bima\u2014\u201cricuh\u201d \U0001f525'
    full = {
        "id": ids[0], "language": "id", "enriched": True,
        "primary_region": {"code": "52.72", "level": "kota", "province_code": "52"},
        "regions": [
            {"code": "52.72", "name": "Kota Bima", "level": "kota", "province_code": "52",
             "text": odd, "start": 3, "end": 12},
        ],
        "entities": [
            {"text": odd, "label": "PER", "actor_class": None, "role": "ketua",
             "is_byline": True, "start": 0, "end": 7},
        ],
        "topics": [
            {"code": "conflict.communal", "score": 0.1 + 0.2, "confidence": 2 / 3,
             "evidence": {"sentence": odd, "cue": "ricuh", "start": 5, "end": 10}},
        ],
        "escalation": {"level": 3, "confidence": 1 / 7,
                       "evidence": {"sentence": odd, "cue": "ricuh", "start": 5, "end": 10}},
        "magnitudes": {"killed": 2, "injured": None, "arrested": 0, "crowd": 1_500_000},
        "magnitude_evidence": {"killed": {"phrase": odd}},
    }  # fmt: skip
    bare = {
        "id": ids[1], "language": "en", "enriched": False, "primary_region": None,
        "regions": [], "entities": [], "topics": [],
        "escalation": {"level": None, "evidence": None, "confidence": None},
        "magnitudes": dict.fromkeys(("killed", "injured", "arrested", "crowd")),
        "magnitude_evidence": {},
    }  # fmt: skip
    write_results(con, [full, bare], {ids[0]: "h\u00e9", ids[1]: None}, "v-json")
    rows = con.execute(
        "SELECT article_id, content_hash, status, primary_region_code, escalation_level, "
        "escalation_evidence, escalation_start, killed, injured, arrested, crowd, "
        "killed_evidence, topic_codes, level_confidence, pipeline_version "
        "FROM enrichments WHERE article_id IN (?, ?) ORDER BY article_id",
        ids[:2],
    ).fetchall()
    assert rows == [
        (ids[0], "h\u00e9", "enriched", "52.72", 3, odd, 5, 2, None, 0, 1_500_000, odd,
         ["conflict.communal"], 1 / 7, "v-json"),
        (ids[1], None, "skipped_language", None, None, None, None, None, None, None, None,
         None, [], None, "v-json"),
    ]  # fmt: skip
    assert con.execute(
        "SELECT text, label, actor_class, role, is_byline, start_char, end_char "
        "FROM article_entities WHERE article_id = ?",
        [ids[0]],
    ).fetchall() == [(odd, "PER", None, "ketua", True, 0, 7)]
    assert con.execute(
        "SELECT code, text, start_char, end_char, is_primary FROM article_regions "
        "WHERE article_id = ?",
        [ids[0]],
    ).fetchall() == [("52.72", odd, 3, 12, True)]
    assert con.execute(
        "SELECT code, score, evidence, cue, confidence FROM article_topics WHERE article_id = ?",
        [ids[0]],
    ).fetchall() == [("conflict.communal", 0.1 + 0.2, odd, "ricuh", 2 / 3)]


def test_signal_model_features_from_the_rules_scan_equal_a_fresh_scan(nlp) -> None:
    """The signal model reads the rules' first pass instead of scanning again; the features
    (and so its decisions) must be those of its own scan, also for a denied, negated,
    retrospective article whose later rule passes change sentence flags and hits."""
    from nlp import signal_model as sm
    from nlp import signals as sig

    text = (
        "Sepuluh Tahun Setelah Bentrok Warga, Kini Rukun\n"
        "Polisi membantah ada bentrokan di Kota Bima pada Senin (3/3/2025). Tidak ada korban "
        "jiwa dalam kejadian itu.\n\nWarga mencegah bentrok dan menangkap lima orang. Pada "
        "2015 kerusuhan menewaskan dua orang dan serangan jantung dialami seorang warga."
    )
    doc = nlp(text)
    engine = sig.get_engine()
    assert engine is sig.get_engine(None)  # the component's engine is the model's
    spans = sig.doc_sentence_spans(doc)
    assert spans == [(s.start_char, s.end_char) for s in doc.sents]
    result, scan = engine.analyze_scan(text, spans)
    assert result == engine.analyze(text, spans)
    args = (
        text,
        spans,
        doc._.rule_topics,
        doc._.rule_escalation,
        doc._.magnitudes,
        sm.topic_codes(),
    )
    fresh = sm.article_features(*args)
    reused = sm.article_features(*args, scanned=scan)
    assert reused == fresh
    assert sig.SCAN_KEY not in doc.user_data  # consumed by the model, not kept on the doc
