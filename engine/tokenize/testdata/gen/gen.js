// gen.js writes the golden files the Go parity tests compare against. The
// reference is Hugging Face's own Node binding of the Rust tokenizers
// library. It is run by hand, never by the tests:
//
//   mkdir -p /tmp/hfref && (cd /tmp/hfref && npm install tokenizers@0.23.2)
//   cd engine/tokenize/testdata && NODE_PATH=/tmp/hfref/node_modules node gen/gen.js
//
// It also writes the crafted fixtures (wordlevel.json, bpe-roberta.json,
// bpe-metaspace.json), built deterministically here.
//
// Offsets: the Node binding returns char (Unicode code point) offsets; the
// goldens keep them as they are, and the Go test compares them with
// CodePointOffsets(text, byteOffsets).
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');
const { Tokenizer, byteLevelPreTokenizer, byteLevelAlphabet } = require('tokenizers');

const here = path.join(__dirname, '..');
// A fixture NAME.patch.json is bert-base-uncased.json.gz with the top-level
// keys of the patch replaced (the Go tests apply patches the same way).
const readFixture = (name) => {
  if (name.endsWith('.patch.json')) {
    const base = JSON.parse(readFixture('bert-base-uncased.json.gz'));
    return JSON.stringify({ ...base, ...JSON.parse(fs.readFileSync(path.join(here, name), 'utf8')) });
  }
  const p = path.join(here, name);
  if (p.endsWith('.gz')) return zlib.gunzipSync(fs.readFileSync(p)).toString('utf8');
  return fs.readFileSync(p, 'utf8');
};

const long = fs.readFileSync(path.join(here, 'long_text.txt'), 'utf8');

// Hard cases shared by every fixture.
const corpus = [
  'brown fox jumps over the lazy dog',
  'Hello, world! How are you today?',
  '',
  ' ',
  '   \t\n  ',
  'a',
  'Café crème brûlée à la française',
  'naïve résumé coöperate façade Ångström',
  'ÀÉÎÕÜ àéîõü ÇçÑñ',
  'e\u0301 combining acute, o\u0308 diaeresis, a\u0300\u0301\u0302 stacked',
  '\u0301 leading combining mark',
  '中文分词测试，你好世界！',
  '日本語のテキストとカタカナ、ひらがな。',
  '한국어 텍스트 처리',
  'Mixed 中文 and English 和 日本語 text',
  'Emoji 😀 😃 😄 test 🎉🎉',
  'Family 👨‍👩‍👧‍👦 and flags 🇫🇷🇩🇪 and skin 👍🏽',
  'Newer emoji 🥰 🤩 🫠 🪿',
  'ZWJ\u200Djoiner and ZWNJ\u200Cnon-joiner',
  'Control\u0000chars\u0001here\u007f and\u0085nel',
  'tabs\tand\nnewlines\r\nhere',
  'BOM\uFEFFinside and soft\u00ADhyphen',
  'replacement \uFFFD char',
  'non\u00A0breaking\u2003em\u3000ideographic spaces',
  'ΣΊΣΥΦΟΣ σίσυφος ΌΣΟΣ final sigma',
  'Привет, мир! Ёлка',
  'مرحبا بالعالم',
  'שלום עולם',
  'हिन्दी पाठ',
  'ไทยภาษา',
  'İstanbul ISTANBUL ıi',
  'Straße STRASSE ß ẞ',
  'ﬁ ligature ｆｕｌｌｗｉｄｔｈ ①②③',
  'Supercalifragilisticexpialidocious',
  'pneumonoultramicroscopicsilicovolcanoconiosis',
  'a'.repeat(99),
  'b'.repeat(100),
  'c'.repeat(101),
  'x'.repeat(250) + ' tail',
  'é'.repeat(120),
  "don't can't won't I'm you're we've they'll he'd",
  "IT'S I'LL x'Ve it'ſ 'ſx '\u212Ax !!abc ?\r\n\r\ny 12345 \u00a0 x \t\n\n  x",
  'U.S.A. e.g. i.e. Mr. Smith',
  'email@example.com https://example.com/path?q=1&r=2#frag',
  '$100.50 €20 £5 ¥1000 50% 3.14159 1,000,000',
  '2024-01-15T10:30:00Z',
  '(parentheses) [brackets] {braces} <angles>',
  '"double" \'single\' «guillemets» „low“ ‘curly’',
  '...!!!???---___***',
  '#hashtag @mention',
  'code: func main() { fmt.Println("hi") }',
  'CamelCaseWord snake_case_word kebab-case-word',
  'UPPER lower MiXeD',
  '123 4567 89012 1234567890',
  '  leading and trailing spaces  ',
  'multiple     spaces    between',
  '[CLS] literal special [SEP] tokens [MASK] [PAD] [UNK]',
  '[cls] lowercase special',
  'a[SEP]b',
  '<s> roberta </s> <mask> tokens <pad>',
  'hello <mask> world',
  '<|begin_of_text|>llama<|eot_id|> special',
  '\u{10000}\u{1F600}\u{E0001}\u{F0000} astral and private use',
  '\uE000 private use BMP',
  'Ⅻ roman numeral ² superscript ½ fraction',
  'Ａ full width Ｂ',
  'the quick brown fox. the lazy dog! the end?',
  'Tokenization of unbelievably uncharacteristically long words',
  'a\u030A\u0327 reorder marks',
  '\u1100\u1161\u11A8 hangul jamo 각',
  'tab\there',
  ' single leading space',
  'x ',
  '😀',
  '\u200B',
  '\u0000',
  long.slice(0, 300),
  long.slice(0, 3000),
];

