// Package tokenize is a pure-Go implementation of Hugging Face tokenizers:
// it reads tokenizer.json and produces the same ids, tokens and offsets as
// the Rust library (github.com/huggingface/tokenizers).
//
// Supported components:
//   - normalizers: BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD,
//     StripAccents, Replace, Prepend, Strip, Nmt, Precompiled (SentencePiece
//     character maps, as in XLM-R and T5 exports), Sequence;
//   - pre-tokenizers: BertPreTokenizer, Whitespace, WhitespaceSplit,
//     Punctuation, Digits, CharDelimiterSplit, ByteLevel, Split (string and
//     regex patterns; regexes with lookaround run on regexp2, GPT-2's pattern
//     is matched by hand), Metaspace, Sequence;
//   - models: WordPiece, WordLevel, BPE (byte-level, merges as strings or
//     pairs, ignore_merges, byte_fallback, fuse_unk), Unigram (byte_fallback);
//   - post-processors: BertProcessing, RobertaProcessing, ByteLevel,
//     TemplateProcessing (single sequences), Sequence;
//   - decoders (for Decode only): WordPiece, ByteLevel, Metaspace, Replace,
//     ByteFallback, Fuse, Strip, BPEDecoder, Sequence (others decode by
//     joining tokens with spaces);
//   - added tokens (special or not, lstrip, rstrip, single_word, normalized),
//     truncation (with stride and overflowing windows) and padding.
//
// Anything else makes FromJSON fail with an error wrapping ErrUnsupported.
//
// Offsets are byte offsets into the original text, on character boundaries;
// CodePointOffsets converts them to the Unicode code-point offsets the
// Hugging Face bindings return (their "char" offsets). Invalid UTF-8 bytes
// read as U+FFFD, each aligned to its one byte.
//
// Truncation follows tokenizers 0.23: before cutting, only the whole words
// needed to reach max_length tokens are tokenized (from the end for left
// truncation), so Overflowing holds the rest of those words only, not the
// rest of the text. Callers that need windows over a whole text encode
// without truncation (Truncation: &Truncation{}) and cut the windows.
//
// Parity is checked against golden files produced by the Node binding of
// the Rust library, tokenizers@0.23.2 (testdata/gen/gen.js, see its header
// for how to rerun it): ids, tokens, offsets, type ids, masks, word ids,
// overflowing windows and decoded text for 16 fixtures (bert-base-uncased,
// all-MiniLM-L6-v2, LaBSE, Cohere, Llama 3, and crafted WordLevel, BPE,
// Unigram, Precompiled and pre-tokenizer fixtures) over hard cases and a
// seeded random corpus.
//
// Speed (tokens/s and tokens per CPU-second, one goroutine):
//
//	go test -run XXX -bench Encode -cpu 1 ./engine/tokenize
//	cd engine/tokenize/benchcmp && go test -bench . -cpu 1  # next to sugarme/tokenizer
//
// An optional cgo backend (github.com/daulet/tokenizers) is not provided:
// this package is the only backend.
package tokenize
