"""Link Indonesian news text to Kemendagri regions (TAXONOMY.md section 4).

Every mention of a province, kabupaten/kota, kecamatan or desa/kelurahan gets its official
code and character offsets, and the article gets one primary region: where its present
event happens. Rules, in the order they apply:

Mentions
- Names come from the official list (``nlp.regions_build``) plus analyst files in
  ``nlp/data/regions/``: abbreviations and variants (Kaltim, Palangka Raya), towns that are
  not units (Sampit -> Kotawaringin Timur), ambiguous names, outlet names and cue words.
- A name must be capitalised word by word (a title that is all lower case, rebuilt from a
  URL slug, is read as if capitalised). Common-word names (Batu, Puncak) need a cue such as
  'Kabupaten', 'Kota', 'Polres', 'se-' or a dateline; names marked ``caps`` (Bone, Padang)
  also count mid-sentence when capitalised and not followed by another capitalised word.
- Kota vs kabupaten of one name: 'Kabupaten/Kab./Pemkab/Bupati X' is the kabupaten,
  'Kota/Pemkot/Wali Kota/Polresta X' and 'X Kota' the kota, 'Provinsi/Polda/Gubernur X' the
  province. A bare name takes the unit in the province the article is about, then the one
  the article itself names with a cue (majority), then the default: the province where a
  province has that name (Jambi, Bengkulu, Gorontalo), else the kota (bare 'Madiun' is Kota
  Madiun). A dateline prefers the kota (datelines name towns).
- Kecamatan only after Kecamatan/Kec./Camat/Distrik, desa/kelurahan only after
  Desa/Kelurahan/Kel./Kampung...; both are placed by the nearest mentioned kabupaten/kota
  (or kecamatan). A name that cannot be placed is dropped, never guessed (a kecamatan name
  unique in the country is accepted).
- Not mentions: place names inside outlet names (Kaltim Post, Tribun-Papua, TIMES Samarinda;
  the names come from the caller's nlp.outlets.OutletLexicon, prefixes/suffixes from cues.toml),
  inside web domains (jatim.antaranews.com), after Jalan/Pulau/Sungai/Danau..., and the
  blocked phrases of ambiguous.tsv (Timur Tengah, Kota Baru as two words).
- IKN / Ibu Kota Nusantara is not a unit: it is not emitted, but it is evidence for province
  64 when choosing the primary region (it lies in Penajam Paser Utara and Kutai Kartanegara).

Primary region
- Each mention scores by where it stands: dateline (strong), title, lead sentences,
  locatives ('di X', 'di Hotel ... X', and the rest of an address or list after it:
  'di Kecamatan A, Kabupaten B'; not 'kata ... di X'), event sentences. Menus, 'Baca juga'
  lines and photo captions count little or nothing. Kecamatan and desa mentions add to
  their kabupaten/kota; kabupaten/kota add to their province.
- The dateline is weakened when the lead is about another province (a Jakarta desk) or
  places the event in another kabupaten/kota. An ambiguous dateline ('BIMA -') takes the
  unit that the article's kecamatan/desa or cued lead mentions support.
- The best province wins; its best kabupaten/kota is primary when it clearly leads (or is
  the only one named), unless the story is province-wide (spread cues: kabupaten/kota,
  se-Kaltim, wilayah/seluruh Kaltim, inflasi, DPT..., with a provincial body as subject)
  and no kabupaten/kota of it is the venue or locative in the lead.
- A kecamatan/desa inside the primary kabupaten refines it only when the lead places an
  event there. A national story (national institution or country-wide scope, no region but
  Jakarta in the lead) has no primary region. The outlet's home province is used only when
  the text names no place.

Public interface::

    mentions, primary = link_regions(text, outlet_province=None, dateline=None, outlets=lexicon)
    nlp.add_pipe("suar_regions")       # doc._.regions, doc._.primary_region
    # scored by `suar eval` (nlp/evaluate.py; one component: `suar eval --component regions`)
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from nlp.dateline import is_tagline, match_line, prefix_segments
from nlp.outlets import NO_OUTLETS, OutletLexicon
from nlp.regions_build import (
    DATA_DIR,
    Entry,
    Gazetteer,
    build_gazetteer,
    load_regions,
    name_key,
)

__all__ = [
    "build_gazetteer",
    "link_regions",
    "load_regions",
    "outlet_province",
]

_TOKEN = re.compile(r"[^\W_]+(?:['’`][^\W_]+)*")
_JOIN_GAP = re.compile(r"[ \t\u00a0]*-?[ \t\u00a0]*")
_SPACE_GAP = re.compile(r"[ \t\u00a0]+")
_CUE_GAP = re.compile(r"[ \t\u00a0]*[.\-]?[ \t\u00a0]*")
_SMALL_WORDS = {"dan"}
_DASHES = "–—-"
# the nlp/data files this module reads besides the gazetteer's (nlp.pipeline.PIPELINE_VERSION)
READS = ("regions/cues.toml",)


# --------------------------------------------------------------------------- data files


@dataclass(frozen=True)
class _Cues:
    prefix: dict[tuple[str, ...], str]  # cue phrase -> 'kabupaten' | 'kota' | ... | 'unit'
    sub_unit_first: frozenset[str]  # first words of the kecamatan/desa cue phrases
    kota_suffix: frozenset[str]
    kabupaten_suffix: frozenset[str]
    part_words: frozenset[str]
    admin: frozenset[str]
    block_before: frozenset[str]
    demonym_before: frozenset[str]
    outlet_prefixes: frozenset[str]
    outlet_suffixes: frozenset[str]
    event: tuple[str, ...]
    event_re: re.Pattern[str]  # any of `event` as a substring, in one search
    venue_re: re.Pattern[str]
    speech_re: re.Pattern[str]
    locative: frozenset[str]
    spread_re: tuple[re.Pattern[str], ...]
    provincial_subject: frozenset[tuple[str, ...]]
    national_re: re.Pattern[str]
    national_scope_re: tuple[re.Pattern[str], ...]
    furniture_re: re.Pattern[str]
    blocks_re: re.Pattern[str]


def _alternation(words: list[str]) -> str:
    ordered = sorted({w.lower() for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def _flexible(phrase: str) -> str:
    """Regex for a phrase whose words may be joined by space, hyphen or nothing.

    Used with IGNORECASE (TRIBUNKALTIM.CO), except that a capitalised first letter must stay
    capitalised: 'Suara Papua' is an outlet, 'suara Papua' the votes cast in Papua.
    """
    words = [re.escape(w) for w in phrase.split()]
    joined = r"[\s\-]?".join(words)
    if phrase[:1].isupper():
        joined = "(?-i:" + re.escape(phrase[0]) + ")" + joined[len(re.escape(phrase[0])) :]
    return joined


def _spaced(phrase: str) -> str:
    """Regex for a phrase written with spaces between its words ('Kota Baru', not 'Kotabaru')."""
    return r"\s+".join(re.escape(w) for w in phrase.split())


@lru_cache(maxsize=1)
def _cues() -> _Cues:
    raw = tomllib.loads((DATA_DIR / "cues.toml").read_text(encoding="utf-8"))
    prefix: dict[tuple[str, ...], str] = {}
    for kind, phrases in raw["prefix"].items():
        if kind in ("kota_suffix", "kabupaten_suffix", "admin", "part_words"):
            continue
        for phrase in phrases:
            prefix[tuple(phrase.lower().split())] = kind
    primary = raw["primary"]
    gaz = build_gazetteer()
    return _Cues(
        prefix=prefix,
        sub_unit_first=frozenset(
            p[0] for p, k in prefix.items() if p and k in ("district", "village")
        ),
        kota_suffix=frozenset(raw["prefix"]["kota_suffix"]),
        kabupaten_suffix=frozenset(raw["prefix"]["kabupaten_suffix"]),
        part_words=frozenset(raw["prefix"]["part_words"]),
        admin=frozenset(raw["prefix"]["admin"]),
        block_before=frozenset(raw["block"]["before"]),
        demonym_before=frozenset(raw["block"]["demonym_before"]),
        outlet_prefixes=frozenset(raw["outlet"]["prefixes"]),
        outlet_suffixes=frozenset(raw["outlet"]["suffixes"]),
        event=tuple(primary["event"]),
        event_re=re.compile("|".join(re.escape(c) for c in primary["event"]) or r"(?!)"),
        venue_re=re.compile(
            r"\bdi\s+(?:depan\s+|dalam\s+|sekitar\s+|halaman\s+|area\s+)?(?:"
            + _alternation(primary["venue"])
            + r")\b"
        ),
        speech_re=re.compile(r"\b(?:" + _alternation(primary["speech"]) + r")\b"),
        locative=frozenset(primary["locative"]),
        spread_re=tuple(re.compile(p) for p in primary["spread"]),
        provincial_subject=frozenset(tuple(p.split()) for p in primary["provincial_subject"]),
        national_re=re.compile(r"\b(?:" + _alternation(primary["national"]) + r"|kemen\w+)\b"),
        national_scope_re=tuple(re.compile(p) for p in primary["national_scope"]),
        furniture_re=re.compile(
            r"^\W*(?:"
            + _alternation([f.replace(":", "") for f in primary["furniture"] if ":" in f])
            + r")\s*:|^\W*(?:"
            + _alternation([f for f in primary["furniture"] if ":" not in f])
            + r")(?!\w)",
            re.IGNORECASE,
        ),
        blocks_re=re.compile(
            r"(?<![^\W_])(?:" + "|".join(_spaced(b) for b in gaz.blocks) + r")(?![^\W_])",
            re.IGNORECASE,
        ),
    )


@lru_cache(maxsize=4)
def _outlets_re(outlets: OutletLexicon) -> re.Pattern[str] | None:
    """Outlet names as one regex (None when no outlet is known)."""
    if not outlets.names:
        return None
    return re.compile(
        r"(?<![^\W_])(?:" + "|".join(_flexible(o) for o in outlets.names) + r")(?![^\W_])",
        re.IGNORECASE,
    )


def outlet_province(domain: str | None, outlets: OutletLexicon = NO_OUTLETS) -> str | None:
    """Home province code of a news outlet's domain (the lexicon's domains), or None.

    Network domains ('*') give the province named by the first subdomain label
    (kaltim.tribunnews.com -> 64) when the gazetteer resolves it to one province.
    """
    if not domain:
        return None
    host = domain.lower().strip().split("/")[0]
    host = re.sub(r"^(?:www|m|amp)\.", "", host)
    table = outlets.domain_table
    labels = host.split(".")
    for i in range(len(labels) - 1):
        parent = ".".join(labels[i:])
        prov = table.get(parent)
        if prov is None:
            continue
        if prov != "*":
            return prov
        if i == 0:
            return None
        provinces = {e.code[:2] for e in build_gazetteer().names.get(name_key(labels[0]), [])}
        return provinces.pop() if len(provinces) == 1 else None
    return None


# --------------------------------------------------------------------------- document model


@dataclass
class _Match:
    start: int
    end: int
    tok_i: int
    tok_j: int
    key: str
    entries: list[Entry]
    cue: str | None = None  # prefix cue category
    dateline: bool = False
    rule: str | None = None
    sentence_start: bool = False
    next_capital: bool = False
    lower_title: bool = False
    code: str | None = None
    locative: bool = False
    venue: bool = False
    se: bool = False
    wilayah: bool = False
    provincial_subject: bool = False
    cue_first: int | None = None  # index of the first token of the prefix cue


@dataclass
class _Doc:
    text: str
    starts: list[int]
    ends: list[int]
    words: list[str]
    lowers: list[str]
    keys: list[str]
    blocked: list[bool]
    sent_starts: list[int]
    title_end: int
    lower_title: bool
    join_ok: list[bool | None] = field(default_factory=list)
    venue_starts: list[int] = field(default_factory=list)
    venue_ends: list[int] = field(default_factory=list)
    lead_sents: set[int] = field(default_factory=set)
    furniture_sents: set[int] = field(default_factory=set)
    caption_sents: set[int] = field(default_factory=set)
    event_sents: set[int] = field(default_factory=set)
    capital: list[bool] = field(default_factory=list)  # _is_capital of each token

    def sent_of(self, offset: int) -> int:
        return bisect.bisect_right(self.sent_starts, offset) - 1

    def sent_text(self, idx: int) -> str:
        end = self.sent_starts[idx + 1] if idx + 1 < len(self.sent_starts) else len(self.text)
        return self.text[self.sent_starts[idx] : end]


_SENT_BREAK = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“(]?[A-Z0-9])|\n\s*\n")
_CAPTION = re.compile(
    r"\(foto\s*:|/\s*foto\b|\bfoto\s*:|\bfoto\s*/|\bdok(?:umentasi)?\.?\s*(?:istimewa|pribadi)"
)
_CAPS_START = re.compile(r"\s*[A-Z]{3,}[A-Z .]*[\s,.(–—:-]")  # 'SAMARINDA -' opens a story
_LINE_END = re.compile(r"[.!?:;\"”’)|]\s*$")


def _line_breaks(text: str) -> list[int]:
    """Starts of lines that begin a new sentence.

    A line break ends a sentence after final punctuation or after a short line (headline,
    caption, menu item); crawled text wrapped at ~70 characters keeps its sentences whole.
    """
    out = []
    prev = 0
    for m in re.finditer(r"\n", text):
        line = text[prev : m.start()]
        if (
            len(line.strip()) < 60
            or _LINE_END.search(line)
            or _looks_like_menu(line)
            or _CAPS_START.match(text, m.end())
        ):
            out.append(m.end())
        prev = m.end()
    return out


def _prepare(text: str, outlets: OutletLexicon = NO_OUTLETS) -> _Doc:
    cues = _cues()
    matches = list(_TOKEN.finditer(text))
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    words = [m.group() for m in matches]
    lowers = [w.lower().replace("’", "'").replace("`", "'") for w in words]
    keys = [w if w.isalnum() else name_key(w) for w in lowers]
    blocked = [False] * len(words)
    outlets_re = _outlets_re(outlets)
    spans = [m.span() for m in outlets_re.finditer(text)] if outlets_re is not None else []
    spans += [m.span() for m in cues.blocks_re.finditer(text)]
    for a, b in spans:
        i = bisect.bisect_left(starts, a)
        while i < len(starts) and starts[i] < b:
            blocked[i] = True
            i += 1
    # part of a web address: 'jatim.antaranews.com', 'Liputanborneo.com': a token right
    # before a dot and a lower-case letter, or a lower-case token right after an
    # alphanumeric and a dot (found from the dots: far fewer than the tokens)
    n_text = len(text)
    p = text.find(".")
    while p >= 0:
        if p + 1 < n_text and text[p + 1].islower():
            i = bisect.bisect_left(ends, p)
            if i < len(ends) and ends[i] == p:
                blocked[i] = True  # the token ending at this dot
            if p >= 1 and text[p - 1].isalnum():
                i = bisect.bisect_left(starts, p + 1)
                if i < len(starts) and starts[i] == p + 1:
                    blocked[i] = True  # the token starting right after it
        p = text.find(".", p + 1)
    title_end = text.find("\n")
    title_end = len(text) if title_end < 0 else title_end
    title = text[:title_end]
    lower_title = bool(title.strip()) and not any(c.isupper() for c in title)
    sent_starts = [0]
    if title_end < len(text):
        sent_starts.append(title_end + 1)
    sent_starts += [m.end() for m in _SENT_BREAK.finditer(text)] + _line_breaks(text)
    sent_starts = sorted({p for p in sent_starts if p < len(text)})
    doc = _Doc(
        text, starts, ends, words, lowers, keys, blocked, sent_starts, title_end, lower_title
    )
    doc.join_ok = [None] * len(words)
    doc.capital = _capitals(doc)
    for v in cues.venue_re.finditer(text.lower()):
        doc.venue_starts.append(v.start())
        doc.venue_ends.append(v.end())
    content = 0
    for idx in range(len(sent_starts)):
        sent = doc.sent_text(idx)
        if idx == 0 and title_end < len(text):
            continue  # the title is scored on its own
        if cues.furniture_re.match(sent.strip()) or _looks_like_menu(sent):
            doc.furniture_sents.add(idx)
            continue
        low = sent.lower()
        if _CAPTION.search(low):
            doc.caption_sents.add(idx)  # a photo caption: where the photo was taken
            continue
        if cues.event_re.search(low):
            doc.event_sents.add(idx)
        if content < 3 and len(_TOKEN.findall(sent)) >= 6:
            doc.lead_sents.add(idx)
            content += 1
    return doc


def _looks_like_menu(sent: str) -> bool:
    """Navigation bars and tag lists: many separators, or six-plus words all capitalised."""
    if sum(sent.count(c) for c in "|•»›") >= 3:
        return True
    words = _TOKEN.findall(sent)
    return len(words) >= 6 and all(w[:1].isupper() or w[:1].isdigit() for w in words)


def _is_capital(doc: _Doc, i: int) -> bool:
    return doc.capital[i]


def _capitals(doc: _Doc) -> list[bool]:
    """Per token: capitalised, or in a lower-case title (where capitals say nothing)."""
    if doc.lower_title:
        title_end = doc.title_end
        return [
            w[:1].isupper() or s < title_end for w, s in zip(doc.words, doc.starts, strict=True)
        ]
    return [w[:1].isupper() for w in doc.words]


def _gap(doc: _Doc, i: int) -> str:
    """Text between token i and token i+1."""
    return doc.text[doc.ends[i] : doc.starts[i + 1]]


def _joins(doc: _Doc, i: int) -> bool:
    """Token i and i+1 may belong to one name (space or hyphen between them)."""
    ok = doc.join_ok[i]
    if ok is None:
        ok = doc.join_ok[i] = _JOIN_GAP.fullmatch(_gap(doc, i)) is not None
    return ok


def _cue_before(doc: _Doc, i: int) -> tuple[str | None, int]:
    """Prefix cue category right before token i and the index of the cue's first token."""
    if i == 0:
        return None, i
    if not _CUE_GAP.fullmatch(_gap(doc, i - 1)):
        return None, i
    prefix = _cues().prefix
    for length in (3, 2, 1):
        a = i - length
        if a < 0:
            continue
        if any(not _SPACE_GAP.fullmatch(_gap(doc, k)) for k in range(a, i - 1)):
            continue
        kind = prefix.get(tuple(doc.lowers[a:i]))
        if kind is not None:
            if kind == "unit" and doc.lowers[a] == "se" and _gap(doc, i - 1).strip() != "-":
                continue
            return kind, a
    return None, i


