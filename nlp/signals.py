"""Conflict signals of an article: topics, escalation level and magnitudes, with evidence.

Implements TAXONOMY.md sections 1-3 with cue lexicons an analyst can read and extend
(nlp/data/signals/*.toml). Cues match on word surface or Sastrawi stem (nlp/morph.py), so
"ricuh" also finds "kericuhan". What a cue means depends on its context, and that is where
most of the work is: a cue that is negated ("tidak ada korban jiwa"), denied ("membantah
bentrok"), recounted history ("kerusuhan 1999", "beberapa tahun silam") or preventive
("antisipasi bentrok") must not raise today's level.

Use it either as the spaCy component 'suar_signals', which fills doc._.topics,
doc._.escalation, doc._.magnitudes and doc._.magnitude_evidence, or through the plain
function `extract_signals(text)`. Scored by `suar eval` (nlp/evaluate.py: news-dev, and the
demo articles with `suar eval --component demo-signals`); timed by bench/signals.py.
"""

from __future__ import annotations

import re
import statistics
import tomllib
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from nlp import magnitudes as mag
from nlp.cues import Cue, CueMatcher, Hit, Sentence
from nlp.morph import Tok, parse_numbers, tokenize
from nlp.taxonomy import topic_codes

DATA_DIR = Path(__file__).parent / "data" / "signals"
# the nlp/data files this component reads (hashed into nlp.pipeline.PIPELINE_VERSION)
READS = tuple(
    f"signals/{n}" for n in ("context.toml", "topics.toml", "escalation.toml", "magnitudes.toml")
)
TOPIC_CODES = topic_codes()  # the taxonomy, from topics.toml (nlp/taxonomy.py)
MAGNITUDE_FIELDS = ("killed", "injured", "arrested", "crowd")
_COORD = frozenset({"dan", "serta", "lalu", "kemudian", "sehingga", "hingga", "lantas"})
_VERB_PREFIXES = ("me", "di", "ber", "ter")
_PUNCT_BREAKS = {".", ";", ":", "!", "?"}


# --------------------------------------------------------------------------- engine
def _load(name: str, data_dir: Path) -> dict:
    with open(data_dir / name, "rb") as fh:
        return tomllib.load(fh)


