#!/usr/bin/env python3
"""Reference outputs of Hugging Face transformers' pipelines on the fixtures.

Runs transformers' TextClassificationPipeline and TokenClassificationPipeline
(every aggregation strategy, and windows with stride for long texts) on
PyTorch re-implementations of the two fixture graphs (weights read from the
fixtures' model.onnx), and writes engine/testdata/hf_golden.json, which
engine's TestHFParity compares against.

Needs torch, transformers, tokenizers and onnx (it was run where those are
installed):  python3 engine/testdata/gen_hf_golden.py
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import transformers
from onnx import numpy_helper
from transformers import (BertConfig, PreTrainedModel, PreTrainedTokenizerFast,
                          TextClassificationPipeline, TokenClassificationPipeline)
from transformers.modeling_outputs import SequenceClassifierOutput, TokenClassifierOutput

HERE = os.path.dirname(os.path.abspath(__file__))
STRIDE = 4


def weights(name):
    m = onnx.load(os.path.join(HERE, name, "model.onnx"))
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def config(name):
    with open(os.path.join(HERE, name, "config.json")) as f:
        c = json.load(f)
    return BertConfig(id2label={int(k): v for k, v in c["id2label"].items()},
                      label2id=c["label2id"], max_position_embeddings=c["max_position_embeddings"])


class NER(PreTrainedModel):
    config_class = BertConfig

    def __init__(self, cfg, table):
        super().__init__(cfg)
        self.table = torch.nn.Parameter(torch.tensor(table))

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kw):
        logits = self.table[input_ids] * attention_mask.unsqueeze(-1).float()
        return TokenClassifierOutput(logits=logits)


class Sentiment(PreTrainedModel):
    config_class = BertConfig

    def __init__(self, cfg, w):
        super().__init__(cfg)
        self.we = torch.nn.Parameter(torch.tensor(w["word_embeddings"]))
        self.te = torch.nn.Parameter(torch.tensor(w["type_embeddings"]))
        self.hw = torch.nn.Parameter(torch.tensor(w["head_w"]))
        self.hb = torch.nn.Parameter(torch.tensor(w["head_b"]))

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kw):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        e = self.we[input_ids] + self.te[token_type_ids]
        m = attention_mask.float()
        pooled = (e * m.unsqueeze(-1)).sum(1) / (m.sum(1, keepdim=True) + 1e-9)
        return SequenceClassifierOutput(logits=pooled @ self.hw + self.hb)


def tokenizer(name, max_len):
    return PreTrainedTokenizerFast(tokenizer_file=os.path.join(HERE, name, "tokenizer.json"),
                                   unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", model_max_length=max_len)


NER_TEXTS = [
    "Alice Smith went to Paris with Bob, and Acme Corp Inc.",
    "I visited Washington today",
    "😀 Alice met 👩‍👩‍👧 in 東京 and Maria Jones in Berlin! 🇩🇪",
    "Smith Jones met Alice Bob in London Paris",
    "She works at Acme Corp . He lives in Washington with Maria Smith Jones !",
    "unknownword Alice café Paris",
]
LONG = " ".join(["the city is very happy . Alice Smith visited London and Acme Corp Inc ."] * 6)
SENT_TEXTS = ["This movie was good!", "the food was awful and the service terrible",
              "great , the movie was a film", "it is a film , not boring", "i LOVE this film"]


def jsonable(x):
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def main():
    torch.manual_seed(0)
    ner_cfg = config("ner")
    ner = NER(ner_cfg, weights("ner")["token_table"]).eval()
    ner_tok = tokenizer("ner", ner_cfg.max_position_embeddings)
    cases = []
    for agg in ["none", "simple", "first", "average", "max"]:
        pipe = TokenClassificationPipeline(model=ner, tokenizer=ner_tok, aggregation_strategy=agg)
        for text in NER_TEXTS:
            out = pipe(text)
            cases.append({"task": "entities", "aggregation": agg, "text": text, "stride": 0,
                          "entities": [{"label": e.get("entity_group", e.get("entity")), "score": jsonable(e["score"]),
                                        "start": jsonable(e["start"]), "end": jsonable(e["end"]), "word": e["word"]}
                                       for e in out]})
        if agg != "none":
            pipe = TokenClassificationPipeline(model=ner, tokenizer=ner_tok, aggregation_strategy=agg, stride=STRIDE)
            out = pipe(LONG)
            cases.append({"task": "entities", "aggregation": agg, "text": LONG, "stride": STRIDE,
                          "entities": [{"label": e.get("entity_group", e.get("entity")), "score": jsonable(e["score"]),
                                        "start": jsonable(e["start"]), "end": jsonable(e["end"]), "word": e["word"]}
                                       for e in out]})
    s_cfg = config("sentiment")
    sent = Sentiment(s_cfg, weights("sentiment")).eval()
    pipe = TextClassificationPipeline(model=sent, tokenizer=tokenizer("sentiment", s_cfg.max_position_embeddings), top_k=None)
    for text in SENT_TEXTS:
        out = pipe(text)
        cases.append({"task": "sentiment", "text": text,
                      "scores": {o["label"]: jsonable(o["score"]) for o in out}})
    doc = {"generator": "engine/testdata/gen_hf_golden.py",
           "transformers": transformers.__version__, "torch": torch.__version__, "cases": cases}
    dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "hf_golden.json")
    with open(dest, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
