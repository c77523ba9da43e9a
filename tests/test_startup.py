"""Start-up speed-ups that must not change results: the NER sourced without its tokenizer,
spaCy imported with torch hidden and its CLI package deferred, the CLI importing Scrapy only
on an error."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from click.testing import CliRunner

from nlp.pipeline import REPO_ROOT, build_nlp, resolved_config
from nlp.startup import configured_backend
from pipeline.cli import main

MODEL = REPO_ROOT / "models" / "ner" / "model"
TEXT = (
    "Polisi Amankan Tujuh Orang Usai Bentrok di Kabupaten Bima\n"
    "BIMA, Contoh.id – Bentrokan antarwarga pecah di Kecamatan Woha, Kabupaten Bima, Senin "
    "(3/3). Dua warga tewas dan lima lainnya luka-luka. Kapolres Bima AKBP Hendra Wijaya "
    "mengatakan polisi menangkap tujuh orang. Ketua Bawaslu NTB Siti Rahmawati meminta warga "
    "menahan diri menjelang pilkada di Kota Mataram dan Kabupaten Lombok Timur."
)


def _summary(doc: spacy.tokens.Doc) -> tuple:
    return (
        [t.text for t in doc],
        [(e.start_char, e.end_char, e.label_, e._.actor_class) for e in doc.ents],
        [(r["code"], r["start"], r["end"]) for r in doc._.regions],
        doc._.topics,
        doc._.escalation,
        doc._.magnitudes,
    )


@pytest.mark.skipif(not (MODEL / "meta.json").exists(), reason="no trained NER model")
def test_ner_sourced_without_its_tokenizer_gives_spacys_own_results() -> None:
    ours = build_nlp()
    cfg, _ = resolved_config()  # the config as written: spaCy's own `source =` loading
    theirs = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    assert ours.pipe_names == theirs.pipe_names
    assert "ner" in ours.pipe_names
    assert ours.tokenizer.rules == theirs.tokenizer.rules  # the main tokenizer is untouched
    for text in (TEXT, TEXT.lower(), "Bentrok warga di Kabupaten Mimika, dua orang luka."):
        assert _summary(ours(text)) == _summary(theirs(text))


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **env},
        check=False,
    )


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_spacy_is_imported_without_torch_and_torch_still_imports_later() -> None:
    code = (
        "import sys\n"
        "from nlp.startup import import_spacy_without_torch\n"
        "assert import_spacy_without_torch()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "import thinc.compat\n"
        "assert not thinc.compat.has_torch\n"
        "import torch\n"
        "print(torch.tensor([1, 2]).sum().item())\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"


def test_spacys_cli_package_is_deferred_and_still_imports_later() -> None:
    code = (
        "import sys\n"
        "from nlp.startup import import_spacy_without_torch\n"
        "assert import_spacy_without_torch()\n"
        "import spacy\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('spacy.cli', 'typer', 'weasel')))\n"
        "assert not loaded, loaded\n"
        "assert spacy.info(silent=True)['spacy_version'] == spacy.__version__\n"
        "import spacy.cli\n"
        "from spacy.cli import download\n"
        "assert spacy.cli.__file__.endswith('__init__.py') and callable(download)\n"
        "print('ok')\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_transformers_backend_keeps_torch_visible() -> None:
    code = (
        "import sys\n"
        "from nlp.startup import import_spacy_without_torch\n"
        "assert not import_spacy_without_torch()\n"
        "import spacy, thinc.compat\n"
        "assert thinc.compat.has_torch\n"
    )
    done = _run(code, SUAR_NER_BACKEND="transformers")
    assert done.returncode == 0, done.stderr


def test_configured_backend_reads_the_config_and_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SUAR_NER_BACKEND", raising=False)
    assert configured_backend() == "spacy"
    cfg = tmp_path / "pipeline.cfg"
    cfg.write_text('[suar]\nner_backend = "transformers"\n', encoding="utf-8")
    assert configured_backend(cfg) == "transformers"
    cfg.write_text("[suar]\nner_backend = not json\n", encoding="utf-8")
    assert configured_backend(cfg) == "transformers"  # unreadable: keep torch available
    monkeypatch.setenv("SUAR_NER_BACKEND", "none")
    assert configured_backend(cfg) == "none"


def test_cli_help_does_not_import_scrapy_or_spacy() -> None:
    done = _run(
        "import sys\nfrom click.testing import CliRunner\nfrom pipeline.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in ('scrapy', 'spacy', 'torch') if m in sys.modules))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_user_errors_are_still_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(bad), "config"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("suar: error:")
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture
def gazetteer_cache(tmp_path: Path, monkeypatch):
    from nlp import regions_build

    monkeypatch.setenv("SUAR_CACHE_DIR", str(tmp_path / "cache"))
    regions_build.build_gazetteer.cache_clear()
    yield regions_build
    regions_build.build_gazetteer.cache_clear()


def test_gazetteer_cache_is_written_used_and_rebuilt_when_corrupt(gazetteer_cache) -> None:
    from nlp.startup import load_cached, store_cached

    rb = gazetteer_cache
    key = rb._gazetteer_key()
    path = rb.gazetteer_cache_path()
    assert not path.exists()
    fresh = rb.build_gazetteer()
    assert path.exists()
    assert fresh == rb._build_gazetteer()
    rb.build_gazetteer.cache_clear()
    assert rb.build_gazetteer() == fresh  # read back from the file: the same indexes

    marked = rb._build_gazetteer()
    marked.blocks.append("only in the cache file")
    store_cached("gazetteer", key, marked)
    rb.build_gazetteer.cache_clear()
    assert "only in the cache file" in rb.build_gazetteer().blocks  # the file is what is used

    path.write_bytes(b"\x80\x05 truncated")
    rb.build_gazetteer.cache_clear()
    assert rb.build_gazetteer() == fresh  # corrupt: rebuilt, not fatal
    assert load_cached("gazetteer", key) == fresh  # and the file is good again
    assert not list(path.parent.glob("*.tmp"))


def test_gazetteer_cache_key_follows_the_code_and_data(gazetteer_cache, tmp_path) -> None:
    rb = gazetteer_cache
    key = rb.gazetteer_cache_path().name
    assert rb.gazetteer_cache_path().name == key  # stable for the same inputs
    stale = rb.gazetteer_cache_path().with_name("gazetteer-0000.pickle")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert rb.build_gazetteer() == rb._build_gazetteer()  # a stale name is never read


def test_annotate_output_is_the_same_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(
        '{"id": "x", "text": "Bentrok warga di Kabupaten Mimika, dua orang luka."}\n',
        encoding="utf-8",
    )
    env = {"SUAR_CACHE_DIR": str(tmp_path / "cache")}
    code = f"from pipeline.cli import main; main(['annotate', '--workers', '1', {str(one)!r}])"
    cold, warm = _run(code, **env), _run(code, **env)
    assert cold.returncode == 0 and warm.returncode == 0, cold.stderr + warm.stderr
    assert list((tmp_path / "cache").glob("gazetteer-*.pickle"))
    assert cold.stdout == warm.stdout
    assert '"code": "94.04"' in cold.stdout