class SignalEngine:
    """Holds the compiled lexicons (built once per process) and analyses texts."""

    def __init__(self, data_dir: Path | None = None):
        data_dir = Path(data_dir) if data_dir else DATA_DIR
        self.ctx = _load("context.toml", data_dir)
        self.topic_cfg = _load("topics.toml", data_dir)
        self.esc_cfg = _load("escalation.toml", data_dir)
        self.mag_cfg = _load("magnitudes.toml", data_dir)
        m = CueMatcher(self.ctx["classes"])
        self.matcher = m
        self.topics: dict[str, dict] = self.topic_cfg["topics"]
        for code, spec in self.topics.items():
            for gname, g in spec["groups"].items():
                for cue in g["cues"]:
                    m.add(cue, "topic", (code, gname))
        for level, cues in self.esc_cfg["levels"].items():
            for cue in cues:
                m.add(cue, "level", int(level))
        for fname, spec in self.mag_cfg["fields"].items():
            for cue in spec["cues"]:
                m.add(cue, "field", fname)
            for cue in spec.get("context_cues", []):
                m.add(cue, "field", fname)
            for cue in spec.get("lead", []):
                m.add(cue, "lead", fname)
            for cue in spec.get("named_victim", []):
                m.add(cue, "named", fname)
            for cue in spec.get("requires", []):
                m.add(cue, "crowdctx", fname)
        for cue in self.ctx["denial"]["phrases"]:
            m.add(cue, "denial", None)
        for cue in self.ctx["denial"]["fact_check_title"]:
            m.add(cue, "factcheck", None)
        for cue in self.ctx["hypothetical"]["before"]:
            m.add(cue, "hyp", None)
        for cue in self.ctx["hypothetical"]["after"]:
            m.add(cue, "hyp_after", None)
        for cue in self.ctx["ignore"]["phrases"]:
            m.add(cue, "ignore", None)
        neg = self.ctx["negation"]
        self.neg_before = frozenset(neg["before"])
        self.neg_tentative = frozenset(neg["tentative"])
        self.neg_after = frozenset(neg["after"])
        self.not_negation = frozenset(neg["not_negation"])
        self.neg_bridge = frozenset(neg["bridge"])
        self.neg_existential = frozenset(neg["existential"])
        self.neg_window = int(neg["window"])
        self.hyp_window = int(self.ctx["hypothetical"]["window"])
        self.clause_breaks = frozenset(self.ctx["clause"]["breaks"])
        hist = self.ctx["history"]
        self.history_re = re.compile("|".join(f"(?:{p})" for p in hist["patterns"]))
        self.tally_re = re.compile("|".join(f"(?:{p})" for p in hist["tally_patterns"]))
        self.year_is_history = bool(self.ctx["history"].get("year_is_history", True))
        retro = self.ctx["retrospective"]
        self.retro_title_re = re.compile("|".join(f"(?:{p})" for p in retro["title_patterns"]))
        self.present_re = re.compile("|".join(f"(?:{p})" for p in retro["present_patterns"]))
        self.near_miss = frozenset(w.lstrip("=") for w in self.ctx["near_miss"]["words"])
        self.soft_lethal = frozenset(self.ctx["lethal_context"]["soft"])
        self.lethal_topics = frozenset(self.ctx["lethal_context"]["topics"])
        self.boiler_prefixes = tuple(p.lower() for p in self.ctx["boilerplate"]["line_prefixes"])
        self.mag = mag.MagnitudeRules(self.mag_cfg, m)

    # ---------------------------------------------------------------- sentences
    def sentences(self, text: str, spans: list[tuple[int, int]] | None) -> list[Sentence]:
        """Cut text into sentences (given spans further split at line breaks), drop page
        furniture, tokenise, find numbers and cues, and flag history/denial context."""
        if not spans:
            spans = _fallback_spans(text)
        hard = _hard_breaks(text)
        out: list[Sentence] = []
        first_line = True
        lead = len(text) - len(text.lstrip())  # text[:a] is blank iff a <= lead
        for a, b in _split_spans(text, spans, hard):
            seg = text[a:b]
            stripped = seg.strip()
            if not stripped:
                continue
            a += len(seg) - len(seg.lstrip())
            b = a + len(stripped)
            line_start = a == 0 or text[a - 1] == "\n" or a <= lead
            if line_start and stripped.lower().startswith(self.boiler_prefixes):
                continue
            toks = tokenize(stripped, a)
            if not toks:
                continue
            # the title is a whole first line, followed by more text
            line_end = _LINE_END_RE.match(text, b) is not None
            is_title = first_line and line_start and line_end and len(toks) <= 30
            first_line = False
            out.append(Sentence(a, b, stripped, toks, parse_numbers(toks), is_title))
        return out

    def analyze(self, text: str, spans: list[tuple[int, int]] | None = None) -> dict:
        """Topics, escalation and magnitudes of one article (see module docstring)."""
        return self.analyze_scan(text, spans)[0]

    def analyze_scan(
        self, text: str, spans: list[tuple[int, int]] | None = None
    ) -> tuple[dict, list[Sentence]]:
        """`analyze`, plus the sentences as its first pass left them (cue hits and context
        flags, before the article-level passes drop hits and set flags): what the signal
        model (nlp/signal_model.py) reads, so it need not split and match again."""
        sents = self.sentences(text, spans)
        present_year = _present_year(text)
        fact_check = False
        for si, s in enumerate(sents):
            self._find_hits(s, si)
            s.history = self._is_history(s.text, present_year)
            s.tally = bool(self.tally_re.search(s.text.lower()))
            s.denial = any(h.cue.kind == "denial" for h in s.hits)
            if s.is_title and any(h.cue.kind == "factcheck" for h in s.hits):
                fact_check = True
            s.election = self.matcher.any_in_class("election", s.toks)
        # copies: _retrospective and _lethal_context below change flags and hit lists
        scan = [
            Sentence(
                s.start, s.end, s.text, s.toks, s.nums, s.is_title,
                s.history, s.tally, s.denial, s.election, list(s.hits),
            )
            for s in sents
        ]  # fmt: skip
        # a denial in the title or lead frames the article: its violence is the denied claim
        body = [s for s in sents if not s.is_title]
        title = [s for s in sents if s.is_title]
        denied = any(s.denial for s in title + body[:1])
        self._retrospective(sents)
        self._lethal_context(sents)
        magnitudes, mag_evidence, mag_hits = self.mag.extract(sents)
        topics = self._topics(sents, fact_check, magnitudes, mag_hits)
        escalation = self._escalation(sents, fact_check or denied, topics)
        # magnitudes are the present event's figures whatever its topic (TAXONOMY section 3,
        # the news-train convention): a road accident's dead are counted, not signalled
        result = {
            "topics": topics,
            "escalation": escalation,
            "magnitudes": magnitudes,
            "magnitude_evidence": mag_evidence,
        }
        return result, scan

    def _find_hits(self, s: Sentence, si: int) -> None:
        toks = s.toks
        found = self.matcher.find(toks, s.nums)
        ignored = [(i, j) for cue, i, j in found if cue.kind == "ignore"]
        if ignored:  # "tangkapan layar", "serangan jantung": not the conflict sense
            found = [
                f for f in found
                if f[0].kind == "ignore" or not any(f[1] < j and i < f[2] for i, j in ignored)
            ]  # fmt: skip
        # a level cue inside a longer level cue takes the longer one's level
        # ("serangan" in "serangan fajar", "ancaman" in "ancaman pembunuhan")
        levels = [(i, j) for cue, i, j in found if cue.kind == "level"]
        found = [
            f for f in found
            if f[0].kind != "level"
            or not any(a <= f[1] and f[2] <= b and (b - a) > (f[2] - f[1]) for a, b in levels)
        ]  # fmt: skip
        hyp_ends = [(i, j) for cue, i, j in found if cue.kind == "hyp"]
        hyp_after_starts = {i for cue, i, _ in found if cue.kind == "hyp_after"}
        for cue, i, j in found:
            h = Hit(cue, si, i, j, toks[i].start, toks[j - 1].end)
            if cue.kind in ("topic", "level", "field", "lead", "named"):
                h.negated, h.zero = self._negation(toks, i, j)
                h.hypothetical = j in hyp_after_starts or self._hypothetical(toks, i, j, hyp_ends)
                h = self._near_miss(h, toks)
            s.hits.append(h)

    def _retrospective(self, sents: list[Sentence]) -> None:
        """A title looking back from a calm present ("Sepuluh Tahun Setelah Bentrok, ...
        Kini Rukun"): its cues are history, and body sentences without a present-time
        marker are background for level and magnitudes (they still tell the topic)."""
        title = next((s for s in sents if s.is_title), None)
        if title is None or not self.retro_title_re.search(title.text.lower()):
            return
        title.history = True
        for s in sents:
            if not s.is_title and not self.present_re.search(s.text.lower()):
                s.tally = True

    def _lethal_context(self, sents: list[Sentence]) -> None:
        """Soft death words ("meninggal dunia") with no violence cue in the same or a
        neighbouring sentence raise no level: a road accident's dead are no conflict deaths.
        They still count the killed (TAXONOMY section 3: any present event), unless election
        or illness words stand near (deceased voters on a register, patients of a disease)."""
        violent = [
            any(
                not h.negated
                and (
                    (h.cue.kind == "level" and h.cue.payload >= 3
                     and h.cue.text not in self.soft_lethal)
                    or (h.cue.kind == "topic" and h.cue.payload[0] in self.lethal_topics)
                )
                for h in s.hits
            )
            for s in sents
        ]  # fmt: skip
        natural = [self.matcher.any_in_class("natural_death", s.toks) for s in sents]
        title_natural = any(n for s, n in zip(sents, natural, strict=True) if s.is_title)
        for si, s in enumerate(sents):
            if any(violent[max(0, si - 1) : si + 2]):
                continue
            near = slice(max(0, si - 1), si + 2)
            no_event = title_natural or any(natural[near]) or any(n.election for n in sents[near])
            dropped = ("level", "field", "lead", "named") if no_event else ("level",)
            s.hits = [
                h for h in s.hits
                if h.negated or h.cue.text not in self.soft_lethal
                or h.cue.kind not in dropped
            ]  # fmt: skip

    def _near_miss(self, h: Hit, toks: list[Tok]) -> Hit:
        """ "nyaris tewas": a lethal cue after a near-miss word is an injury, not a death."""
        if h.i == 0 or toks[h.i - 1].lower not in self.near_miss:
            return h
        c = h.cue
        if c.kind == "level" and c.payload == 4:
            h.cue = Cue(c.text, c.items, "level", 3)
        elif c.kind in ("field", "lead", "named") and c.payload == "killed":
            h.cue = Cue(c.text, c.items, c.kind, "injured")
        return h

    def _clause_start(self, toks: list[Tok], i: int) -> int:
        k = i - 1
        while k >= 0 and toks[k].lower not in self.clause_breaks:
            k -= 1
        return k + 1

    def _negation(self, toks: list[Tok], i: int, j: int) -> tuple[bool, bool]:
        """(negated, explicit zero) for the cue at tokens [i, j).

        A negator negates the cue when it stands right before it, or with only bridge words
        in between ("tidak menimbulkan korban jiwa"), or when it denies existence ("tidak ada
        mahasiswa yang diamankan", "tanpa kericuhan"). "Massa yang tidak puas membakar ..."
        is not negated: "tidak" belongs to "puas". "belum" is tentative: not a stated zero."""
        lo = self._clause_start(toks, i)
        between: list[str] = []
        k = i - 1
        while k >= lo and len(between) < self.neg_window:
            t = toks[k]
            if t.is_word:
                if t.lower in self.neg_before:
                    nxt = toks[k + 1].lower if k + 1 < len(toks) else ""
                    if f"{t.lower} {nxt}" in self.not_negation:
                        return False, False
                    existential = nxt == "ada" or t.lower in self.neg_existential
                    bridged = len(between) <= 3 and all(w in self.neg_bridge for w in between)
                    if existential or bridged:
                        return True, t.lower not in self.neg_tentative
                    return False, False
                between.append(t.lower)
            k -= 1
        if j < len(toks) and toks[j].lower in self.neg_after:
            return True, True
        return False, False

    def _hypothetical(
        self, toks: list[Tok], i: int, j: int, hyp_spans: list[tuple[int, int]]
    ) -> bool:
        """A preventive/conditional marker shortly before the cue, or inside a gapped cue
        ("warga ~ bentrok" over "warga mencegah bentrok"); not the cue's own first word.
        The marker's scope ends at a comma or at a new verb after "dan" ("mencegah bentrok
        dan menangkap lima orang": the arrests happened)."""
        lo = max(self._clause_start(toks, i), i - self.hyp_window)
        k = i - 1
        while k >= lo:
            low = toks[k].lower
            if low == "," or (
                low in _COORD and k + 1 < i and toks[k + 1].lower.startswith(_VERB_PREFIXES)
            ):
                lo = k + 1
                break
            k -= 1
        return any(lo <= a and a != i and b <= j for a, b in hyp_spans)

    def _is_history(self, text: str, present_year: int | None) -> bool:
        low = text.lower()
        if self.history_re.search(low):
            return True
        if self.year_is_history and present_year:
            cleaned = _NAMED_YEAR_RE.sub(" ", low)
            years = [int(y) for y in _YEAR_IN_TEXT_RE.findall(cleaned)]
            if years and min(years) < present_year and max(years) < present_year:
                return True
        return False

    def _election_near(self, sents: list[Sentence], si: int) -> bool:
        if sents[si].election:
            return True
        if any(s.is_title and s.election for s in sents):
            return True
        return any(0 <= k < len(sents) and sents[k].election for k in (si - 1, si + 1))

    # ---------------------------------------------------------------- topics
    def _topics(
        self, sents: list[Sentence], fact_check: bool, magnitudes: dict, mag_hits: dict
    ) -> list[dict]:
        cfg = self.topic_cfg
        rules = cfg["rules"]
        # code -> group -> [mentions, in a title, first hit, its sentence]
        seen: dict[str, dict[str, list]] = {}
        for si, s in enumerate(sents):
            if s.history:
                continue
            for h in s.hits:
                if h.cue.kind != "topic" or h.negated:
                    continue
                code, gname = h.cue.payload
                spec = self.topics[code]
                group = spec["groups"][gname]
                if (s.denial or fact_check) and not spec.get("denial_ok", False):
                    continue
                if h.hypothetical and not spec.get("hypothetical_ok", False):
                    continue
                req = group.get("requires")
                if req and not self.matcher.any_in_class(req, s.toks):
                    continue
                if spec.get("election") and not self._election_near(sents, si):
                    continue
                rec = seen.setdefault(code, {}).setdefault(gname, [0, False, h, s])
                rec[0] += 1
                rec[1] = rec[1] or s.is_title
        count_groups: dict[str, float] = {}  # "topic:group" -> weight, for count cues
        for rule in rules.get("count_cue", []):
            if any(c in seen for c in rule.get("not_with", [])):
                continue
            ev = mag_hits.get(rule["field"])
            if (magnitudes.get(rule["field"]) or 0) >= rule["min"] and ev:
                seen.setdefault(rule["topic"], {})[rule["group"]] = [1, False, *ev]
                count_groups[f"{rule['topic']}:{rule['group']}"] = rule["weight"]
        scored: dict[str, tuple[float, float, Hit, Sentence]] = {}
        for code, groups in seen.items():
            spec = self.topics[code]
            score, core, best = 0.0, 0.0, None
            keep = 1.0
            for gname, (count, in_title, hit, sent) in groups.items():
                w = count_groups.get(f"{code}:{gname}") or spec["groups"][gname]["w"]
                if in_title:
                    w = min(0.95, w * cfg["title_factor"])
                core = max(core, w)
                reps = min(count, cfg["max_mentions"])
                strength = 1 - (1 - w) ** (1 + cfg["repeat_bonus"] * (reps - 1))
                keep *= 1 - strength
                if best is None or w > best[0]:
                    best = (w, hit, sent)
            score = 1 - keep
            scored[code] = (score, core, best[1], best[2])
        chosen = {
            c: v
            for c, v in scored.items()
            if v[0] >= cfg["threshold"]
            and v[1] >= cfg["core_weight"]
            and self._has_required_group(c, seen[c])
        }
        for rule in rules.get("promote", []):
            got = scored.get(rule["topic"])
            if (
                rule["when_chosen"] in chosen
                and got
                and rule["topic"] not in chosen
                and got[0] >= rule["min_score"]
            ):
                chosen[rule["topic"]] = got
        for rule in rules.get("needs_company", []):
            code = rule["topic"]
            if code in chosen and not self._has_company(
                code, seen[code], chosen, count_groups, rule
            ):
                del chosen[code]
        for rule in rules.get("absorb", []):
            if rule["winner"] not in chosen or rule["loser"] not in chosen:
                continue
            if any(c in seen for c in rule.get("unless_seen", [])):
                continue
            if any(
                g in seen.get(t, {})
                for t, g in (x.split(":", 1) for x in rule.get("unless_groups", []))
            ):
                continue
            del chosen[rule["loser"]]
        out = []
        for code, (score, _core, hit, sent) in chosen.items():
            out.append({"code": code, "score": round(score, 3), "evidence": _evidence(hit, sent)})
        out.sort(key=lambda d: (-d["score"], d["code"]))
        return out

    def _has_company(
        self, code: str, groups: dict, chosen: dict, count_groups: dict, rule: dict
    ) -> bool:
        """A topic that needs company (rules.needs_company): kept when a group of its own
        counts directly, or its contextual / count-cue groups have the company they need."""
        spec_groups = self.topics[code]["groups"]
        others = [c for c in chosen if c != code]
        direct = contextual = counted = False
        for g in groups:
            if f"{code}:{g}" in count_groups:
                counted = True
            elif spec_groups[g].get("tag") == "contextual":
                contextual = True
            else:
                direct = True
        with_ctx = contextual and any(
            c.startswith(tuple(rule.get("contextual_needs", []))) for c in others
        )
        with_count = counted and any(
            c.startswith(tuple(rule.get("count_cue_needs", []))) for c in others
        )
        return direct or with_ctx or with_count

    def _has_required_group(self, code: str, groups: dict) -> bool:
        """Topics listing `requires_any` need one of those groups (a clash word for communal:
        "dua desa" alone is not a clash)."""
        need = self.topics[code].get("requires_any")
        return not need or any(g in groups for g in need)

    # ---------------------------------------------------------------- escalation
    def _escalation(self, sents: list[Sentence], fact_check: bool, topics: list[dict]) -> dict:
        if not topics:
            return {"level": 0, "evidence": None}
        best: tuple[int, Hit, Sentence] | None = None
        for s in sents:
            if s.background:
                continue
            for h in s.hits:
                if h.cue.kind != "level" or h.negated:
                    continue
                level = h.cue.payload
                if level >= 2 and (h.hypothetical or s.denial):
                    level = 1
                if fact_check and level >= 3:
                    level = 1
                if best is None or level > best[0]:
                    best = (level, h, s)
        if best is None:
            ev = topics[0]["evidence"]
            return {"level": 1, "evidence": ev}
        level, hit, sent = best
        return {"level": max(1, level), "evidence": _evidence(hit, sent)}


