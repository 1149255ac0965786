// Peer driver for `nlpscope bench`: runs transformers.js (@huggingface/transformers
// on onnxruntime-node) on a local model folder and answers one JSON command per
// stdin line with one JSON line on stdout. Local files only: remote model
// loading is disabled, nothing is downloaded.
//
// Commands:
//   {"op":"load","dir":D,"threads":N}              -> {"ok":true,"version":V,"ort":V}
//   {"op":"texts","texts":[...]}                    -> {"ok":true}
//   {"op":"run","mode":"concurrent","concurrency":C,"duration_ms":T[,"count":N]}
//   {"op":"run","mode":"batch","batch":B,"duration_ms":T[,"count":N]}
//                                                   -> {"ops":N,"elapsed_ms":E,"lat_ms":[...]}
//   {"op":"tokenize","duration_ms":T}               -> {"ops":TOKENS,"elapsed_ms":E}
//   {"op":"labels","texts":[...]}                   -> {"labels":[...]}
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';

env.allowRemoteModels = false;
env.allowLocalModels = true;

let classifier = null;
let texts = [];

function version(pkg) {
  try {
    const file = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return '';
  }
}

async function run(cmd) {
  switch (cmd.op) {
    case 'load': {
      env.localModelPath = path.dirname(path.resolve(cmd.dir)) + path.sep;
      classifier = await pipeline('text-classification', path.basename(cmd.dir), {
        dtype: 'fp32',
        device: 'cpu',
        local_files_only: true,
        session_options: { intraOpNumThreads: cmd.threads, interOpNumThreads: 1 },
      });
      return { ok: true, version: version('@huggingface/transformers'), ort: version('onnxruntime-node') };
    }
    case 'texts':
      texts = cmd.texts;
      return { ok: true };
    case 'run': {
      // With count: a fixed-work slice (count calls, all awaited; elapsed runs
      // to the last completion). Without: calls until duration_ms, and only
      // calls finished in time count.
      const fixed = Number.isInteger(cmd.count);
      const end = performance.now() + cmd.duration_ms;
      const more = () => (fixed ? sent < cmd.count : performance.now() < end);
      const lat = [];
      let ops = 0;
      let sent = 0;
      let next = 0;
      const start = performance.now();
      if (cmd.mode === 'batch') {
        while (more()) {
          sent++;
          const group = [];
          for (let i = 0; i < cmd.batch; i++) group.push(texts[next++ % texts.length]);
          const t0 = performance.now();
          await classifier(group);
          const t1 = performance.now();
          if (!fixed && t1 > end) break;
          lat.push(t1 - t0);
          ops += group.length;
        }
      } else {
        const worker = async () => {
          while (more()) {
            sent++;
            const text = texts[next++ % texts.length];
            const t0 = performance.now();
            await classifier(text);
            const t1 = performance.now();
            if (!fixed && t1 > end) break;
            lat.push(t1 - t0);
            ops++;
          }
        };
        await Promise.all(Array.from({ length: cmd.concurrency || 1 }, worker));
      }
      const stop = fixed ? performance.now() : Math.min(performance.now(), end);
      return { ops, elapsed_ms: stop - start, lat_ms: lat };
    }
    case 'tokenize': {
      const tok = classifier.tokenizer;
      const start = performance.now();
      const end = start + cmd.duration_ms;
      let ops = 0;
      let i = 0;
      while (performance.now() < end) {
        for (let k = 0; k < 64; k++) ops += tok.encode(texts[i++ % texts.length]).length;
      }
      return { ops, elapsed_ms: performance.now() - start };
    }
    case 'labels': {
      const out = [];
      for (const t of cmd.texts) out.push((await classifier(t))[0].label);
      return { labels: out };
    }
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  let reply;
  try {
    reply = await run(JSON.parse(line));
  } catch (e) {
    reply = { error: String(e && e.stack ? e.stack : e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
