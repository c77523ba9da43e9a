"""The signal taxonomy for people: topic codes with labels, levels, actor classes, regions.

Topic codes come from the topic data (nlp/data/signals/topics.toml, the one list); their
labels from that file when it carries them, else from the digest's labels. Levels, actor
classes and magnitudes are in nlp/data/taxonomy.toml. docs/TAXONOMY.md explains them all.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

NLP_DATA = Path(__file__).resolve().parent.parent / "nlp" / "data"
TOPICS_FILE = NLP_DATA / "signals" / "topics.toml"
TAXONOMY_FILE = NLP_DATA / "taxonomy.toml"
LANGUAGES = ("en", "id")


@functools.cache
def _toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def taxonomy() -> dict[str, Any]:
    """Levels, magnitudes, region levels and actor classes (nlp/data/taxonomy.toml)."""
    return _toml(TAXONOMY_FILE)


def topics(lang: str = "en") -> list[tuple[str, str]]:
    """Every topic code with its label in ``lang``, in the topic data's order."""
    from pipeline.digest import load_labels

    fallback = load_labels(lang)["topic_names"]
    out = []
    for code, spec in _toml(TOPICS_FILE)["topics"].items():
        label = spec.get(lang) or spec.get(f"label_{lang}") or (spec.get("labels") or {}).get(lang)
        out.append((code, label or fallback.get(code, code)))
    return out


def topic_error(topic: str) -> str | None:
    """Why ``topic`` (a code, a family, or family.*) names no topic; None when it does."""
    codes = [code for code, _ in topics()]
    family = topic[:-2] if topic.endswith(".*") else topic
    if topic in codes or any(c.startswith(family + ".") for c in codes):
        return None
    families = sorted({c.split(".")[0] + ".*" for c in codes})
    return (
        f"--topic {topic!r} is not a topic code; valid: {', '.join(codes)} "
        f"or a family ({', '.join(families)}); `suar topics` lists them with labels"
    )


def find_regions(name: str, limit: int = 20) -> list[dict[str, str | None]]:
    """Kemendagri units whose name contains ``name`` (case and punctuation ignored), larger
    units first, each with the name of the unit it belongs to (a kecamatan's regency)."""
    from nlp.regions_build import load_regions, name_key

    rows = load_regions()
    names = {r["code"]: r["name"] for r in rows}
    key = name_key(name)
    if not key:
        return []
    found = [r for r in rows if key in name_key(r["name"] or "")]
    found.sort(key=lambda r: (r["code"].count("."), name_key(r["name"]) != key, r["code"]))
    return [
        dict(r, parent_name=names.get(r["parent_code"]) if r["parent_code"] else None)
        for r in found[:limit]
    ]