def _evidence(hit: Hit, sent: Sentence) -> dict:
    return {
        "sentence": sent.text,
        "cue": sent.text[hit.start - sent.start : hit.end - sent.start],
        "start": hit.start,
        "end": hit.end,
    }


# Years that name a law or an event rather than date what the sentence tells ("UU Nomor 9
# Tahun 1998", "Pilkada 2024" in a January 2025 article about its dispute).
_NAMED_YEAR_RE = re.compile(
    r"(?:nomor|no\.?|uu|undang-undang|perpu|perppu|pp|perpres|perda)\s*\d*\s*(?:/|tahun)\s*"
    r"(?:19|20)\d\d|(?:pemilu|pilkada|pileg|pilpres|pilgub|pemilihan|serentak|pon|hut|"
    r"tahun anggaran)\s+(?:19|20)\d\d"
)
_YEAR_IN_TEXT_RE = re.compile(r"(?<![\d.,/-])((?:19|20)\d\d)(?![\d])")
_DATE_YEAR_RE = re.compile(
    r"\b\d{1,2}/\d{1,2}/((?:19|20)?\d\d)\b|\b\d{1,2}\s+(?:januari|februari|maret|april|mei|juni|juli|"
    r"agustus|september|oktober|november|desember)\s+((?:19|20)\d\d)\b",
    re.IGNORECASE,
)


