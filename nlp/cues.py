"""Cue matching shared by the signal rules (nlp/signals.py) and the magnitude rules
(nlp/magnitudes.py): compiled cue phrases, the hits they make in a sentence and the
analysed sentence itself. Its own module so that neither rule set imports the other.

A cue is a phrase of items: a word (matched on surface or Sastrawi stem), "=word" (surface
only), "^Word" (case-sensitive), "<class>" (a word class from context.toml), "<num>" /
"<qty>" (a number / a quantity, nlp/morph.py) and "~" (up to two words skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nlp.morph import NumSpan, Tok, stem

_GAP_MAX = 2
READS: tuple[str, ...] = ()  # no data file of its own (settings come from signals)


@dataclass(frozen=True, slots=True)
class Cue:
    """One compiled cue phrase and what it signals (`kind` + `payload`)."""

    text: str
    items: tuple[tuple[str, str], ...]
    kind: str
    payload: Any


@dataclass(slots=True)
class Hit:
    """A cue found in a sentence: token span [i, j) and char span [start, end)."""

    cue: Cue
    sent: int
    i: int
    j: int
    start: int
    end: int
    negated: bool = False
    zero: bool = False  # explicit "tidak ada ..." (a stated zero)
    hypothetical: bool = False


@dataclass(slots=True)
class Sentence:
    """A sentence (or headline/line) with its tokens, numbers and context flags."""

    start: int
    end: int
    text: str
    toks: list[Tok]
    nums: dict[int, NumSpan]
    is_title: bool = False
    history: bool = False  # recounts the past: ignored for topics, level and magnitudes
    tally: bool = False  # a count over a period: ignored for level and magnitudes
    denial: bool = False
    election: bool = False
    hits: list[Hit] = field(default_factory=list)

    @property
    def background(self) -> bool:
        return self.history or self.tally


def _compile_item(word: str, classes: dict[str, tuple[frozenset[str], frozenset[str]]]):
    if word == "~":
        return ("gap", "")
    if word.startswith("<") and word.endswith(">"):
        name = word[1:-1]
        if name in ("num", "qty"):
            return (name, "")
        if name not in classes:
            raise ValueError(f"unknown word class {word}")
        return ("class", name)
    if word.startswith("^"):
        return ("case", word[1:])
    if word.startswith("="):
        return ("surf", word[1:])
    return ("stem", stem(word))


def _split_words(cue: str) -> list[str]:
    words = [w if w.startswith("^") else w.lower() for w in cue.split()]
    # a leading "=" applies to every word of the phrase ("=gas air mata")
    if words and words[0].startswith("=") and len(words[0]) > 1:
        words = [words[0]] + [
            w if w.startswith(("=", "<")) or w == "~" else "=" + w for w in words[1:]
        ]
    return words


_Entry = tuple[Cue, frozenset[str]]


class CueMatcher:
    """Finds many cue phrases in one pass over a sentence's tokens (dictionary on 1st item)."""

    def __init__(self, classes: dict[str, list[str]]):
        self.classes: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for name, words in classes.items():
            surf = frozenset(w[1:] for w in words if w.startswith("="))
            stems = frozenset(stem(w) for w in words if not w.startswith("="))
            self.classes[name] = (surf, stems)
        # (cue, words it needs) by the cue's first word: surface (also "^Word" cues,
        # lower-cased) and stem; the words are those of its later items, each of which some
        # token's lower form or stem must equal for the cue to match (a cheap test first)
        self._surf: dict[str, list[_Entry]] = {}
        self._stem: dict[str, list[_Entry]] = {}
        self._wild_num: list[_Entry] = []  # cues starting with <num>/<qty>
        self._wild_class: dict[str, list[_Entry]] = {}  # cues starting with a word class

    def add(self, text: str, kind: str, payload: Any) -> None:
        items = tuple(_compile_item(w, self.classes) for w in _split_words(text))
        if not items or items[0][0] == "gap":
            raise ValueError(f"bad cue {text!r}")
        cue = Cue(text, items, kind, payload)
        need = frozenset(
            val.lower() if k == "case" else val
            for k, val in items[1:]
            if k in ("surf", "stem", "case")
        )
        entry = (cue, need)
        first_kind, first_val = items[0]
        if first_kind == "surf":
            self._surf.setdefault(first_val, []).append(entry)
        elif first_kind == "stem":
            self._stem.setdefault(first_val, []).append(entry)
        elif first_kind == "case":
            self._surf.setdefault(first_val.lower(), []).append(entry)
        elif first_kind == "class":
            self._wild_class.setdefault(first_val, []).append(entry)
        else:
            self._wild_num.append(entry)

    def in_class(self, name: str, tok: Tok) -> bool:
        surf, stems = self.classes[name]
        return tok.lower in surf or tok.stem in stems or tok.lower in stems

    def any_in_class(self, name: str, toks: list[Tok]) -> bool:
        """Whether any of the tokens is in the class (`in_class` of one, as set tests)."""
        surf, stems = self.classes[name]
        lowers = [t.lower for t in toks]
        return (
            not surf.isdisjoint(lowers)
            or not stems.isdisjoint([t.stem for t in toks])
            or not stems.isdisjoint(lowers)
        )

    def _match(self, items, k: int, toks: list[Tok], i: int, nums: dict[int, NumSpan]) -> int:
        """End token of items[k:] matched from token i, or -1. A loop over the items, with
        recursion only at a gap (the one place that backtracks): most candidates fail on
        their second item, and a call per item cost more than the comparisons."""
        n_items, n = len(items), len(toks)
        while k < n_items:
            kind, val = items[k]
            if kind == "gap":
                for skip in range(_GAP_MAX + 1):
                    if skip and (i + skip - 1 >= n or not toks[i + skip - 1].lower[0].isalnum()):
                        break
                    r = self._match(items, k + 1, toks, i + skip, nums)
                    if r >= 0:
                        return r
                return -1
            if i >= n:
                return -1
            if kind == "num" or kind == "qty":
                span = nums.get(i)
                if span is None or (kind == "num" and span.value is None):
                    return -1
                i = span.end
            else:
                tok = toks[i]
                if kind == "surf":
                    ok = tok.lower == val
                elif kind == "stem":
                    ok = tok.stem == val or tok.lower == val
                elif kind == "case":
                    ok = tok.text == val
                else:
                    ok = self.in_class(val, tok)
                if not ok:
                    return -1
                i += 1
            k += 1
        return i

    def find(self, toks: list[Tok], nums: dict[int, NumSpan]) -> list[tuple[Cue, int, int]]:
        """All (cue, start_tok, end_tok) matches; every cue is tried at every token."""
        out = []
        surf, stems = self._surf, self._stem
        empty: list[_Entry] = []
        present: set[str] | None = None  # every lower form and stem of the sentence
        for i, tok in enumerate(toks):
            low, st = tok.lower, tok.stem
            cands = [
                *surf.get(low, empty),
                *stems.get(st, empty),
                *(stems.get(low, empty) if low != st else empty),
            ]
            if i in nums:
                cands.extend(self._wild_num)
            for name, cues in self._wild_class.items():
                if self.in_class(name, tok):
                    cands.extend(cues)
            for cue, need in cands:
                if need:
                    if present is None:
                        present = {t.lower for t in toks} | {t.stem for t in toks}
                    if not need <= present:
                        continue  # a word the cue needs is nowhere in the sentence
                j = self._match(cue.items, 0, toks, i, nums)
                if j > i:
                    out.append((cue, i, j))
        return out
