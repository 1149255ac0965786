"""Calibration of the exported sentiment model on tweets only: one offset on the
neutral logit (added to the output bias `out.bias` of the final Gemm), the one with
the best macro recall on the tweet selection set (SENTIMENT_PROTOCOL.md). The binary
sets have no neutral class and play no part in it; an offset on the neutral logit
leaves their positive-vs-negative figures unchanged. Then every protocol set is
re-scored through ONNX Runtime and metrics.json is updated (`sets`, and the figures
before the offset in `uncalibrated`).
Usage: python3 calibrate.py [model_dir]"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

import common
import sentiment
import tok

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT_SETS = ("tweet_selection", "sst2_selection", "tweet_heldout", "sst2_heldout", "reviews_heldout")


def ort_logits(model_path, seqs):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(seqs, f)
        p = f.name
    out = subprocess.run(["node", os.path.join(HERE, "ort_check.js"), model_path, p],
                         env=dict(os.environ, NODE_PATH=common.NODE_DIR), capture_output=True, check=True)
    os.unlink(p)
    return np.array(json.loads(out.stdout), dtype=np.float64)


def encoder(d):
    vocab = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    wl = tok.WordLevel(vocab, lowercase=True)
    return lambda ts: [wl.encode(t, max_len=128) for t in ts]


def score_dir(d, names=REPORT_SETS, splits=None):
    """{set: eval_rows figures} of the ONNX model in d on the protocol's sets, through
    ONNX Runtime (what the engine runs), plus the logits."""
    s = splits or sentiment.load_splits()
    enc = encoder(d)
    res, lgs = {}, {}
    for n in names:
        rows = s[n]
        lg = ort_logits(os.path.join(d, "model.onnx"), enc([r[0] for r in rows]))
        kind = sentiment.TWEET if n.startswith("tweet") else sentiment.BINARY
        res[n], lgs[n] = sentiment.eval_rows(lg, [r[1] for r in rows], kind), lg
    return res, lgs


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "models", "sentiment")
    mpath = os.path.join(d, "model.onnx")
    s = sentiment.load_splits()
    before, lgs = score_dir(d, ("tweet_selection",), s)
    off, mr = sentiment.best_neutral_offset(lgs["tweet_selection"], [r[1] for r in s["tweet_selection"]])
    print(f"neutral offset {off:+.2f}: tweet selection macro recall {before['tweet_selection']['macro_recall']:.4f} -> {mr:.4f}", flush=True)
    met = json.load(open(os.path.join(d, "metrics.json")))
    met["uncalibrated"] = met["sets"]
    if off != 0.0:
        m = onnx.load(mpath)
        for init in m.graph.initializer:
            if init.name == "out.bias":
                b = numpy_helper.to_array(init).astype(np.float32) + np.array([0.0, off, 0.0], dtype=np.float32)
                init.CopyFrom(numpy_helper.from_array(b, "out.bias"))
                break
        else:
            raise SystemExit("no out.bias initializer in " + mpath)
        onnx.save(m, mpath)
    met["neutral_offset"] = off
    met["sets"], _ = score_dir(d, REPORT_SETS, s)
    json.dump(met, open(os.path.join(d, "metrics.json"), "w"), indent=2, sort_keys=True)
    print("calibrated selection:", json.dumps({n: v for n, v in sentiment.brief(met["sets"]).items() if "selection" in n}), flush=True)


if __name__ == "__main__":
    main()