def _present_year(text: str) -> int | None:
    """The article's own year: the latest year in its dates ("(1/9/2025)", "1 September 2025")."""
    years = []
    for m in _DATE_YEAR_RE.finditer(text):
        y = m.group(1) or m.group(2)
        if y:
            years.append(int(y) if len(y) == 4 else 2000 + int(y))
    return max(years) if years else None


def _hard_breaks(text: str) -> list[int]:
    """Positions of line breaks that end a line of their own (headline, paragraph).

    A break inside a wrapped sentence ("akan menurunkan\ndari jumlah") is soft: the next
    line starts in lower case, or the whole text is hard-wrapped (most lines short) and the
    line does not end a sentence. The first line is always hard: it is usually the title."""
    first = text.find("\n")
    lines = [ln for ln in text[first + 1 :].split("\n") if ln.strip()] if first >= 0 else []
    wrapped = len(lines) >= 4 and statistics.median(len(ln) for ln in lines) <= 90
    out = []
    for m in re.finditer(r"\n", text):
        i = m.start()
        if i == first:
            out.append(i)
            continue
        # the last character before the break and the first after it, blanks skipped
        # (indexes rather than slices: a slice per line copies the text per line)
        k = i
        while k > 0 and text[k - 1] in " \t":
            k -= 1
        j = i + 1
        while j < len(text) and text[j] in " \t":
            j += 1
        if k == 0 or j == len(text) or text[k - 1] == "\n" or text[j] == "\n":
            out.append(i)
            continue
        ends_sentence = text[k - 1] in '.!?:;"”’'
        if (text[j].islower() or (wrapped and not ends_sentence)) and not ends_sentence:
            continue
        out.append(i)
    return out