// randomTexts builds a reproducible corpus of random mixes of tricky pieces.
function randomTexts(n, seed) {
  let x = seed >>> 0;
  const rnd = () => { // mulberry32
    x = (x + 0x6D2B79F5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pieces = [
    'the', 'The', 'quick', 'brown', 'FOX', 'jumps', 'tokenization', 'unbelievable', 'hello', 'world', "don't", "it's",
    ' ', ' ', ' ', '  ', '\t', '\n', '\r\n', '\u00A0', '\u3000', '\u2009',
    '.', ',', '!', '?', '-', '_', '...', '(', ')', '"', "'", '#', '$', '%', '&', '@', '/', '\\', '~', '`', '^', '|',
    '0', '7', '42', '2024', '3.14', '1,000', '½', '²', '①',
    'é', 'e\u0301', 'ñ', 'ü', 'Å', 'ø', 'ß', 'İ', 'ı', 'Σ', 'ς', 'ΐ', 'ё', 'Ж', 'ﬁ', 'Ｋ', '\u0300', '\u0327', '\u0308',
    '中', '文', '日本', 'カタカナ', 'ひら', '한국', '각', '\u1100\u1161',
    'مرحبا', 'שלום', 'हिन्दी', 'ไทย', 'ክ', 'ᚠ',
    '😀', '👍🏽', '👨‍👩‍👧', '🇫🇷', '🥰', '🫠', '\u200D', '\u200C', '\u200B', '\uFEFF', '\u00AD',
    '\u0000', '\u0001', '\u007F', '\u0085', '\uFFFD', '\uE000', '\u{10FFFD}', '\u{1D400}',
    '[CLS]', '[SEP]', '[MASK]', '<s>', '</s>', '<mask>', '<pad>', '<|begin_of_text|>', '<ent>', '[NEW]', 'hello world', 'ÉCOLE',
    '▁', 'Ġ', '##', '<0x0A>',
  ];
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(rnd() * 24);
    let s = '';
    for (let j = 0; j < k; j++) s += pieces[Math.floor(rnd() * pieces.length)];
    out.push(s);
  }
  return out;
}

function record(text, e, addSpecial, opts) {
  const r = {
    text,
    add_special: addSpecial,
    ids: e.getIds(),
    tokens: e.getTokens(),
    offsets: e.getOffsets(),
    type_ids: e.getTypeIds(),
    attention_mask: e.getAttentionMask(),
    special_tokens_mask: e.getSpecialTokensMask(),
    word_ids: e.getWordIds().map((w) => (w === null || w === undefined ? -1 : w)),
  };
  const ov = e.getOverflowing();
  if (ov.length) r.overflowing = ov.map((o) => record(undefined, o, addSpecial));
  if (opts) r.opts = opts;
  return r;
}

// GEN_RANDOM=N GEN_OUT=DIR writes goldens with N random texts (seed from
// GEN_SEED) to DIR instead, for a larger one-off differential run; the Go
// test reads them with TOKENIZE_GOLDEN_DIR=DIR.
const random = randomTexts(Number(process.env.GEN_RANDOM || 200), Number(process.env.GEN_SEED || 20240611));
const goldenDir = process.env.GEN_OUT || path.join(here, 'golden');

async function golden(fixture, out, { texts = corpus.concat(random), truncation, padding, decode = true } = {}) {
  const json = readFixture(fixture);
  const tk = Tokenizer.fromString(json);
  if (truncation === null) tk.disableTruncation();
  else if (truncation) tk.setTruncation(truncation.max_length, { stride: truncation.stride, direction: truncation.direction });
  if (padding === null) tk.disablePadding();
  const lines = [];
  for (const addSpecial of [true, false]) {
    for (const text of texts) {
      let e;
      try {
        e = await tk.encode(text, null, { addSpecialTokens: addSpecial });
      } catch (err) {
        lines.push(JSON.stringify({ text, add_special: addSpecial, error: String(err.message || err) }));
        continue;
      }
      const r = record(text, e, addSpecial, { truncation, padding });
      if (decode && addSpecial) r.decoded = await tk.decode(e.getIds(), true);
      lines.push(JSON.stringify(r));
    }
  }
  fs.writeFileSync(path.join(goldenDir, out + '.gz'), zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
  console.log(out, lines.length);
}

async function goldenBatch(fixture, out, batches) {
  const tk = Tokenizer.fromString(readFixture(fixture));
  const lines = [];
  for (const texts of batches) {
    const encs = await tk.encodeBatch(texts, { addSpecialTokens: true });
    lines.push(JSON.stringify({ batch: texts, results: encs.map((e, i) => record(texts[i], e, true)) }));
  }
  fs.writeFileSync(path.join(goldenDir, out + '.gz'), zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
  console.log(out, lines.length);
}

// ---- crafted fixtures ----

const wordList = ('the a an of and to in is was it for on with as by at be this that from or are not but have ' +
  'hello world good bad great terrible movie film love hate like fox dog quick brown lazy jumps over ' +
  'paris london berlin john mary company inc ltd , . ! ? \' " ( ) - : ; café naïve 中 文 😀 123').split(' ');

function wordLevelFixture() {
  const vocab = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 };
  for (const w of wordList) if (!(w in vocab)) vocab[w] = Object.keys(vocab).length;
  const special = (c, id) => ({ id, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: 16, strategy: 'LongestFirst', stride: 4 },
    padding: { strategy: { Fixed: 16 }, direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' },
    added_tokens: [special('[PAD]', 0), special('[UNK]', 1), special('[CLS]', 2), special('[SEP]', 3), special('[MASK]', 4)],
    normalizer: { type: 'Sequence', normalizers: [
      { type: 'NFC' },
      { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase: true },
    ] },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}

// trainBPE learns merges greedily on words (already split into symbols).
function trainBPE(words, alphabet, nMerges, prefixVocab) {
  const vocab = { ...prefixVocab };
  for (const c of alphabet) if (!(c in vocab)) vocab[c] = Object.keys(vocab).length;
  let seqs = words.map((w) => Array.from(w));
  for (const s of seqs) for (const c of s) if (!(c in vocab)) vocab[c] = Object.keys(vocab).length;
  const merges = [];
  for (let m = 0; m < nMerges; m++) {
    const counts = new Map();
    for (const s of seqs) for (let i = 0; i + 1 < s.length; i++) {
      const k = s[i] + '\u0000' + s[i + 1];
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    let best = null, bestN = 1;
    for (const [k, n] of counts) if (n > bestN || (n === bestN && best !== null && k < best)) { best = k; bestN = n; }
    if (!best) break;
    const [a, b] = best.split('\u0000');
    merges.push([a, b]);
    if (!((a + b) in vocab)) vocab[a + b] = Object.keys(vocab).length;
    seqs = seqs.map((s) => {
      const o = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { o.push(a + b); i++; } else o.push(s[i]);
      }
      return o;
    });
  }
  return { vocab, merges };
}

function robertaFixture() {
  const pre = byteLevelPreTokenizer(true, true);
  const words = [];
  for (const t of corpus.concat(long.slice(0, 20000).split('\n'))) {
    for (const [w] of pre.preTokenizeString(t)) words.push(w);
  }
  const base = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  const { vocab, merges } = trainBPE(words, byteLevelAlphabet().sort(), 600, base);
  vocab['<mask>'] = Object.keys(vocab).length;
  const tok = (c, id, extra = {}) => ({ id, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...extra });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [tok('<s>', 0), tok('<pad>', 1), tok('</s>', 2), tok('<unk>', 3), tok('<mask>', vocab['<mask>'], { lstrip: true })],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => a + ' ' + b) },
  };
}

function metaspaceFixture() {
  // Llama-2 / SentencePiece-BPE style: Prepend + Replace normalizer, no
  // pre-tokenizer, byte fallback, fused unknowns.
  const words = [];
  for (const t of corpus.concat(long.slice(0, 20000).split('\n'))) {
    words.push('▁' + t.replace(/ /g, '▁'));
  }
  const base = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) base['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>'] = 3 + b;
  const latin = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?\'"-▁'.split('');
  const limited = words.map((w) => Array.from(w).filter((c) => latin.includes(c)).join(''));
  const { vocab, merges } = trainBPE(limited, latin, 400, base);
  const tok = (c, id) => ({ id, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [tok('<unk>', 0), tok('<s>', 1), tok('</s>', 2)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

// A Metaspace pre-tokenizer + Whitespace/Digits/Punctuation sequence over a
// WordPiece vocabulary exercises the remaining pre-tokenizers.
function preTokFixture() {
  const bert = {};
  bert.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'StripAccents' }, { type: 'Lowercase' }, { type: 'Strip', strip_left: true, strip_right: true }, { type: 'Replace', pattern: { Regex: '\\s{2,}' }, content: ' ' }] };
  bert.pre_tokenizer = { type: 'Sequence', pretokenizers: [
    { type: 'WhitespaceSplit' },
    { type: 'Digits', individual_digits: true },
    { type: 'Punctuation', behavior: 'Isolated' },
    { type: 'Split', pattern: { String: '-' }, behavior: 'MergedWithPrevious', invert: false },
  ] };
  bert.truncation = null;
  return bert;
}

function whitespaceFixture() {
  const bert = {};
  bert.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] };
  bert.pre_tokenizer = { type: 'Whitespace' };
  bert.padding = { strategy: 'BatchLongest', direction: 'Left', pad_to_multiple_of: 4, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' };
  return bert;
}

