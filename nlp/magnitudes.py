"""Magnitudes of the present event: killed, injured, arrested, crowd (TAXONOMY.md section 3).

A count is a number tied to a field cue ("dua warga tewas", "menangkap tujuh pelaku",
"massa berjumlah 2.000 orang"); the patterns and word lists are in
nlp/data/signals/magnitudes.toml, number words in numbers.toml (parsed by nlp/morph.py).
Sentence context (history, negation, preventive language) comes from nlp/signals.py, which
calls `MagnitudeRules.extract` on its analysed sentences (types in nlp/cues.py).

Conventions (documented for analysts, see magnitudes.toml):
- vague quantities (puluhan, ribuan, sejumlah) leave the field null but keep the phrase;
- an explicit "tidak ada korban jiwa" / "tidak ada yang diamankan" gives 0, as in the
  news-dev gold labels; "belum ada laporan" stays null;
- several counts for one field: the largest stated one (headlines often give a partial count);
  numbers joined by "dan"/"serta" in front of one cue are separate groups and are summed;
- crowd sizes have no zero ("tidak ada peserta aksi yang diamankan" is about arrests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nlp.cues import CueMatcher, Hit, Sentence
from nlp.morph import NumSpan, Tok

FIELDS = ("killed", "injured", "arrested", "crowd")
READS: tuple[str, ...] = ()  # no data file of its own (settings come from signals)
_LEAD_SKIP = 3  # filler words allowed between a leading cue and its number


@dataclass(slots=True)
class Candidate:
    """One count (or vague quantity, or stated zero) found for a field, with its span."""

    field: str
    value: int | None  # None = vague quantity
    zero: bool
    start: int
    end: int
    sent: Sentence
    hit: Hit
    num: int = -1  # char offset of the first number ("mengamankan 41 orang": of 41)


def _words(items: list[str]) -> frozenset[str]:
    return frozenset(w.lstrip("=").lower() for w in items)


class MagnitudeRules:
    """Compiled magnitude settings; `extract` turns analysed sentences into counts."""

    def __init__(self, cfg: dict[str, Any], matcher: CueMatcher):
        self.matcher = matcher
        self.fillers = _words(cfg["fillers"])
        self.conjunctions = _words(cfg["conjunctions"])
        self.units = _words(cfg["units"])
        self.totals = _words(cfg["total_words"])
        self.total_reach = int(cfg["total_reach"])
        self.subset = _words(cfg.get("subset_words", []))
        self.subset_phrases = frozenset(cfg.get("subset_phrases", []))
        self.and_words = _words(cfg.get("and_words", []))
        self.subset_reach = int(cfg.get("subset_reach", 0))
        default_gap = int(cfg["follow_gap"])
        self.gap = {
            f: int(spec.get("follow_gap", default_gap)) for f, spec in cfg["fields"].items()
        }
        self.zero_fields = {f for f, spec in cfg["fields"].items() if spec.get("zero", True)}
        self.lead_needs_ctx = {f for f, spec in cfg["fields"].items() if spec.get("requires")}
        # cues that say nothing about mobilisation by themselves ("berjumlah", "peserta")
        self.ctx_cues = {
            (f, c) for f, spec in cfg["fields"].items() for c in spec.get("context_cues", [])
        }
        self.min_value = {f: int(spec.get("min_value", 0)) for f, spec in cfg["fields"].items()}
        self.weak = {(f, c) for f, spec in cfg["fields"].items() for c in spec.get("weak_cues", [])}
        self.exclude = {
            f: spec["exclude_class"] for f, spec in cfg["fields"].items() if "exclude_class" in spec
        }
        subj = cfg["subject"]
        self.subject_reach = int(subj["reach"])
        self.subject_openers = _words(subj["openers"])
        self.subject_words = _words(subj["describers"])
        self.verb_prefixes = tuple(subj["verb_prefixes"])
        self.active_prefixes = tuple(subj["active_prefixes"])
        self.linking = _words(subj["linking"])
        names = cfg["names"]
        self.name_fields = frozenset(names["fields"])
        self.wounds = _words(cfg["fields"]["injured"].get("wound_nouns", []))
        bare = cfg["bare"]
        self.bare = {f: _words(bare[f]) for f in FIELDS if f in bare}
        self.bare_block = _words(bare["blockers"])
        self.agents = _words(bare["agents"])
        self.weak_exclude = _words(cfg["fields"]["crowd"].get("weak_exclude", []))
        self.name_intro = _words(names["introducers"])
        self.name_nouns = _words(names["nouns"])
        self.name_joiners = _words(names["joiners"])
        self.name_adverbs = _words(names["adverbs"])

    def extract(self, sents: list[Sentence]) -> tuple[dict, dict, dict]:
        """(magnitudes, evidence, chosen hits) for the article's present event."""
        cands: list[Candidate] = []
        prev_ctx = False
        for s in sents:
            ctx = any(h.cue.kind == "crowdctx" for h in s.hits)
            if not s.background:
                found = self._sentence(s, prev_ctx)
                if s.denial:  # "membantah kabar penembakan yang menewaskan seorang petugas"
                    denied_from = min(h.start for h in s.hits if h.cue.kind == "denial")
                    found = [c for c in found if c.start < denied_from]
                cands.extend(found)
            prev_ctx = ctx
        # a number another field's cue counts is no crowd ("mengamankan 41 orang" at a protest)
        claimed = [(c.num, c.end) for c in cands if c.field != "crowd" and c.num >= 0]
        cands = [
            c for c in cands
            if c.field != "crowd" or not any(a <= c.num < b for a, b in claimed)
        ]  # fmt: skip
        values: dict[str, int | None] = dict.fromkeys(FIELDS)
        evidence: dict[str, dict] = {}
        chosen_hits: dict[str, tuple] = {}
        for f in FIELDS:
            mine = [c for c in cands if c.field == f]
            low = self.min_value[f]
            mine = [c for c in mine if c.value is None or c.zero or c.value >= low]
            exact = [c for c in mine if c.value is not None and not c.zero]
            zeros = [c for c in mine if c.zero]
            vague = [c for c in mine if c.value is None and not c.zero]
            if exact:
                best = max(exact, key=lambda c: c.value)  # first of the largest
                values[f] = best.value
            elif zeros:
                best = zeros[0]
                values[f] = 0
            elif vague:
                best = vague[0]
            else:
                continue
            sent = best.sent
            evidence[f] = {
                "sentence": sent.text,
                "phrase": sent.text[best.start - sent.start : best.end - sent.start],
                "start": best.start,
                "end": best.end,
            }
            chosen_hits[f] = (best.hit, sent)
        return values, evidence, chosen_hits

    # ------------------------------------------------------------------ per sentence
    def _sentence(self, s: Sentence, prev_ctx: bool = False) -> list[Candidate]:
        """Counts of one sentence; a crowd context (aksi, massa) may come from the sentence
        before ("Aksi unjuk rasa ... berubah ricuh. Sekitar 2.000 orang ...")."""
        toks, nums = s.toks, s.nums
        field_at: dict[int, Hit] = {}
        out: list[Candidate] = []
        has_ctx = prev_ctx or any(h.cue.kind == "crowdctx" for h in s.hits)
        leads: list[Hit] = []
        for h in s.hits:
            if h.cue.kind not in ("field", "lead") or h.hypothetical:
                continue
            needs_ctx = (h.cue.payload, h.cue.text) in self.ctx_cues or (
                h.cue.kind == "lead" and h.cue.payload in self.lead_needs_ctx
            )
            if needs_ctx and not has_ctx:
                continue
            if h.negated:
                if h.zero and h.cue.payload in self.zero_fields:
                    out.append(Candidate(h.cue.payload, 0, True, h.start, h.end, s, h))
                continue
            leads.append(h)
            if h.cue.kind != "field":
                continue
            prev = field_at.get(h.i)
            if prev is None or h.j > prev.j:
                field_at[h.i] = h
        if any(t.lower in self.weak_exclude for t in toks):  # "500 orang mengungsi"
            field_at = {
                k: h for k, h in field_at.items() if (h.cue.payload, h.cue.text) not in self.weak
            }
        # NUMBER ... CUE
        for i in sorted(nums):
            cand = self._follow(s, i, field_at)
            if cand:
                out.append(cand)
        # CUE ... NUMBER: a lead cue ("menewaskan") directly, any field cue across a filler
        for h in leads:
            k = h.j
            skipped = 0
            # the passive's agent may stand first: "yang diamankan polisi sebanyak 12 orang"
            while (
                k < h.j + 2
                and k < len(toks)
                and (toks[k].lower in self.agents or self.matcher.in_class("security", toks[k]))
            ):
                k += 1
            if k > h.j and (k >= len(toks) or toks[k].lower not in self.fillers):
                k = h.j  # an agent with no "sebanyak" after it: "menangkap polisi 2 kali"
            while (
                k < len(toks)
                and k not in nums
                and skipped < _LEAD_SKIP
                and toks[k].lower in self.fillers
            ):
                k += 1
                skipped += 1
            span = nums.get(k)
            if span is None and h.cue.kind == "lead":
                span = self._total_after(s, h)
            elif span is not None and h.cue.kind == "field" and not skipped:
                span = None
            if span is None:
                continue
            if span.end < len(toks) and toks[span.end].lower in self.units:
                continue
            excl = self.exclude.get(h.cue.payload)
            if excl and span.end < len(toks) and self.matcher.in_class(excl, toks[span.end]):
                continue  # "melibatkan 200 personel" is a deployment
            value, end = self._chain_after(s, span)
            out.append(
                Candidate(
                    h.cue.payload, value, False, h.start, toks[end - 1].end, s, h,
                    toks[span.start].start,
                )
            )  # fmt: skip
        # named victim: "menewaskan Budi"
        for h in s.hits:
            if h.cue.kind != "named" or h.negated or h.hypothetical:
                continue
            nxt = toks[h.j] if h.j < len(toks) else None
            if (
                nxt
                and nxt.is_word
                and nxt.text[:1].isupper()
                and not self.matcher.in_class("person", nxt)
            ):
                out.append(Candidate(h.cue.payload, 1, False, h.start, toks[h.j].end, s, h))
        # named people: "menangkap tersangka berinisial AR (25) dan BS (30)" counts two,
        # "Budi (40) meninggal dunia" one
        if self.name_fields and not s.is_title:
            out.extend(self._named(s, leads))
        if self.bare:
            out.extend(self._bare(s, leads))
        return out

    def _bare_noun(self, toks: list[Tok], k: int, field: str) -> bool:
        """Is token k a bare singular noun for `field` ("pelaku", not "para pelaku" or
        "dua pelaku")? Indonesian leaves number unmarked, but reports name a group as a
        group ("para pelaku", "keempat tersangka", "tiga pelaku")."""
        if not 0 <= k < len(toks) or toks[k].lower not in self.bare.get(field, ()):
            return False
        prev = toks[k - 1] if k else None
        return prev is None or not (
            prev.is_digit
            or prev.lower in self.bare_block
            or prev.lower in self.fillers
            or self.matcher.in_class("person", prev)
        )

    def _bare(self, s: Sentence, leads: list[Hit]) -> list[Candidate]:
        """One person for a bare singular subject or object of the cue: "Pelaku sudah kami
        amankan", "polisi meringkus pelaku penganiayaan", "tersangka ditahan". A stated
        figure elsewhere is larger or equal and wins (the largest count is kept)."""
        toks, out = s.toks, []
        for h in leads:
            f = h.cue.payload
            if f not in self.bare:
                continue
            active = self._is_verb(toks[h.i], self.active_prefixes)
            if h.cue.kind == "lead" and self._bare_noun(toks, h.j, f):
                nxt = toks[h.j + 1].lower if h.j + 1 < len(toks) else ""
                if nxt not in self.name_joiners and h.j + 1 not in s.nums:
                    out.append(Candidate(f, 1, False, h.start, toks[h.j].end, s, h))
                continue
            if active:
                continue
            k = h.i - 1
            while k >= 0 and (toks[k].lower in self.name_adverbs or toks[k].lower in self.agents):
                k -= 1
            if k < h.i - 1 or h.cue.kind == "field":
                bare_kind_ok = h.cue.kind == "field" or toks[h.i - 1].lower in self.agents
                if bare_kind_ok and self._bare_noun(toks, k, f) and not self._listed(toks, k):
                    out.append(Candidate(f, 1, False, toks[k].start, h.end, s, h))
        return out

    def _listed(self, toks: list[Tok], k: int) -> bool:
        """Is token k the last of a list of people ("pelaku dan korban", "Budi, korban")?
        A comma joins a list only after a person word or a name; after anything else it
        ends an opening phrase ("Akibat penikaman itu, korban tewas": one victim)."""
        if k == 0 or toks[k - 1].lower not in self.name_joiners:
            return False
        if toks[k - 1].lower != "," or k < 2:
            return True
        prev = toks[k - 2]
        return (
            self.matcher.in_class("person", prev)
            or (prev.is_word and prev.text[:1].isupper())
            or prev.lower == ")"
        )

    # ------------------------------------------------------------------ named people
    def _name_end(self, toks: list[Tok], k: int) -> int:
        """End of the personal name starting at token k (capitalised words or initials that
        are no class word such as "Polisi"), or k when none starts there."""
        j = k
        while j < len(toks) and j - k < 4:
            t = toks[j]
            if not (t.is_word and t.text[:1].isupper()) or any(
                self.matcher.in_class(c, t) for c in ("person", "security")
            ):
                break
            j += 1
        return j

    def _age_after(self, toks: list[Tok], k: int) -> int:
        """End of an age in brackets at token k ("(25)", "(25 tahun)"), or k."""
        if k + 2 < len(toks) and toks[k].lower == "(" and toks[k + 1].is_digit:
            j = k + 2
            if j < len(toks) and toks[j].lower == "tahun":
                j += 1
            if j < len(toks) and toks[j].lower == ")":
                return j + 1
        return k

    def _names_from(self, toks: list[Tok], k: int, introduced: bool) -> tuple[int, int]:
        """(how many names, end) of a list of names from token k ("AR (25) dan BS (30)").
        A name counts when introduced (after "tersangka", "berinisial") or with its age."""
        count, end = 0, k
        while True:
            j = self._name_end(toks, k)
            if j == k:
                break
            after = self._age_after(toks, j)
            if not (introduced or after > j):
                break
            count, end = count + 1, after
            if end < len(toks) and toks[end].lower in self.name_joiners:
                k = end + 1
                continue
            break
        return count, end

    def _named(self, s: Sentence, leads: list[Hit]) -> list[Candidate]:
        toks, out = s.toks, []
        for h in leads:
            f = h.cue.payload
            if f not in self.name_fields:
                continue
            if h.cue.kind == "lead":  # object: "mengamankan pelaku berinisial AR"
                k, introduced = h.j, False
                while k < len(toks) and (
                    toks[k].lower in self.name_intro or toks[k].lower in self.name_nouns
                ):
                    k, introduced = k + 1, True
                n, end = self._names_from(toks, k, introduced)
                if n:
                    out.append(Candidate(f, n, False, h.start, toks[end - 1].end, s, h))
            if h.cue.kind == "field" and not self._is_verb(toks[h.i], self.active_prefixes):
                # subject: "tersangka AR (25) akhirnya diamankan", "Budi (40) tewas"
                k = h.i - 1
                while k >= 0 and toks[k].lower in self.name_adverbs:
                    k -= 1
                if k > 0 and toks[k].lower == ",":  # apposition: "korban, AR (30), tewas"
                    k -= 1
                start = k + 1
                while k >= 0 and (
                    toks[k].lower == ")" or toks[k].is_digit or toks[k].lower in ("(", "tahun")
                ):
                    k -= 1
                while (
                    k >= 0
                    and toks[k].is_word
                    and toks[k].text[:1].isupper()
                    and not any(self.matcher.in_class(c, toks[k]) for c in ("person", "security"))
                ):
                    k -= 1
                # walk back over a list "AR (25) dan BS (30)" to its first name
                first = k + 1
                while first < start:
                    j = first - 1
                    if j < 1 or toks[j].lower not in self.name_joiners:
                        break
                    m = j - 1
                    while m >= 0 and (toks[m].lower in (")", "(", "tahun") or toks[m].is_digit):
                        m -= 1
                    while m >= 0 and toks[m].is_word and toks[m].text[:1].isupper():
                        m -= 1
                    if m + 1 >= j:
                        break
                    first = m + 1
                introduced = first > 0 and (
                    toks[first - 1].lower in self.name_intro
                    or toks[first - 1].lower in self.name_nouns
                )
                n, end = self._names_from(toks, first, introduced)
                if n and end == start:
                    out.append(Candidate(f, n, False, toks[first].start, h.end, s, h))
        return out

    def _chain_after(self, s: Sentence, span) -> tuple[int | None, int]:
        """(summed value, end token) of a lead cue's object list: "mengamankan 41 orang
        dewasa dan 7 orang remaja" = 48, "menewaskan dua polisi dan tiga warga" = 5.
        Between the groups only a few people words (no verb, no other cue)."""
        toks, nums = s.toks, s.nums
        value, end = span.value, span.end
        while value is not None:
            k, words = end, 0
            while (
                k < len(toks)
                and words < _LEAD_SKIP
                and toks[k].is_word
                and toks[k].lower not in self.conjunctions
                and not self._is_verb(toks[k])
            ):
                k, words = k + 1, words + 1
            nxt = nums.get(k + 1) if k < len(toks) and toks[k].lower in self.and_words else None
            if nxt is None or nxt.value is None:
                break
            after = [t.lower for t in toks[nxt.end : nxt.end + 2]]
            if after and (after[0] in self.units or after[0] in self.subset or after[0] == "dari"):
                break  # "empat orang dan satu diantaranya / dari mereka" is part of the four
            if " ".join(after[:2]) in self.subset_phrases:
                break
            value, end = value + nxt.value, nxt.end
        return value, end

    def _total_after(self, s: Sentence, h: Hit):
        """ "jumlah korban tewas akibat kerusuhan itu bertambah menjadi 12 orang": a lead cue
        reaches a number further on when a total word ("menjadi", "mencapai") precedes it."""
        toks, nums = s.toks, s.nums
        for k in range(h.j, min(len(toks), h.j + self.total_reach)):
            t = toks[k]
            if t.lower in self.conjunctions - {"akibat", "karena"} or (
                not t.is_word and not t.is_digit and t.lower not in (",", "(", ")", "-")
            ):
                return None
            if k in nums:
                ok = k > h.j and toks[k - 1].lower in self.totals
                return nums[k] if ok else None
        return None

    def _whole_before(self, s: Sentence, i: int):
        """The count a "termasuk dua mahasiswa" at token ``i`` is part of, if any."""
        toks, nums = s.toks, s.nums
        if i == 0 or toks[i - 1].lower not in self.subset:
            return None
        before = [sp for sp in nums.values() if sp.end <= i - 1 <= sp.end + self.subset_reach]
        return max(before, key=lambda sp: sp.end, default=None)

    def _follow(self, s: Sentence, i: int, field_at: dict[int, Hit]) -> Candidate | None:
        toks, nums = s.toks, s.nums
        chain = [nums[i]]
        k = chain[-1].end
        if k < len(toks) and toks[k].lower in self.units:
            return None
        gap = 0
        normal = max(self.gap.values())
        reach = self.subject_reach if self._subject_start(s, i, k) else normal
        in_relative = rel_active = crossed_verb = False
        fallback: Candidate | None = None
        while k < len(toks):
            h = field_at.get(k)
            if h is not None and rel_active and h.cue.payload != "crowd":
                # "dua pelaku yang menganiaya korban hingga tewas": the relative clause's
                # object died, not the counted subject; the main clause resumes at a comma
                k = h.j
                continue
            if h is not None and fallback is None and (h.cue.payload, h.cue.text) in self.weak:
                # "14 orang diamankan": a plain "orang" is a crowd only if no other cue follows
                vals = [c.value for c in chain]
                value = None if any(v is None for v in vals) else sum(vals)
                fallback = Candidate(
                    h.cue.payload, value, False, toks[i].start, h.end, s, h, toks[i].start
                )
                k = h.j
                continue
            if h is not None:
                fld = h.cue.payload
                if gap > (self.gap[fld] if reach == normal or fld == "crowd" else reach):
                    return fallback
                if crossed_verb and fld != "crowd":  # a crowd acts: "500 buruh menggelar aksi"
                    return fallback
                excl = self.exclude.get(fld)
                if excl and any(self.matcher.in_class(excl, t) for t in toks[chain[0].end : k]):
                    return fallback
                vals = [c.value for c in chain]
                value = None if any(v is None for v in vals) else sum(vals)
                whole = self._whole_before(s, i)
                if whole is not None and value is not None and whole.value is not None:
                    value = max(value, whole.value)
                if k == chain[-1].end and h.j < len(toks) and toks[h.j].lower in self.wounds:
                    return fallback  # "tiga luka tusukan": wounds, not people
                return Candidate(fld, value, False, toks[i].start, h.end, s, h, toks[i].start)
            t = toks[k]
            low = t.lower
            if low in self.and_words and k + 1 in nums:
                nxt = nums[k + 1]
                if nxt.end < len(toks) and toks[nxt.end].lower in self.units:
                    return fallback
                chain.append(nxt)
                k = nxt.end
                continue
            if low in self.and_words and gap <= 2 and not s.is_title:
                # "Enam penumpang dan Budi luka": a named person adds one to the group
                j = self._name_end(toks, k + 1)
                if j > k + 1:
                    j = self._age_after(toks, j)
                    chain.append(NumSpan(k + 1, j, 1))
                    k = j
                    continue
            # a capitalised word inside a body sentence is a name ("Kabupaten Merangin"),
            # not a verb, whatever its stemmer prefix says
            named = not s.is_title and t.text[:1].isupper()
            if low == "yang":
                in_relative = True
            elif low == ",":
                in_relative = rel_active = False
            elif in_relative and not named and self._is_verb(t, ("me",)):
                rel_active = True
            if (
                gap >= reach
                or (not t.is_word and not t.is_digit and low not in (",", "(", ")", "-", "'"))
                or low in self.conjunctions
                or k in nums
                or (gap >= normal and not in_relative and not named and self._is_verb(t))
            ):
                return fallback
            if not in_relative and not named and self._is_verb(t, self.active_prefixes):
                crossed_verb = True
            if t.is_word or t.is_digit:
                gap += 1
            k += 1
        return fallback

    def _is_verb(self, t: Tok, prefixes: tuple[str, ...] | None = None) -> bool:
        """An affixed verb ("mengatakan", "ditemukan", "berjaga"): the end of a subject noun
        phrase. Describing words ("berusia", "bernama") and verbs that link a subject to its
        state ("mengalami luka", "berhasil diamankan") are not."""
        return (
            t.is_word
            and t.lower.startswith(prefixes or self.verb_prefixes)
            and t.stem != t.lower
            and t.lower not in self.subject_words
            and t.lower not in self.linking
        )

    def _subject_start(self, s: Sentence, i: int, end: int) -> bool:
        """Does the count at tokens [i, end) open its clause with a person noun after it
        ("Seorang warga asal ..., tewas"; "tiga pemuda yang dicurigai ... ditangkap")? Such a
        subject reaches its predicate cue across a longer noun phrase."""
        toks = s.toks
        if end >= len(toks) or not self.matcher.in_class("person", toks[end]):
            return False
        k = i - 1
        while k >= 0 and toks[k].lower in self.fillers:
            k -= 1
        return k < 0 or toks[k].lower in self.subject_openers