def _split_spans(text: str, spans: list[tuple[int, int]], hard: list[int]) -> list[tuple[int, int]]:
    """Sentence spans re-cut at line breaks: a segmenter cut that falls on a soft (wrapped)
    line break is undone, and every hard line break becomes a cut."""
    hard_set = set(hard)
    cuts = {0, len(text)}
    for s0, _s1 in spans:
        k = s0
        while k > 0 and text[k - 1].isspace():
            k -= 1
        breaks = [i for i in range(k, s0) if text[i] == "\n"]
        if breaks and not any(b in hard_set for b in breaks):
            continue  # the segmenter cut at a wrapped line: keep the sentence whole
        cuts.add(s0)
    cuts.update(h + 1 for h in hard)
    ordered = sorted(c for c in cuts if 0 <= c <= len(text))
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if text[a:b].strip()]


_LINE_END_RE = re.compile(r"[ \t\r]*\n")  # only blanks before the next line break
_SENT_FALLBACK_RE = re.compile(r"[^.!?]+(?:[.!?]+[\"”’)]*|$)")


def _fallback_spans(text: str) -> list[tuple[int, int]]:
    """Naive sentence spans for texts without a sentence segmenter."""
    return [(m.start(), m.end()) for m in _SENT_FALLBACK_RE.finditer(text) if m.group().strip()]