def _sentence_start(doc: _Doc, i: int) -> bool:
    """True when token i opens a sentence or line (capitals there say nothing)."""
    k = doc.starts[i] - 1
    while k >= 0 and doc.text[k] in " \t\"“'‘([":
        k -= 1
    return k < 0 or doc.text[k] in ".!?\n|:–—-"


# --------------------------------------------------------------------------- mention finding


def _scan_names(doc: _Doc, gaz: Gazetteer, consumed: list[bool]) -> list[_Match]:
    """Longest-match scan of province/kabupaten/kota/alias/town names."""
    cues = _cues()
    n = len(doc.words)
    found: list[_Match] = []
    blocked, capital = doc.blocked, doc.capital
    i = 0
    while i < n:
        if blocked[i] or consumed[i] or not capital[i]:
            i += 1
            continue
        best: tuple[int, str] | None = None
        key = ""
        for j in range(i, min(n, i + gaz.max_tokens)):
            if j > i:
                if not _joins(doc, j - 1) or doc.blocked[j] or consumed[j]:
                    break
                if not _is_capital(doc, j) and doc.lowers[j] not in _SMALL_WORDS:
                    break
            key += doc.keys[j]
            if key not in gaz.prefixes:
                break
            if key in gaz.names:
                best = (j, key)
        if best is None and doc.lowers[i].endswith("nya") and doc.keys[i][:-3] in gaz.names:
            best = (i, doc.keys[i][:-3])  # 'Kaltimnya'
        if best is None:
            i += 1
            continue
        j, key = best
        prev_word = doc.lowers[i - 1] if i > 0 else ""
        prev_simple = i > 0 and _joins(doc, i - 1)
        next_simple = j + 1 < n and _joins(doc, j)
        skip = False
        if prev_simple and prev_word in cues.block_before and "\n" not in _gap(doc, i - 1):
            skip = True
        provincial = all("." not in e.code for e in gaz.names[key])
        if prev_simple and prev_word in cues.demonym_before and provincial:
            skip = True  # 'mahasiswa Papua' = Papuan students, not the province
        if prev_simple and prev_word in cues.outlet_prefixes and doc.words[i - 1][:1].isupper():
            skip = True
        if (
            next_simple
            and doc.lowers[j + 1] in cues.outlet_suffixes
            and doc.words[j + 1][:1].isupper()
        ):
            skip = True
        if skip:
            i = j + 1
            continue
        end = doc.ends[j]
        if j == i and key != doc.keys[i]:
            end = doc.starts[i] + len(doc.words[i]) - 3  # strip '-nya' glued to the name
        cue, cue_first = _cue_before(doc, i)
        if cue in ("district", "village"):
            i = j + 1  # 'Desa Batu' that is no known desa: a sub-unit name, never the kota
            continue
        m = _Match(doc.starts[i], end, i, j, key, gaz.names[key], cue=cue, cue_first=cue_first)
        m.rule = gaz.rules.get(key)
        m.sentence_start = _sentence_start(doc, i)
        m.lower_title = doc.lower_title and doc.starts[i] < doc.title_end
        if next_simple and doc.words[j + 1][:1].isupper():
            nxt = doc.lowers[j + 1]
            m.next_capital = (
                doc.keys[j + 1] not in gaz.names
                and (nxt,) not in cues.prefix
                and nxt not in cues.part_words
            )
            if nxt in cues.kota_suffix:
                m.cue = m.cue or "kota"
            elif nxt in cues.kabupaten_suffix:
                m.cue = m.cue or "kabupaten"
        found.append(m)
        i = j + 1
    return found


