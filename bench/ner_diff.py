"""Span by span: what the pipeline's rule layers do to the statistical model's entities.

On each NER test split (``../shared/data/ner``), compares three readings of every sentence:
the model alone on the gold tokens (what `suar eval` reports as "model alone"), the model on
the pipeline's own tokens, and the whole pipeline through the annotate code path (entities
plus region mentions as LOC, nlp.ner_train.pipeline_spans). Spans the model had right and
the pipeline lost, and spans the pipeline gained, are counted by the mechanism responsible:
the tokenizer, a rule of nlp/entities.py (``Span._.rule``), a region mention
(nlp/regions.py) or the model span being dropped outright. Prints counts and, with
``--show N``, up to N examples per mechanism (test-split text stays on screen, not in files).

    .venv/bin/python bench/ner_diff.py [--shared ../shared] [--show 5] [--corpus nergrit]
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

import spacy

from nlp.ner_train import (
    PIPELINE_CORPORA,
    _char_spans,
    pipeline_spans,
    predict_tags,
    read_split,
    score_spans,
)


def _rule_at(doc, start: int, end: int) -> str | None:
    for e in doc.ents:
        if e.start_char < end and start < e.end_char:
            return e._.rule or "ner"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--corpus", action="append")
    args = ap.parse_args()

    from nlp.annotate import article_text, doc_result
    from nlp.pipeline import get_nlp

    nlp = get_nlp()
    for corpus in args.corpus or PIPELINE_CORPORA:
        sents = read_split(args.shared, corpus, "test", spacy.blank("id"))
        with nlp.select_pipes(enable=["ner"]):
            model_tags = predict_tags(nlp, sents)
        texts = [article_text("", s.text) for s in sents]
        with nlp.select_pipes(enable=["suar_sentences", "ner"]):
            tok_docs = list(nlp.pipe(texts))
        docs = []
        for t in texts:
            d = nlp.make_doc(t)
            d.user_data["outlet_province"] = None
            docs.append(d)
        docs = list(nlp.pipe(docs))
        lost: Counter = Counter()
        gained: Counter = Counter()
        examples: dict[str, list[str]] = defaultdict(list)
        gold_all, model_all, pipe_all = [], [], []
        for s, tags, tdoc, doc in zip(sents, model_tags, tok_docs, docs, strict=True):
            gold = _char_spans(s, 1)
            tmp = type(s)(s.tokens, tags, s.spaces)
            model = _char_spans(tmp, 1)
            retok = {(e.start_char, e.end_char, e.label_) for e in tdoc.ents}
            res = doc_result(doc, 0)
            pipe = pipeline_spans(res, doc.text)
            regions = {(r["start"], r["end"]) for r in res["regions"]}
            gold_all.append(gold)
            model_all.append(model)
            pipe_all.append(pipe)

            def why(span, _doc=doc, _retok=retok, _regions=regions, _pipe=pipe):
                a, b, lab = span
                near = any(r[0] < b and a < r[1] for r in _regions)
                if near and any(
                    x[2] == "LOC" and x[0] < b and a < x[1] and x[0] <= a for x in _pipe
                ):
                    return "region"
                if span not in _retok and lab != "LOC":
                    return "tokenizer"
                rule = _rule_at(_doc, a, b)
                return f"rule:{rule}" if rule else "dropped"

            for span in (gold & model) - pipe:
                k = why(span)
                lost[k] += 1
                if len(examples["-" + k]) < args.show:
                    got = sorted(x for x in pipe if x[0] < span[1] and span[0] < x[1])
                    txt = article_text("", s.text)
                    examples["-" + k].append(
                        f"  {txt[span[0] : span[1]]!r}/{span[2]} -> "
                        + ", ".join(f"{txt[x[0] : x[1]]!r}/{x[2]}" for x in got)
                        + f"   | {s.text[:160]}"
                    )
            for span in (gold & pipe) - model:
                k = why(span) if (span[0], span[1]) in regions else (
                    f"rule:{_rule_at(doc, span[0], span[1])}")  # fmt: skip
                gained[k] += 1
        m = score_spans(gold_all, model_all)["micro"]
        p = score_spans(gold_all, pipe_all)["micro"]
        print(f"== {corpus}: model alone F1 {m['f']:.3f}, pipeline F1 {p['f']:.3f}")
        print("  lost (model right, pipeline not):", dict(lost.most_common()))
        print("  gained (pipeline right, model not):", dict(gained.most_common()))
        fp = Counter()
        for gold, model, pipe, doc in zip(gold_all, model_all, pipe_all, docs, strict=True):
            for span in pipe - gold - model:
                k = f"{_rule_at(doc, span[0], span[1]) or 'region'}/{span[2]}"
                fp[k] += 1
                if len(examples["fp " + k]) < args.show:
                    near = sorted(x for x in gold | model if x[0] < span[1] and span[0] < x[1])
                    t = doc.text
                    examples["fp " + k].append(
                        f"  {t[span[0] : span[1]]!r} gold/model: "
                        + ", ".join(f"{t[x[0] : x[1]]!r}/{x[2]}" for x in near)
                        + f"   | {t[:160]!r}"
                    )
        print("  new false positives (pipeline only):", dict(fp.most_common()))
        for k, ex in examples.items():
            print(k)
            print("\n".join(ex))


if __name__ == "__main__":
    main()
