"""Start-up without torch: thinc imports torch, when installed, the moment spaCy is imported.

That costs seconds on every `suar annotate`, and the spaCy CNN NER, the rules and the signal
model never use it. When the configured NER backend is not "transformers", spaCy is imported
with torch hidden from thinc for that one import (Python's documented ``sys.modules[name] =
None`` makes ``import torch`` raise ImportError, the case thinc.compat handles); afterwards
torch imports normally for any code that wants it.
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).resolve().parent / "pipeline.cfg"


def configured_backend(config_path: Path | str | None = None) -> str:
    """[suar] ner_backend of the pipeline config (env SUAR_NER_BACKEND first), read without
    importing spaCy; an unreadable value counts as "transformers" (the safe side)."""
    env = os.environ.get("SUAR_NER_BACKEND")
    if env:
        return env
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(Path(config_path or DEFAULT_CONFIG), encoding="utf-8")
        return str(json.loads(parser.get("suar", "ner_backend", fallback='"spacy"')))
    except (configparser.Error, ValueError, OSError):
        return "transformers"


def import_spacy_without_torch(config_path: Path | str | None = None) -> bool:
    """Import spaCy with torch hidden unless the NER backend needs it; True when hidden.

    Does nothing when spaCy or torch is already imported (the process has decided)."""
    if "thinc.compat" in sys.modules or "torch" in sys.modules:
        return False
    if configured_backend(config_path) == "transformers":
        return False
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy  # noqa: F401
        import spacy.language  # noqa: F401
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return True