def _scan_sub_units(doc: _Doc, gaz: Gazetteer) -> tuple[list[tuple[_Match, str]], list[bool]]:
    """Names right after kecamatan/desa cues, matched in the district/village indexes."""
    n = len(doc.words)
    consumed = [False] * n
    found: list[tuple[_Match, str]] = []
    prefix = _cues().prefix
    first_words = _cues().sub_unit_first
    i = 0
    while i < n:
        if doc.lowers[i] not in first_words:
            i += 1  # no kecamatan/desa cue starts here
            continue
        kind = None
        length = 0
        for ln in (2, 1):
            kind = prefix.get(tuple(doc.lowers[i : i + ln]))
            if kind in ("district", "village"):
                length = ln
                break
        if length == 0 or kind not in ("district", "village"):
            i += 1
            continue
        a = i + length
        if a >= n or not _CUE_GAP.fullmatch(_gap(doc, a - 1)) or not _is_capital(doc, a):
            i += 1
            continue
        index = gaz.districts if kind == "district" else gaz.villages
        best = None
        key = ""
        for j in range(a, min(n, a + 5)):
            if j > a and (not _joins(doc, j - 1) or not _is_capital(doc, j)):
                break
            key += doc.keys[j]
            if key in index:
                best = (j, key)
        if best is None:
            i += 1
            continue
        j, key = best
        m = _Match(doc.starts[a], doc.ends[j], a, j, key, [], cue=kind)
        for k in range(a, j + 1):
            consumed[k] = True
        found.append((m, kind))
        i = j + 1
    return found, consumed


