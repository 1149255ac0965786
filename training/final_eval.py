"""The protocol's last step (SENTIMENT_PROTOCOL.md): scores TweetEval val (official
validation split, 2,000 tweets) once, for the model to be committed, through ONNX
Runtime, and records it in metrics.json as `tweeteval_val_final`. Refuses to run
again on a model that already has the figure (--force for a new model file only).
Usage: python3 final_eval.py [model_dir] [--force]"""
import hashlib
import json
import os
import sys

import calibrate
import data
import sentiment

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    args = [a for a in sys.argv[1:] if a != "--force"]
    d = args[0] if args else os.path.join(HERE, "..", "models", "sentiment")
    mp = os.path.join(d, "metrics.json")
    met = json.load(open(mp))
    digest = hashlib.sha256(open(os.path.join(d, "model.onnx"), "rb").read()).hexdigest()
    if "tweeteval_val_final" in met and "--force" not in sys.argv[1:]:
        raise SystemExit(f"TweetEval val was already scored for this model: {met['tweeteval_val_final']}")
    if met.get("tweeteval_val_final", {}).get("model_sha256") == digest:
        raise SystemExit("TweetEval val was already scored for this very model file")
    texts, labels = data.tweeteval("val")
    lg = calibrate.ort_logits(os.path.join(d, "model.onnx"), calibrate.encoder(d)(texts))
    r = sentiment.eval_rows(lg, labels, sentiment.TWEET)
    r["model_sha256"] = digest
    met["tweeteval_val_final"] = r
    json.dump(met, open(mp, "w"), indent=2, sort_keys=True)
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
