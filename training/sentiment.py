"""Train the default 3-class sentiment model (negative/neutral/positive) and export it
to ../models/sentiment/. Usage: python3 sentiment.py [--minutes M] [--out DIR]

The exported model is an ensemble of --members CNNs that differ only in their seed
(initialisation, dropout, batch order), averaged inside one ONNX graph; each member is
its best epoch or the average of its last --swa epochs' weights, whichever scores best
on the selection sets. Embedding tables are stored as int8 with a scale per row."""
import argparse
import json
import os
import random
import time
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


def macro_recall(gold, pred, k=3):
    r = []
    for c in range(k):
        idx = [i for i, g in enumerate(gold) if g == c]
        r.append(sum(1 for i in idx if pred[i] == c) / max(1, len(idx)))
    return sum(r) / k


def predict(model, seqs, bs=256):
    model.eval()
    out = []
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
    return {name: predict(model, seqs) for name, (seqs, _) in sets.items()}


def metrics_from(lgs, sets):
    m = {}
    lg, gold = lgs["tweet_val"], sets["tweet_val"][1]
    m["tweeteval_val_macro_recall"] = macro_recall(gold, list(lg.argmax(1)))
    m["tweeteval_val_accuracy"] = float((lg.argmax(1) == np.array(gold)).mean())
    for name in ("sst2_heldout", "reviews_heldout", "tweet_dev_binary"):
        if name not in sets:
            continue
        lg, gold = lgs[name], sets[name][1]
        pred = (lg[:, 2] > lg[:, 0]).astype(int)
        m[f"{name}_binary_accuracy"] = float((pred == np.array(gold)).mean())
    if "tweet_dev" in sets:
        m["tweet_dev_macro_recall"] = macro_recall(sets["tweet_dev"][1], list(lgs["tweet_dev"].argmax(1)))
    if "sst2_dev" in sets:
        lg = lgs["sst2_dev"]
        m["sst2_dev_binary_accuracy"] = float(((lg[:, 2] > lg[:, 0]).astype(int) == np.array(sets["sst2_dev"][1])).mean())
    return {k: round(float(v), 4) for k, v in m.items()}


def evaluate(model, sets):
    return metrics_from(set_logits(model, sets), sets)


def selection_score(m):
    return m["tweet_dev_macro_recall"] + m["sst2_dev_binary_accuracy"]


GRID = np.round(np.arange(-1.0, 1.0001, 0.05), 2)


def calibrated_selection_score(lgs, sets):
    """The selection score after the best output-bias offsets (negative, neutral) on the
    grid that calibrate.py searches: the exported model is calibrated, so candidates are
    ranked by what they score after calibration, not by their raw class balance."""
    lt, yt = lgs["tweet_dev"], np.array(sets["tweet_dev"][1])
    ls, ys = lgs["sst2_dev"], np.array(sets["sst2_dev"][1])
    a, b = np.meshgrid(GRID, GRID, indexing="ij")
    d = np.stack([a.ravel(), b.ravel(), np.zeros(a.size)], axis=1)  # [G,3]
    pred = (lt[None, :, :] + d[:, None, :]).argmax(2)  # [G,N]
    rec = np.stack([((pred == c) & (yt == c)).sum(1) / max(1, (yt == c).sum()) for c in range(3)], 1).mean(1)
    acc = (((ls[None, :, 2] + d[:, 2:3]) > (ls[None, :, 0] + d[:, 0:1])).astype(int) == ys).mean(1)
    return float((rec + acc).max())


