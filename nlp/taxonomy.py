"""The topic list (TAXONOMY.md section 1), defined once in nlp/data/signals/topics.toml.

Codes, their English and Indonesian names and their family come from that one file: the
signal rules (nlp/signals.py), the evaluation and the digest all read them here, so a topic
is added by editing data only.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TOPICS_FILE = Path(__file__).parent / "data" / "signals" / "topics.toml"
READS = ("signals/topics.toml",)  # hashed into nlp.pipeline.PIPELINE_VERSION


@dataclass(frozen=True)
class Topic:
    """One topic of the taxonomy."""

    code: str  # "conflict.riot"
    label_en: str
    label_id: str

    @property
    def family(self) -> str:
        return self.code.split(".", 1)[0]

    def label(self, lang: str) -> str:
        """The name in ``lang`` ("en" or "id")."""
        return self.label_id if lang == "id" else self.label_en


@lru_cache(maxsize=4)
def topics(path: Path | None = None) -> tuple[Topic, ...]:
    """Every topic, in the file's order (``path``: another topics.toml, e.g. in tests)."""
    with open(path or TOPICS_FILE, "rb") as fh:
        table = tomllib.load(fh)["topics"]
    missing = [c for c, t in table.items() if not (t.get("label_en") and t.get("label_id"))]
    if missing:
        raise ValueError(f"topics.toml: topics without label_en/label_id: {missing}")
    return tuple(Topic(c, t["label_en"], t["label_id"]) for c, t in table.items())


def topic_codes(path: Path | None = None) -> tuple[str, ...]:
    """The topic codes, in the file's order."""
    return tuple(t.code for t in topics(path))


def topic_names(lang: str, path: Path | None = None) -> dict[str, str]:
    """code -> name in ``lang``."""
    return {t.code: t.label(lang) for t in topics(path)}
