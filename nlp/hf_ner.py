"""Optional transformers backend for PER/ORG/LOC: any Hugging Face token-classification model.

The project's own spaCy NER (models/ner) is small and fast; a fine-tuned IndoBERT can be more
accurate when a user has one (downloaded with internet access, or a local copy). This module
lets such a model replace the statistical ``ner`` component without changing anything after
it: the ``suar_hf_ner`` component sets ``doc.ents`` with PER/ORG/LOC spans on spaCy token
boundaries, so ``suar_entity_rules`` and ``suar_actors`` run unchanged.

How a prediction becomes an entity:

1. The whole text is tokenised once by the model's *fast* tokenizer, which gives every word
   piece its character offsets and the word it belongs to.
2. Texts longer than ``max_length`` pieces are cut into overlapping windows (``stride`` pieces
   of overlap). A piece seen by two windows takes the probabilities from the window where it
   lies farthest from a cut edge, because a model sees least context at its window's edges.
   The stride is capped at half the window, which already gives every piece a central one.
3. Labels are decided per word, from the probabilities of the word's first piece
   (``aggregation="first"``, default: token-classification models are fine-tuned with the
   label on the first piece only, so later pieces carry untrained guesses) or from the mean
   over its pieces (``aggregation="average"``).
4. Word tags (BIO, IOB1, IO or BIOES) are decoded into character spans, model label types
   are mapped to PER/ORG/LOC with ``label_map`` (others dropped), and the spans are expanded
   to spaCy tokens; overlaps keep the longer span.

torch and transformers are imported only when the component is built, so the rest of Suar
imports and runs without them. Nothing is downloaded unless the user names a hub model; set
``local_files_only=True`` (or ``HF_HUB_OFFLINE=1``) to forbid that.
"""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch

log = logging.getLogger(__name__)

SUAR_LABELS = ("PER", "ORG", "LOC")

# Entity types used by common Indonesian and English NER schemes (upper-cased) -> Suar label.
# NERGrit uses PERSON/ORGANISATION/PLACE, IndoLEM NER uses PPL/IND/PLC, CoNLL and OntoNotes
# use PER/ORG/LOC/GPE. Anything not listed (MISC, DATE, EVT, ...) is dropped.
DEFAULT_LABEL_MAP: dict[str, str] = {
    "PER": "PER", "PERSON": "PER", "PPL": "PER",
    "ORG": "ORG", "ORGANISATION": "ORG", "ORGANIZATION": "ORG", "IND": "ORG",
    "LOC": "LOC", "LOCATION": "LOC", "PLACE": "LOC", "PLC": "LOC", "GPE": "LOC",
}  # fmt: skip

_PREFIXES = ("B", "I", "E", "S", "L", "U")  # BIO/IOB1/IO, BIOES, BILOU


@dataclass(frozen=True)
class Entity:
    """A predicted entity: character offsets into the text, Suar label and mean word score."""

    start: int
    end: int
    label: str
    score: float


