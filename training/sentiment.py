"""Train the default 3-class sentiment model (negative/neutral/positive) and export it
to ../models/sentiment/. Usage: python3 sentiment.py [--epochs N] [--out DIR]

Sets: SENTIMENT_PROTOCOL.md (`load_splits`). Tweets train all three classes with
class-balanced weights; SST-2 and the review sentences, which have no neutral class,
train only the negative-vs-positive logits. A share of the rows is seen with
placeholders for users, hashtags, numbers and name-like words (`Placeholders`), so
that topic words count less. Each member is its best epoch or the average of its last
--swa epochs' weights, whichever scores best on the selection sets; with --members > 1
the members are averaged inside one ONNX graph. Embedding tables are stored as int8
with a scale per row."""
import argparse
import json
import os
import random
import time
import unicodedata
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common
import data
import glove
import tok

SEED = 20261126


class SentimentCNN(nn.Module):
    """GloVe embeddings -> parallel 1-d convolutions (widths 1,3,5) -> masked max and
    mean pooling -> linear. Padding never changes a sequence's logits."""

    def __init__(self, emb, has_glove, widths=(1, 3, 5), channels=256, n_labels=3, dropout=0.5, finetune=False):
        super().__init__()
        v, d = emb.shape
        self.finetune = finetune
        if finetune:
            # Every row trains (sparse updates, small learning rate).
            has_glove = np.zeros_like(has_glove)
        # GloVe rows stay fixed (so words unseen in training keep their meaning); rows
        # of words without a vector are trained. merge() folds both into one table.
        self.register_buffer("fixed", torch.from_numpy(emb * has_glove[:, None]))
        slot = np.zeros(v, dtype=np.int64)
        free = np.nonzero(~has_glove)[0]
        slot[free] = np.arange(1, len(free) + 1)
        slot[0] = 0
        self.register_buffer("slot", torch.from_numpy(slot))
        self.learned = nn.Embedding(len(free) + 1, d, padding_idx=0, sparse=finetune)
        self.learned.weight.data[1:] = torch.from_numpy(emb[free])
        self.learned.weight.data[0] = 0
        self.emb = None
        self.convs = nn.ModuleList([nn.Conv1d(d, channels, w, padding=w // 2) for w in widths])
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(2 * channels * len(widths), n_labels)

    def forward(self, input_ids, attention_mask):
        m = attention_mask.unsqueeze(1).to(torch.float32)  # [B,1,T]
        if self.emb is not None:
            e = self.emb(input_ids)
        else:
            e = self.fixed[input_ids] + self.learned(self.slot[input_ids])
        x = e.transpose(1, 2) * m  # [B,D,T]
        x = self.drop(x)
        feats = []
        n = m.sum(dim=2).clamp(min=1.0)
        for conv in self.convs:
            h = F.relu(conv(x))  # [B,C,T]
            feats.append((h * m - (1.0 - m) * 1e4).max(dim=2).values)
            feats.append((h * m).sum(dim=2) / n)
        return self.out(self.drop(torch.cat(feats, dim=1)))

    def merge(self):
        """Fold the fixed and learned rows into one embedding table for export."""
        w = self.fixed + self.learned.weight.data[self.slot]
        w = w.clone()
        w[0] = 0
        self.emb = nn.Embedding(w.shape[0], w.shape[1], padding_idx=0)
        self.emb.weight.data.copy_(w)
        del self.fixed, self.slot, self.learned


class QuantEmbedding(nn.Module):
    """Embedding table stored as int8 with one float scale per row (symmetric): the
    ONNX graph gathers int8 rows and their scales and multiplies (Gather -> Cast -> Mul),
    a quarter of the float table's size."""

    def __init__(self, weight):
        super().__init__()
        s = weight.abs().max(dim=1, keepdim=True).values / 127.0
        s[s == 0] = 1.0
        self.register_buffer("q", torch.round(weight / s).clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", s.to(torch.float32))

    def forward(self, ids):
        flat = ids.reshape(-1)
        e = torch.index_select(self.q, 0, flat).to(torch.float32) * torch.index_select(self.scale, 0, flat)
        return e.reshape(ids.shape[0], ids.shape[1], self.q.shape[1])


class OutputBias(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(n))


class Ensemble(nn.Module):
    """Mean of the members' logits plus one bias (`out.bias`, zero until calibrate.py
    sets it). Every member is padding-invariant, so the ensemble is too."""

    def __init__(self, members, n_labels=3):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.out = OutputBias(n_labels)

    def forward(self, input_ids, attention_mask):
        s = self.members[0](input_ids, attention_mask)
        for m in self.members[1:]:
            s = s + m(input_ids, attention_mask)
        return s * (1.0 / len(self.members)) + self.out.bias


def average_states(states):
    return {k: (sum(s[k] for s in states) / len(states)) if states[0][k].is_floating_point() else states[-1][k].clone()
            for k in states[0]}


def build_vocab(texts, gwords, size):
    wl = tok.WordLevel({}, lowercase=True)
    cnt = Counter()
    for t in texts:
        cnt.update(wl.words(t))
    gset = set(gwords)
    # Training words seen twice and known to GloVe, or seen 5 times, then frequent
    # GloVe words, up to size.
    words = [w for w, c in cnt.most_common() if (c >= 2 and w in gset) or c >= 5]
    seen = set(words) | set(tok.SPECIALS)
    words = [w for w in words if w not in tok.SPECIALS]
    for w in gwords:
        if len(words) + len(tok.SPECIALS) >= size:
            break
        if w not in seen:
            words.append(w)
            seen.add(w)
    words = words[: size - len(tok.SPECIALS)]
    return {w: i for i, w in enumerate(tok.SPECIALS + words)}


def detok_sst(t):
    """SST-2 is PTB-tokenised; real reviews are not. Undo the common splits."""
    for a, b in ((" n't", "n't"), (" 's", "'s"), (" 're", "'re"), (" 've", "'ve"), (" 'll", "'ll"),
                 (" 'm", "'m"), (" 'd", "'d"), (" ,", ","), (" .", "."), (" !", "!"), (" ?", "?"),
                 (" :", ":"), (" ;", ";"), ("-lrb- ", "("), (" -rrb-", ")")):
        t = t.replace(a, b)
    return t


# ---------------------------------------------------------------- protocol
# The sets of SENTIMENT_PROTOCOL.md, fixed before training. TweetEval val is not
# here: final_eval.py scores it once, for the committed model.
TWEET, BINARY = 0, 1


def load_splits():
    """{"tweet_train", "tweet_selection", "tweet_heldout": [(text, 0..2)],
    "sst2_train", "sst2_selection", "sst2_heldout", "reviews_train": [(text, 0/1)],
    "reviews_heldout": [(text, 0/1, source)], "info": {...}} as the protocol says;
    the sizes are asserted, so a changed data file or split fails loudly."""
    tw_text, tw_lab = data.tweeteval("train")
    tr, sel, held, blocks = data.tweet_splits(len(tw_text))
    rows = lambda idx: [(tw_text[i], tw_lab[i]) for i in idx]
    s = {"tweet_train": rows(tr), "tweet_selection": rows(sel), "tweet_heldout": rows(held)}
    assert blocks == {"selection_blocks": [28000, 31000, 39500, 44500],
                      "heldout_blocks": [25500, 30000, 35000, 40000, 42000, 45000]}, blocks
    assert len(tr) == 40597 and Counter(l for _, l in s["tweet_heldout"]) == {0: 500, 1: 1227, 2: 1273}
    sst_tr, sst_sel, sst_held = data.sst2_sentence_splits()
    assert (len(sst_tr), len(sst_sel), len(sst_held)) == (50275, 400, 1200), (len(sst_tr), len(sst_sel), len(sst_held))
    s.update(sst2_train=sst_tr, sst2_selection=sst_sel, sst2_heldout=sst_held)
    rv_tr, rv_test = data.review_fixtures()
    assert len(rv_test) == 600
    s.update(reviews_train=rv_tr, reviews_heldout=rv_test)
    s["info"] = dict(blocks, tweet_train=len(tr))
    return s


def macro_recall(gold, pred, k=3):
    return float(np.mean(class_recalls(gold, pred, k)))


def class_recalls(gold, pred, k=3):
    gold, pred = np.asarray(gold), np.asarray(pred)
    return [float(((gold == c) & (pred == c)).sum() / max(1, (gold == c).sum())) for c in range(k)]


def eval_rows(logits, gold, kind):
    """Report figures of one set from its logits [N,3]: for tweets macro recall,
    accuracy, per-class recall and the confusion matrix (rows gold, columns
    predicted, label order negative/neutral/positive); for binary sets the accuracy
    of positive-vs-negative score (neutral ignored) and how often neutral wins."""
    lg, gold = np.asarray(logits), np.asarray(gold)
    pred = lg.argmax(1)
    if kind == TWEET:
        conf = [[int(((gold == g) & (pred == p)).sum()) for p in range(3)] for g in range(3)]
        rec = class_recalls(gold, pred)
        return {"macro_recall": round(float(np.mean(rec)), 4), "accuracy": round(float((pred == gold).mean()), 4),
                "recall": {l: round(r, 4) for l, r in zip(data.SENT_LABELS, rec)}, "confusion": conf, "n": int(len(gold))}
    acc = float(((lg[:, 2] > lg[:, 0]).astype(int) == gold).mean())
    return {"binary_accuracy": round(acc, 4), "neutral_argmax_share": round(float((pred == 1).mean()), 4), "n": int(len(gold))}


def best_neutral_offset(lg, gold, grid=None):
    """The offset on the neutral logit (grid -1.5..1.5, step 0.05; 0 wins ties) with
    the best macro recall on tweets: (offset, macro recall)."""
    grid = np.round(np.arange(-1.5, 1.5001, 0.05), 2) if grid is None else grid
    gold = np.asarray(gold)
    best, bo = macro_recall(gold, lg.argmax(1)), 0.0
    for o in sorted(grid, key=abs):
        d = np.array([0.0, o, 0.0])
        mr = macro_recall(gold, (lg + d).argmax(1))
        if mr > best + 1e-9:
            best, bo = mr, float(o)
    return bo, best


# ---------------------------------------------------------------- augmentation
def name_like_words(texts, min_count=3, min_cap=0.6):
    """Lower-cased words written Capitalised (not at a sentence start) in at least
    min_cap of their occurrences in texts, seen min_count times: names, places,
    brands, events (the topic words of the tweets)."""
    cap, tot = Counter(), Counter()
    for t in texts:
        prev = "."
        for w in tok.pre_tokenize(unicodedata.normalize("NFC", t)):
            if w.isalpha() and prev not in (".", "!", "?", ":", '"') and w != "I":
                lw = w.lower()
                tot[lw] += 1
                if w[0].isupper() and not w.isupper():
                    cap[lw] += 1
            prev = w
    return {w for w, n in tot.items() if n >= min_count and cap[w] >= min_cap * n}


URL_WORDS = ["https", ":", "/", "/", "t", ".", "co", "/"]


class Placeholders:
    """Topic-free copies of training texts, at the word level (the tokenizer's
    pre-tokenized words, so every id is one the real tokenizer produces): the word
    after @ or # (a user or hashtag), numbers and name-like words become [UNK], what
    unseen names are at inference; TweetEval's URL placeholder `http` becomes the words
    of a real short link (https://t.co/…) and `@user` (TweetEval's user placeholder)
    becomes `@ [UNK]`, as real handles are."""

    def __init__(self, wl, names):
        self.wl, self.names = wl, names

    def encode(self, text, rng, max_len=128):
        words = self.wl.words(text)
        out = []
        prev = ""
        for w in words:
            if prev in ("@", "#") or any(c.isdigit() for c in w) or w in self.names:
                out.append(tok.UNK)
            elif w == "http":
                out.extend(self.wl.encode_words(URL_WORDS))
                out.append(tok.UNK)
            else:
                out.append(self.wl.vocab.get(w, tok.UNK))
            prev = w
        return [tok.CLS] + out[: max_len - 2] + [tok.SEP]


# ---------------------------------------------------------------- model use
def predict(model, seqs, bs=256):
    model.eval()
    with torch.no_grad():
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        res = [None] * len(seqs)
        for i in range(0, len(order), bs):
            b = order[i:i + bs]
            ids, mask = common.pad([seqs[j] for j in b])
            lg = model(ids, mask)
            for j, row in zip(b, lg):
                res[j] = row.numpy()
    return np.stack(res)


def set_logits(model, sets):
    return {name: predict(model, seqs) for name, (seqs, _, _) in sets.items()}


def metrics_from(lgs, sets):
    return {name: eval_rows(lgs[name], gold, kind) for name, (_, gold, kind) in sets.items()}


def selection_score(lgs, sets):
    """Tweet selection macro recall (after the best neutral offset, since calibrate.py
    sets one on that set) + SST-2 selection binary accuracy (not changed by it)."""
    _, mr = best_neutral_offset(lgs["tweet_selection"], sets["tweet_selection"][1])
    return mr + eval_rows(lgs["sst2_selection"], sets["sst2_selection"][1], BINARY)["binary_accuracy"]


def brief(m):
    out = {}
    for k, v in m.items():
        if "macro_recall" in v:
            out[k] = [v["macro_recall"]] + [v["recall"][l] for l in data.SENT_LABELS]
        else:
            out[k] = v["binary_accuracy"]
    return out


def loss_fn(logits, y, kind, w3, binary_full=False):
    """Tweets: cross-entropy over the 3 classes with class weights w3. Binary rows
    (SST-2, reviews): cross-entropy of the negative-vs-positive logits only, so they
    say which of the two wins and nothing about neutral."""
    if binary_full:
        # The previous recipe, for comparison only: binary rows as 3-class rows
        # labelled negative/positive, with the same class weights.
        return F.cross_entropy(logits, y, weight=w3)
    t = kind == TWEET
    loss = torch.zeros(())
    if t.any():
        loss = loss + F.cross_entropy(logits[t], y[t], weight=w3, reduction="sum") / w3[y[t]].sum() * t.sum()
    b = ~t
    if b.any():
        two = logits[b][:, [0, 2]]
        loss = loss + F.cross_entropy(two, (y[b] > 0).long(), reduction="sum")
    return loss / len(y)


def train_member(k, args, emb, has, X, Y, K, sets, t0, rng0):
    """Trains ensemble member k and returns its selected state: the epoch, or the
    average of the last --swa epochs' weights, with the best selection score."""
    torch.manual_seed(SEED + 7919 * k)
    rng = rng0 if k == 0 else random.Random(SEED + 7919 * k)
    model = SentimentCNN(emb, has, channels=args.channels, finetune=args.finetune > 0, dropout=args.dropout)
    tw = Y[K == TWEET]
    counts = Counter(tw.tolist())
    w3 = torch.tensor([len(tw) / (3 * counts[c]) for c in range(3)]) ** args.weight_power
    print(f"tweet class weights {w3.tolist()}", flush=True)
    dense = [p for n, p in model.named_parameters() if args.finetune <= 0 or not n.startswith("learned")]
    opts = [torch.optim.AdamW(dense, lr=args.lr, weight_decay=args.weight_decay)]
    if args.finetune > 0:
        opts.append(torch.optim.SparseAdam(list(model.learned.parameters()), lr=args.finetune))
    lengths = [len(x) for x in X[0]]
    best, best_state, best_ep = -1.0, None, -1
    recent, log = [], []
    for ep in range(args.epochs):
        model.train()
        tl, nb = 0.0, 0
        for b in common.batches(len(Y), 64, lengths, rng=rng):
            # Each row has a plain and a placeholder encoding; a seeded draw per row
            # and epoch picks the placeholder one with probability --placeholders.
            seqs = [X[1][i] if rng.random() < args.placeholders else X[0][i] for i in b]
            ids, mask = common.pad(seqs)
            loss = loss_fn(model(ids, mask), Y[b], K[b], w3, args.binary_loss == "full")
            for o in opts:
                o.zero_grad()
            loss.backward()
            for o in opts:
                o.step()
            tl += loss.item()
            nb += 1
        lgs = set_logits(model, sets)
        sel = selection_score(lgs, sets)
        sm = {n: v for n, v in brief(metrics_from(lgs, sets)).items() if "selection" in n}
        print(f"member {k} epoch {ep} loss {tl / nb:.4f} sel {sel:.4f} {json.dumps(sm)} {time.time() - t0:.0f}s", flush=True)
        log.append({"epoch": ep, "loss": round(tl / nb, 4), "selection_score": round(sel, 4)})
        state = {kk: v.clone() for kk, v in model.state_dict().items()}
        if args.swa > 1:
            recent = (recent + [state])[-args.swa:]
        if sel > best:
            best, best_state, best_ep = sel, state, ep
        if args.minutes > 0 and time.time() - t0 > args.minutes * 60:
            break
    if args.swa > 1 and len(recent) > 1:
        model.load_state_dict(average_states(recent))
        lgs = set_logits(model, sets)
        sel = selection_score(lgs, sets)
        print(f"member {k} swa{len(recent)} sel {sel:.4f} {time.time() - t0:.0f}s", flush=True)
        log.append({"epoch": f"swa{len(recent)}", "selection_score": round(sel, 4)})
        if sel > best:
            best, best_state, best_ep = sel, {kk: v.clone() for kk, v in model.state_dict().items()}, f"swa{len(recent)}"
    model.load_state_dict(best_state)
    model.merge()
    return model, best_ep, ep + 1, log


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=0.0, help="stop after the epoch that passes M minutes (0 = no limit; a limit makes runs depend on speed)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--vocab", type=int, default=45000)
    ap.add_argument("--channels", type=int, default=256)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--weight-decay", type=float, default=0.01, help="AdamW decoupled weight decay of the dense weights")
    ap.add_argument("--finetune", type=float, default=5e-4, help="embedding learning rate; 0 = GloVe rows fixed")
    ap.add_argument("--weight-power", type=float, default=1.0, help="tweet class weights (inverse frequency)^P; 1 = balanced")
    ap.add_argument("--placeholders", type=float, default=0.4, help="share of training rows seen with placeholders for users, hashtags, numbers, names")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--binary-loss", choices=["two-logit", "full"], default="two-logit",
                    help="SST-2/review rows: cross-entropy of the negative/positive logits only, or (the previous recipe, for comparison) 3-class")
    ap.add_argument("--members", type=int, default=2, help="ensemble size (members averaged inside one graph)")
    ap.add_argument("--swa", type=int, default=3, help="also consider the average of the last N epochs' weights")
    ap.add_argument("--float-embeddings", dest="quant", action="store_false",
                    help="keep float embedding tables (default: int8 + per-row scale)")
    ap.add_argument("--debug-limit", type=int, default=0, help="smoke tests: train on about N rows only")
    ap.add_argument("--out", default=os.path.join(common.HERE, "..", "models", "sentiment"))
    ap.add_argument("--testdata", default=os.path.join(common.HERE, "..", "models", "testdata"))
    args = ap.parse_args()
    common.seed_all(SEED)
    rng = random.Random(SEED)
    t0 = time.time()

    s = load_splits()
    train = []  # (text, label 0..2, kind)
    for t, l in s["tweet_train"]:
        train.append((data.unescape_tweet(t) if rng.random() < 0.5 else t, l, TWEET))
    for t, l in s["sst2_train"]:
        train.append((detok_sst(t) if rng.random() < 0.5 else t, 2 * l, BINARY))
    for t, l in s["reviews_train"]:
        train.append((t, 2 * l, BINARY))

    gwords, gvecs = glove.load()
    vocab = build_vocab([t for t, _, _ in train], gwords, args.vocab)
    wl = tok.WordLevel(vocab, lowercase=True)
    emb, has = common.glove_matrix(tok.SPECIALS + list(vocab)[len(tok.SPECIALS):], gwords, gvecs, seed=SEED)
    names = name_like_words([t for t, _, k in train if k == TWEET] + [t for t, _ in s["reviews_train"]])
    print(f"vocab {len(vocab)}, glove coverage {has.mean():.3f}, name-like words {len(names)}", flush=True)
    ph = Placeholders(wl, names)

    enc = lambda ts: [wl.encode(t, max_len=128) for t in ts]
    if args.debug_limit:
        train = train[:: max(1, len(train) // args.debug_limit)]
    X = (enc([t for t, _, _ in train]), [ph.encode(t, rng) for t, _, _ in train])
    Y = torch.tensor([l for _, l, _ in train])
    K = torch.tensor([k for _, _, k in train])
    sets = {}
    for name in ("tweet_selection", "sst2_selection", "tweet_heldout", "sst2_heldout", "reviews_heldout"):
        rows = s[name]
        sets[name] = (enc([r[0] for r in rows]), [r[1] for r in rows], TWEET if name.startswith("tweet") else BINARY)
    # Selection sees only the selection sets.
    sel_sets = {n: v for n, v in sets.items() if "selection" in n}

    members, selected, logs = [], [], []
    for k in range(args.members):
        mk, sel_ep, n_ep, log = train_member(k, args, emb, has, X, Y, K, sel_sets, t0, rng)
        members.append(mk)
        selected.append(sel_ep)
        logs.append(log)
    if args.quant:
        for mk in members:
            mk.emb = QuantEmbedding(mk.emb.weight.data)
    model = members[0] if len(members) == 1 else Ensemble(members)
    lgs = set_logits(model, sets)
    metrics = {"sets": metrics_from(lgs, sets), "selection_score": round(selection_score(lgs, sets), 4)}
    metrics["selected_epoch"] = selected[0] if len(selected) == 1 else selected
    metrics["epochs"] = n_ep
    metrics["members"] = len(members)
    metrics["epoch_log"] = logs
    metrics["train_seconds"] = round(time.time() - t0)
    metrics["protocol"] = s["info"]
    metrics["train_rows"] = {"tweets": len(s["tweet_train"]), "sst2": len(s["sst2_train"]), "reviews": len(s["reviews_train"]),
                             "name_like_words": len(names)}
    metrics["recipe"] = {"members": len(members), "epochs": args.epochs, "swa": args.swa, "lr": args.lr,
                         "weight_decay": args.weight_decay, "dropout": args.dropout, "finetune_lr": args.finetune,
                         "tweet_class_weight_power": args.weight_power, "placeholder_share": args.placeholders,
                         "int8_embeddings": args.quant, "channels": args.channels, "binary_loss": args.binary_loss}
    # Only the selection figures are printed: held-out figures are read from
    # metrics.json for the runs listed in the model card.
    print("final", json.dumps({n: v for n, v in brief(metrics["sets"]).items() if "selection" in n}),
          "selection score", metrics["selection_score"], flush=True)

    os.makedirs(args.out, exist_ok=True)
    common.export_onnx(model, os.path.join(args.out, "model.onnx"), vocab=len(vocab))
    tok.save(wl, os.path.join(args.out, "tokenizer.json"))
    labels = data.SENT_LABELS
    cfg = {
        "architectures": ["SentimentCNN" if len(members) == 1 else "SentimentCNNEnsemble"],
        "model_type": "nlpscope-cnn",
        "task": "sentiment",
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)},
        "num_labels": 3,
        "max_position_embeddings": tok.MAX_LEN,
        "vocab_size": len(vocab),
        "hidden_size": 100,
        "problem_type": "single_label_classification",
    }
    json.dump(cfg, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    json.dump(metrics, open(os.path.join(args.out, "metrics.json"), "w"), indent=2, sort_keys=True)

    # Checks: HF tokenizer ids equal ours; ORT logits equal torch logits.
    th, sh, rh = s["tweet_heldout"], s["sst2_heldout"], s["reviews_heldout"]
    sample = [t for t, _ in th[:300]] + [t for t, _ in sh[:200]] + [t for t, _, _ in rh[:100]]
    common.cross_check(os.path.join(args.out, "tokenizer.json"), os.path.join(args.out, "model.onnx"),
                       sample, wl.encode, lambda q: predict(model, [q])[0])

    # Held-out sample for the Go tests: tweet and SST-2 held-out rows (never trained
    # on, never used for selection).
    os.makedirs(args.testdata, exist_ok=True)
    common.write_token_golden(os.path.join(args.testdata, "sentiment_tokens.jsonl"),
                              [t for t, _ in th[:40]] + [t for t, _ in sh[:20]] + [t for t, _, _ in rh[:20]], wl.encode)
    r2 = random.Random(SEED)
    tv = list(th)
    r2.shuffle(tv)
    st = list(sh)
    r2.shuffle(st)
    rows = [{"text": data.unescape_tweet(t).strip(), "label": labels[l], "source": "tweet_heldout"} for t, l in tv[:120]]
    rows += [{"text": t, "label": labels[2 * l], "source": "sst2_heldout"} for t, l in st[:80]]
    with open(os.path.join(args.testdata, "sentiment_heldout.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
