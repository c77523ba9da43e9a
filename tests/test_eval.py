"""`suar eval`: metric arithmetic on hand-made cases, and the full report on ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.evaluate import _ner_section, run_eval, score_news_dev
from nlp.pipeline import get_nlp


def _pred(primary, regions, topics, level, killed=None):
    return {
        "primary_region": primary,
        "regions": [
            {"code": c, "level": "province" if "." not in c else "regency"} for c in regions
        ],
        "topics": [{"code": t} for t in topics],
        "escalation": {"level": level},
        "magnitudes": {"killed": killed, "injured": None, "arrested": None, "crowd": None},
    }


def _gold(gid, prov, reg, provs, regs, topics, level, killed=None):
    return {
        "id": gid,
        "primary_province": {"code": prov} if prov else None,
        "primary_regency": {"code": reg} if reg else None,
        "provinces_mentioned": provs,
        "regencies_mentioned": regs,
        "topics": topics,
        "escalation": level,
        "killed": killed,
        "injured": None,
        "arrested": None,
        "crowd": None,
    }


def test_scores_are_computed_from_annotate_output() -> None:
    kota = {"code": "64.72", "level": "regency", "province_code": "64"}
    prov = {"code": "64", "level": "province", "province_code": "64"}
    gold = [
        _gold("a", "64", "64.72", ["64"], ["64.72"], ["conflict.riot"], 3, 2),
        _gold("b", "64", None, ["64"], [], ["election.preparedness"], 1),
        _gold("c", None, None, [], [], [], 0),
        _gold("d", "64", "64.71", [], ["64.71"], ["conflict.protest"], 2),
    ]
    pred = [
        _pred(kota, ["64", "64.72"], ["conflict.riot"], 3, 2),  # all right
        _pred(kota, ["64", "64.72"], ["election.preparedness"], 1),  # regency wrong, extra 64.72
        _pred(None, [], [], None),  # not enriched counts as level 0
        _pred(prov, [], ["conflict.riot"], 3),  # regency wrong, missed 64.71, wrong topic
    ]
    s = score_news_dev(gold, pred)
    assert s["primary_province_accuracy"] == 1.0
    assert s["primary_regency_accuracy"] == 0.5
    # mentions: tp 3 (64, 64.72, 64), fp 1 (64.72 in b), fn 1 (64.71 in d)
    assert s["region_mention_precision"] == 0.75 and s["region_mention_recall"] == 0.75
    # topics: tp 2, fp 1, fn 1 -> micro F1 4/6
    assert s["topic_micro_f1"] == round(4 / 6, 3)
    assert s["relevance_accuracy"] == 1.0
    assert s["escalation_exact"] == 0.75 and s["escalation_within_one"] == 1.0
    assert s["killed_exact"] == 1.0
    assert [e["id"] for e in s["errors"]] == ["b", "d"]


def test_ner_section_skips_without_a_model(tmp_path: Path) -> None:
    assert "skipped" in _ner_section(tmp_path, tmp_path / "no-model")


@pytest.mark.slow
def test_full_report_on_shared(shared_dir: Path, tmp_path: Path) -> None:
    report = run_eval(shared_dir, tmp_path, ner=False, nlp=get_nlp(), components=False)
    data = json.loads((tmp_path / "eval.json").read_text())
    md = (tmp_path / "eval.md").read_text()
    assert data["news_dev"]["articles"] == report["news_dev"]["articles"] > 0
    for key in ("primary_province_accuracy", "topic_micro_f1", "escalation_exact"):
        assert 0.0 <= data["news_dev"][key] <= 1.0
        assert key in md
    assert all(data["seed"]["checks"].values()), data["seed"]
    # the written report carries no per-article gold labels or shared text
    assert "errors" not in data["news_dev"] and set(data["seed"]) == {"checks"}
    # the trained signal stage's grouped-CV figures and the news-train story pairs (issue 13)
    assert 0.0 <= data["signal_model"]["cv_model"]["escalation_exact"] <= 1.0
    assert data["stories"]["news_train_text_only"]["pairs_gold"] > 0
    assert "Trained signal stage" in md