# --------------------------------------------------------------------------- plain API
def get_engine(data_dir: str | None = None) -> SignalEngine:
    """The engine for a data directory, built once per process (``get_engine()`` and
    ``get_engine(None)`` are the same engine: the component and the signal model share it)."""
    return _engine(str(data_dir) if data_dir else None)


@lru_cache(maxsize=4)
def _engine(data_dir: str | None) -> SignalEngine:
    return SignalEngine(Path(data_dir) if data_dir else None)


@lru_cache(maxsize=1)
def _sentence_nlp() -> Language:
    from nlp.text import make_base_nlp

    return make_base_nlp()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence char spans from the project's base spaCy pipeline."""
    doc = _sentence_nlp()(text)
    return [(s.start_char, s.end_char) for s in doc.sents]


def extract_signals(text: str, title: str | None = None) -> dict:
    """Topics, escalation and magnitudes for one article, without building a pipeline.

    `title`, if given, is prepended as the first line (titles count as evidence).
    Returns {"topics", "escalation", "magnitudes", "magnitude_evidence"}.
    """
    if title:
        text = f"{title}\n{text}"
    return get_engine().analyze(text, sentence_spans(text))


# --------------------------------------------------------------------------- spaCy
for _ext in ("topics", "escalation", "magnitudes", "magnitude_evidence"):
    Doc.set_extension(_ext, default=None, force=True)

