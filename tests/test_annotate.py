"""`suar annotate`: output shape, offsets, input order, languages, bylines, the seed article."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from nlp.annotate import (
    annotate_file,
    annotate_lines,
    article_text,
    enrich_articles,
    outlet_home_province,
    public_result,
)
from nlp.outlets import NO_OUTLETS, outlets_of
from pipeline.cli import main
from pipeline.enrich import registry_lexicon, registry_nlp, with_home_province

KEYS = {
    "id", "language", "primary_region", "regions", "entities", "topics", "escalation",
    "magnitudes", "magnitude_evidence",
}  # fmt: skip
RIOT = {
    "id": "a1",
    "title": "Demo Tolak Tambang di Samarinda Berakhir Ricuh",
    "text": (
        "SAMARINDA, Contoh.id – Unjuk rasa ratusan mahasiswa di depan Kantor Gubernur "
        "Kalimantan Timur, Kota Samarinda, Kamis (5/6), berakhir ricuh. Massa melempari aparat "
        "dengan batu dan tiga polisi terluka.\n"
        "Kapolresta Samarinda Kombes Pol Budi Santoso mengatakan pihaknya mengamankan 12 "
        "orang. Wakil Ketua DPRD Kaltim Andi Rahman meminta semua pihak menahan diri.\n"
        "Penulis: Dimas | Editor: Rina"
    ),
    "outlet": "niaga_asia",
}
ROUTINE = {
    "id": 2,
    "title": "Harga cabai turun di pasar tradisional",
    "text": (
        "Harga cabai rawit di sejumlah pasar tradisional turun dalam sepekan terakhir. "
        "Pedagang mengatakan pasokan dari petani kembali lancar setelah musim hujan berakhir."
    ),
    "outlet": "kaltimpost.jawapos.com",
}
ENGLISH = {
    "id": "en-1",
    "title": "Flood waters recede in the city",
    "text": "Residents began cleaning their homes on Monday as the flood waters receded slowly.",
}


@pytest.fixture(scope="module")
def nlp():
    return registry_nlp()  # what `suar annotate` runs: the pipeline given the registry's outlets


@pytest.fixture(scope="module")
def riot(nlp):
    return enrich_articles([RIOT], nlp)[0]


def test_output_has_exactly_the_stable_shape(riot) -> None:
    out = public_result(riot)
    assert set(out) == KEYS
    assert set(out["primary_region"]) == {"code", "name", "level", "province_code", "province_name"}
    for m in out["regions"]:
        assert set(m) == {"code", "name", "level", "province_code", "text", "start", "end"}
    for e in out["entities"]:
        assert set(e) == {"text", "label", "actor_class", "start", "end"}
    for t in out["topics"]:
        assert set(t) == {"code", "score", "evidence", "confidence"}
        assert set(t["evidence"]) == {"sentence", "cue", "start", "end"}
    assert set(out["escalation"]) == {"level", "evidence", "confidence"}
    assert set(out["magnitudes"]) == {"killed", "injured", "arrested", "crowd"}
    # every stated figure comes with the phrase it was read from, offsets into the text
    stated = {f for f, v in out["magnitudes"].items() if v is not None}
    assert stated and set(out["magnitude_evidence"]) == stated
    text = article_text(RIOT["title"], RIOT["text"])
    for ev in out["magnitude_evidence"].values():
        assert set(ev) == {"sentence", "phrase", "start", "end"}
        assert text[ev["start"] : ev["end"]] == ev["phrase"]
    json.dumps(out)  # serialisable as is


def test_offsets_point_into_title_newline_text(riot) -> None:
    text = article_text(RIOT["title"], RIOT["text"])
    assert riot["regions"] and riot["entities"] and riot["topics"]
    for item in riot["regions"] + riot["entities"]:
        assert text[item["start"] : item["end"]] == item["text"]
    for t in riot["topics"]:
        ev = t["evidence"]
        assert text[ev["start"] : ev["end"]].lower() == ev["cue"].lower()
        assert ev["sentence"] in text
    ev = riot["escalation"]["evidence"]
    assert text[ev["start"] : ev["end"]].lower() == ev["cue"].lower()


def test_results_of_a_riot_story(riot) -> None:
    assert riot["language"] == "id"
    assert riot["primary_region"]["code"] == "64.72"  # Kota Samarinda
    assert "conflict.riot" in {t["code"] for t in riot["topics"]}
    assert riot["escalation"]["level"] == 3
    assert riot["magnitudes"]["injured"] == 3
    assert riot["magnitudes"]["arrested"] == 12
    classes = {e["text"]: e["actor_class"] for e in riot["entities"]}
    assert classes.get("Budi Santoso") == "security"
    assert classes.get("Andi Rahman") == "legislature"


def test_bylines_are_kept_but_are_not_actors(riot) -> None:
    byline = {e["text"]: e for e in riot["entities"] if e["text"] in ("Dimas", "Rina")}
    assert set(byline) == {"Dimas", "Rina"}
    assert all(e["label"] == "PER" and e["actor_class"] is None for e in byline.values())


def test_administrative_units_are_regions_not_loc_entities(riot) -> None:
    # a LOC over a region mention is only a place named after it ('Kantor Gubernur
    # Kalimantan Timur', 'SMAN 1 Kepahiang'): longer, ending with the region
    region_spans = [(m["start"], m["end"]) for m in riot["regions"]]
    for e in riot["entities"]:
        if e["label"] == "LOC":
            over = [(s, t) for s, t in region_spans if s < e["end"] and e["start"] < t]
            assert all(t == e["end"] and s > e["start"] for s, t in over), e


def test_outlet_home_province_is_weak_evidence(nlp) -> None:
    outlets = registry_lexicon()
    assert outlets_of(nlp) == outlets
    assert outlet_home_province("kaltimpost.jawapos.com", outlets=outlets) == "64"
    assert outlet_home_province(None, "https://www.niaga.asia/berita/1", outlets) == "64"
    assert outlet_home_province("kaltimpost.jawapos.com", outlets=NO_OUTLETS) is None
    # a registry id is the caller's to resolve (pipeline), nlp sees only home_province
    assert outlet_home_province("niaga_asia", outlets=outlets) is None
    assert with_home_province({"id": 1, "outlet": "niaga_asia"})["home_province"] == "64"
    assert (
        with_home_province({"id": 1, "url": "https://jubi.id/x/2024/y/"})["home_province"] == "91"
    )
    routine = enrich_articles([ROUTINE], nlp)[0]
    assert routine["primary_region"]["code"] == "64"  # no place named: the outlet's province
    assert routine["topics"] == [] and routine["escalation"]["level"] == 0


def test_caller_fields_language_dateline_home_province_and_body(nlp) -> None:
    body = (
        "Massa membakar ban di depan kantor DPRD, Senin. Polisi berjaga hingga malam dan "
        "meminta warga tetap tenang."
    )
    raw = {"id": "raw", "title": "Demo ricuh", "text": "BONTANG - " + body}
    stored = {"id": "st", "title": "Demo ricuh", "body": body, "dateline": "BONTANG"}
    home = {"id": "h", "title": "Demo ricuh", "text": body, "home_province": "81"}
    told = {"id": "l", "title": "Demo ricuh", "text": body, "language": "en"}
    r_raw, r_stored, r_home, r_told = enrich_articles([raw, stored, home, told], nlp)
    assert r_raw["primary_region"]["code"] == r_stored["primary_region"]["code"] == "64.74"
    assert r_home["primary_region"]["code"] == "81"  # no place named: the given province
    assert r_told["language"] == "en" and r_told["enriched"] is False
    lines = [
        json.dumps({"id": 1, "body": body}),
        json.dumps({"id": 2, "text": body, "home_province": "Maluku"}),
        json.dumps({"id": 3, "text": body, "dateline": 5}),
        json.dumps({"id": 4, "title": "tanpa isi"}),
    ]
    out = list(annotate_lines(lines, nlp))
    assert out[0]["language"] == "id" and "error" not in out[0]
    assert "home_province" in out[1]["error"]
    assert "dateline" in out[2]["error"]
    assert "'text' (or 'body')" in out[3]["error"]


def test_input_order_languages_and_malformed_lines(nlp) -> None:
    lines = [
        json.dumps(ENGLISH),
        "{not json",
        "",
        json.dumps(RIOT),
        json.dumps({"title": "tanpa id", "text": "isi"}),
        json.dumps(ROUTINE),
    ]
    errors: list[tuple[int, str]] = []
    out = list(
        annotate_lines(lines, nlp, batch_size=2, on_error=lambda n, w: errors.append((n, w)))
    )
    assert [o.get("id") for o in out] == ["en-1", None, "a1", None, 2]
    assert out[0]["language"] == "en"
    assert out[0]["regions"] == [] and out[0]["topics"] == [] and out[0]["entities"] == []
    assert out[0]["escalation"]["level"] is None
    assert out[1] == {"id": None, "line": 2, "error": out[1]["error"]}
    assert out[3]["line"] == 5 and "id" in out[3]["error"]
    assert [n for n, _ in errors] == [2, 5]
    assert set(out[2]) == KEYS


def test_worker_processes_give_the_same_results(nlp) -> None:
    arts = [dict(RIOT, id=f"r{i}") if i % 2 else dict(ROUTINE, id=f"p{i}") for i in range(10)]
    serial = enrich_articles(arts, nlp, batch_size=3)
    forked = enrich_articles(arts, nlp, batch_size=3, n_process=2)
    assert forked == serial
    lines = [json.dumps(a) for a in arts] + ["[1, 2]"]
    streamed = list(annotate_lines(lines, nlp, batch_size=2, n_process=2))
    assert streamed[:-1] == [public_result(r) for r in serial]
    assert streamed[-1] == {"id": None, "line": 11, "error": "not a JSON object"}


def test_annotate_file_and_cli(nlp) -> None:
    src = io.StringIO(json.dumps(RIOT) + "\n" + json.dumps(ENGLISH) + "\n")
    dst = io.StringIO()
    assert annotate_file(src, dst, nlp) == (2, 0)
    lines = [json.loads(x) for x in dst.getvalue().splitlines()]
    assert [x["id"] for x in lines] == ["a1", "en-1"]

    result = CliRunner().invoke(main, ["annotate", "-"], input=json.dumps(ROUTINE) + "\n{oops\n")
    assert result.exit_code == 1  # a malformed line: reported, output still aligned
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert rows[0]["id"] == 2 and rows[1]["line"] == 2
    assert "line 2" in result.stderr


def test_seed_article_matches_its_gold(shared_dir, nlp) -> None:
    name = "niaga-asia-rakor-forkopimda-pemilu-2024"
    gold = json.loads((shared_dir / "data" / "seed" / f"{name}.gold.json").read_text())
    text = (shared_dir / "data" / "seed" / f"{name}.txt").read_text()
    line = json.dumps({"id": "seed", "title": "", "text": text, "outlet": gold["outlet"]})
    res = next(annotate_lines([line], nlp))
    assert res["primary_region"] == gold["primary_region"]
    assert [t["code"] for t in res["topics"]] == gold["topics"]
    assert res["escalation"]["level"] == gold["escalation"]
    assert res["magnitudes"] == gold["magnitudes"]
    assert {m["code"] for m in res["regions"]} == {m["code"] for m in gold["regions_mentioned"]}
    got = {(e["text"], e["label"], e["actor_class"]) for e in res["entities"]}
    for e in gold["entities"]:
        assert (e["text"], e["label"], e.get("actor_class")) in got


def test_annotate_says_it_is_loading_on_a_terminal_only(tmp_path) -> None:
    """The pipeline takes seconds to build: on a terminal the user is told, in a pipe not."""
    import os
    import pty
    import subprocess
    import sys

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "Warga Samarinda menggelar rapat."}) + "\n")
    cmd = [sys.executable, "-m", "pipeline.cli", "annotate", str(src)]
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            cmd, cwd=repo, stdout=subprocess.PIPE, stderr=slave, timeout=600, check=True
        )
        os.close(slave)
        said = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(master)
    assert b"loading the NLP pipeline" in said
    assert json.loads(proc.stdout)["id"] == "x"
    piped = subprocess.run(cmd, cwd=repo, capture_output=True, timeout=600, check=True)
    assert b"loading" not in piped.stderr