function addedFixture() {
  const bert = { added_tokens: JSON.parse(readFixture('bert-base-uncased.json.gz')).added_tokens };
  bert.normalizer = { type: 'BertNormalizer', clean_text: false, handle_chinese_chars: false, strip_accents: true, lowercase: false };
  const tok = (content, id, extra) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false, ...extra });
  bert.added_tokens.push(
    tok('<ent>', 30522, { normalized: true, lstrip: true }),
    tok('[NEW]', 30523, { rstrip: true, special: true }),
    tok('hello world', 30524, { single_word: true }),
    tok('ÉCOLE', 30525, { normalized: true }),
  );
  return bert;
}

function metaspacePreTokFixture() {
  const m = metaspaceFixture();
  m.normalizer = null;
  m.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  m.decoder = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  return m;
}

function splitFixture() {
  const bert = {};
  bert.normalizer = { type: 'Lowercase' };
  bert.pre_tokenizer = { type: 'Sequence', pretokenizers: [
    { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false },
    { type: 'Split', pattern: { String: '-' }, behavior: 'MergedWithNext', invert: false },
    { type: 'Split', pattern: { Regex: '\\.' }, behavior: 'MergedWithPrevious', invert: false },
    { type: 'Split', pattern: { Regex: '[,;!?]+' }, behavior: 'Contiguous', invert: false },
    { type: 'CharDelimiterSplit', delimiter: '_' },
    { type: 'Digits', individual_digits: false },
    { type: 'Split', pattern: { Regex: '\\p{Han}' }, behavior: 'Isolated', invert: true },
  ] };
  bert.decoder = null;
  return bert;
}

