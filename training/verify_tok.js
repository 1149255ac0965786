// Encodes texts with Hugging Face's tokenizers (npm `tokenizers`) and prints the ids
// as JSON. Usage: NODE_PATH=... node verify_tok.js tokenizer.json texts.json
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
(async () => {
  const tok = Tokenizer.fromFile(process.argv[2]);
  const texts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const out = [];
  for (const t of texts) {
    const enc = await tok.encode(t);
    out.push(Array.from(enc.getIds()));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
