"""Indonesian news text handling: tokenizer special cases, sentence boundaries, datelines.

Why not spaCy's default sentencizer: Indonesian regional news is full of periods that do not
end sentences ('Kab. Kutai', 'Dr. H. Andi', 'S.H.', 'dll.', '2.000', '10.00 WITA') and of
long title + name chains ('Kapolres Samarinda Kombes Pol Ary Fadli'); a sentence cut in the
middle of those breaks entity and signal rules downstream. Articles also open with a
dateline ('BALIKPAPAN.NIAGA.ASIA –', 'Ambon (ANTARA) -') that tells where the story is.

Public interface::

    nlp = make_base_nlp()                  # spacy.blank('id') + 'suar_sentences'
    doc = nlp(title + "\\n" + body)
    doc._.dateline                         # {'place', 'outlet', 'start', 'end', ...} or None
    find_dateline(text)                    # same dict from plain text
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

import numpy
import spacy
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

DATA_DIR = Path(__file__).parent / "data" / "text"

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


# --------------------------------------------------------------------------- datelines

_DASH = r"(?:--|[-–—])"
# an all-caps place: 'BANDA ACEH', 'PENAJAM PASER UTARA', "TANA TIDUNG"
_CAPS_PLACE = r"[A-Z][A-Z'’-]*(?: [A-Z][A-Z'’-]*){0,3}"
# a title-case place, as detik/antara write it: 'Ambon', 'Tanjung Redeb'
_TITLE_PLACE = r"[A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+){0,2}"
_OUTLET = r"[A-Za-z][\w.&-]*(?: [A-Za-z][\w.&-]*)?"
_DATE_IN_PARENS = re.compile(r"^\d{1,2}/\d{1,2}(?:/\d{2,4})?$")

# Tried in order on the start of each of the first lines of an article.
_DATELINE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # BALIKPAPAN.NIAGA.ASIA –
    (
        "place.outlet",
        re.compile(rf"(?P<place>{_CAPS_PLACE})\.(?P<outlet>[A-Za-z][\w.]*\w)\s*{_DASH}"),
    ),
    # Ambon (ANTARA) -   /   SAMARINDA (25/6) -
    (
        "place (outlet)",
        re.compile(
            rf"(?P<place>{_CAPS_PLACE}|{_TITLE_PLACE})\s*\((?P<outlet>[^()\n]{{2,30}})\)\s*{_DASH}"
        ),
    ),
    # SAMARINDA, KOMPAS.com -  /  metroikn, SAMARINDA –  /  TRIBUNKALTIM.CO, SAMARINDA -
    ("a, b", re.compile(rf"(?P<a>{_OUTLET}),\s+(?P<b>{_OUTLET})\s*{_DASH}")),
    # jpnn.com - BANDUNG -
    (
        "outlet - place",
        re.compile(
            rf"(?P<outlet>[A-Za-z][\w-]*\.[a-z]{{2,3}})\s+{_DASH}\s+(?P<place>{_CAPS_PLACE})\s*{_DASH}"
        ),
    ),
    # BANDA ACEH -   /   SAMARINDA: (some outlets use a colon)
    ("place", re.compile(rf"(?P<place>{_CAPS_PLACE})\s*(?:{_DASH}\s|:\s)")),
    # Jakarta - (only followed by a real sentence)
    ("title place", re.compile(rf"(?P<place>{_TITLE_PLACE})\s+{_DASH}\s+(?=[A-Z“\"])")),
]


@lru_cache(maxsize=1)
def _known_outlets() -> frozenset[str]:
    lines = (DATA_DIR / "outlets.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip().lower() for ln in lines if ln.strip() and not ln.startswith("#"))


def _is_caps_place(s: str) -> bool:
    words = s.lower().split()
    return (
        bool(re.fullmatch(_CAPS_PLACE, s))
        and s.lower() not in _known_outlets()
        and not any(w in _known_outlets() for w in words[:-1])
    )


def _looks_like_outlet(s: str) -> bool:
    words = s.lower().split()
    return (
        "." in s
        or any(c.islower() for c in s)
        or s.lower() in _known_outlets()
        or any(w in _known_outlets() for w in words[:-1])  # 'TIMES SAMARINDA'
    )


def _match_line(line: str, offset: int) -> dict | None:
    for kind, pattern in _DATELINE_PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        if kind == "a, b":
            a, b = m.group("a"), m.group("b")
            if _is_caps_place(a) and _looks_like_outlet(b):
                place_group, outlet = "a", b
            elif _looks_like_outlet(a) and _is_caps_place(b):
                place_group, outlet = "b", a
            elif re.fullmatch(_TITLE_PLACE, a) and ("." in b or b.lower() in _known_outlets()):
                place_group, outlet = "a", b  # 'Jakarta, majalah.com -'
            elif a.lower() in _known_outlets() and re.fullmatch(_TITLE_PLACE, b):
                place_group, outlet = "b", a  # 'KBR, Balikpapan -'
            else:
                continue
        else:
            place_group = "place"
            outlet = m.groupdict().get("outlet")
            if outlet is not None and _DATE_IN_PARENS.match(outlet.strip()):
                outlet = None
        place = m.group(place_group)
        if kind == "title place" and len(line) < 40:
            continue  # a short 'X - Y' line is more likely a title than a dateline
        if kind in ("place", "title place") and place.lower() in _known_outlets():
            return {
                "place": None,
                "outlet": place,
                "start": offset + m.start(),
                "end": offset + m.end(),
                "place_start": None,
                "place_end": None,
            }
        end = m.end()
        while end > 0 and line[end - 1].isspace():
            end -= 1
        return {
            "place": place,
            "outlet": outlet.strip() if outlet else None,
            "start": offset + m.start(),
            "end": offset + end,
            "place_start": offset + m.start(place_group),
            "place_end": offset + m.end(place_group),
        }
    return None


def find_dateline(text: str, max_lines: int = 3) -> dict | None:
    """Find the dateline at the start of an article ('SAMARINDA, KOMPAS.com -').

    Looks at the first ``max_lines`` non-empty lines, because ``doc.text`` is usually the
    title, a newline, then the body. Returns ``{"place", "outlet", "start", "end",
    "place_start", "place_end"}`` (character offsets into ``text``; ``place`` exactly as
    written, ``outlet`` None when not given) or None.
    """
    offset = 0
    seen = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        lead = len(line) - len(stripped)
        if stripped:
            found = _match_line(stripped, offset + lead)
            if found:
                return found
            seen += 1
            if seen >= max_lines:
                break
        offset += len(line) + 1
    return None


# --------------------------------------------------------------------------- sentences

if not Doc.has_extension("dateline"):
    Doc.set_extension("dateline", default=None)


def _starts_sentence(text: str) -> bool:
    """Can this token begin a sentence? Indonesian sentences start capitalised or with a digit."""
    ch = text[0]
    return ch.isupper() or ch.isdigit() or text in _OPENERS or text in ("-", "–", "—", "•")


@Language.component("suar_sentences")
def suar_sentences(doc: Doc) -> Doc:
    """Set sentence starts (newlines, final punctuation) and ``doc._.dateline``.

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
    doc._.dateline = find_dateline(doc.text)
    return doc


def make_base_nlp() -> Language:
    """A blank Indonesian pipeline with Suar's tokenizer special cases and sentence splitter."""
    nlp = spacy.blank("id")
    add_special_cases(nlp)
    nlp.add_pipe("suar_sentences")
    return nlp
