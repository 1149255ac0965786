"""Loading and splitting of the training data in ../../shared/data (see its SOURCES.md)
and the npm `sentiment` fixtures. Every split is seeded and deterministic."""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("NLPSCOPE_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
CACHE = os.environ.get("NLPSCOPE_CACHE", os.path.join(HERE, ".cache"))

SENT_LABELS = ["negative", "neutral", "positive"]
NER_TYPES = ["PER", "ORG", "LOC", "MISC"]
NER_LABELS = ["O"] + [f"{p}-{t}" for t in NER_TYPES for p in ("B", "I")]


def _lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def unescape_tweet(t):
    return t.replace("\\u002c", ",").replace("\\u2019", "\u2019")


# ---------------------------------------------------------------- sentiment
def tweeteval(split):
    d = os.path.join(DATA, "sentiment", "tweeteval")
    texts = _lines(os.path.join(d, f"{split}_text.txt"))
    labels = [int(x) for x in _lines(os.path.join(d, f"{split}_labels.txt"))]
    assert len(texts) == len(labels)
    return texts, labels


def sst2_splits(n_heldout=1500, seed=13):
    """SST-2 train rows (phrases and sentences), split so that no training phrase is a
    sub-phrase of a held-out sentence: held-out rows are full sentences (>= 12 words),
    and every row whose text occurs inside a held-out sentence is dropped from train."""
    rows = _lines(os.path.join(DATA, "sentiment", "sst2", "train.tsv"))[1:]
    data = []
    for r in rows:
        t, l = r.rsplit("\t", 1)
        data.append((t.strip(), int(l)))
    rng = random.Random(seed)
    long_idx = [i for i, (t, _) in enumerate(data) if len(t.split()) >= 12]
    rng.shuffle(long_idx)
    held = set(long_idx[:n_heldout])
    held_texts = [data[i][0] for i in sorted(held)]
    grams = set()
    for t in held_texts:
        w = t.split()
        for i in range(len(w)):
            for j in range(i + 1, len(w) + 1):
                grams.add(" ".join(w[i:j]))
    train = [(t, l) for i, (t, l) in enumerate(data) if i not in held and t not in grams]
    test = [data[i] for i in sorted(held)]
    return train, test


def review_fixtures(seed=13, heldout_frac=0.2):
    """npm sentiment@5.0.2 test/fixtures amazon/imdb/yelp (binary, 0 neg / 1 pos)."""
    train, test = [], []
    for name in ("amazon", "imdb", "yelp"):
        p = os.path.join(CACHE, "sent", "package", "test", "fixtures", f"{name}.json")
        rows = [(r["text"], int(r["class"])) for r in json.load(open(p, encoding="utf-8")) if r.get("class") in (0, 1)]
        rng = random.Random(f"{seed}-{name}")
        rng.shuffle(rows)
        k = int(len(rows) * heldout_frac)
        test += [(t, l, name) for t, l in rows[:k]]
        train += rows[k:]
    return train, test


# ---------------------------------------------------------------- NER
def read_conll(path, sep="\t", col=-1):
    sents, toks, tags = [], [], []
    for line in _lines(path):
        if line.startswith("-DOCSTART-"):
            continue
        if not line.strip():
            if toks:
                sents.append((toks, tags))
            toks, tags = [], []
            continue
        parts = line.split(sep) if sep else line.split()
        toks.append(parts[0])
        tags.append(parts[col])
    if toks:
        sents.append((toks, tags))
    return sents


def io_to_bio(tags):
    out, prev = [], "O"
    for t in tags:
        if t == "O":
            out.append("O")
        else:
            typ = t[2:]
            out.append(("I-" if prev != "O" and prev[2:] == typ else "B-") + typ)
        prev = t
    return out


WNUT_MAP = {"person": "PER", "location": "LOC", "corporation": "ORG", "group": "ORG"}


def map_wnut(tags):
    out = []
    for t in tags:
        if t == "O":
            out.append("O")
            continue
        p, typ = t.split("-", 1)
        m = WNUT_MAP.get(typ)
        out.append(f"{p}-{m}" if m else "O")
    # An I- after a dropped type becomes B-.
    fixed, prev = [], "O"
    for t in out:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t = "B-" + t[2:]
        fixed.append(t)
        prev = t
    return fixed


def ner_sources(seed=13):
    """{source: (train, heldout)} with sentences as (tokens, BIO tags)."""
    rng = random.Random(seed)
    out = {}
    btc = []
    for s in "abefgh":
        btc += read_conll(os.path.join(DATA, "ner", "btc", f"{s}.conll"))
    rng.shuffle(btc)
    k = len(btc) // 10
    out["btc"] = (btc[k:], btc[:k])
    wtr = [(t, map_wnut(g)) for t, g in read_conll(os.path.join(DATA, "ner", "wnut17", "wnut17train.conll"))]
    wdev = [(t, map_wnut(g)) for t, g in read_conll(os.path.join(DATA, "ner", "wnut17", "emerging.dev.conll"))]
    out["wnut17"] = (wtr, wdev)
    sec = [(t, io_to_bio(g)) for t, g in read_conll(os.path.join(DATA, "ner", "sec_filings", "FIN5.txt"), sep=None)]
    rng.shuffle(sec)
    k = len(sec) * 15 // 100
    out["sec"] = (sec[k:], sec[:k])
    return out


def spans(tags):
    """Entity spans (type, start, end) from BIO tags, end exclusive; stray I- starts a span."""
    res, cur = [], None
    for i, t in enumerate(tags + ["O"]):
        if t == "O" or t.startswith("B-") or (t.startswith("I-") and (cur is None or cur[0] != t[2:])):
            if cur is not None:
                res.append((cur[0], cur[1], i))
                cur = None
            if t != "O":
                cur = (t[2:], i)
    return res


def prf(gold_seqs, pred_seqs, types=("PER", "ORG", "LOC", "MISC")):
    """Entity-level exact-match precision/recall/F1 per type and micro."""
    from collections import Counter
    tp, np_, ng = Counter(), Counter(), Counter()
    for g, p in zip(gold_seqs, pred_seqs):
        gs, ps = set(spans(g)), set(spans(p))
        for s in gs:
            ng[s[0]] += 1
        for s in ps:
            np_[s[0]] += 1
            if s in gs:
                tp[s[0]] += 1
    res = {}
    for t in list(types) + ["micro"]:
        if t == "micro":
            a, b, c = sum(tp.values()), sum(np_.values()), sum(ng.values())
        else:
            a, b, c = tp[t], np_[t], ng[t]
        p = a / b if b else 0.0
        r = a / c if c else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        res[t] = {"p": round(p, 4), "r": round(r, 4), "f1": round(f, 4), "support": c}
    return res


def read_markup(path):
    """Sentences written as 'text [TYPE entity words] text', one per line -> (tokens, BIO tags)."""
    out = []
    for line in _lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        toks, tags, typ, first = [], [], None, False
        for w in line.split():
            if w.startswith("[") and typ is None:
                typ, first = w[1:], True
                continue
            end = w.endswith("]") and typ is not None
            if end:
                w = w[:-1]
            toks.append(w)
            tags.append(("B-" if first else "I-") + typ if typ else "O")
            first = False
            if end:
                typ = None
        out.append((toks, tags))
    return out
