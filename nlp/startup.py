"""Start-up without torch, and the on-disk caches that spare every process the same work.

Torch: thinc imports torch, when installed, the moment spaCy is imported.

That costs seconds on every `suar annotate`, and the spaCy CNN NER, the rules and the signal
model never use it. When the configured NER backend is not "transformers", spaCy is imported
with torch hidden from thinc for that one import (Python's documented ``sys.modules[name] =
None`` makes ``import torch`` raise ImportError, the case thinc.compat handles); afterwards
torch imports normally for any code that wants it. In the same import spaCy's command-line
package (``spacy.cli``: typer, weasel and a dozen command modules, a tenth of a second or
more), which spaCy's ``__init__`` imports only to export ``spacy.info``, is deferred:
``spacy.info`` imports it when called, and ``import spacy.cli`` works as usual afterwards.

Caches (:func:`load_cached` / :func:`store_cached`): derived data that costs a noticeable
part of a second to rebuild at each start (the tokenizer's affix searches for its special
cases, nlp/text.py; the entity lexicon's tokenised phrases, nlp/entities.py; the pipeline's
code fingerprint, nlp/pipeline.py) is kept in the user cache directory under a name that
hashes every input, so a changed input is never served stale. A file holds its pickle's
sha256 before the pickle; one that cannot be read or fails the check is rebuilt, one that
cannot be written is skipped (both logged at debug level), and files are written
atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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
        with _spacy_cli_deferred():
            import spacy  # noqa: F401
            import spacy.language  # noqa: F401
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return True


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info`` with its module imported on first call."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


@contextmanager
def _spacy_cli_deferred() -> Iterator[None]:
    """While spaCy's ``__init__`` runs, ``spacy.cli`` and ``spacy.cli.info`` are stand-ins
    (sys.modules entries) offering only ``info``; both entries are removed afterwards, so a
    later ``import spacy.cli`` imports the real package."""
    if "spacy" in sys.modules or "spacy.cli" in sys.modules:
        yield
        return
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = []  # a package, so that spacy.cli.info resolves
    info = types.ModuleType("spacy.cli.info")
    info.info = _spacy_info  # type: ignore[attr-defined]
    sys.modules["spacy.cli"], sys.modules["spacy.cli.info"] = cli, info
    try:
        yield
    finally:
        for name, stand_in in (("spacy.cli.info", info), ("spacy.cli", cli)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        spacy = sys.modules.get("spacy")
        if spacy is not None and getattr(spacy, "cli", None) is cli:
            delattr(spacy, "cli")


def cache_dir() -> Path:
    """Where built indexes are kept: $SUAR_CACHE_DIR, else $XDG_CACHE_HOME/suar, ~/.cache/suar."""
    if os.environ.get("SUAR_CACHE_DIR"):
        return Path(os.environ["SUAR_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "suar"


def cache_key(parts: Iterable[bytes | str]) -> str:
    """20 hex digits of sha256 over the parts (each length-prefixed, so no two part lists
    collide), plus the Python version: pickles and syntax trees differ between versions."""
    h = hashlib.sha256(sys.version.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:20]


def cache_path(kind: str, key: str) -> Path:
    return cache_dir() / f"{kind}-{key}.pickle"


def load_cached(kind: str, key: str) -> Any | None:
    """The object stored under (kind, key), or None when absent or unreadable. A file is
    its pickle's sha256 then the pickle: a damaged file is never unpickled."""
    path = cache_path(kind, key)
    try:
        data = path.read_bytes()
        if hashlib.sha256(data[32:]).digest() != data[:32]:
            raise ValueError("checksum mismatch")
        return pickle.loads(data[32:])
    except FileNotFoundError:
        return None
    except Exception as exc:  # truncated, corrupt, written by another version
        log.debug("cache %s unreadable (%s): rebuilding", path, exc)
        return None


def store_cached(kind: str, key: str, value: Any) -> None:
    """Write ``value`` under (kind, key) atomically; a read-only or full disk is not fatal."""
    path = cache_path(kind, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(fd, "wb") as fh:
                fh.write(hashlib.sha256(data).digest() + data)
            os.replace(tmp, path)  # a concurrent reader sees the old file or the new one
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError) as exc:
        log.debug("cache %s not written (%s)", path, exc)
