"""The assembled NLP pipeline: built from nlp/pipeline.cfg, every component runs, versioning."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from nlp.pipeline import (
    DATA_DIR,
    DEFAULT_CONFIG,
    REPO_ROOT,
    PipelineError,
    _code_fingerprint,
    build_nlp,
    content_hash,
    declared_reads,
    get_nlp,
    pipeline_version,
    resolved_config,
)

MODEL = REPO_ROOT / "models" / "ner" / "model"
TEXT = (
    "Polisi Amankan Tujuh Orang Usai Bentrok di Kabupaten Bima\n"
    "BIMA, Contoh.id – Bentrokan antarwarga pecah di Kecamatan Woha, Kabupaten Bima, Senin "
    "(3/3). Dua warga tewas dan lima lainnya luka-luka dalam peristiwa itu.\n"
    "Kapolres Bima AKBP Hendra Wijaya mengatakan polisi menangkap tujuh orang yang diduga "
    "terlibat. Ketua Bawaslu NTB meminta warga menahan diri menjelang pilkada.\n"
    "Penulis: Rudi | Editor: Sari"
)


@pytest.fixture(scope="module")
def nlp():
    return get_nlp()


def test_pipeline_is_built_from_the_config_in_order(nlp) -> None:
    expected = ["suar_sentences", "suar_entity_rules", "suar_actors", "suar_regions"]
    expected += ["suar_signals", "suar_signal_model"]
    if MODEL.exists():
        expected.insert(1, "ner")
    assert nlp.pipe_names == expected
    assert nlp.lang == "id"
    assert get_nlp() is nlp  # built once per process
    assert nlp.meta["suar"]["pipeline_version"] == pipeline_version()


def test_tokenizer_keeps_indonesian_abbreviations(nlp) -> None:
    words = [t.text for t in nlp.make_doc("Warga Kab. Kutai Kartanegara di Jl. Ahmad Yani.")]
    assert "Kab." in words and "Jl." in words


def test_every_component_writes_its_results(nlp) -> None:
    doc = nlp(TEXT)
    # sentences and dateline
    assert doc._.dateline["place"] == "BIMA"
    sents = [s.text.strip() for s in doc.sents]
    assert any(s.startswith("Dua warga tewas") for s in sents)
    # entities and actor classes
    ents = {e.text: e for e in doc.ents}
    assert ents["Hendra Wijaya"].label_ == "PER"
    assert ents["Hendra Wijaya"]._.actor_class == "security"
    assert ents["Rudi"]._.is_byline and ents["Rudi"]._.actor_class is None
    # regions: the kabupaten, not the kota, and the primary region
    codes = {m["code"] for m in doc._.regions}
    assert "52.06" in codes  # Kabupaten Bima
    assert doc._.primary_region["code"].startswith("52.06")
    # signals
    topics = {t["code"] for t in doc._.topics}
    assert "conflict.communal" in topics
    assert doc._.escalation["level"] == 4
    assert doc._.magnitudes["killed"] == 2
    assert doc._.magnitudes["injured"] == 5
    assert doc._.magnitudes["arrested"] == 7


def test_pipeline_runs_without_the_statistical_ner() -> None:
    nlp = build_nlp(ner_model=str(REPO_ROOT / "no" / "such" / "model"))
    assert "ner" not in nlp.pipe_names
    assert nlp.meta["suar"]["ner"] is None
    doc = nlp(TEXT)
    by_text = {e.text: e._.actor_class for e in doc.ents}
    assert by_text.get("Hendra Wijaya") == "security"  # the title rule alone finds him
    assert doc._.escalation["level"] == 4


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown NER backend"):
        build_nlp(ner_backend="bert-please")


def test_transformers_backend_needs_a_model_name() -> None:
    with pytest.raises(ValueError, match="transformers_model"):
        build_nlp(ner_backend="transformers")


def test_transformers_backend_replaces_the_ner_block() -> None:
    cfg, settings = resolved_config(ner_backend="transformers", ner_model="/models/indobert-ner")
    assert dict(cfg["components"]["ner"]) == {
        "factory": "suar_hf_ner",
        "model": "/models/indobert-ner",
    }
    assert cfg["nlp"]["pipeline"][1] == "ner"
    assert settings["ner"] == "transformers:/models/indobert-ner"
    assert pipeline_version(ner_backend="transformers", ner_model="/models/indobert-ner") != (
        pipeline_version(ner_backend="transformers", ner_model="/models/other-ner")
    )


def test_version_is_stable_and_follows_the_config(tmp_path: Path) -> None:
    assert pipeline_version() == pipeline_version()
    assert len(pipeline_version()) == 12
    changed = tmp_path / "pipeline.cfg"
    changed.write_text(
        DEFAULT_CONFIG.read_text().replace("max_chars = 100000", "max_chars = 5000"),
        encoding="utf-8",
    )
    assert pipeline_version(changed) != pipeline_version()
    assert pipeline_version(ner_backend="none") != pipeline_version() or not MODEL.exists()


def test_code_fingerprint_ignores_comments_and_docstrings(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_text('def f(x):\n    """Why."""\n    return x + 1  # note\n')
    b.write_text("def f(x):\n\n    return x + 1\n")
    assert _code_fingerprint(a) == _code_fingerprint(b)
    b.write_text("def f(x):\n    return x + 2\n")
    assert _code_fingerprint(a) != _code_fingerprint(b)


def test_version_hashes_what_components_read_and_nothing_else(tmp_path: Path) -> None:
    """Fixing an eval gold label, a README or the story weights must not re-enrich every
    article; editing a lexicon a component reads must."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    before = content_hash(data)
    assert before == content_hash(DATA_DIR)
    reads = declared_reads()
    assert "signals/topics.toml" in reads and "entities/institutions.tsv" in reads
    for name in ("signals/README.md", "eval/demo_gold.jsonl", "stories/stories.toml"):
        assert name not in reads
        with open(data / name, "a", encoding="utf-8") as fh:
            fh.write("\n# edited\n")
        assert content_hash(data) == before, name
    for name in ("signals/escalation.toml", "entities/not_person.txt"):
        copy = tmp_path / name.replace("/", "_")
        shutil.copytree(data, copy)
        with open(copy / name, "a", encoding="utf-8") as fh:
            fh.write("\n# edited\n")
        assert content_hash(copy) != before, name


