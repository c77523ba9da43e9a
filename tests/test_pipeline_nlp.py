"""The assembled NLP pipeline: built from nlp/pipeline.cfg, every component runs, versioning."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.pipeline import (
    DEFAULT_CONFIG,
    REPO_ROOT,
    _code_fingerprint,
    build_nlp,
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
