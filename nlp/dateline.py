"""The one dateline detector: 'SAMARINDA, KOMPAS.com -', 'Ambon (ANTARA) -', 'KalbarOnline,
Pontianak –', 'TRIBUNKALTIM.CO -' at the start of an article.

The dateline says where the reporter filed from, the strongest evidence for the primary
region, and it is page text the crawler must strip from the body. So three parts of Suar
need it, and all three use this module (spaCy-free, so the crawl process can import it):
crawler/extract.py strips it and stores the place, nlp/text.py sets ``doc._.dateline``, and
nlp/regions.py looks the place up in its gazetteer.

Two modes:
- :func:`find_dateline` matches the forms of nlp/data/dateline.toml (plus an outlet's own
  pattern from the registry) and tells the place from the outlet, with the outlet names the
  caller passes (:class:`nlp.outlets.OutletLexicon`; none known by default).
- :func:`prefix_segments` gives, for a caller that can check a place name (regions, with the
  gazetteer), the candidate segments of a looser prefix ('Kota Ambon, Maluku | Suara -').
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.outlets import NO_OUTLETS, OutletLexicon

DATA_PATH = Path(__file__).parent / "data" / "dateline.toml"
READS = ("dateline.toml",)  # hashed into nlp.pipeline.PIPELINE_VERSION
_DATE_IN_PARENS = re.compile(r"^\d{1,2}/\d{1,2}(?:/\d{2,4})?$")
_CAMEL = re.compile(r"[a-z][A-Z]")


@dataclass(frozen=True)
class Dateline:
    """A dateline: offsets into the text searched; ``place`` as written (None: outlet only)."""

    start: int
    end: int
    place: str | None
    outlet: str | None
    place_start: int | None
    place_end: int | None
    form: str

    def as_dict(self) -> dict[str, Any]:
        """The dict ``doc._.dateline`` holds (what nlp.entities reads)."""
        return asdict(self)


@dataclass(frozen=True)
class _Forms:
    forms: tuple[tuple[str, re.Pattern[str]], ...]
    caps_place: re.Pattern[str]
    title_place: re.Pattern[str]
    taglines: tuple[re.Pattern[str], ...]
    outlet_words: frozenset[str]
    sep: re.Pattern[str]
    caps_prefix: re.Pattern[str]
    title_prefix: re.Pattern[str]
    max_prefix_chars: int
    min_line_chars: int


@lru_cache(maxsize=1)
def _forms() -> _Forms:
    raw = tomllib.loads(DATA_PATH.read_text(encoding="utf-8"))
    parts = raw["parts"]
    forms = tuple((f["kind"], re.compile(f["pattern"].format(**parts))) for f in raw["form"])
    return _Forms(
        forms=forms,
        caps_place=re.compile(parts["caps_place"]),
        title_place=re.compile(parts["title_place"]),
        taglines=tuple(re.compile(p) for p in raw["taglines"]),
        outlet_words=frozenset(w.lower() for w in raw["outlet_words"]),
        sep=re.compile(r"\s*(?:[–—]+|-{1,2}|:)\s*"),
        caps_prefix=re.compile(r"^([A-Z][A-Z’'.,() ]{1,58}?)[.,:]\s+(?=[A-Z][a-z])"),
        title_prefix=re.compile(r"^([A-Z][A-Za-z’' ]{2,30})[.,:]\s+(?=[A-Z])"),
        max_prefix_chars=int(raw["loose"]["max_prefix_chars"]),
        min_line_chars=int(raw["loose"]["min_line_chars"]),
    )


class _Names:
    """Outlet-name tests for one lexicon."""

    def __init__(self, outlets: OutletLexicon) -> None:
        self.known = outlets.dateline_keys | _forms().outlet_words

    def is_known(self, s: str) -> bool:
        return s.lower() in self.known

    def is_caps_place(self, s: str) -> bool:
        words = s.lower().split()
        return (
            bool(_forms().caps_place.fullmatch(s))
            and s.lower() not in self.known
            and not any(w in self.known for w in words[:-1])
        )

    def looks_like_outlet(self, s: str) -> bool:
        words = s.lower().split()
        return (
            "." in s
            or any(c.islower() for c in s)
            or s.lower() in self.known
            or any(w in self.known for w in words[:-1])  # 'TIMES SAMARINDA'
        )

    def is_brand(self, s: str) -> bool:
        """A name no place is written as: a domain, CamelCase ('KalbarOnline'), or known."""
        return "." in s or bool(_CAMEL.search(s)) or self.is_known(s)


@lru_cache(maxsize=8)
def _names(outlets: OutletLexicon) -> _Names:
    return _Names(outlets)


def is_tagline(line: str) -> bool:
    """A site slogan line before the dateline ('Papua No. 1 News Portal | Jubi')."""
    return any(p.match(line.strip()) for p in _forms().taglines)


def _read(kind: str, m: re.Match[str], line: str, names: _Names) -> tuple[str | None, str | None]:
    """(place group name or None, outlet text or None) for a form's match; ('', '') rejects."""
    if kind == "a, b":
        a, b = m.group("a"), m.group("b")
        title = _forms().title_place
        if names.is_caps_place(a) and names.looks_like_outlet(b):
            return "a", b
        if names.looks_like_outlet(a) and names.is_caps_place(b):
            return "b", a
        if names.is_brand(a) and title.fullmatch(b):
            return "b", a  # 'KalbarOnline, Pontianak –', 'KBR, Balikpapan -'
        if title.fullmatch(a) and b[:1].isupper() or title.fullmatch(a) and "." in b:
            return "a", b  # 'Jakarta, majalah.com -', 'Manokwari, Contoh News --'
        return "", ""
    if kind == "outlet":
        return None, m.group("outlet")
    if kind == "place.outlet" and (
        names.is_known(m.group("place")) or re.fullmatch(r"[A-Za-z]{2,3}", m.group("outlet"))
    ):
        return None, m.group(0).rstrip(" -–—")  # 'TRIBUNKALTIM.CO -': a domain, no place
    outlet = m.groupdict().get("outlet")
    if outlet is not None and _DATE_IN_PARENS.match(outlet.strip()):
        outlet = None
    if kind == "title place" and len(line) < 40:
        return "", ""  # a short 'X - Y' line is more likely a title than a dateline
    if kind in ("place", "title place") and names.is_known(m.group("place")):
        return None, m.group("place")
    return "place", outlet


