"""Scores an exported sentiment model folder on the protocol's sets through ONNX
Runtime (SENTIMENT_PROTOCOL.md; TweetEval val is final_eval.py's) and prints JSON.
Used for the comparison with the previous default model in the card
(sentiment_baseline.json). Usage: python3 heldout_eval.py MODEL_DIR"""
import json
import sys

import calibrate

if __name__ == "__main__":
    res, _ = calibrate.score_dir(sys.argv[1])
    print(json.dumps(res, indent=2, sort_keys=True))
