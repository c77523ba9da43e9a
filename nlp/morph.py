"""Indonesian word forms for the signal lexicons: tokens with their stems.

Indonesian news inflects conflict words with affixes (ricuh, kericuhan, diricuhkan;
tangkap, ditangkap, penangkapan). Cue lexicons match a token either on its surface
form or on its stem, so one lexicon line covers the whole word family. The stemmer is
PySastrawi (rule-based, no model download); it costs ~0.3 ms per new word, so stems are
cached per lowercase word for the life of the process.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

# Words (with internal hyphens for reduplication: luka-luka, antar-warga), numbers with
# grouping or date/time separators kept in one token (2.000, 18.00, 1/9), and single
# punctuation marks, which matter as clause boundaries.
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,:/×x]\d+)*|[^\w\s]", re.UNICODE)

_STEMMER = None


def _stemmer():
    """Build the Sastrawi stemmer once (its dictionary load takes ~30 ms)."""
    global _STEMMER
    if _STEMMER is None:
        _STEMMER = StemmerFactory().create_stemmer()
    return _STEMMER


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one lowercase word; short words and non-words are returned unchanged."""
    if len(word) <= 3 or not word.isalpha() and "-" not in word:
        return word
    return _stemmer().stem(word) or word


class Tok(NamedTuple):
    """A token with its character span in the analysed text (a tuple: cheap to build)."""

    text: str
    lower: str
    stem: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.lower[:1].isalpha()

    @property
    def is_digit(self) -> bool:
        return self.lower[:1].isdigit()


def tokenize(text: str, offset: int = 0) -> list[Tok]:
    """Split `text` (one sentence) into tokens; `offset` is added to spans so they index the
    full doc.

    Capitalised words right after another word are names (Budi, Kaltim) in running text:
    they are not stemmed, which halves the stemming cost on unseen text. In a Title Case
    headline every word is stemmed ("Demo Berakhir Kericuhan").
    """
    matches = list(_TOKEN_RE.finditer(text))
    words = [m.group() for m in matches if m.group()[:1].isalpha()]
    title_case = bool(words) and sum(w[:1].isupper() for w in words) > 0.5 * len(words)
    toks = []
    prev_word = False
    for m in matches:
        surface = m.group()
        low = surface.lower()
        is_word = surface[:1].isalpha()
        name = is_word and prev_word and surface[:1].isupper() and not title_case
        toks.append(
            Tok(surface, low, low if name else stem(low), m.start() + offset, m.end() + offset)
        )
        prev_word = is_word
    return toks


# --------------------------------------------------------------------------- numbers
_DATA = Path(__file__).parent / "data" / "signals" / "numbers.toml"
_GROUPED_RE = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DECIMAL_RE = re.compile(r"\d+,\d+")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
# A number right after one of these is a time, year, law, street or ordinal, not a count.
_NOT_COUNT_BEFORE = {
    "pukul",
    "jam",
    "tahun",
    "nomor",
    "no",
    "rp",
    "pasal",
    "ke",
    "hut",
    "km",
    "rt",
    "rw",
    "jalan",
    "jl",
    "tanggal",
    "tgl",
    "kode",
    "gelombang",
    "periode",
    "angkatan",
    "uu",
    "nomer",
    "tipe",
    "seri",
    "kelas",
    "ayat",
    "zona",
    "usia",
    "umur",
    "berusia",
    # unit names with a number: "Densus 88", "Koramil 07", "Yonif 753", "Satuan Radar 222"
    "densus",
    "kodam",
    "korem",
    "kodim",
    "koramil",
    "yonif",
    "batalyon",
    "brigif",
    "lanud",
    "lantamal",
    "radar",
    "danrem",
    "dandim",
    "armed",
    "kostrad",
    "marinir",
    "lapas",
    "sd",
    "smp",
    "sma",
    "smk",
    "man",
    "mts",
    "rs",
    "rsud",
    "pon",
    "halaman",
    "gedung",
    "blok",
}