def split_tag(tag: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'PER' (IO scheme) -> ('I', 'PER'); 'O' -> ('O', '')."""
    tag = tag.strip()
    if not tag or tag.upper() == "O":
        return "O", ""
    for sep in ("-", "_"):
        head, found, tail = tag.partition(sep)
        if found and head.upper() in _PREFIXES and tail:
            return head.upper(), tail.upper()
        head, found, tail = tag.rpartition(sep)  # 'PER-B'
        if found and tail.upper() in _PREFIXES and head:
            return tail.upper(), head.upper()
    return "I", tag.upper()


def build_label_map(overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """The default type map updated with ``overrides``; a value that is not PER/ORG/LOC
    (for example "" or null) removes that type, so ``{"ORG": ""}`` drops organisations."""
    mapping = dict(DEFAULT_LABEL_MAP)
    for key, value in (overrides or {}).items():
        mapping[str(key).upper()] = str(value).upper() if value else ""
    return {k: v for k, v in mapping.items() if v in SUAR_LABELS}


def decode_words(
    tags: Sequence[tuple[str, str]], scores: Sequence[float] | None = None
) -> list[tuple[int, int, str, float]]:
    """Decode per-word (prefix, type) tags into (first_word, last_word + 1, type, mean score).

    Lenient like most NER evaluators: an I/E without a matching open entity starts one, so
    IOB1 and IO output decode as well as strict BIO and BIOES.
    """
    out: list[tuple[int, int, str, float]] = []
    cur: list[Any] | None = None  # [start, end, type, score_sum]

    def close() -> None:
        nonlocal cur
        if cur is not None:
            out.append((cur[0], cur[1], cur[2], cur[3] / (cur[1] - cur[0])))
        cur = None

    for i, (prefix, kind) in enumerate(tags):
        score = scores[i] if scores is not None else 1.0
        if prefix == "O" or not kind:
            close()
            continue
        continues = cur is not None and cur[2] == kind and cur[1] == i
        if prefix in ("B", "S", "U") or not continues:
            close()
            cur = [i, i + 1, kind, score]
        else:
            cur[1] = i + 1
            cur[3] += score
        if prefix in ("E", "S", "L", "U"):
            close()
    close()
    return out


class HFTokenClassifier:
    """A loaded Hugging Face token-classification model that returns character-level entities.

    Usable without spaCy (for evaluation scripts); :class:`HFNer` wraps it as a component.
    """

    def __init__(
        self,
        model: str,
        label_map: dict[str, Any] | None = None,
        max_length: int = 0,
        stride: int = 64,
        batch_size: int = 8,
        device: str = "cpu",
        aggregation: str = "first",
        local_files_only: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        if not model:
            raise ValueError("suar_hf_ner needs 'model': a Hugging Face model id or local path")
        if aggregation not in ("first", "average"):
            raise ValueError(f"aggregation must be 'first' or 'average', not {aggregation!r}")
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=local_files_only)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ValueError(f"{model}: a fast tokenizer is needed for character offsets")
        self.model = AutoModelForTokenClassification.from_pretrained(
            model, local_files_only=local_files_only
        )
        self.device = torch.device(device)
        # fp32 everywhere: CPUs have no fast half precision, and bf16 checkpoints lose nothing
        self.model.to(self.device).float().eval()
        self.aggregation = aggregation
        self.batch_size = max(1, int(batch_size))
        self.label_map = build_label_map(label_map)
        id2label = self.model.config.id2label
        self.tags: list[tuple[str, str]] = []
        for i in range(len(id2label)):
            prefix, kind = split_tag(str(id2label[i]))
            self.tags.append((prefix, self.label_map.get(kind, "")) if kind else ("O", ""))

        self.prefix_ids, self.suffix_ids = self._special_layout()
        limit = self._model_limit()
        self.max_length = min(int(max_length), limit) if max_length and max_length > 0 else limit
        self.window = self.max_length - len(self.prefix_ids) - len(self.suffix_ids)
        if self.window < 2 or stride < 0:
            raise ValueError(
                f"need max_length > special tokens + 1 and stride >= 0 "
                f"(max_length {self.max_length}, stride {stride})"
            )
        # an overlap of half the window already gives every piece a window where it is
        # central; more only costs time (and the default 64 is too big for small models)
        self.stride = min(int(stride), self.window // 2)
        if self.stride < stride:
            log.info("suar_hf_ner: stride %d capped at %d (half the window)", stride, self.stride)

    def _special_layout(self) -> tuple[list[int], list[int]]:
        """The special ids the tokenizer puts before and after one sequence ([CLS] ... [SEP],
        <s> ... </s>), found by tokenising a word with and without them: this works for any
        fast tokenizer without version-specific helper methods."""
        tok = self.tokenizer
        bare = tok("a", add_special_tokens=False)["input_ids"]
        full = tok("a", add_special_tokens=True)["input_ids"]
        for k in range(len(full) - len(bare) + 1):
            if full[k : k + len(bare)] == bare:
                return list(full[:k]), list(full[k + len(bare) :])
        return [], []

    def _model_limit(self) -> int:
        """Longest input the model takes: 512, or less if the tokenizer or positions say so."""
        limit = 512
        tok_max = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tok_max, int) and 0 < tok_max < 100_000:
            limit = min(limit, tok_max)
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limit = min(limit, positions)
        return limit

    def windows(self, n: int) -> list[tuple[int, int]]:
        """Piece ranges [start, end) covering n pieces, overlapping by ``stride``; the last
        window ends at the text's end so it is as full (and as well-informed) as the others."""
        size, step = self.window, self.window - self.stride
        if n <= size:
            return [(0, n)]
        starts = list(range(0, n - size + 1, step))
        if starts[-1] + size < n:
            starts.append(n - size)
        return [(s, s + size) for s in starts]

    def predict(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities (character offsets, PER/ORG/LOC) for each text, model batches shared
        across texts."""
        torch = self.torch
        encs = [
            # verbose=False: long texts are expected here (we window them), no warning
            self.tokenizer(t, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
            for t in texts
        ]
        jobs: list[tuple[int, int, int]] = []  # (text index, window start, window end)
        for ti, enc in enumerate(encs):
            n = len(enc["input_ids"])
            jobs.extend((ti, s, e) for s, e in self.windows(n) if e > s)
        n_labels = len(self.tags)
        probs = [torch.zeros((len(e["input_ids"]), n_labels)) for e in encs]
        best = [torch.full((len(e["input_ids"]),), -1.0) for e in encs]
        pad_id = self.tokenizer.pad_token_id or 0
        lead = len(self.prefix_ids)
        # longest windows first so each batch pads little
        jobs.sort(key=lambda j: j[2] - j[1], reverse=True)
        with torch.inference_mode():
            for batch in minibatch(jobs, self.batch_size):
                seqs = [
                    self.prefix_ids + list(encs[ti]["input_ids"][s:e]) + self.suffix_ids
                    for ti, s, e in batch
                ]
                width = max(len(q) for q in seqs)
                ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(seqs), width), dtype=torch.long)
                for row, q in enumerate(seqs):
                    ids[row, : len(q)] = torch.tensor(q, dtype=torch.long)
                    mask[row, : len(q)] = 1
                logits = self.model(
                    input_ids=ids.to(self.device), attention_mask=mask.to(self.device)
                ).logits
                p = torch.softmax(logits.float(), dim=-1).cpu()
                for row, (ti, s, e) in enumerate(batch):
                    n = len(encs[ti]["input_ids"])
                    pos = torch.arange(s, e, dtype=torch.float32)
                    # distance to the nearest cut edge; the text's own ends are not cuts
                    left = pos - s if s > 0 else torch.full_like(pos, math.inf)
                    right = (e - 1) - pos if e < n else torch.full_like(pos, math.inf)
                    dist = torch.minimum(left, right).clamp(max=1e9)
                    better = dist > best[ti][s:e]
                    best[ti][s:e] = torch.where(better, dist, best[ti][s:e])
                    chunk = p[row, lead : lead + (e - s)]
                    probs[ti][s:e][better] = chunk[better]
        return [self._entities(enc, pr) for enc, pr in zip(encs, probs, strict=True)]

    def _entities(self, enc: Any, probs: Any) -> list[Entity]:
        """Per-word labels from piece probabilities, decoded into character spans."""
        offsets = enc["offset_mapping"]
        word_ids = enc.word_ids()
        words: list[list[int]] = []  # piece indices of each word, in text order
        last = None
        for i, w in enumerate(word_ids):
            if w is None or offsets[i][1] <= offsets[i][0]:
                continue  # special or empty piece (e.g. a bare SentencePiece '▁')
            if w != last or not words:
                words.append([])
                last = w
            words[-1].append(i)
        tags: list[tuple[str, str]] = []
        scores: list[float] = []
        for pieces in words:
            first = self.aggregation == "first"
            wp = probs[pieces[0]] if first else probs[pieces].mean(dim=0)
            k = int(wp.argmax())
            tags.append(self.tags[k])
            scores.append(float(wp[k]))
        out = []
        for w0, w1, label, score in decode_words(tags, scores):
            start = offsets[words[w0][0]][0]
            end = offsets[words[w1 - 1][-1]][1]
            out.append(Entity(int(start), int(end), label, round(score, 4)))
        return out


class HFNer:
    """spaCy component: replaces doc.ents with the transformer model's PER/ORG/LOC spans."""

    def __init__(self, classifier: HFTokenClassifier, batch_size: int = 8) -> None:
        self.classifier = classifier
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return self.set_annotations([doc], self.classifier.predict([doc.text]))[0]

    def pipe(self, stream: Iterable[Doc], batch_size: int = 32) -> Iterator[Doc]:
        for docs in minibatch(stream, size=batch_size):
            yield from self.set_annotations(docs, self.classifier.predict([d.text for d in docs]))

    @staticmethod
    def set_annotations(docs: Sequence[Doc], preds: Sequence[list[Entity]]) -> list[Doc]:
        for doc, ents in zip(docs, preds, strict=True):
            doc.ents = align_entities(doc, ents)
        return list(docs)


def align_entities(doc: Doc, ents: Iterable[Entity]) -> list[Span]:
    """Character entities -> non-overlapping spaCy spans, expanded to whole tokens.

    Whitespace at the edges is trimmed first (SentencePiece offsets can include the space);
    where two spans overlap after expansion, the longer (then the earlier) one is kept.
    """
    text = doc.text
    spans = []
    for ent in ents:
        start, end = ent.start, ent.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        span = doc.char_span(start, end, label=ent.label, alignment_mode="expand")
        if span is not None and len(span) > 0:
            spans.append(span)
    return filter_spans(spans)


@Language.factory(
    "suar_hf_ner",
    default_config={
        "model": "",
        "label_map": {},
        "max_length": 0,
        "stride": 64,
        "batch_size": 8,
        "device": "cpu",
        "aggregation": "first",
        "local_files_only": False,
    },
)
def make_hf_ner(
    nlp: Language,
    name: str,
    model: str,
    label_map: dict[str, Any],
    max_length: int,
    stride: int,
    batch_size: int,
    device: str,
    aggregation: str,
    local_files_only: bool,
) -> HFNer:
    """Build the component; ``max_length`` 0 means the model's limit (at most 512 pieces)."""
    classifier = HFTokenClassifier(
        model,
        label_map=label_map,
        max_length=max_length,
        stride=stride,
        batch_size=batch_size,
        device=device,
        aggregation=aggregation,
        local_files_only=local_files_only,
    )
    return HFNer(classifier, batch_size=batch_size)


def add_hf_entity_pipes(nlp: Language, model: str, **config: Any) -> Language:
    """Like ``nlp.entities.add_entity_pipes`` but with a transformer NER instead of the spaCy
    model: ``suar_hf_ner`` followed by the entity rules and actor classes."""
    importlib.import_module("nlp.entities")  # registers suar_entity_rules and suar_actors
    nlp.add_pipe("suar_hf_ner", config={"model": str(model), **config})
    nlp.add_pipe("suar_entity_rules", after="suar_hf_ner")
    nlp.add_pipe("suar_actors", after="suar_entity_rules")
    return nlp
