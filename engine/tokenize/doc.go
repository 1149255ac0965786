// Package tokenize is a pure-Go implementation of Hugging Face tokenizers:
// it reads tokenizer.json and produces the same ids, tokens and offsets as
// the Rust library (github.com/huggingface/tokenizers).
//
// Supported components:
//   - normalizers: BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD,
//     StripAccents, Replace, Prepend, Strip, Precompiled (SentencePiece
//     character maps, as in XLM-R and T5 exports), Sequence;
//   - pre-tokenizers: BertPreTokenizer, Whitespace, WhitespaceSplit,
//     Punctuation, Digits, CharDelimiterSplit, ByteLevel, Split (string and
//     regex patterns; regexes with lookaround run on regexp2, GPT-2's pattern
//     is matched by hand), Metaspace, Sequence;
//   - models: WordPiece, WordLevel, BPE (byte-level, merges as strings or
//     pairs, ignore_merges, byte_fallback, fuse_unk), Unigram (byte_fallback);
//   - post-processors: BertProcessing, RobertaProcessing, ByteLevel,
//     TemplateProcessing (single sequences), Sequence;
//   - decoders (for Decode only): WordPiece, ByteLevel, Metaspace, Sequence;
//   - added tokens (special or not, lstrip, rstrip, single_word, normalized),
//     truncation (with stride and overflowing windows) and padding.
//
// Anything else makes FromJSON fail with an error wrapping ErrUnsupported.
//
// Offsets are byte offsets into the original text; CodePointOffsets converts
// them to Unicode code-point offsets exactly as the Hugging Face bindings do
// for their char offsets.
//
// Parity is checked against golden files produced by the Node binding of
// the Rust library (testdata/gen/gen.js, see its header for how to rerun it).
package tokenize
