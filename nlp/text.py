"""Indonesian news text handling: tokenizer special cases, sentence boundaries, datelines.

Why not spaCy's default sentencizer: Indonesian regional news is full of periods that do not
end sentences ('Kab. Kutai', 'Dr. H. Andi', 'S.H.', 'dll.', '2.000', '10.00 WITA') and of
long title + name chains ('Kapolres Samarinda Kombes Pol Ary Fadli'); a sentence cut in the
middle of those breaks entity and signal rules downstream. Articles also open with a
dateline ('BALIKPAPAN.NIAGA.ASIA –', 'Ambon (ANTARA) -') that tells where the story is; it
is found by nlp.dateline (the one detector, shared with the crawler), with the outlet names
the pipeline was given (``nlp.outlets.configure``).

Public interface::

    nlp = make_base_nlp()                  # spacy.blank('id') + 'suar_sentences'
    doc = nlp(title + "\\n" + body)
    doc._.dateline                         # nlp.dateline.Dateline.as_dict() or None
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy
import spacy
from spacy import util as spacy_util
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from nlp.dateline import find_dateline
from nlp.outlets import NO_OUTLETS, OutletLexicon
from nlp.startup import cache_key, load_cached, store_cached

DATA_DIR = Path(__file__).parent / "data" / "text"
READS = ("text/abbreviations.toml", "text/titles.txt")  # hashed into PIPELINE_VERSION

_FINAL_PUNCT = {".", "!", "?", "…", "...", "..", "!!", "??", "?!", "!?"}
_CLOSERS = {"”", '"', "’", "'", ")", "]", "»"}
_OPENERS = {"“", '"', "‘", "'", "(", "[", "«"}


@lru_cache(maxsize=1)
def load_abbreviations() -> tuple[frozenset[str], frozenset[str]]:
    """Return (never_final, may_end) abbreviation sets, each with capitalised variants."""
    data = tomllib.loads((DATA_DIR / "abbreviations.toml").read_text(encoding="utf-8"))

    def expand(words: list[str]) -> frozenset[str]:
        out = set(words)
        out.update(w[0].upper() + w[1:] for w in words)
        return frozenset(out)

    never, may = expand(data["never_final"]), expand(data["may_end"])
    return never, may - never


@lru_cache(maxsize=1)
def load_titles() -> frozenset[str]:
    """Titles/ranks written before a name (one per line in data/text/titles.txt)."""
    lines = (DATA_DIR / "titles.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def add_special_cases(nlp: Language) -> None:
    """Keep abbreviations (and single-letter initials like 'A.') as one token."""
    never, may = load_abbreviations()
    initials = {f"{c}." for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    titles_dotted = {f"{t}." for t in load_titles()}
    for abbr in sorted(never | may | initials | titles_dotted):
        if abbr.endswith("."):
            nlp.tokenizer.add_special_case(abbr, [{ORTH: abbr}])


# --------------------------------------------------------------------------- tokenizer

TOKENIZER = "suar.tokenizer.v1"  # the registered name (spaCy's Tokenizer, built faster)


class _InfixMatch:
    """What the tokenizer reads of an infix regex match: its start and end."""

    __slots__ = ("_start", "_end")

    def __init__(self, start: int, end: int) -> None:
        self._start, self._end = start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


class AffixTable:
    """The affix searches spaCy's tokenizer makes while it loads its special cases, answered
    from a table: ~16,000 Indonesian exceptions (mostly hyphenated words) each cost a few
    prefix, suffix and infix regex searches, a large part of every start-up. The answers are
    pure functions of the string and the three patterns, which key the cached table; a string
    not in the table is searched (and the table rewritten)."""

    KIND = "tokenizer-affixes"

    def __init__(self, tokenizer: Tokenizer) -> None:
        patterns = [
            getattr(getattr(f, "__self__", None), "pattern", None)
            for f in (tokenizer.prefix_search, tokenizer.suffix_search, tokenizer.infix_finditer)
        ]
        self.key = (
            cache_key([self.KIND, spacy.__version__, *patterns])
            if all(isinstance(p, str) for p in patterns)
            else None  # not compiled regexes: nothing to key a table on
        )
        cached = load_cached(self.KIND, self.key) if self.key else None
        ok = isinstance(cached, tuple) and len(cached) == 3
        ok = ok and all(isinstance(t, dict) for t in cached)
        self.prefix, self.suffix, self.infix = cached if ok else ({}, {}, {})
        self.missed = False

    def save(self) -> None:
        if self.missed and self.key:
            store_cached(self.KIND, self.key, (self.prefix, self.suffix, self.infix))


class SuarTokenizer(Tokenizer):
    """spaCy's Tokenizer, unchanged in what it does and how it serialises; only while
    :func:`make_tokenizer` loads the special cases are its affix searches answered from an
    :class:`AffixTable` (``_table``), afterwards they are spaCy's own."""

    _table: AffixTable | None = None

    def _memo(self, kind: str, string: str, search: Callable[[Tokenizer, str], Any]) -> Any:
        """One affix search, answered from the table while it is set (and filled on a miss)."""
        table = self._table
        if table is None:
            return search(self, string)
        memo = getattr(table, kind)
        found = memo.get(string)
        if found is None:
            found = memo[string] = search(self, string)
            table.missed = True
        return found

    def find_prefix(self, string: str) -> int:
        return self._memo("prefix", string, Tokenizer.find_prefix)

    def find_suffix(self, string: str) -> int:
        return self._memo("suffix", string, Tokenizer.find_suffix)

    def find_infix(self, string: str) -> Any:
        table = self._table
        if table is None:
            return Tokenizer.find_infix(self, string)
        spans = table.infix.get(string)
        if spans is None:
            spans = table.infix[string] = tuple(
                (m.start(), m.end()) for m in Tokenizer.find_infix(self, string)
            )
            table.missed = True
        return [_InfixMatch(start, end) for start, end in spans]


