"""Scores the exported NER model (through ONNX Runtime, npm onnxruntime-node) on the
hand-written encyclopedic sanity sentences and records the result in metrics.json.
Usage: python3 eval_onnx.py [model_dir]"""
import json
import os
import sys

import numpy as np

import common
import data
import tok

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "models", "ner")
    labels = [v for _, v in sorted(json.load(open(os.path.join(d, "config.json")))["id2label"].items(), key=lambda kv: int(kv[0]))]
    vocab = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    wp = tok.WordPiece(vocab, lowercase=False)
    sents = data.read_markup(os.path.join(HERE, "testdata", "encyclopedic_sanity.txt"))
    seqs, firsts = [], []
    for toks, _ in sents:
        ids, first = [tok.CLS], []
        for t in toks:
            first.append(len(ids))
            for w in tok.pre_tokenize(tok.normalize(t, False)):
                ids.extend(wp.word_pieces(w))
        seqs.append(ids + [tok.SEP])
        firsts.append(first)
    if not os.path.isdir(common.NODE_DIR):
        print("eval_onnx: node modules missing, skipped", file=sys.stderr)
        return
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
    res = data.prf([g for _, g in sents], preds)
    mpath = os.path.join(d, "metrics.json")
    m = json.load(open(mpath))
    m["encyclopedic_sanity"] = res
    json.dump(m, open(mpath, "w"), indent=2, sort_keys=True)
    print("encyclopedic sanity set:", json.dumps(res))


if __name__ == "__main__":
    main()
