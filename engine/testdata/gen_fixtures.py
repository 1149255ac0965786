#!/usr/bin/python3
"""Generate the engine's tiny ONNX test fixtures, reproducibly.

Run from the repository root:  /usr/bin/python3 engine/testdata/gen_fixtures.py

Needs only the `onnx` Python package (Debian: python3-onnx). Every weight is
chosen by hand, so tests can assert labels:

  sentiment/  text classification (NEGATIVE, POSITIVE). Embedding [V,2] ->
              masked mean over tokens -> identity head. Positive words
              ("good", "great", ...) push POSITIVE, negative ones NEGATIVE.
              Inputs input_ids, attention_mask, token_type_ids.
  ner/        token classification, IOB2 labels O B-PER I-PER B-LOC I-LOC
              B-ORG I-ORG. Embedding [V,7] is the logits table, multiplied by
              the attention mask. Cased WordPiece vocabulary; "Washington"
              splits into Wash ##ing ##ton with disagreeing labels so the
              first/average/max aggregations differ. max_position_embeddings
              is 16, so longer texts are split into windows.
  external/   the sentiment model with its weights in model.onnx_data.
  bad_*/      broken models for the error paths.
"""
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 13)]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]


def tokenizer_json(vocab, lowercase):
    ids = {tok: i for i, tok in enumerate(vocab)}
    added = [
        {"id": ids[t], "content": t, "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": True}
        for t in SPECIALS
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True,
                       "handle_chinese_chars": True, "strip_accents": None,
                       "lowercase": lowercase},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", ids["[SEP]"]],
                           "cls": ["[CLS]", ids["[CLS]"]]},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]",
                  "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }


def write_folder(name, model, vocab, lowercase, labels, max_pos, extra_config=None):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    if model is not None:
        onnx.save(model, os.path.join(d, "model.onnx"))
    if vocab is not None:
        with open(os.path.join(d, "tokenizer.json"), "w") as f:
            json.dump(tokenizer_json(vocab, lowercase), f, indent=1, sort_keys=True)
            f.write("\n")
    cfg = {
        "architectures": ["Fixture"],
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)},
        "max_position_embeddings": max_pos,
        "model_type": "bert",
    }
    cfg.update(extra_config or {})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1, sort_keys=True)
        f.write("\n")
    return d


def io(name, elem, dims):
    return helper.make_tensor_value_info(name, elem, dims)


# ---------------------------------------------------------------- sentiment
SENT_POS = ["good", "great", "love", "excellent", "happy", "wonderful"]
SENT_NEG = ["bad", "awful", "hate", "terrible", "sad", "boring"]
SENT_OTHER = ["the", "movie", "was", "is", "it", "a", "this", "film", "food",
              "service", "and", "not", "very", ",", ".", "!", "i"]
SENT_VOCAB = SPECIALS + SENT_POS + SENT_NEG + SENT_OTHER