def _dateline(doc: _Doc, gaz: Gazetteer, outlets: OutletLexicon = NO_OUTLETS) -> _Match | None:
    """The dateline place: 'SAMARINDA, KOMPAS.com -', 'BALIKPAPAN.NIAGA.ASIA –'...

    The span comes from nlp.dateline (the detector the crawler also uses); this module only
    decides which part is a place, with the gazetteer. Looked for in the first lines after
    the title: the detector's place when it names a unit, else the first segment of its
    loose prefix that does ('Kota Ambon, Maluku | Suara -').
    """
    text = doc.text
    limit = min(len(text), 1500)
    # line 0 is the title ('Kaltim: demo ricuh...' is not a dateline) unless there is no body
    line_start = doc.title_end + 1 if doc.title_end < len(text) else 0
    for _ in range(10):
        if line_start >= limit:
            break
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        if not is_tagline(line):
            hit = _dateline_in_line(doc, gaz, line, line_start, outlets)
            if hit is not None:
                return hit
        line_start = line_end + 1
    return None


def _dateline_in_line(
    doc: _Doc, gaz: Gazetteer, line: str, offset: int, outlets: OutletLexicon
) -> _Match | None:
    segments = list(prefix_segments(line))
    if not segments:
        return None  # a short line: a kicker or a caption, not an opening paragraph
    found = match_line(line, 0, outlets)
    if found is not None and found.place_start is not None:
        segments.insert(0, (found.place_start, found.place_end))
    for a, b in segments:
        seg_text = line[a:b]
        key = name_key(seg_text)
        if key not in gaz.names or not seg_text[:1].isupper():
            continue
        s, e = offset + a, offset + b
        i = bisect.bisect_left(doc.starts, s)
        j = bisect.bisect_left(doc.starts, e) - 1
        if i > j or doc.blocked[i]:
            continue
        return _Match(s, e, i, j, key, gaz.names[key], dateline=True)
    return None


