"""Scores the exported NER model (through ONNX Runtime, npm onnxruntime-node) on the
hand-written encyclopedic-style sets and records the results in metrics.json:
  encyclopedic_sanity  testdata/encyclopedic_sanity.txt (40 short sentences, mostly famous names)
  encyclopedic_eval    testdata/encyclopedic_eval.txt (334 longer sentences, entities chosen to be hard)
Both are annotated with PER, ORG and LOC only, so scores are restricted to those types:
predicted MISC spans are dropped before scoring (they are neither right nor wrong here).
Also prints the most common error kinds on the larger set.
Usage: python3 eval_onnx.py [model_dir] [--errors N]"""
import json
import os
import sys
from collections import Counter, defaultdict

import numpy as np

import common
import data
import tok

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = ("PER", "ORG", "LOC")
SETS = [("encyclopedic_sanity", "encyclopedic_sanity.txt"), ("encyclopedic_eval", "encyclopedic_eval.txt")]


def predict(d, labels, wp, sents):
    """BIO labels per word (label of its first piece) for each (tokens, tags) sentence."""
    seqs, firsts = [], []
    for toks, _ in sents:
        ids, first = [tok.CLS], []
        for t in toks:
            first.append(len(ids))
            for w in tok.pre_tokenize(tok.normalize(t, False)):
                ids.extend(wp.word_pieces(w))
        seqs.append(ids + [tok.SEP])
        firsts.append(first)
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(seqs, f)
        p = f.name
    out = subprocess.run(["node", os.path.join(HERE, "ort_check.js"), os.path.join(d, "model.onnx"), p],
                         env=dict(os.environ, NODE_PATH=common.NODE_DIR), capture_output=True, check=True)
    os.unlink(p)
    preds = []
    for flat, s, first in zip(json.loads(out.stdout), seqs, firsts):
        lg = np.array(flat).reshape(len(s), len(labels))
        preds.append([labels[int(lg[j].argmax())] for j in first])
    return preds


def restrict(tags):
    """Tags with every type outside TYPES (here MISC) set to O."""
    return [t if t == "O" or t[2:] in TYPES else "O" for t in tags]


def error_kinds(sents, preds):
    """Counter of error kinds and examples per kind, comparing entity spans.
    Kinds: 'missed T' (no overlapping prediction), 'T as U' (same span, wrong type),
    'T as U, partial' (overlapping span of another type), 'T too short' / 'T too long' /
    'T boundary' (overlapping span of the right type), 'spurious U' (prediction overlapping
    no gold entity); ' at sentence start' is added when the gold (or spurious) span starts
    the sentence."""
    kinds, ex = Counter(), defaultdict(list)

    def add(kind, start, text):
        if start == 0:
            kind += " at sentence start"
        kinds[kind] += 1
        if len(ex[kind]) < 4:
            ex[kind].append(text)

    for (toks, gold), pred in zip(sents, preds):
        gs, ps = data.spans(gold), data.spans(restrict(pred))
        pset = set(ps)
        words = lambda s: " ".join(toks[s[1]:s[2]])
        for g in gs:
            if g in pset:
                continue
            ov = [p for p in ps if p[1] < g[2] and g[1] < p[2]]
            if not ov:
                add(f"missed {g[0]}", g[1], words(g))
                continue
            p = max(ov, key=lambda p: min(p[2], g[2]) - max(p[1], g[1]))
            shown = f"{words(g)} -> " + " | ".join(f"{p2[0]}:{words(p2)}" for p2 in ov)
            if p[0] != g[0]:
                add(f"{g[0]} as {p[0]}" + ("" if (p[1], p[2]) == (g[1], g[2]) else ", partial"), g[1], shown)
            elif p[1] >= g[1] and p[2] <= g[2]:
                add(f"{g[0]} too short", g[1], shown)
            elif p[1] <= g[1] and p[2] >= g[2]:
                add(f"{g[0]} too long", g[1], shown)
            else:
                add(f"{g[0]} boundary", g[1], shown)
        for p in ps:
            if not any(g[1] < p[2] and p[1] < g[2] for g in gs):
                add(f"spurious {p[0]}", p[1], words(p))
    return kinds, ex


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir", nargs="?", default=os.path.join(HERE, "..", "models", "ner"))
    ap.add_argument("--errors", type=int, default=30, help="error kinds to print for encyclopedic_eval")
    args = ap.parse_args()
    d, n_err = args.model_dir, args.errors
    labels = [v for _, v in sorted(json.load(open(os.path.join(d, "config.json")))["id2label"].items(), key=lambda kv: int(kv[0]))]
    vocab = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    wp = tok.WordPiece(vocab, lowercase=False)
    if not os.path.isdir(common.NODE_DIR):
        print("eval_onnx: node modules missing, skipped", file=sys.stderr)
        return
    mpath = os.path.join(d, "metrics.json")
    m = json.load(open(mpath))
    for key, fname in SETS:
        sents = data.read_markup(os.path.join(HERE, "testdata", fname))
        preds = predict(d, labels, wp, sents)
        res = data.prf([g for _, g in sents], [restrict(p) for p in preds], types=TYPES)
        res["sentences"] = len(sents)
        n_misc = sum(1 for p in preds for s in data.spans(p) if s[0] not in TYPES)
        m[key] = res
        print(f"{key} ({len(sents)} sentences, {res['micro']['support']} entities; "
              f"{n_misc} predicted MISC spans ignored):")
        for t in TYPES + ("micro",):
            r = res[t]
            print(f"  {t:5s} P {r['p']:.3f}  R {r['r']:.3f}  F1 {r['f1']:.3f}  (gold {r['support']})")
        if key == "encyclopedic_eval" and n_err > 0:
            kinds, ex = error_kinds(sents, preds)
            print(f"  {sum(kinds.values())} errors; the {n_err} most common kinds:")
            for k, c in kinds.most_common(n_err):
                print(f"  {c:4d}  {k:34s} e.g. " + "; ".join(ex[k]))
    json.dump(m, open(mpath, "w"), indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