def match_line(
    line: str,
    offset: int = 0,
    outlets: OutletLexicon = NO_OUTLETS,
    extra: Iterable[re.Pattern[str]] = (),
) -> Dateline | None:
    """The dateline at the start of one line (``offset``: where the line starts in the text).

    ``extra`` are an outlet's own patterns (registry ``clean.dateline``: group 'place' or
    group 1 is the place), tried before the shared forms.
    """
    names = _names(outlets)
    for pat in extra:
        m = pat.match(line)
        if not m:
            continue
        group: str | int | None = (
            "place" if "place" in pat.groupindex else (1 if pat.groups else None)
        )
        place = m.group(group) if group is not None else None
        end = len(line[: m.end()].rstrip())
        return Dateline(
            offset + m.start(),
            offset + end,
            place.strip() if place else None,
            None,
            offset + m.start(group) if place else None,
            offset + m.start(group) + len(place.strip()) if place else None,
            "outlet pattern",
        )
    for kind, pattern in _forms().forms:
        m = pattern.match(line)
        if not m:
            continue
        group, outlet = _read(kind, m, line, names)
        if group == "":
            continue
        end = m.end()
        while end > 0 and line[end - 1].isspace():
            end -= 1
        if group is None:
            return Dateline(offset + m.start(), offset + end, None, outlet, None, None, kind)
        return Dateline(
            offset + m.start(),
            offset + end,
            m.group(group),
            outlet.strip() if outlet else None,
            offset + m.start(group),
            offset + m.end(group),
            kind,
        )
    return None


def find_dateline(
    text: str,
    outlets: OutletLexicon = NO_OUTLETS,
    max_lines: int = 3,
    extra: Iterable[re.Pattern[str]] = (),
) -> Dateline | None:
    """The dateline in the first ``max_lines`` non-empty lines of ``text`` (title, newline,
    body is fine: a title matches no form), skipping taglines; offsets are into ``text``."""
    extra = tuple(extra)
    offset = 0
    seen = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        lead = len(line) - len(stripped)
        if stripped and not is_tagline(stripped):
            found = match_line(stripped, offset + lead, outlets, extra)
            if found:
                return found
            seen += 1
            if seen >= max_lines:
                break
        offset += len(line) + 1
    return None


def prefix_segments(line: str) -> Iterator[tuple[int, int]]:
    """Candidate place segments (start, end within ``line``) of a loose dateline prefix.

    The prefix ends at one of the first three dashes/colons within max_prefix_chars (not a
    clock time), or after an upper-case or title-case lead ended by '.', ',' or ':'; it is
    split at punctuation and segments of at most four words are yielded in order. Only a
    caller that can check a place name should use these (short lines yield nothing).
    """
    f = _forms()
    if len(line) < f.min_line_chars:
        return
    cuts: list[int] = []
    for m in f.sep.finditer(line[: f.max_prefix_chars + 5]):
        if m.start() == 0:
            continue
        if ":" in m.group() and line[m.start() - 1 : m.start()].isdigit():
            continue  # a time like 10:00
        cuts.append(m.start())
        if len(cuts) >= 3:
            break
    for rx in (f.caps_prefix, f.title_prefix):
        m = rx.match(line)
        if m:
            cuts.append(m.end(1))
    for cut in cuts:
        for seg in re.finditer(r"[^,.()|–—:-]+", line[:cut]):
            text = seg.group().strip()
            if not text or len(text.split()) > 4:
                continue
            s = seg.start() + (len(seg.group()) - len(seg.group().lstrip()))
            yield s, s + len(text)