// unigramFixture is a T5-style Unigram tokenizer: NFKC, whitespace split +
// Metaspace, pieces and log-probabilities counted on the corpus (CJK and
// emoji left out so that unknown characters occur), "</s>" appended.
function unigramFixture(byteFallback) {
  const counts = new Map();
  const words = corpus.concat(long.slice(0, 20000).split('\n')).join(' ').split(/\s+/).filter(Boolean);
  for (const w0 of words) {
    const w = Array.from('▁' + w0.normalize('NFKC')).filter((c) => c.codePointAt(0) < 0x2E80);
    for (let i = 0; i < w.length; i++) {
      for (let n = 1; n <= 6 && i + n <= w.length; n++) {
        const p = w.slice(i, i + n).join('');
        counts.set(p, (counts.get(p) || 0) + 1);
      }
    }
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] * Array.from(b[0]).length - a[1] * Array.from(a[0]).length || (a[0] < b[0] ? -1 : 1));
  const keep = ranked.slice(0, 1500);
  for (const [p, n] of ranked) if (Array.from(p).length === 1 && !keep.some(([q]) => q === p)) keep.push([p, n]);
  const total = keep.reduce((s, [, n]) => s + n, 0);
  const vocab = [['<unk>', 0], ['<pad>', 0], ['</s>', 0]];
  if (byteFallback) for (let b = 0; b < 256; b++) vocab.push(['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>', 0]);
  for (const [p, n] of keep) vocab.push([p, Math.log(n / total)]);
  const tok = (c, id) => ({ id, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [tok('<unk>', 0), tok('<pad>', 1), tok('</s>', 2)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }] },
    post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: byteFallback },
  };
}