# --------------------------------------------------------------------------- resolution


def _accept(matches: list[_Match]) -> list[_Match]:
    """Apply the ambiguous-name rules; a name cued anywhere in the doc counts everywhere."""
    cued_keys = {m.key for m in matches if m.cue or m.dateline}
    accepted = []
    for m in matches:
        ok = True
        if m.rule == "cue":
            ok = bool(m.cue or m.dateline) or (m.key in cued_keys and not m.sentence_start)
        elif m.rule == "caps":
            plain = not m.sentence_start and not m.next_capital and not m.lower_title
            ok = bool(m.cue or m.dateline) or plain
            ok = ok or (m.key in cued_keys and not m.sentence_start)
        elif m.lower_title and len(m.key) <= 3:
            # a 2-3 letter word in a lower-case slug title ('oki', 'ntb') counts only when the
            # body names the same place
            ok = m.key in {x.key for x in matches if not x.lower_title}
        if m.next_capital and m.rule is None and m.entries[0].kind == "town":
            ok = ok and not m.sentence_start
        if ok:
            accepted.append(m)
    return accepted


_LEVEL_OF_CUE = {"kabupaten": "kab", "kota": "kota", "provinsi": "province"}


def _kind(code: str) -> str:
    if "." not in code:
        return "province"
    return "kota" if code.split(".")[1] >= "71" else "kab"


def _resolve(matches: list[_Match], outlet_prov: str | None) -> None:
    """Pick one code per match among same-named units (Kota/Kabupaten Bima, Jambi...)."""
    context: set[str] = set()
    for m in matches:
        codes = {e.code for e in m.entries}
        if len(codes) == 1:
            context.add(next(iter(codes))[:2])
    if outlet_prov:
        context.add(outlet_prov)
    votes: dict[str, dict[str, int]] = {}
    for m in matches:
        want = _LEVEL_OF_CUE.get(m.cue or "")
        if want and len(m.entries) > 1:
            for e in m.entries:
                if _kind(e.code) == want:
                    votes.setdefault(m.key, {}).setdefault(e.code, 0)
                    votes[m.key][e.code] += 1
    for m in matches:
        codes = list(dict.fromkeys(e.code for e in m.entries))
        if len(codes) > 1:
            want = _LEVEL_OF_CUE.get(m.cue or "")
            narrowed = [c for c in codes if _kind(c) == want] if want else []
            codes = narrowed or codes
        if len(codes) > 1:
            narrowed = [c for c in codes if c[:2] in context]
            codes = narrowed or codes
        if len(codes) > 1 and m.key in votes and not m.dateline:
            tally = votes[m.key]
            best = max(tally.values())
            narrowed = [c for c in codes if tally.get(c) == best]
            codes = narrowed or codes
        if len(codes) > 1:
            order = ("kota", "province", "kab") if m.dateline else ("province", "kota", "kab")
            codes.sort(key=lambda c: order.index(_kind(c)))
        m.code = codes[0]


