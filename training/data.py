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


def _sst2_rows():
    rows = _lines(os.path.join(DATA, "sentiment", "sst2", "train.tsv"))[1:]
    out = []
    for r in rows:
        t, l = r.rsplit("\t", 1)
        out.append((t.strip(), int(l)))
    return out


def _subphrases(words, proper=False):
    n = len(words)
    for i in range(n):
        for j in range(i + 1, n + 1):
            if not proper or j - i < n:
                yield " ".join(words[i:j])


def sst2_sentence_splits(n_sel=400, n_heldout=1200, seed=13):
    """SST-2 (GLUE train: sentences and all their sub-phrases) split by sentence.

    A sentence is a row that occurs inside no other row (word-level containment);
    there are 6,886, about SST's 6,920 training sentences. Held-out sentences are a
    seeded sample of them (n_sel for selection, n_heldout for reporting); every row
    that occurs inside any held-out or selection sentence (its phrases, and the
    sentence itself) is dropped from train, so no phrase of a held-out sentence is
    trained on. Returns (train rows, selection sentences, held-out sentences), each a
    list of (text, 0/1) in file order."""
    data = _sst2_rows()
    uniq = sorted({t for t, _ in data})
    sub = set()
    for t in uniq:
        w = t.split()
        if len(w) > 1:
            sub.update(_subphrases(w, proper=True))
    label = {}
    for t, l in data:
        label.setdefault(t, l)
    sentences = [t for t in uniq if t not in sub]
    rng = random.Random(seed)
    rng.shuffle(sentences)
    sel, held = set(sentences[:n_sel]), set(sentences[n_sel:n_sel + n_heldout])
    blocked = set()
    for t in sel | held:
        blocked.update(_subphrases(t.split()))
    train = [(t, l) for t, l in data if t not in blocked]
    order = {t: i for i, (t, _) in reversed(list(enumerate(data)))}
    pick = lambda s: [(t, label[t]) for t in sorted(s, key=order.get)]
    return train, pick(sel), pick(held)


# TweetEval train follows the SemEval source files (2013 ... 2016 test); from about
# row 25,000 on it is SemEval-2016 test, the latest period, grouped by topic. Tweet
# selection and held-out sets are whole blocks of 500 consecutive tweets from there,
# so most of their topics (names, events) are absent from the training tweets.
TWEET_BLOCK = 500
TWEET_BLOCK_FROM = 25000


def tweet_splits(n_total, n_sel_blocks=4, n_held_blocks=6, seed=13):
    """(train, selection, held-out) row indices of TweetEval train: seeded choice of
    n_held_blocks + n_sel_blocks blocks of TWEET_BLOCK consecutive rows at or after
    TWEET_BLOCK_FROM; the rest is train."""
    starts = list(range(TWEET_BLOCK_FROM, n_total - TWEET_BLOCK + 1, TWEET_BLOCK))
    rng = random.Random(seed)
    rng.shuffle(starts)
    held_b, sel_b = sorted(starts[:n_held_blocks]), sorted(starts[n_held_blocks:n_held_blocks + n_sel_blocks])
    held = [i for s in held_b for i in range(s, s + TWEET_BLOCK)]
    sel = [i for s in sel_b for i in range(s, s + TWEET_BLOCK)]
    taken = set(held) | set(sel)
    train = [i for i in range(n_total) if i not in taken]
    return train, sel, held, {"selection_blocks": sel_b, "heldout_blocks": held_b}


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