_CACHE_KEY = "suar_signals"
# (engine, sentences of its first pass) for the signal model; it pops them (Sentence
# objects are not msgpack-serialisable, so they do not outlive the pipeline run)
SCAN_KEY = "suar_signals_scan"
_SPANS_KEY = "suar_sentence_spans"


_TEXT_KEY = "suar_text"


def doc_text(doc: Doc) -> str:
    """doc.text, built once per doc: spaCy joins it from every token on each access, and
    the region linker, the rules and the signal model all read it."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def doc_sentence_spans(doc: Doc) -> list[tuple[int, int]] | None:
    """(start_char, end_char) of each of doc.sents, or None without sentence boundaries;
    cached on the doc (the rules and the signal model both need them)."""
    cached = doc.user_data.get(_SPANS_KEY)
    if cached is not None and cached[0] == len(doc):
        return cached[1]
    if not doc.has_annotation("SENT_START"):
        return None
    spans = [(s.start_char, s.end_char) for s in doc.sents]
    doc.user_data[_SPANS_KEY] = (len(doc), spans)
    return spans


def _doc_signals(doc: Doc, engine: SignalEngine) -> dict:
    """Analyse a doc once even if several signal components run on it."""
    cached = doc.user_data.get(_CACHE_KEY)
    if cached is None:
        cached, scan = engine.analyze_scan(doc_text(doc), doc_sentence_spans(doc))
        doc.user_data[_CACHE_KEY] = cached
        doc.user_data[SCAN_KEY] = (engine, scan)
    return cached


class SignalsComponent:
    """spaCy component writing the signal extensions selected by `parts`."""

    def __init__(self, parts: tuple[str, ...], data_dir: str | None = None):
        self.parts = parts
        self.engine = get_engine(data_dir)

    def __call__(self, doc: Doc) -> Doc:
        res = _doc_signals(doc, self.engine)
        if "topics" in self.parts:
            doc._.topics = res["topics"]
        if "escalation" in self.parts:
            doc._.escalation = res["escalation"]
        if "magnitudes" in self.parts:
            doc._.magnitudes = res["magnitudes"]
            doc._.magnitude_evidence = res["magnitude_evidence"]
        return doc


_CFG = {"data_dir": None}


@Language.factory("suar_signals", default_config=_CFG)
def make_signals(nlp: Language, name: str, data_dir: str | None) -> SignalsComponent:
    """All of topics, escalation and magnitudes."""
    return SignalsComponent(("topics", "escalation", "magnitudes"), data_dir)
