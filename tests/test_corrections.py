"""Confidences in DuckDB and analysts' corrections (issue 13, items 1 and 4), on a real DuckDB
file enriched by the real `suar enrich`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlp.signal_train import load_jsonl_examples
from pipeline import db
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.enrich import registry_nlp, run_enrich
from pipeline.store import save_batch
from pipeline.stories import build_stories
from tests.test_enrich import _records


@pytest.fixture(scope="module")
def nlp():
    return registry_nlp()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three articles saved, enriched by `suar enrich` and grouped into stories."""
    path = tmp_path_factory.mktemp("corr") / "suar.duckdb"
    con = db.connect(path)
    save_batch(con, _records())
    con.close()
    res = CliRunner().invoke(main, ["--db", str(path), "enrich", "--workers", "1"])
    assert res.exit_code == 0, res.output
    con = db.connect(path)
    build_stories(con, load_config(db=path))
    con.close()
    return path


@pytest.fixture
def path(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built database, so each test corrects its own."""
    dest = tmp_path / "suar.duckdb"
    shutil.copy(built, dest)
    return dest


def _suar(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), *args])


def _clash_id(con) -> int:
    return con.execute("SELECT id FROM articles WHERE url LIKE '%bentrok-bima'").fetchone()[0]


def test_enrich_stores_the_model_confidences_and_v_signals_shows_them(path: Path) -> None:
    con = db.connect(path, read_only=True)
    aid = _clash_id(con)
    level, conf = con.execute(
        "SELECT escalation_level, level_confidence FROM enrichments WHERE article_id = ?", [aid]
    ).fetchone()
    assert level is not None and conf is not None and 0.0 < conf <= 1.0
    topics = con.execute(
        "SELECT code, confidence FROM article_topics WHERE article_id = ?", [aid]
    ).fetchall()
    assert topics and all(c is not None and 0.0 < c <= 1.0 for _, c in topics)
    sig = con.execute(
        "SELECT topic, topic_confidence, level, level_confidence FROM v_signals "
        "WHERE representative_id = ? AND topic IS NOT NULL",
        [aid],
    ).fetchall()
    assert {t for t, *_ in sig} == {t for t, _ in topics}
    best = dict(topics)
    for topic, tconf, slevel, lconf in sig:
        assert tconf == pytest.approx(best[topic])
        assert slevel == level and lconf == pytest.approx(conf)
    # skipped (English) articles carry no confidence
    assert con.execute(
        "SELECT level_confidence FROM enrichments WHERE status = 'skipped_language'"
    ).fetchone() == (None,)


def test_correction_wins_in_the_views_and_survives_re_enrichment(path: Path, nlp) -> None:
    con = db.connect(path, read_only=True)
    aid = _clash_id(con)
    machine = con.execute(
        "SELECT killed, escalation_level FROM enrichments WHERE article_id = ?", [aid]
    ).fetchone()
    con.close()
    assert machine[0] == 2  # "Dua warga tewas"
    for args in (
        ("killed", "3", "--note", "a third died in hospital", "--by", "rina"),
        ("level", "4"),
        ("topics", "conflict.communal,security.force"),
        ("primary_region", "52.06"),
        ("injured", "null"),
    ):
        res = _suar(path, "correct", str(aid), *args)
        assert res.exit_code == 0, res.output
    # the latest correction per field wins; the earlier one stays as history
    assert _suar(path, "correct", str(aid), "killed", "4", "--by", "budi").exit_code == 0

    def shown() -> tuple:
        con = db.connect(path, read_only=True)
        try:
            return con.execute(
                "SELECT any_value(killed), any_value(injured), any_value(level), "
                "list(DISTINCT topic ORDER BY topic), any_value(region_code), "
                "any_value(level_confidence), any_value(n_checked) "
                "FROM v_signals WHERE representative_id = ?",
                [aid],
            ).fetchone()
        finally:
            con.close()

    want = (4, None, 4, ["conflict.communal", "security.force"], "52.06", 1.0, 1)
    assert shown() == want
    con = db.connect(path)
    assert (
        con.execute("SELECT count(*) FROM corrections WHERE article_id = ?", [aid]).fetchone()[0]
        == 6
    )
    again = run_enrich(con, nlp=nlp, version="v-next", force=True)
    assert again.enriched == 2
    # the machine's own rows are back to its values ...
    assert con.execute("SELECT killed FROM enrichments WHERE article_id = ?", [aid]).fetchone() == (
        2,
    )
    build_stories(con, load_config(db=path))
    con.close()
    # ... and the views still show the analyst's
    assert shown() == want

    listed = _suar(path, "corrections", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 6 and "budi" in lines[0] and "a third died in hospital" in listed.output


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("topics", "conflict.riot,nonsense.code", "unknown topic code(s) nonsense.code"),
        ("level", "5", "level must be an integer 0-4"),
        ("killed", "2.5", "killed must be a non-negative integer or 'null'"),
        ("crowd", "many", "crowd must be a non-negative integer or 'null'"),
        ("primary_region", "99.99", "no region with Kemendagri code '99.99'"),
        ("mood", "calm", "unknown field 'mood'"),
    ],
)
def test_bad_corrections_fail_with_one_line_and_store_nothing(
    path: Path, field: str, value: str, message: str
) -> None:
    con = db.connect(path, read_only=True)
    aid = _clash_id(con)
    con.close()
    res = _suar(path, "correct", str(aid), field, value)
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and message in res.output
    missing = _suar(path, "correct", "999999", "level", "2")
    assert missing.exit_code == 2 and "no article with id 999999" in missing.output
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT count(*) FROM corrections").fetchone() == (0,)


def test_export_round_trips_into_signal_training(path: Path, tmp_path: Path) -> None:
    con = db.connect(path, read_only=True)
    aid = _clash_id(con)
    machine_topics = con.execute(
        "SELECT topic_codes FROM enrichments WHERE article_id = ?", [aid]
    ).fetchone()[0]
    con.close()
    assert _suar(path, "correct", str(aid), "level", "2", "--note", "no clash yet").exit_code == 0
    assert _suar(path, "correct", str(aid), "killed", "null").exit_code == 0
    out = tmp_path / "corrections.jsonl"
    res = _suar(path, "corrections", "export", "--out", str(out))
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 1  # only corrected articles become training rows
    row = rows[0]
    assert row["escalation"] == 2 and row["killed"] is None
    assert row["topics"] == list(machine_topics)  # not corrected: the machine's value
    assert row["injured"] == 5 and row["arrested"] == 7
    assert row["primary_regency"]["code"] == "52.06"
    assert row["primary_province"] == {"code": "52", "name": "Nusa Tenggara Barat"}
    assert row["title"] == "Bentrok di Bima" and "Woha" in row["text"]
    examples = load_jsonl_examples(out, "corrections")
    assert len(examples) == 1
    ex = examples[0]
    assert ex.level == 2 and ex.topics == frozenset(machine_topics)
    assert ex.text.startswith("Bentrok di Bima\n")


def test_digest_summary_counts_checked_stories(path: Path) -> None:
    con = db.connect(path, read_only=True)
    aid = _clash_id(con)
    week = con.execute(
        "SELECT week_start FROM v_signals WHERE representative_id = ?", [aid]
    ).fetchone()[0]
    con.close()

    def checked() -> int:
        con = db.connect(path, read_only=True)
        try:
            cur = con.execute(db.sql("digest_summary"), {"week_start": week})
            names = [d[0] for d in cur.description]
            return dict(zip(names, cur.fetchone(), strict=True))["checked"]
        finally:
            con.close()

    assert checked() == 0
    assert _suar(path, "correct", str(aid), "level", "3").exit_code == 0
    assert checked() == 1


def test_search_filters_on_the_corrected_topics_and_level(path: Path) -> None:
    from pipeline.search import search

    con = db.connect(path, read_only=True)
    aid = _clash_id(con)
    machine = con.execute(
        "SELECT topic_codes FROM enrichments WHERE article_id = ?", [aid]
    ).fetchone()[0]
    con.close()
    assert machine and "election.dispute" not in machine

    def found(**filters) -> bool:
        con = db.connect(path)
        try:
            hits = search(con, "Bima", **filters).stories
            return any(h.article_id == aid or aid in _members(con, h.story_id) for h in hits)
        finally:
            con.close()

    assert found(topic=machine[0]) and not found(topic="election.dispute")
    assert _suar(path, "correct", str(aid), "topics", "election.dispute").exit_code == 0
    assert _suar(path, "correct", str(aid), "level", "0").exit_code == 0
    assert found(topic="election.dispute") and not found(topic=machine[0])
    assert not found(topic="election.dispute", min_level=1)


def _members(con, story_id: int | None) -> set[int]:
    if story_id is None:
        return set()
    rows = con.execute("SELECT article_id FROM story_articles WHERE story_id = ?", [story_id])
    return {r[0] for r in rows.fetchall()}