def _resolve_dateline(doc: _Doc, dateline: _Match, matches: list[_Match]) -> None:
    """An ambiguous dateline ('BIMA -') is the unit the article places things in.

    A candidate counts as supported when a kecamatan/desa inside it is mentioned anywhere,
    or when it is named with a kabupaten/kota cue in the title or lead. With exactly one
    supported candidate the dateline takes it; otherwise the kota default stands.
    """
    codes = {e.code for e in dateline.entries}
    if len(codes) < 2:
        return
    supported = set()
    for m in matches:
        if m is dateline or not m.code:
            continue
        parent = m.code[:5] if m.code.count(".") >= 2 else None
        if parent in codes:
            supported.add(parent)
        front = doc.sent_of(m.start) in doc.lead_sents or m.start < doc.title_end
        if m.code in codes and front and m.cue in ("kabupaten", "kota"):
            supported.add(m.code)
    if len(supported) == 1:
        dateline.code = supported.pop()


def _place_sub_units(
    doc: _Doc,
    gaz: Gazetteer,
    subs: list[tuple[_Match, str]],
    anchors: list[_Match],
) -> list[_Match]:
    """Place kecamatan, then desa, by the nearest mentioned unit that contains them."""
    placed: list[_Match] = []
    for wanted in ("district", "village"):
        for m, kind in subs:
            if kind != wanted:
                continue
            index = gaz.districts if kind == "district" else gaz.villages
            candidates = index.get(m.key, [])
            best_code, best_dist = None, None
            for a in anchors + placed:
                if not a.code or "." not in a.code:
                    continue
                inside = [c for c in candidates if c.startswith(a.code + ".")]
                if len(inside) != 1:
                    continue
                dist = abs(a.start - m.start)
                if best_dist is None or dist < best_dist:
                    best_code, best_dist = inside[0], dist
            if best_code is None and kind == "district":
                # a kecamatan unique in a mentioned province, or in the whole country
                provinces = {a.code[:2] for a in anchors if a.code}
                inside = [c for c in candidates if c[:2] in provinces]
                if len(inside) == 1:
                    best_code = inside[0]
                elif len(candidates) == 1:
                    best_code = candidates[0]
            if best_code is not None:
                m.code = best_code
                placed.append(m)
    return placed


_PLACE_THEN_UNIT = re.compile(r"\b[Dd]i\s+(?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'’.-]*\s*,\s*$")
_CHAIN = re.compile(
    r"\s*(?:,|,?\s*(?:dan|serta|maupun|atau))\s*"
    r"(?:(?:kabupaten|kab\.?|kota|kecamatan|kec\.?|distrik|provinsi|prov\.?)\s+)?",
    re.IGNORECASE,
)


def _annotate(doc: _Doc, matches: list[_Match]) -> None:
    """Locative, venue, se-/wilayah and provincial-subject flags used by the primary rules."""
    cues = _cues()
    previous: _Match | None = None
    for m in matches:
        _annotate_one(doc, cues, m)
        # an address continues the place before it: 'di Kecamatan Amahai, Kabupaten Maluku
        # Tengah' - the kabupaten is as much the locative as the kecamatan
        if previous is not None and (previous.locative or previous.venue):
            between = doc.text[previous.end : m.start]
            if _CHAIN.fullmatch(between):
                m.locative = True
        previous = m


def _annotate_one(doc: _Doc, cues: _Cues, m: _Match) -> None:
    """Flags of one mention from the words around it."""
    first = m.cue_first if m.cue_first is not None else m.tok_i
    if m.cue in ("district", "village"):
        first = max(0, m.tok_i - 1)
        while (
            first > 0
            and (doc.lowers[first],) in cues.prefix
            and cues.prefix[(doc.lowers[first],)] in ("district", "village")
        ):
            first -= 1
        first += 1
    prev = doc.lowers[first - 1] if first > 0 else ""
    institution = any(w not in cues.admin for w in doc.lowers[first : m.tok_i])
    if first > 0 and not institution and _SPACE_GAP.fullmatch(_gap(doc, first - 1)):
        if prev in cues.locative:
            m.locative = True
        if prev == "wilayah":
            m.wilayah = True
    if not m.locative and first > 0:
        # 'di Pulau Haruku, Maluku Tengah', 'di Tembagapura, Mimika': a place that is not a
        # unit, then the unit that contains it
        start = doc.starts[first]
        if _PLACE_THEN_UNIT.search(doc.text, max(0, start - 80), start):
            m.locative = True
    if first > 0 and doc.lowers[first - 1] == "seluruh":
        m.se = True  # 'di seluruh Jatim' spreads like 'se-Jatim'
    if first > 0 and doc.lowers[first - 1] == "se" and _gap(doc, first - 1).strip() == "-":
        m.se = True
    if first == m.tok_i and m.tok_i > 0 and doc.lowers[m.tok_i - 1] == "se":
        m.se = True
    if m.cue == "unit" and doc.lowers[first] == "se":
        m.se = True
    sent = doc.sent_of(m.start)
    sent_start = doc.sent_starts[sent]
    # 'di <venue word> ...' earlier in the same sentence, at most 140 characters back
    k = bisect.bisect_right(doc.venue_starts, m.start) - 1
    if k >= 0:
        v_start, v_end = doc.venue_starts[k], doc.venue_ends[k]
        window_start = max(sent_start, m.start - 140)
        if v_start >= window_start and v_end <= m.start and ";" not in doc.text[v_end : m.start]:
            m.venue = True
    if m.locative:
        window = doc.text[max(sent_start, m.start - 80) : m.start].lower()
        if cues.speech_re.search(window) and not m.venue:
            m.locative = False
    if "." not in (m.code or "."):
        back = [doc.lowers[k] for k in range(max(0, m.tok_i - 4), m.tok_i)]
        for length in (3, 2, 1):
            for s in range(len(back) - length + 1):
                if tuple(back[s : s + length]) in cues.provincial_subject:
                    m.provincial_subject = True
        if m.cue == "provinsi":
            m.provincial_subject = True