def train_member(k, args, emb, has, X, Y, sets, t0, dump, rng0):
    """Trains ensemble member k (k = 0 reproduces the single model's seeding) and
    returns its selected state: the epoch, or the average of the last --swa epochs'
    weights, with the best calibrated selection score."""
    torch.manual_seed(SEED + 7919 * k)
    rng = rng0 if k == 0 else random.Random(SEED + 7919 * k)
    model = SentimentCNN(emb, has, channels=args.channels, finetune=args.finetune > 0)
    counts = Counter(Y.tolist())
    w = torch.tensor([len(Y) / (3 * counts[c]) for c in range(3)]) ** args.weight_power
    dense = [p for n, p in model.named_parameters() if args.finetune <= 0 or not n.startswith("learned")]
    opts = [torch.optim.Adam(dense, lr=args.lr)]
    if args.finetune > 0:
        opts.append(torch.optim.SparseAdam(list(model.learned.parameters()), lr=args.finetune))
    lengths = [len(x) for x in X]
    steps_per_epoch = (len(X) + 63) // 64
    total = steps_per_epoch * args.epochs
    if args.decay == "linear":
        factor = lambda step: 1.0 - (1.0 - args.decay_to) * min(step, total) / total
    elif args.decay == "cosine":
        factor = lambda step: args.decay_to + (1.0 - args.decay_to) * 0.5 * (1.0 + np.cos(np.pi * min(step, total) / total))
    else:
        factor = lambda step: 1.0
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in opts]
    best, best_state, best_ep = -1.0, None, -1
    recent = []
    for ep in range(args.epochs):
        model.train()
        tl, nb = 0.0, 0
        for b in common.batches(len(X), 64, lengths, rng=rng):
            ids, mask = common.pad([X[i] for i in b])
            loss = F.cross_entropy(model(ids, mask), Y[b], weight=w, label_smoothing=args.smooth)
            for o in opts:
                o.zero_grad()
            loss.backward()
            for o in opts:
                o.step()
            for sc in scheds:
                sc.step()
            tl += loss.item()
            nb += 1
        lgs = set_logits(model, sets)
        m = metrics_from(lgs, sets)
        sel = calibrated_selection_score(lgs, sets)
        print(f"member {k} epoch {ep} loss {tl / nb:.4f} sel {selection_score(m):.4f} calibrated {sel:.4f} {json.dumps(m)} {time.time() - t0:.0f}s", flush=True)
        if dump is not None:
            dump[f"m{k}_e{ep}"] = lgs
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
        m = metrics_from(lgs, sets)
        sel = calibrated_selection_score(lgs, sets)
        print(f"member {k} swa{len(recent)} sel {selection_score(m):.4f} calibrated {sel:.4f} {json.dumps(m)} {time.time() - t0:.0f}s", flush=True)
        if dump is not None:
            dump[f"m{k}_swa"] = lgs
        if sel > best:
            best, best_state, best_ep = sel, {kk: v.clone() for kk, v in model.state_dict().items()}, f"swa{len(recent)}"
    model.load_state_dict(best_state)
    model.merge()
    return model, best_ep, ep + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=0.0, help="stop after the epoch that passes M minutes (0 = no limit; a limit makes runs depend on speed)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--vocab", type=int, default=45000)
    ap.add_argument("--channels", type=int, default=256)
    ap.add_argument("--finetune", type=float, default=5e-4, help="embedding learning rate; 0 = GloVe rows fixed")
    ap.add_argument("--weight-power", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--members", type=int, default=3, help="ensemble size (members averaged inside one graph)")
    ap.add_argument("--first-member", type=int, default=0, help="experiments: seed index of the first member")
    ap.add_argument("--swa", type=int, default=3, help="also consider the average of the last N epochs' weights")
    ap.add_argument("--smooth", type=float, default=0.0, help="label smoothing")
    ap.add_argument("--decay", choices=["none", "linear", "cosine"], default="none")
    ap.add_argument("--decay-to", type=float, default=0.1, help="final learning rate as a fraction of the first")
    ap.add_argument("--float-embeddings", dest="quant", action="store_false",
                    help="keep float embedding tables (default: int8 + per-row scale, needed to fit 3 members in 25 MB)")
    ap.add_argument("--dump", default="", help="save per-epoch logits of every set here (.npy), for analysis")
    ap.add_argument("--debug-limit", type=int, default=0, help="smoke tests: train on about N rows only")
    ap.add_argument("--out", default=os.path.join(common.HERE, "..", "models", "sentiment"))
    ap.add_argument("--testdata", default=os.path.join(common.HERE, "..", "models", "testdata"))
    args = ap.parse_args()
    common.seed_all(SEED)
    rng = random.Random(SEED)
    t0 = time.time()

    # Data. Tweets: carve 2000 of train as a selection dev set; TweetEval val is
    # reported. SST-2: 2000 held-out full sentences, 500 dev (selection), 1500 test.
    tw_text, tw_lab = data.tweeteval("train")
    idx = list(range(len(tw_text)))
    random.Random(SEED).shuffle(idx)
    dev_idx, tr_idx = set(idx[:2000]), idx[2000:]
    tv_text, tv_lab = data.tweeteval("val")
    sst_tr, sst_held = data.sst2_splits(n_heldout=2000, seed=13)
    sst_dev, sst_test = sst_held[:500], sst_held[500:]
    rv_tr, rv_test = data.review_fixtures()

    train = []  # (text, label 0..2, weight)
    for i in tr_idx:
        t = tw_text[i]
        if rng.random() < 0.5:
            t = data.unescape_tweet(t)
        train.append((t, tw_lab[i]))
    for t, l in sst_tr:
        train.append((detok_sst(t) if rng.random() < 0.5 else t, 2 * l))
    for t, l in rv_tr:
        train.append((t, 2 * l))

    gwords, gvecs = glove.load()
    vocab = build_vocab([t for t, _ in train], gwords, args.vocab)
    wl = tok.WordLevel(vocab, lowercase=True)
    emb, has = common.glove_matrix(tok.SPECIALS + list(vocab)[len(tok.SPECIALS):], gwords, gvecs, seed=SEED)
    print(f"vocab {len(vocab)}, glove coverage {has.mean():.3f}", flush=True)

    enc = lambda ts: [wl.encode(t, max_len=128) for t in ts]
    if args.debug_limit:
        train = train[:: max(1, len(train) // args.debug_limit)]
    X = enc([t for t, _ in train])
    Y = torch.tensor([l for _, l in train])
    sets = {
        "tweet_val": (enc(tv_text), tv_lab),
        "tweet_dev": (enc([tw_text[i] for i in sorted(dev_idx)]), [tw_lab[i] for i in sorted(dev_idx)]),
        "sst2_dev": (enc([t for t, _ in sst_dev]), [l for _, l in sst_dev]),
        "sst2_heldout": (enc([t for t, _ in sst_test]), [l for _, l in sst_test]),
        "reviews_heldout": (enc([t for t, _, _ in rv_test]), [l for _, l, _ in rv_test]),
    }

    dump = {} if args.dump else None
    members, selected = [], []
    for k in range(args.first_member, args.first_member + args.members):
        mk, sel_ep, n_ep = train_member(k, args, emb, has, X, Y, sets, t0, dump, rng)
        members.append(mk)
        selected.append(sel_ep)
    if args.quant:
        for mk in members:
            mk.emb = QuantEmbedding(mk.emb.weight.data)
    model = members[0] if len(members) == 1 else Ensemble(members)
    metrics = evaluate(model, sets)
    metrics["selected_epoch"] = selected[0] if len(selected) == 1 else selected
    metrics["epochs"] = n_ep
    metrics["members"] = len(members)
    metrics["recipe"] = {"members": len(members), "epochs": args.epochs, "swa": args.swa, "lr": args.lr,
                         "lr_decay": args.decay, "label_smoothing": args.smooth, "int8_embeddings": args.quant,
                         "channels": args.channels}
    if dump is not None:
        dump["final"] = set_logits(model, sets)
        dump["gold"] = {name: np.array(g) for name, (_, g) in sets.items()}
        np.save(args.dump, dump, allow_pickle=True)
    print("final", json.dumps(metrics), flush=True)

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
    sample = tv_text[:300] + [t for t, _ in sst_test[:200]] + [t for t, _, _ in rv_test[:100]]
    common.cross_check(os.path.join(args.out, "tokenizer.json"), os.path.join(args.out, "model.onnx"),
                       sample, wl.encode, lambda s: predict(model, [s])[0])

    # Held-out sample for the Go tests.
    os.makedirs(args.testdata, exist_ok=True)
    common.write_token_golden(os.path.join(args.testdata, "sentiment_tokens.jsonl"),
                              tv_text[:40] + [t for t, _ in sst_test[:20]] + [t for t, _, _ in rv_test[:20]], wl.encode)
    r2 = random.Random(SEED)
    tv = list(zip(tv_text, tv_lab))
    r2.shuffle(tv)
    st = list(sst_test)
    r2.shuffle(st)
    rows = [{"text": data.unescape_tweet(t).strip(), "label": labels[l], "source": "tweeteval_val"} for t, l in tv[:120]]
    rows += [{"text": t, "label": labels[2 * l], "source": "sst2_heldout"} for t, l in st[:80]]
    with open(os.path.join(args.testdata, "sentiment_heldout.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
