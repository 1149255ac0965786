// Runs an ONNX model with ONNX Runtime (npm onnxruntime-node) on each id sequence
// alone (batch 1) and prints the flattened logits as JSON.
const fs = require('fs');
const ort = require('onnxruntime-node');
(async () => {
  const sess = await ort.InferenceSession.create(process.argv[2]);
  const seqs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const out = [];
  for (const s of seqs) {
    const ids = new ort.Tensor('int64', BigInt64Array.from(s.map(BigInt)), [1, s.length]);
    const mask = new ort.Tensor('int64', BigInt64Array.from(s.map(() => 1n)), [1, s.length]);
    const r = await sess.run({ input_ids: ids, attention_mask: mask });
    out.push(Array.from(r.logits.data));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