// buildCharsmap builds a SentencePiece precompiled_charsmap: a darts-clone
// double-array trie (XOR addressing; units hold label, has-leaf flag and
// child offset; leaves hold the value with bit 31 set) over the keys, then
// the NUL-terminated replacement strings.
function buildCharsmap(map) {
  const keys = Object.keys(map).map((k) => Buffer.from(k, 'utf8')).sort(Buffer.compare);
  const blob = [];
  const root = { children: new Map() };
  for (const k of keys) {
    let n = root;
    for (const b of k) {
      if (!n.children.has(b)) n.children.set(b, { children: new Map() });
      n = n.children.get(b);
    }
    n.value = blob.length;
    blob.push(...Buffer.from(map[k.toString('utf8')], 'utf8'), 0);
  }
  const units = [];
  const used = new Set([0]);
  let maxBase = 0;
  const ensure = (i) => { while (units.length <= i) units.push(0); };
  const place = (node, pos) => {
    const labels = [...node.children.keys()];
    if (node.value !== undefined) labels.push(0);
    if (!labels.length) return;
    let off = 1;
    while (!labels.every((l) => !used.has(pos ^ off ^ l))) off++;
    if (off >= 1 << 21) throw new Error('charsmap too large');
    maxBase = Math.max(maxBase, pos ^ off);
    ensure(pos);
    units[pos] = ((units[pos] & 0x3FF) | (off << 10)) >>> 0;
    for (const l of labels) used.add(pos ^ off ^ l);
    if (node.value !== undefined) {
      ensure(pos ^ off);
      units[pos ^ off] = (node.value | 0x80000000) >>> 0;
      units[pos] = (units[pos] | (1 << 8)) >>> 0;
    }
    for (const [b, child] of node.children) {
      ensure(pos ^ off ^ b);
      units[pos ^ off ^ b] = b;
    }
    for (const [b, child] of node.children) place(child, pos ^ off ^ b);
  };
  place(root, 0);
  // pad so that every XOR step from a used base stays inside the array,
  // as darts-clone's block layout guarantees
  ensure((maxBase | 0xFF) + 0x100);
  const out = Buffer.alloc(4 + units.length * 4 + blob.length);
  out.writeUInt32LE(units.length * 4, 0);
  units.forEach((u, i) => out.writeUInt32LE(u >>> 0, 4 + 4 * i));
  Buffer.from(blob).copy(out, 4 + units.length * 4);
  return out.toString('base64');
}

// unigramPrecompiledFixture is the Unigram fixture with a Precompiled
// normalizer (XLM-R / T5 style) mapping a few characters, with removals,
// expansions, a multi-character key and prefixes of graphemes.
function unigramPrecompiledFixture() {
  const f = unigramFixture(true);
  const map = {
    'ﬁ': 'fi', '①': '1', '②': '2', 'Ａ': 'A', 'Ｋ': 'K', '\u00A0': ' ', '\u3000': ' ', '\u2009': ' ', '…': '...',
    'e\u0301': 'é', 'Å': 'A', 'ß': 'ss', '½': '1⁄2', '\u{1F1EB}': 'F', '\t': ' ', '\n': ' ', '\r\n': ' ', 'İ': 'i\u0307',
    '\u200B': '', '\u00AD': '', '\u0001': '', '\u200D': '', '\uFEFF': '', 'Σ': 'σ', 'ΐ': 'ΐ',
  };
  f.normalizer = { type: 'Sequence', normalizers: [
    { type: 'Precompiled', precompiled_charsmap: buildCharsmap(map) },
    { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
  ] };
  return f;
}

function nmtFixture() {
  return {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Nmt' }, { type: 'NFKC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'BertPreTokenizer' },
  };
}

