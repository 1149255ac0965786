"""Tokenizers of the default models, written as Hugging Face tokenizer.json files,
and a Python re-implementation of exactly the components used, so training sees
the ids that nlpscope's Go tokenizer and Hugging Face's produce at inference.

Components: normalizer NFC (+ Lowercase for sentiment), BertPreTokenizer, WordLevel
(sentiment) or WordPiece (NER, cased), TemplateProcessing "[CLS] $A [SEP]".
verify_tok.js checks this module against Hugging Face's Rust implementation.
"""
import json
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP = 0, 1, 2, 3
MAX_LEN = 512

_ASCII_PUNCT = set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')


def is_ws(c):
    # Rust char::is_whitespace (Unicode White_Space). Python's isspace also
    # accepts U+001C..U+001F, which White_Space does not.
    return c.isspace() and not ("\x1c" <= c <= "\x1f")


def is_punc(c):
    return c in _ASCII_PUNCT or unicodedata.category(c).startswith("P")


def pre_tokenize(text):
    """BertPreTokenizer: split on whitespace, then isolate each punctuation char."""
    words, cur = [], []
    for c in text:
        if is_ws(c):
            if cur:
                words.append("".join(cur))
                cur = []
        elif is_punc(c):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append("".join(cur))
    return words


def normalize(text, lowercase):
    text = unicodedata.normalize("NFC", text)
    return text.lower() if lowercase else text


class WordLevel:
    def __init__(self, vocab, lowercase=True):
        self.vocab = vocab
        self.lowercase = lowercase

    def words(self, text):
        return pre_tokenize(normalize(text, self.lowercase))

    def encode_words(self, words):
        """ids for pre-tokenized words (no specials), one per word."""
        return [self.vocab.get(w, UNK) for w in words]

    def encode(self, text, max_len=MAX_LEN):
        ids = self.encode_words(self.words(text))[: max_len - 2]
        return [CLS] + ids + [SEP]

    def to_json(self):
        return _tokenizer_json(
            self.lowercase,
            {"type": "WordLevel", "vocab": self.vocab, "unk_token": "[UNK]"},
        )


class WordPiece:
    def __init__(self, vocab, lowercase=False, max_chars=100):
        self.vocab = vocab
        self.lowercase = lowercase
        self.max_chars = max_chars
        self._cache = {}

    def words(self, text):
        return pre_tokenize(normalize(text, self.lowercase))

    def word_pieces(self, w):
        r = self._cache.get(w)
        if r is not None:
            return r
        if len(w) > self.max_chars:
            r = [UNK]
        else:
            r, start = [], 0
            while start < len(w):
                end = len(w)
                cur = None
                while start < end:
                    s = w[start:end]
                    if start > 0:
                        s = "##" + s
                    if s in self.vocab:
                        cur = self.vocab[s]
                        break
                    end -= 1
                if cur is None:
                    r = [UNK]
                    break
                r.append(cur)
                start = end
        self._cache[w] = r
        return r

    def encode_words(self, words):
        """ids and word index per id for pre-tokenized words (no specials)."""
        ids, wid = [], []
        for i, w in enumerate(words):
            p = self.word_pieces(w)
            ids.extend(p)
            wid.extend([i] * len(p))
        return ids, wid

    def encode(self, text, max_len=MAX_LEN):
        ids, _ = self.encode_words(self.words(text))
        return [CLS] + ids[: max_len - 2] + [SEP]

    def to_json(self):
        return _tokenizer_json(
            self.lowercase,
            {
                "type": "WordPiece",
                "unk_token": "[UNK]",
                "continuing_subword_prefix": "##",
                "max_input_chars_per_word": self.max_chars,
                "vocab": self.vocab,
            },
        )


def _tokenizer_json(lowercase, model):
    norm = {"type": "NFC"}
    if lowercase:
        norm = {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}]}
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, t in enumerate(SPECIALS)
    ]
    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": MAX_LEN, "strategy": "LongestFirst", "stride": 0},
        "padding": None,
        "added_tokens": added,
        "normalizer": norm,
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [CLS], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [SEP], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True}
        if model["type"] == "WordPiece" else None,
        "model": model,
    }


def save(tok, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tok.to_json(), f, ensure_ascii=False, separators=(",", ":"))


def check_with_hf(tok_json_path, texts, ids_py, node_dir):
    """Compare Python ids against Hugging Face's tokenizers (npm binding) on texts."""
    import os
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
        tpath = f.name
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["node", os.path.join(here, "verify_tok.js"), tok_json_path, tpath],
                         env=dict(os.environ, NODE_PATH=node_dir), capture_output=True, check=True)
    os.unlink(tpath)
    ids_hf = json.loads(out.stdout)
    bad = [(t, a, b) for t, a, b in zip(texts, ids_py, ids_hf) if a != b]
    return len(texts) - len(bad), bad