@spacy.registry.tokenizers(TOKENIZER)
def make_tokenizer() -> Callable[[Language], Tokenizer]:
    """What spaCy's default "spacy.Tokenizer.v1" builds (the language's exceptions, prefixes,
    suffixes, infixes, token and URL matches), as a :class:`SuarTokenizer` that loads the
    exceptions with the cached :class:`AffixTable`."""

    def factory(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        prefixes, suffixes, infixes = defaults.prefixes, defaults.suffixes, defaults.infixes
        tokenizer = SuarTokenizer(
            nlp.vocab,
            rules=None,
            prefix_search=spacy_util.compile_prefix_regex(prefixes).search if prefixes else None,
            suffix_search=spacy_util.compile_suffix_regex(suffixes).search if suffixes else None,
            infix_finditer=spacy_util.compile_infix_regex(infixes).finditer if infixes else None,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )
        table = AffixTable(tokenizer)
        tokenizer._table = table if table.key else None
        try:
            tokenizer.rules = defaults.tokenizer_exceptions  # what Tokenizer(rules=...) loads
        finally:
            tokenizer._table = None
        table.save()
        return tokenizer

    return factory


# --------------------------------------------------------------------------- sentences

if not Doc.has_extension("dateline"):
    Doc.set_extension("dateline", default=None)


def _starts_sentence(text: str) -> bool:
    """Can this token begin a sentence? Indonesian sentences start capitalised or with a digit."""
    ch = text[0]
    return ch.isupper() or ch.isdigit() or text in _OPENERS or text in ("-", "–", "—", "•")


@Language.factory("suar_sentences")
def make_sentences(nlp: Language, name: str) -> SentenceSplitter:
    """spaCy factory: ``nlp.add_pipe("suar_sentences")``."""
    return SentenceSplitter()


class SentenceSplitter:
    """Sentence starts and ``doc._.dateline``; ``outlets`` is set by nlp.outlets.configure."""

    def __init__(self) -> None:
        self.outlets: OutletLexicon = NO_OUTLETS

    def __call__(self, doc: Doc) -> Doc:
        split_sentences(doc)
        found = find_dateline(doc.text, self.outlets)
        doc._.dateline = found.as_dict() if found else None
        return doc


def split_sentences(doc: Doc) -> Doc:
    """Set sentence starts (newlines, final punctuation).

    A period-bearing token ends a sentence only when the next word could start one; abbreviations
    before names ('Kab.', 'Dr.', initials) never do, and titles/ranks never do.
    """
    never, may = load_abbreviations()
    titles = load_titles()
    n = len(doc)
    if n == 0:
        return doc
    starts = [False] * n
    starts[0] = True
    i = 0
    while i < n:
        tok = doc[i]
        text = tok.text
        if "\n" in text and tok.is_space:
            j = i + 1
            while j < n and doc[j].is_space:
                j += 1
            # a single line break before a lower-case word is a hard wrap, not a boundary
            wrapped = text.count("\n") == 1 and j < n and doc[j].text[0].islower()
            if j < n and not wrapped:
                starts[j] = True
            i = j
            continue
        if "\n" in tok.whitespace_ and i + 1 < n and not doc[i + 1].text[0].islower():
            starts[i + 1] = True
        is_final = text in _FINAL_PUNCT or (text.endswith(".") and text in may)
        if is_final:
            if text == "." and i > 0 and doc[i - 1].text in titles and not doc[i - 1].whitespace_:
                is_final = False  # 'Pol.' split off as its own period
            j = i + 1
            while j < n and doc[j].text in _CLOSERS and doc[j].text not in _OPENERS:
                j += 1
            # a closing straight quote directly attached to the period: '... aman."'
            if j < n and doc[j].text in ('"', "'") and not doc[j - 1].whitespace_:
                j += 1
            while j < n and doc[j].is_space and "\n" not in doc[j].text:
                j += 1
            if is_final and j < n and not doc[j].is_space:
                nxt = doc[j].text
                ok = _starts_sentence(nxt)
                if text in may and (nxt in may or nxt in never or nxt in {",", ";"}):
                    ok = False
                if ok:
                    starts[j] = True
            i = max(i + 1, j)
            continue
        i += 1
    # one array write: setting Token.is_sent_start one by one re-checks the whole doc each time
    values = numpy.array([1 if s else -1 for s in starts], dtype="int64").astype("uint64")
    values = values.reshape(-1, 1)
    doc.from_array([SENT_START], values)
    return doc


def make_base_nlp() -> Language:
    """A blank Indonesian pipeline with Suar's tokenizer special cases and sentence splitter."""
    nlp = spacy.blank("id", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    add_special_cases(nlp)
    nlp.add_pipe("suar_sentences")
    return nlp
