"""`suar search --min-confidence`: hits limited to articles whose signal confidence (the
trained model's probability stored by enrichment, or 1.0 once an analyst corrected the
value) is at least X, on a real DuckDB file built from the own-written search corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import db
from pipeline import search as S
from pipeline.corrections import correct
from tests.conftest import run_suar
from tests.search_corpus import build_corpus

# one word from each of four articles that stand in four different stories (or none)
QUERY = "mahasiswa prajurit pilkada massa"
LEVEL_CONF = {"protest": 0.9, "shooting": 0.4, "rakor": 0.7}  # riot: NULL (rules only)
TOPIC_CONF = {
    ("protest", "conflict.protest"): 0.3,
    ("riot", "conflict.riot"): 0.8,
    ("riot", "election.violence"): 0.55,
    ("rakor", "election.preparedness"): 0.95,
}  # shooting's conflict.armed: NULL


@pytest.fixture
def conf_db(tmp_path) -> tuple[Path, dict[str, int]]:
    """The search corpus with model confidences written the way enrichment stores them."""
    path = tmp_path / "suar.duckdb"
    ids = build_corpus(path)
    con = db.connect(path)
    for key, value in LEVEL_CONF.items():
        con.execute(
            "UPDATE enrichments SET level_confidence = ? WHERE article_id = ?", [value, ids[key]]
        )
    for (key, code), value in TOPIC_CONF.items():
        con.execute(
            "UPDATE article_topics SET confidence = ? WHERE article_id = ? AND code = ?",
            [value, ids[key], code],
        )
    S.refresh_index(con)
    con.close()
    return path, ids


def _found(con, ids: dict[str, int], **filters) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[h.article_id] for h in S.search(con, QUERY, limit=50, **filters).stories}


def test_level_confidence_filters_without_a_topic(conf_db) -> None:
    path, ids = conf_db
    con = db.connect(path)
    assert _found(con, ids) == {"protest", "shooting", "rakor", "riot"}
    assert _found(con, ids, min_confidence=0.6) == {"protest", "rakor"}
    assert _found(con, ids, min_confidence=0.9) == {"protest"}  # at least: 0.9 passes
    assert _found(con, ids, min_confidence=0.0) == {"protest", "shooting", "rakor"}  # not NULL
    # combined with the other filters, not instead of them
    assert _found(con, ids, min_confidence=0.6, min_level=1) == {"protest"}
    con.close()


def test_topic_filter_uses_the_topics_own_confidence(conf_db) -> None:
    path, ids = conf_db
    con = db.connect(path)
    assert _found(con, ids, topic="conflict.*") == {"protest", "shooting", "riot"}
    # riot's level has no confidence, but its conflict.riot topic has 0.8
    assert _found(con, ids, topic="conflict.*", min_confidence=0.5) == {"riot"}
    assert _found(con, ids, topic="election.violence", min_confidence=0.5) == {"riot"}
    assert _found(con, ids, topic="election.violence", min_confidence=0.6) == set()
    # the protest's level is confident (0.9), its topic is not (0.3)
    assert _found(con, ids, topic="conflict.protest", min_confidence=0.5) == set()
    con.close()


def test_an_analysts_correction_counts_as_certain(conf_db) -> None:
    path, ids = conf_db
    con = db.connect(path)
    correct(con, ids["protest"], "topics", "conflict.protest", by="tester")
    correct(con, ids["shooting"], "level", "4", by="tester")
    assert _found(con, ids, topic="conflict.*", min_confidence=0.5) == {"riot", "protest"}
    assert _found(con, ids, min_confidence=0.95) == {"shooting"}
    # a corrected topic list that no longer holds the topic is not found through it
    correct(con, ids["riot"], "topics", "election.violence", by="tester")
    assert _found(con, ids, topic="conflict.riot", min_confidence=0.5) == set()
    assert _found(con, ids, topic="election.violence", min_confidence=0.99) == {"riot"}
    con.close()


def test_out_of_range_confidence_is_refused(conf_db) -> None:
    path, _ = conf_db
    con = db.connect(path)
    with pytest.raises(ValueError, match="probability"):
        S.search(con, QUERY, min_confidence=80)
    with pytest.raises(ValueError, match="probability"):
        S.check_filters(min_confidence=-0.1)
    con.close()


def test_cli_option(conf_db) -> None:
    path, ids = conf_db
    env = {"SUAR_DB": str(path), "SUAR_SEARCH_SEMANTIC": "0"}
    proc = run_suar("search", QUERY, "--min-confidence", "0.6", "--json", env=env)
    found = {json.loads(line)["article_id"] for line in proc.stdout.splitlines()}
    assert found == {ids["protest"], ids["rakor"]}
    bad = run_suar("search", QUERY, "--min-confidence", "80", env=env, check=False)
    assert bad.returncode == 2 and "--min-confidence" in bad.stderr
