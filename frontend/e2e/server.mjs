// Starts a real `nlpscope serve` (real engine, temp database, random free
// port) for the end-to-end tests, and stops it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * startServer runs bin/nlpscope serve and resolves once /health answers 200.
 * Extra flags come from NLPSCOPE_E2E_ARGS (space separated), e.g. model folders.
 * opts.int8: first quantize the embedded sentiment model into the run's models
 * folder (XDG_DATA_HOME/nlpscope/models/sentiment/model_int8.onnx).
 * opts.dir: the data folder of an earlier server of this run (restart on its
 * database) instead of a new one.
 */
export async function startServer(root, opts = {}) {
  const bin = process.env.NLPSCOPE_BIN || path.join(root, 'bin', 'nlpscope');
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'nlpscope-e2e-'));
  const port = await freePort();
  const extra = (process.env.NLPSCOPE_E2E_ARGS || '').split(/\s+/).filter(Boolean);
  const args = ['serve', '--addr', `127.0.0.1:${port}`, '--db', path.join(dir, 'e2e.db'), ...extra];
  const log = [];
  const env = { ...process.env, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, HF_HUB_CACHE: path.join(dir, 'hf') };
  delete env.NLPSCOPE_MODELS_DIR;
  if (opts.int8) {
    // An INT8 variant of the embedded sentiment model in this run's models
    // folder, made as a user makes one, for the Models view to switch to.
    const q = spawnSync(bin, ['models', 'quantize', 'sentiment', '--no-compare', '--embeddings', '--conv'], { cwd: root, env, encoding: 'utf8' });
    if (q.status !== 0) throw new Error(`nlpscope models quantize sentiment failed (${q.status}):\n${q.stdout}${q.stderr}`);
  }
  const child = spawn(bin, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout.on('data', (b) => log.push(String(b)));
  child.stderr.on('data', (b) => log.push(String(b)));
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 200))]);
    if (early) throw new Error(`nlpscope serve exited (${JSON.stringify(early)}):\n${log.join('')}`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nlpscope serve did not become healthy in 60 s:\n${log.join('')}`);
    }
  }
  return {
    base,
    dir,
    log,
    /** kill ends serve with SIGKILL (no shutdown) and keeps its data folder, for a restart with opts.dir. */
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const res = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return res;
    },
  };
}