@dataclass(frozen=True, slots=True)
class NumSpan:
    """A quantity over tokens [start, end): `value` is None for vague words (puluhan)."""

    start: int
    end: int
    value: int | None


@lru_cache(maxsize=1)
def _number_lexicon() -> tuple[dict[str, int], dict[str, int], frozenset[str], frozenset[str]]:
    with open(_DATA, "rb") as fh:
        raw = tomllib.load(fh)
    words = [w.lower() for w in raw["vague"]["words"]]
    single = frozenset(w for w in words if " " not in w)
    double = frozenset(w for w in words if " " in w)
    return dict(raw["units"]), dict(raw["multipliers"]), single, double


def _parse_words(toks: list[Tok], i: int, units: dict[str, int], mults: dict[str, int]):
    """Parse a spelled-out number starting at token i; return (value, end) or None."""
    total, group, last_unit, last, k = 0, 0, 0, None, i
    while k < len(toks):
        w = toks[k].lower
        if w in units:
            v = units[w]
            if last == "unit":
                break
            if v >= 1000:
                total += v
                last, last_unit = "big", 0
            else:
                group += v
                last, last_unit = "unit", v
        elif w == "belas" and last == "unit" and last_unit < 10:
            group += 10
            last = "mult"
        elif w in ("puluh", "ratus") and last == "unit" and last_unit < 10:
            group += last_unit * (mults[w] - 1)
            last = "mult"
        elif w in ("ribu", "juta") and last in ("unit", "mult"):
            total += group * mults[w]
            group, last = 0, "big"
        else:
            break
        k += 1
    if k == i:
        return None
    return total + group, k


def parse_numbers(toks: list[Tok]) -> dict[int, NumSpan]:
    """Find the quantities in a token list (one sentence), keyed by their first token."""
    units, mults, vague1, vague2 = _number_lexicon()
    out: dict[int, NumSpan] = {}
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        low = t.lower
        prev = toks[i - 1].lower if i else ""
        if i + 1 < n and f"{low} {toks[i + 1].lower}" in vague2:
            out[i] = NumSpan(i, i + 2, None)
            i += 2
            continue
        if low in vague1:
            out[i] = NumSpan(i, i + 1, None)
            i += 1
            continue
        if t.is_digit:
            span = _parse_digits(toks, i, mults)
            if (
                span is not None
                and prev not in _NOT_COUNT_BEFORE
                and not (prev == "-" and i >= 2 and toks[i - 2].lower == "ke")
            ):
                # "(22)" after a name is an age.
                is_age = prev == "(" and span.end < n and toks[span.end].lower == ")"
                if not is_age:
                    out[i] = span
                    i = span.end
                    continue
            i += 1
            continue
        if t.is_word and low in units:
            parsed = _parse_words(toks, i, units, mults)
            if parsed is not None and prev not in _NOT_COUNT_BEFORE:
                out[i] = NumSpan(i, parsed[1], parsed[0])
                i = parsed[1]
                continue
        i += 1
    return out


def _parse_digits(toks: list[Tok], i: int, mults: dict[str, int]) -> NumSpan | None:
    """Digits as a count: 12, 2.000, 2 ribu, 1,5 juta; years and times are not counts."""
    low = toks[i].lower
    nxt = toks[i + 1].lower if i + 1 < len(toks) else ""
    if low.isdigit():
        value: float = int(low)
        if _YEAR_RE.fullmatch(low) and nxt not in ("orang", "massa", "warga", "personel"):
            return None
    elif _GROUPED_RE.fullmatch(low):
        value = int(low.replace(".", ""))
    elif _DECIMAL_RE.fullmatch(low) and nxt in ("ribu", "juta"):
        value = float(low.replace(",", "."))
    else:
        return None
    end = i + 1
    if nxt in ("ribu", "juta", "ratus"):
        value *= mults[nxt]
        end += 1
    elif not float(value).is_integer():
        return None
    return NumSpan(i, end, int(value))
