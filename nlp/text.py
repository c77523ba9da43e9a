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
from functools import lru_cache
from pathlib import Path

import numpy
import spacy
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from nlp.dateline import find_dateline
from nlp.outlets import NO_OUTLETS, OutletLexicon

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
    nlp = spacy.blank("id")
    add_special_cases(nlp)
    nlp.add_pipe("suar_sentences")
    return nlp