# --------------------------------------------------------------------------- primary region


def _weight(doc: _Doc, m: _Match, dateline_weight: float) -> float:
    sent = doc.sent_of(m.start)
    if sent in doc.furniture_sents:
        return 0.0
    if sent in doc.caption_sents:
        return 0.1  # weaker than any mention in the story itself
    where = m.locative or m.venue
    w = 0.75 if m.code.count(".") >= 2 else 0.25  # a kecamatan/desa is a specific place
    if m.dateline:
        w += dateline_weight
    if m.start < doc.title_end and doc.title_end < len(doc.text):
        w += 2.0 + (3.0 if where else 0.0)
    elif sent in doc.lead_sents:
        w += 1.0 + (3.0 if where else 0.0)
    elif sent in doc.event_sents:
        w += 1.0 if where else 0.25
    return w


def _primary(doc: _Doc, matches: list[_Match], outlet_prov: str | None) -> dict | None:
    gaz = build_gazetteer()
    cues = _cues()
    if not matches:
        return _region_dict(gaz, outlet_prov) if outlet_prov else None

    def in_front(m: _Match) -> bool:
        s = doc.sent_of(m.start)
        return (m.start < doc.title_end and doc.title_end < len(doc.text)) or s in doc.lead_sents

    front_text = " ".join(
        doc.sent_text(s) for s in sorted(doc.lead_sents | {0}) if s not in doc.furniture_sents
    ).lower()
    front = [m for m in matches if in_front(m)]
    dateline = next((m for m in matches if m.dateline), None)

    # national story: a national institution leads and no region but Jakarta's dateline is named
    named = [m for m in front if not m.dateline]
    jakarta_or_none = dateline is None or dateline.code == "31"
    national = cues.national_re.search(front_text) or any(
        rx.search(front_text) for rx in cues.national_scope_re
    )
    if national and not named and jakarta_or_none:
        return None

    dateline_weight = 5.0
    if dateline is not None:
        prov = dateline.code[:2]
        others = [m for m in named if m.code[:2] != prov]
        same = [m for m in named if m.code[:2] == prov]
        placed = [m for m in named if m.locative or m.venue]
        if others and not same:
            dateline_weight = 1.0  # a desk dateline (JAKARTA) over a story from elsewhere
        elif any(m.code[:5] != dateline.code[:5] and "." in m.code for m in placed) and not any(
            m.code[:5] == dateline.code[:5] for m in placed
        ):
            dateline_weight = 2.0  # the lead places the event in another kabupaten/kota

    reg_score: dict[str, float] = {}
    prov_score: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for m in matches:
        w = _weight(doc, m, dateline_weight)
        prov = m.code[:2]
        prov_score[prov] = prov_score.get(prov, 0.0) + w
        first_seen.setdefault(prov, m.start)
        if "." in m.code:
            reg = m.code[:5]
            reg_score[reg] = reg_score.get(reg, 0.0) + w
    best_prov = max(prov_score, key=lambda p: (prov_score[p], -first_seen[p]))
    if prov_score[best_prov] <= 0:
        return _region_dict(gaz, outlet_prov) if outlet_prov else None

    regs = sorted(
        ((s, r) for r, s in reg_score.items() if r.startswith(best_prov + ".")), reverse=True
    )
    if not regs:
        return _region_dict(gaz, best_prov)
    counted = [m for m in matches if doc.sent_of(m.start) not in doc.furniture_sents]
    if _province_wide(doc, front, front_text, best_prov, counted):
        return _region_dict(gaz, best_prov)
    top_score, top = regs[0]
    second = regs[1][0] if len(regs) > 1 else 0.0
    if len(regs) == 1 or second == 0.0:
        # the only kabupaten/kota the article names in its province is where things happen
        if top_score < 0.25:  # named only in a photo caption or page furniture
            return _region_dict(gaz, best_prov)
    elif top_score < 2.0 or top_score < 1.3 * second:
        return _region_dict(gaz, best_prov)
    # refine to a kecamatan/desa only when the lead places an event there
    for m in front:
        if m.code.startswith(top + ".") and (m.locative or m.venue):
            sent = doc.sent_of(m.start)
            if sent in doc.event_sents or m.start < doc.title_end:
                return _region_dict(gaz, m.code)
    return _region_dict(gaz, top)


def _province_wide(
    doc: _Doc, front: list[_Match], front_text: str, prov: str, doc_matches: list[_Match]
) -> bool:
    """Provincial statistic, deployment or programme, with no kabupaten/kota as the venue."""
    cues = _cues()
    for m in front:
        inside = m.code.startswith(prov + ".") and not m.dateline
        if inside and (m.venue or m.locative):
            return False
    spread = float(sum(1 for rx in cues.spread_re if rx.search(front_text)))
    subject = False
    located = 0.0
    for m in front:
        if m.code != prov:
            continue
        if m.se:
            spread += 1.0
        elif m.locative or m.wilayah:
            located = 0.5  # 'di (wilayah) Kaltim' says little on its own, however often repeated
        subject = subject or m.provincial_subject
    spread += located
    regencies = {m.code[:5] for m in doc_matches if m.code.startswith(prov + ".")}
    if len(regencies) >= 4:
        spread += 1.0  # the article walks through many kabupaten/kota of the province
    return spread >= 2.0 or (spread >= 1.0 and subject)


