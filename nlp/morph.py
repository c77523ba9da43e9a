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
READS = ("signals/numbers.toml",)  # hashed into nlp.pipeline.PIPELINE_VERSION
_GROUPED_RE = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DECIMAL_RE = re.compile(r"\d+,\d+")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True, slots=True)
class NumSpan:
    """A quantity over tokens [start, end): `value` is None for vague words (puluhan)."""

    start: int
    end: int
    value: int | None


@dataclass(frozen=True, slots=True)
class _NumberLexicon:
    units: dict[str, int]
    mults: dict[str, int]
    vague1: frozenset[str]
    vague2: frozenset[str]
    not_count_before: frozenset[str]
    range_links: frozenset[str]
    # the words a quantity can start with (besides digits): most tokens are none of these
    starters: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def _number_lexicon() -> _NumberLexicon:
    with open(_DATA, "rb") as fh:
        raw = tomllib.load(fh)
    words = [w.lower() for w in raw["vague"]["words"]]
    vague1 = frozenset(w for w in words if " " not in w)
    vague2 = frozenset(w for w in words if " " in w)
    return _NumberLexicon(
        dict(raw["units"]),
        dict(raw["multipliers"]),
        vague1,
        vague2,
        frozenset(w.lower() for w in raw["not_count"]["before"]),
        frozenset(raw["not_count"]["range_links"]),
        frozenset(raw["units"]) | vague1 | {w.split(" ", 1)[0] for w in vague2},
    )


def _in_name(toks: list[Tok], i: int, title_case: bool) -> bool:
    """Digits that belong to a name or code, not a count: a zero-padded code ("RT 05",
    "Kodim 0901") or a number right after a capitalised word inside running text
    ("Detasemen Khusus 88", "Yonif 751"); in a Title Case headline capitals say nothing."""
    low = toks[i].lower
    if len(low) > 1 and low[0] == "0" and low.isdigit():
        return True
    if title_case or i < 2:  # the sentence's first word is capitalised anyway
        return False
    prev, before = toks[i - 1], toks[i - 2]
    return prev.is_word and prev.text[:1].isupper() and before.is_word


def _parse_words(toks: list[Tok], i: int, units: dict[str, int], mults: dict[str, int]):
    """Parse a spelled-out number starting at token i; return (value, end) or None."""
    total, group, last_unit, last, k = 0, 0, 0, None, i
    while k < len(toks):
        w = toks[k].lower
        if w in units:
            v = units[w]
            if last == "unit" and last_unit < 100:  # "dua tiga" is no number; "seratus dua" is
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
    """Find the quantities in a token list (one sentence), keyed by their first token.

    A range ("1.000-2.000 orang", "dua hingga tiga orang") is one quantity: its lower bound."""
    lex = _number_lexicon()
    words = [t.text for t in toks if t.is_word]
    title_case = bool(words) and sum(w[:1].isupper() for w in words) > 0.5 * len(words)
    out: dict[int, NumSpan] = {}
    i, n = 0, len(toks)
    starters = lex.starters
    while i < n:
        low = toks[i].lower
        if low not in starters and not low[:1].isdigit():
            i += 1  # _number_at would find nothing here
            continue
        span = _number_at(toks, i, lex, title_case)
        if span is None:
            i += 1
            continue
        k = span.end
        if span.value is not None and k + 1 < n and toks[k].lower in lex.range_links:
            upper = _number_at(toks, k + 1, lex, title_case)
            if upper is not None and upper.value is not None and upper.value > span.value:
                span = NumSpan(span.start, upper.end, span.value)
        out[i] = span
        i = span.end
    return out


def _number_at(toks: list[Tok], i: int, lex: _NumberLexicon, title_case: bool) -> NumSpan | None:
    """The quantity starting at token i, if any."""
    t = toks[i]
    low = t.lower
    n = len(toks)
    prev = toks[i - 1].lower if i else ""
    if i + 1 < n and f"{low} {toks[i + 1].lower}" in lex.vague2:
        return NumSpan(i, i + 2, None)
    if low in lex.vague1:
        return NumSpan(i, i + 1, None)
    if prev in lex.not_count_before:
        return None
    if t.is_digit:
        span = _parse_digits(toks, i, lex.mults)
        if span is None or (prev == "-" and i >= 2 and toks[i - 2].lower == "ke"):
            return None
        if _in_name(toks, i, title_case):
            return None
        # "(22)" after a name is an age.
        if prev == "(" and span.end < n and toks[span.end].lower == ")":
            return None
        return span
    if t.is_word and low in lex.units:
        parsed = _parse_words(toks, i, lex.units, lex.mults)
        if parsed is not None:
            return NumSpan(i, parsed[1], parsed[0])
    return None


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