def sentiment_model(n_classes=2, logits_dims=("batch", 2), rank1=False, input_name="input_ids"):
    v = len(SENT_VOCAB)
    emb = np.zeros((v, 2), dtype=np.float32)
    for t in SENT_POS:
        emb[SENT_VOCAB.index(t)] = [0.0, 4.0]
    for t in SENT_NEG:
        emb[SENT_VOCAB.index(t)] = [4.0, 0.0]
    head = np.eye(2, n_classes, dtype=np.float32)
    bias = np.zeros((n_classes,), dtype=np.float32)
    type_emb = np.zeros((2, 2), dtype=np.float32)
    inits = [
        numpy_helper.from_array(emb, "word_embeddings"),
        numpy_helper.from_array(type_emb, "type_embeddings"),
        numpy_helper.from_array(head, "head_w"),
        numpy_helper.from_array(bias, "head_b"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array(1e-9, dtype=np.float32), "eps"),
    ]
    nodes = [
        helper.make_node("Gather", ["word_embeddings", input_name], ["we"]),
        helper.make_node("Gather", ["type_embeddings", "token_type_ids"], ["te"]),
        helper.make_node("Add", ["we", "te"], ["e"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis_last"], ["mask3"]),
        helper.make_node("Mul", ["e", "mask3"], ["em"]),
        helper.make_node("ReduceSum", ["em", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["maskf", "axis1"], ["count"], keepdims=1),
        helper.make_node("Add", ["count", "eps"], ["count_eps"]),
        helper.make_node("Div", ["summed", "count_eps"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "head_w"], ["proj"]),
    ]
    if rank1:
        nodes += [helper.make_node("Add", ["proj", "head_b"], ["pre"]),
                  helper.make_node("ReduceSum", ["pre", "axis_last"], ["logits"], keepdims=0)]
    else:
        nodes.append(helper.make_node("Add", ["proj", "head_b"], ["logits"]))
    inputs = [io(input_name, TensorProto.INT64, ["batch", "seq"]),
              io("attention_mask", TensorProto.INT64, ["batch", "seq"]),
              io("token_type_ids", TensorProto.INT64, ["batch", "seq"])]
    outputs = [io("logits", TensorProto.FLOAT, list(logits_dims))]
    graph = helper.make_graph(nodes, "sentiment_fixture", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=OPSET, producer_name="nlpscope-fixtures")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


# ---------------------------------------------------------------- ner
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
NER_TOKENS = {
    # token: (label, logit). Everything else (and [UNK]) is O.
    "Alice": ("B-PER", 5.0), "Bob": ("B-PER", 5.0), "Maria": ("B-PER", 5.0),
    "Smith": ("I-PER", 5.0), "Jones": ("I-PER", 5.0),
    "Paris": ("B-LOC", 5.0), "London": ("B-LOC", 5.0), "Berlin": ("B-LOC", 5.0),
    "東京": ("B-LOC", 5.0), "東": ("B-LOC", 5.0), "京": ("I-LOC", 5.0),
    "Acme": ("B-ORG", 5.0), "Corp": ("I-ORG", 5.0), "Inc": ("I-ORG", 5.0),
    # Washington = Wash ##ing ##ton: first -> LOC, max -> LOC (logit 6 beats
    # 5), average -> PER (two of three pieces), simple -> LOC "Wash" and two
    # PER pieces (B- never continues).
    "Wash": ("B-LOC", 6.0), "##ing": ("B-PER", 5.0), "##ton": ("B-PER", 5.0),
}
NER_OTHER = ["the", "went", "to", "and", "in", "from", "visited", "works", "at",
             "met", "lives", "with", "for", "a", "is", ",", ".", "!", "?", "##s",
             "I", "She", "He", "They", "today", "very", "happy", "city"]
NER_VOCAB = SPECIALS + list(NER_TOKENS) + NER_OTHER


def ner_model(n_labels=len(NER_LABELS)):
    v = len(NER_VOCAB)
    table = np.zeros((v, n_labels), dtype=np.float32)
    for i, tok in enumerate(NER_VOCAB):
        label, logit = NER_TOKENS.get(tok, ("O", 5.0))
        table[i, NER_LABELS.index(label)] = logit
    inits = [numpy_helper.from_array(table, "token_table"),
             numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last")]
    nodes = [
        helper.make_node("Gather", ["token_table", "input_ids"], ["raw"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis_last"], ["mask3"]),
        helper.make_node("Mul", ["raw", "mask3"], ["logits"]),
    ]
    inputs = [io("input_ids", TensorProto.INT64, ["batch", "seq"]),
              io("attention_mask", TensorProto.INT64, ["batch", "seq"])]
    outputs = [io("logits", TensorProto.FLOAT, ["batch", "seq", n_labels])]
    graph = helper.make_graph(nodes, "ner_fixture", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=OPSET, producer_name="nlpscope-fixtures")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def main():
    write_folder("sentiment", sentiment_model(), SENT_VOCAB, True,
                 ["NEGATIVE", "POSITIVE"], 32)
    write_folder("ner", ner_model(), NER_VOCAB, False, NER_LABELS, 16)

    # Weights in an external data file, as large Hugging Face exports are.
    d = write_folder("external", None, SENT_VOCAB, True, ["NEGATIVE", "POSITIVE"], 32)
    onnx.save(sentiment_model(), os.path.join(d, "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=100)

    # Broken models. Each one is wrong in exactly one way.
    d = write_folder("bad_no_tokenizer", sentiment_model(), None, True, ["NEGATIVE", "POSITIVE"], 32)
    d = write_folder("bad_no_model", None, SENT_VOCAB, True, ["NEGATIVE", "POSITIVE"], 32)
    d = write_folder("bad_not_onnx", None, SENT_VOCAB, True, ["NEGATIVE", "POSITIVE"], 32)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(b"this is not an ONNX protobuf, just text pretending to be one\n")
    write_folder("bad_rank", sentiment_model(rank1=True, logits_dims=("batch",)),
                 SENT_VOCAB, True, ["NEGATIVE", "POSITIVE"], 32)
    write_folder("bad_labels", sentiment_model(), SENT_VOCAB, True,
                 ["NEGATIVE", "NEUTRAL", "POSITIVE"], 32)
    write_folder("bad_input", sentiment_model(input_name="ids"), SENT_VOCAB, True,
                 ["NEGATIVE", "POSITIVE"], 32)
    d = write_folder("bad_config", sentiment_model(), SENT_VOCAB, True, ["NEGATIVE", "POSITIVE"], 32)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write('{"architectures": ["Fixture"], "max_position_embeddings": 32}\n')


if __name__ == "__main__":
    main()