async function runGoldens() {
  await golden('wordpiece-nmt.patch.json', 'wordpiece-nmt.jsonl');
  await golden('unigram-precompiled.json.gz', 'unigram-precompiled.jsonl');
  await golden('unigram.json.gz', 'unigram.jsonl');
  await golden('unigram-bytefallback.json.gz', 'unigram-bytefallback.jsonl');
  await golden('bert-base-uncased.json.gz', 'bert-base-uncased.jsonl');
  await golden('bert-base-uncased.json.gz', 'bert-base-uncased-trunc512.jsonl', { texts: [long.slice(0, 5000), long.slice(0, 1000)], truncation: { max_length: 512, stride: 0 } });
  await golden('bert-base-uncased.json.gz', 'bert-base-uncased-stride.jsonl', { texts: [long.slice(0, 2000), corpus[1]], truncation: { max_length: 128, stride: 32 } });
  await golden('bert-base-uncased.json.gz', 'bert-base-uncased-left.jsonl', { texts: [long.slice(0, 800)], truncation: { max_length: 64, stride: 8, direction: 'left' } });
  await golden('all-minilm-l6-v2.json.gz', 'all-minilm-l6-v2.jsonl');
  await golden('sentence-transformers-labse.json', 'sentence-transformers-labse.jsonl');
  await golden('wordlevel.json', 'wordlevel.jsonl');
  await golden('bpe-roberta.json', 'bpe-roberta.jsonl');
  await golden('bpe-metaspace.json', 'bpe-metaspace.jsonl');
  await golden('wordpiece-pretok.patch.json', 'wordpiece-pretok.jsonl');
  await golden('wordpiece-whitespace.patch.json', 'wordpiece-whitespace.jsonl');
  await golden('wordpiece-added.patch.json', 'wordpiece-added.jsonl');
  await golden('wordpiece-split.patch.json', 'wordpiece-split.jsonl');
  await golden('bpe-metaspace-pretok.json', 'bpe-metaspace-pretok.jsonl');
  await golden('cohere-tokenizer.json.gz', 'cohere.jsonl');
  await golden('Meta-Llama-3-8B-Instruct.json.gz', 'llama-3.jsonl');
  await goldenBatch('all-minilm-l6-v2.json.gz', 'all-minilm-l6-v2-batch.jsonl', [corpus.slice(0, 5), corpus.slice(10, 20), [long.slice(0, 2000), 'short']]);
  await goldenBatch('wordpiece-whitespace.patch.json', 'wordpiece-whitespace-batch.jsonl', [corpus.slice(0, 7), corpus.slice(20, 26)]);
}

(async () => {
  fs.mkdirSync(goldenDir, { recursive: true });
  if (process.env.GEN_OUT) {
    // one-off run: leave the committed fixtures alone
    await runGoldens();
    return;
  }
  fs.writeFileSync(path.join(here, 'wordlevel.json'), JSON.stringify(wordLevelFixture(), null, 1));
  fs.writeFileSync(path.join(here, 'bpe-roberta.json'), JSON.stringify(robertaFixture()));
  fs.writeFileSync(path.join(here, 'bpe-metaspace.json'), JSON.stringify(metaspaceFixture()));
  fs.writeFileSync(path.join(here, 'wordpiece-pretok.patch.json'), JSON.stringify(preTokFixture(), null, 1));
  fs.writeFileSync(path.join(here, 'wordpiece-whitespace.patch.json'), JSON.stringify(whitespaceFixture(), null, 1));
  fs.writeFileSync(path.join(here, 'wordpiece-added.patch.json'), JSON.stringify(addedFixture(), null, 1));
  fs.writeFileSync(path.join(here, 'wordpiece-nmt.patch.json'), JSON.stringify(nmtFixture(), null, 1));
  fs.writeFileSync(path.join(here, 'wordpiece-split.patch.json'), JSON.stringify(splitFixture(), null, 1));
  fs.writeFileSync(path.join(here, 'bpe-metaspace-pretok.json'), JSON.stringify(metaspacePreTokFixture()));
  fs.writeFileSync(path.join(here, 'unigram-precompiled.json.gz'), zlib.gzipSync(JSON.stringify(unigramPrecompiledFixture()), { level: 9 }));
  fs.writeFileSync(path.join(here, 'unigram.json.gz'), zlib.gzipSync(JSON.stringify(unigramFixture(false)), { level: 9 }));
  fs.writeFileSync(path.join(here, 'unigram-bytefallback.json.gz'), zlib.gzipSync(JSON.stringify(unigramFixture(true)), { level: 9 }));

  await runGoldens();
})();