def test_every_data_file_is_read_by_a_component_or_known_not_to_be() -> None:
    """A new lexicon that no module declares would change results without a new version."""
    # dates.toml: page and text dates (crawler, stories), taxonomy.toml: levels and actor
    # classes for people (suar topics, docs); neither shapes enrichment results
    not_component = {"README.md", "dates.toml", "taxonomy.toml"}
    not_component_dirs = {"eval", "stories"}  # evaluation gold; story clustering (not enrich)
    reads = set(declared_reads())
    for path in DATA_DIR.rglob("*"):
        rel = path.relative_to(DATA_DIR).as_posix()
        if path.is_dir() or path.name in not_component or rel.split("/")[0] in not_component_dirs:
            continue
        assert rel in reads, f"{rel}: declare it in its module's READS"


def test_a_component_that_fails_to_import_stops_the_build(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "nlp.entities", None)  # import raises ImportError
    with pytest.raises(PipelineError, match="nlp.entities failed to import"):
        resolved_config()


def test_an_unregistered_factory_stops_the_build(tmp_path: Path) -> None:
    cfg = tmp_path / "pipeline.cfg"
    cfg.write_text(
        DEFAULT_CONFIG.read_text().replace('factory = "suar_actors"', 'factory = "suar_nope"'),
        encoding="utf-8",
    )
    with pytest.raises(PipelineError, match="'suar_actors': factory 'suar_nope' is not registered"):
        build_nlp(cfg)