def _region_dict(gaz: Gazetteer, code: str | None) -> dict | None:
    if not code:
        return None
    unit = gaz.unit(code)
    return {
        "code": code,
        "name": unit.name,
        "level": unit.level,
        "province_code": code[:2],
        "province_name": gaz.units[code[:2]].name,
    }


# --------------------------------------------------------------------------- public API


def link_regions(
    text: str,
    outlet_province: str | None = None,
    *,
    dateline: str | None = None,
    outlets: OutletLexicon = NO_OUTLETS,
) -> tuple[list[dict], dict | None]:
    """Find every region mention in ``title + "\\n" + body`` and the primary region.

    Returns (mentions, primary). Each mention is {code, name, level, province_code, text,
    start, end} with character offsets into ``text``; primary is {code, name, level,
    province_code, province_name} or None (national story, or no place at all and no
    outlet province). ``outlet_province`` is weak evidence, used only when no place is named.

    ``dateline`` is a dateline place stored apart from the text (the crawler strips it from
    the body): when the text has none, it is read as if it opened the body, so a crawled
    article is linked as its raw page text would be. It is evidence only: no mention of it
    is returned (it has no offsets in ``text``).
    """
    gaz = build_gazetteer()
    doc = _prepare(text, outlets)
    if dateline and dateline.strip() and _dateline(doc, gaz, outlets) is None:
        return _with_stored_dateline(text, outlet_province, dateline.strip(), outlets)
    return _link(doc, gaz, outlet_province, outlets)


def _with_stored_dateline(
    text: str, outlet_province: str | None, dateline: str, outlets: OutletLexicon
) -> tuple[list[dict], dict | None]:
    cut = text.find("\n") + 1  # after the title (0: no title line)
    prefix = f"{dateline} - "
    shifted = text[:cut] + prefix + text[cut:]
    mentions, primary = _link(
        _prepare(shifted, outlets), build_gazetteer(), outlet_province, outlets
    )
    kept = []
    for m in mentions:
        if m["start"] >= cut + len(prefix):
            m = {**m, "start": m["start"] - len(prefix), "end": m["end"] - len(prefix)}
        elif m["end"] > cut:
            continue  # the stored dateline itself
        kept.append(m)
    return kept, primary


def _link(
    doc: _Doc, gaz: Gazetteer, outlet_province: str | None, outlets: OutletLexicon
) -> tuple[list[dict], dict | None]:
    text = doc.text
    subs, consumed = _scan_sub_units(doc, gaz)
    dateline = _dateline(doc, gaz, outlets)
    if dateline is not None:
        for k in range(dateline.tok_i, dateline.tok_j + 1):
            consumed[k] = True
    names = _scan_names(doc, gaz, consumed)
    if dateline is not None:
        names.append(dateline)
    names = _accept(names)
    _resolve(names, outlet_province)
    placed = _place_sub_units(doc, gaz, subs, names)
    if dateline is not None and dateline in names:
        _resolve_dateline(doc, dateline, names + placed)
    evidence = sorted(names + placed, key=lambda m: m.start)
    _annotate(doc, evidence)
    primary = _primary(doc, evidence, outlet_province)

    mentions: list[dict] = []
    seen: set[tuple[int, int]] = set()
    for m in evidence:
        if (m.start, m.end) in seen or not _emits(m):
            continue
        seen.add((m.start, m.end))
        unit = gaz.unit(m.code)
        mentions.append(
            {
                "code": m.code,
                "name": unit.name,
                "level": unit.level,
                "province_code": m.code[:2],
                "text": text[m.start : m.end],
                "start": m.start,
                "end": m.end,
            }
        )
    return mentions, primary


def _emits(m: _Match) -> bool:
    if not m.entries:
        return True
    return any(e.emit for e in m.entries if e.code == m.code)


# --------------------------------------------------------------------------- spaCy component

for _attr in ("regions", "primary_region"):
    Doc.set_extension(_attr, default=None, force=True)


@Language.factory("suar_regions")
def make_regions_component(nlp: Language, name: str) -> RegionLinker:
    """spaCy factory: ``nlp.add_pipe("suar_regions")``."""
    return RegionLinker()


class RegionLinker:
    """Sets doc._.regions and doc._.primary_region.

    The outlet's home province and a dateline stored apart from the text come with each doc
    (``doc.user_data["outlet_province"]``, ``["dateline"]``, set by nlp.annotate); outlet
    names with the pipeline (``outlets``, set by nlp.outlets.configure).
    """

    def __init__(self) -> None:
        self.outlets: OutletLexicon = NO_OUTLETS
        for attr in ("regions", "primary_region"):
            Doc.set_extension(attr, default=None, force=True)
        build_gazetteer()  # pay the load cost when the pipeline is built, not on the 1st doc

    def __call__(self, doc: Doc) -> Doc:
        from nlp.signals import doc_text  # built once per doc, shared with the rules

        mentions, primary = link_regions(
            doc_text(doc),
            doc.user_data.get("outlet_province"),
            dateline=doc.user_data.get("dateline"),
            outlets=self.outlets,
        )
        doc._.regions = mentions
        doc._.primary_region = primary
        return doc


# --------------------------------------------------------------------------- evaluation
