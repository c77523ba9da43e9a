"""Corpus readers, harmonisation, de-leaking, scoring and the committed NER model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from nlp.ner_train import (
    DEFAULT_OUT,
    Sentence,
    deleak,
    evaluate_ner,
    harmonise_tag,
    parse_inline,
    read_columns,
    read_inline,
    sentence_key,
    strict_scores,
)

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
MODEL = DEFAULT_OUT / "model"


def test_read_tab_columns_nergrit_style():
    lines = "Bupati\tO\nAndi\tB-PERSON\nHarun\tI-PERSON\nke\tO\nSangatta\tB-PLACE\n\n" \
            "Partai\tB-ORGANISATION\nBaru\tI-ORGANISATION\n"  # fmt: skip
    sents = list(read_columns(lines.splitlines(), corpus="nergrit"))
    assert [s.tokens for s in sents] == [["Bupati", "Andi", "Harun", "ke", "Sangatta"],
                                         ["Partai", "Baru"]]  # fmt: skip
    assert sents[0].tags == ["O", "B-PER", "I-PER", "O", "B-LOC"]
    assert sents[1].tags == ["B-ORG", "I-ORG"]


def test_read_nerp_labels_drop_events_and_food():
    lines = ["gubernur\tO", "kaltim\tB-PLC", "makan\tO", "soto\tB-FNB", "di\tO",
             "festival\tB-EVT", "mahakam\tI-EVT", "bersama\tO", "pln\tB-IND"]  # fmt: skip
    (sent,) = read_columns(lines, corpus="nerp")
    assert sent.tags == ["O", "B-LOC", "O", "O", "O", "O", "O", "O", "B-ORG"]


def test_read_space_columns_with_crlf_idner_style():
    raw = "Menurut ADP O\r\nWarsito PROPN B-PER\r\n, PUNCT O\r\n\r\nDi ADP O\r\nPKB PROPN B-ORG\r\n"
    sents = list(read_columns(raw.split("\n"), corpus="idner-news-2k", sep=None))
    assert [s.tokens for s in sents] == [["Menurut", "Warsito", ","], ["Di", "PKB"]]
    assert sents[0].tags == ["O", "B-PER", "O"]
    assert sents[1].tags == ["O", "B-ORG"]


def test_read_inline_tags_yusufsyaifudin_style():
    line = ("Ketua <ORGANIZATION>Partai Maju</ORGANIZATION> <PERSON>Rina Wati</PERSON> tiba di "
            "<LOCATION>Tarakan</LOCATION> pada <TIME>Senin</TIME>.")  # fmt: skip
    text, spans = parse_inline(line)
    assert text == "Ketua Partai Maju Rina Wati tiba di Tarakan pada Senin."
    assert [text[s:e] for s, e, _ in spans] == ["Partai Maju", "Rina Wati", "Tarakan"]
    (sent,) = read_inline([line], spacy.blank("id"), corpus="yusufsyaifudin")
    assert sent.tokens[-1] == "."
    assert sent.tags == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER", "O", "O", "B-LOC", "O", "O",
                         "O"]  # fmt: skip
    assert sent.text.rstrip() == text


def test_bio_repair_and_harmonise():
    assert harmonise_tag("I-LOCATION") == "I-LOC"
    assert harmonise_tag("B-QUANTITY") == "O"
    (sent,) = read_columns(["di\tO", "Bontang\tI-PLACE", "Kota\tI-PLACE"])
    assert sent.tags == ["O", "B-LOC", "I-LOC"]


def test_sentence_key_ignores_case_spacing_and_punctuation_spacing():
    assert sentence_key(["Menurut", "Arie", ",", "itu", "benar", "."]) == sentence_key(
        "menurut arie, itu  benar."
    )
    assert sentence_key("Satu dua") != sentence_key("Satu tiga")


def test_deleak_drops_held_out_matches_and_duplicates():
    train = [
        Sentence(["Budi", "ke", "Samarinda", "."], ["B-PER", "O", "B-LOC", "O"], corpus="a"),
        Sentence(["budi", "ke", "samarinda", "."], ["B-PER", "O", "B-LOC", "O"], corpus="b"),
        Sentence(["Rina", "pulang", "."], ["B-PER", "O", "O"], corpus="a"),
        Sentence(["Rina", "pulang", "."], ["B-PER", "O", "O"], corpus="b"),
        Sentence(["Hujan", "turun", "."], ["O", "O", "O"], corpus="b"),
    ]
    held = [Sentence(["BUDI", "KE", "SAMARINDA", "."], ["O"] * 4, corpus="test")]
    kept, dropped = deleak(train, held)
    assert [s.tokens[0] for s in kept] == ["Rina", "Hujan"]
    assert kept[0].corpus == "a"  # the first corpus's copy of a duplicate is kept
    assert dropped == {"a": 1, "b": 1, "b:dup": 1}


def test_strict_scores_need_exact_boundaries():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "O"]]
    s = strict_scores(gold, pred)
    assert s["PER"]["f"] == 0.0
    assert s["LOC"]["f"] == 1.0
    assert s["micro"]["p"] == pytest.approx(2 / 3, abs=1e-3)
    assert s["micro"]["r"] == pytest.approx(2 / 3, abs=1e-3)


def test_committed_model_is_small_and_finds_entities():
    if not MODEL.exists():
        pytest.skip("model not trained yet")
    size = sum(p.stat().st_size for p in MODEL.rglob("*") if p.is_file())
    assert size < 25_000_000
    nlp = spacy.load(MODEL)
    doc = nlp("Ketua Partai Demokrat Agus Yudhoyono berkunjung ke Kota Samarinda pada Senin pagi .")
    labels = {e.label_ for e in doc.ents}
    assert {"PER", "ORG", "LOC"} <= labels


@pytest.mark.slow
def test_eval_meets_targets():
    if not (SHARED / "data" / "ner").exists() or not MODEL.exists():
        pytest.skip("shared NER corpora or model not available")
    results = evaluate_ner(MODEL, SHARED, corpora=("idner-news-2k", "nergrit"))
    assert results["idner-news-2k"]["micro"]["f"] >= 0.86
    assert results["nergrit"]["micro"]["f"] >= 0.68
    committed = json.loads((DEFAULT_OUT / "eval.json").read_text())
    assert committed["nergrit"]["micro"]["f"] == results["nergrit"]["micro"]["f"]
