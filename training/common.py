"""Shared training helpers: seeding, GloVe-initialised embeddings, ONNX export checks."""
import json
import os
import random

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.environ.get("NLPSCOPE_NODE_MODULES", os.path.join(HERE, ".cache", "node", "node_modules"))


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(int(os.environ.get("NLPSCOPE_THREADS", "1")))


def glove_matrix(vocab_list, glove_words, glove_vecs, key=lambda w: w, seed=0):
    """Rows for vocab_list: GloVe vector of key(word) where present, else small random.
    Returns (matrix float32 [V,100], has_glove bool [V])."""
    index = {w: i for i, w in enumerate(glove_words)}
    rng = np.random.RandomState(seed)
    scale = float(glove_vecs[:20000].std())
    m = (rng.randn(len(vocab_list), glove_vecs.shape[1]) * scale * 0.5).astype(np.float32)
    has = np.zeros(len(vocab_list), dtype=bool)
    for i, w in enumerate(vocab_list):
        j = index.get(key(w))
        if j is not None:
            m[i] = glove_vecs[j]
            has[i] = True
    m[0] = 0.0  # [PAD]
    return m, has


def batches(n, bs, lengths=None, shuffle=True, rng=None):
    """Index batches; with lengths, bucketed by length so padding is small."""
    idx = list(range(n))
    if shuffle:
        rng.shuffle(idx)
    if lengths is not None:
        chunks = [idx[i:i + bs * 50] for i in range(0, n, bs * 50)]
        idx = [j for c in chunks for j in sorted(c, key=lambda k: lengths[k])]
    out = [idx[i:i + bs] for i in range(0, n, bs)]
    if shuffle:
        rng.shuffle(out)
    return out


def pad(seqs, value=0):
    t = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), t), value, dtype=torch.long)
    mask = torch.zeros((len(seqs), t), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask


def export_onnx(model, path, example_len=12, vocab=1000, token_level=False):
    model.eval()
    ids = torch.randint(5, vocab, (2, example_len))
    mask = torch.ones_like(ids)
    mask[1, example_len - 4:] = 0
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "logits": {0: "batch", 1: "sequence"} if token_level else {0: "batch"}}
    kw = {}
    if int(torch.__version__.split(".")[0]) >= 2:
        kw["dynamo"] = False  # the TorchScript exporter, as in torch 1.13
    torch.onnx.export(model, (ids, mask), path, input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], dynamic_axes=axes, opset_version=14,
                      do_constant_folding=True, **kw)
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    # Strip the doc strings and make the file byte-reproducible.
    m.producer_name = "nlpscope-training"
    m.producer_version = "1"
    for n in m.graph.node:
        n.doc_string = ""
    onnx.save(m, path)


def cross_check(tok_path, model_path, texts, encode, predict_one):
    texts = TRICKY + list(texts)
    """Checks the exported folder against Hugging Face tokenizers and ONNX Runtime:
    the Python packages when installed, else their npm bindings under NODE_DIR."""
    ids = [encode(t) for t in texts]
    seqs = ids[:40]
    expected = [predict_one(s) for s in seqs]
    try:
        import onnxruntime
        import tokenizers
    except ImportError:
        onnxruntime = tokenizers = None
    if tokenizers is not None:
        tk = tokenizers.Tokenizer.from_file(tok_path)
        bad = [(t, a) for t, a in zip(texts, ids) if tk.encode(t).ids != a]
        sess = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        diff = 0.0
        for s, e in zip(seqs, expected):
            a = np.array([s], dtype=np.int64)
            got = sess.run(["logits"], {"input_ids": a, "attention_mask": np.ones_like(a)})[0][0]
            diff = max(diff, float(np.abs(got - e).max()))
    elif os.path.isdir(NODE_DIR):
        import tok
        _, bad = tok.check_with_hf(tok_path, texts, ids, NODE_DIR)
        diff = ort_check(model_path, seqs, expected)
    else:
        print("cross-check skipped: neither Python tokenizers/onnxruntime nor", NODE_DIR, flush=True)
        return
    print(f"cross-check: tokenizer ids equal Hugging Face on {len(texts) - len(bad)}/{len(texts)} texts; "
          f"ONNX Runtime vs torch max |diff| {diff:.2e}", flush=True)
    assert not bad, bad[:3]
    assert diff < 1e-3, diff


def ort_check(model_path, seqs, expected, atol=1e-4):
    """Run the exported model with ONNX Runtime (npm onnxruntime-node) on each sequence
    alone and compare with expected logits (list of arrays). Returns max abs diff."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(seqs, f)
        p = f.name
    out = subprocess.run(["node", os.path.join(HERE, "ort_check.js"), model_path, p],
                         env=dict(os.environ, NODE_PATH=NODE_DIR), capture_output=True, check=True)
    os.unlink(p)
    got = json.loads(out.stdout)
    diff = 0.0
    for g, e in zip(got, expected):
        diff = max(diff, float(np.abs(np.array(g, dtype=np.float32).reshape(np.shape(e)) - e).max()))
    return diff


TRICKY = [
    "Caf\u00e9 cafe\u0301 na\u00efve \u00c5ngstr\u00f6m", "I \u2764\ufe0f NY!!! \U0001F600\U0001F44D", "don't won't can't", "@user #blessed http://t.co/abc",
    "  leading and   multiple   spaces\t\ttabs\nnewline ", "\u00a0nbsp\u2009thin\u3000ideographic", "ALL CAPS SHOUTING",
    "Dr. Smith-Jones (Ph.D.) paid $1,234.56 -- 50% off!", "\u4e2d\u6587\u5b57\u7b26 and \u65e5\u672c\u8a9e", "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
    "supercalifragilisticexpialidocious" * 4, "x" * 120, "A\x1cB\x1fC\u200bD", "\u2019quoted\u2019 \u201cdouble\u201d \u2014 dash",
    "Won the match #getin . Plus\\u002c tomorrow", "Barack Obama met Angela Merkel in Berlin.", "iPhone McDonald's O'Neill eBay",
]


def write_token_golden(path, texts, encode):
    """text + ids lines for the Go tokenizer parity test (ids from the checked encoder)."""
    with open(path, "w", encoding="utf-8") as f:
        for t in TRICKY + texts:
            f.write(json.dumps({"text": t, "ids": encode(t)}, ensure_ascii=False) + "\n")
