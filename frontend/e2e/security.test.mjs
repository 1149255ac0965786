// Security end-to-end: every web page the user has open can reach the
// loopback server. A page from a second local origin tries the CSRF writes
// (text/plain fetch, form post, multipart import, model switch, load test)
// and a page on a name that resolves to 127.0.0.1 tries to read the history
// (DNS rebinding, simulated with --host-resolver-rules). Every one must be
// refused, and the real UI on its own origin must keep working.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, startServer } from './server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SECRET = 'Confidential memo: Alice negotiates the Berlin merger.';

let server;
let evil; // the other origin's web server
let evilPort;
let browser;
let port;

// api calls the server as a script client would (no browser, JSON).
async function api(method, p, body) {
  const res = await fetch(server.base + p, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function state() {
  const results = await api('GET', '/v1/results?limit=500');
  const imports = await api('GET', '/v1/imports');
  const loadtests = await api('GET', '/v1/loadtests');
  const models = await api('GET', '/v1/models');
  return {
    docs: results.json.items.length,
    imports: imports.json.imports.length,
    loadtests: (loadtests.json ?? []).length,
    current: JSON.stringify((await api('GET', '/v1/loadtests/current')).json),
    models: JSON.stringify(models.json),
  };
}

// The attacking page: it fires every write it can without a preflight at
// the target and reports when all requests have been answered.
function attackPage(target) {
  return `<!doctype html><html><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="f1" target="sink1" method="POST" action="${target}/v1/analyze" enctype="text/plain">
  <input name='{"text":"form ${SECRET}","tasks":["sentiment"],"x":"' value='"}'>
</form>
<form id="f2" target="sink2" method="POST" action="${target}/v1/analyze">
  <input name="text" value="urlencoded ${SECRET}">
</form>
<script>
window.attack = async () => {
  const loaded = (name) => new Promise((r) => document.querySelector('iframe[name=' + name + ']').addEventListener('load', r, { once: true }));
  const l1 = loaded('sink1'), l2 = loaded('sink2');
  document.getElementById('f1').submit();
  document.getElementById('f2').submit();
  const doc = JSON.stringify({ text: 'fetch ${SECRET}', tasks: ['sentiment'] });
  const fd = new FormData();
  fd.append('files', new Blob(['good day\\nbad day\\n'], { type: 'text/plain' }), 'a.txt');
  const shots = [
    fetch('${target}/v1/analyze', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: doc }),
    fetch('${target}/v1/imports', { method: 'POST', mode: 'no-cors', body: fd }),
    fetch('${target}/v1/models/active', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ task: 'sentiment', dir: '/' }) }),
    fetch('${target}/v1/loadtests', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ task: 'sentiment', mode: 'open', rate: 1000000, duration_ns: 3600000000000 }) }),
  ];
  // A cross-origin read of the history fails in the browser (no CORS).
  let read = 'refused';
  try { await (await fetch('${target}/v1/results')).text(); read = 'READ'; } catch { /* CORS */ }
  await Promise.allSettled(shots);
  await Promise.all([l1, l2]);
  return read;
};
</script></body></html>`;
}

before(async () => {
  server = await startServer(root);
  port = Number(new URL(server.base).port);
  evilPort = await freePort();
  evil = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(attackPage(req.url.startsWith('/rebind') ? `http://evil.test:${port}` : server.base));
  });
  await new Promise((r) => evil.listen(evilPort, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--host-resolver-rules=MAP evil.test 127.0.0.1`],
  });
  const r = await api('POST', '/v1/analyze', { text: SECRET, tasks: ['sentiment'] });
  assert.equal(r.status, 200, 'a script client posting JSON is served');
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (evil ? evil.close(r) : r()));
  await server?.stop();
});

describe('other web pages', () => {
  it('cannot write: CSRF form posts and no-cors fetches from another origin are refused and change nothing', async () => {
    const before = await state();
    assert.equal(before.docs, 1);
    const page = await browser.newPage();
    const seen = [];
    page.on('response', (res) => {
      if (res.url().startsWith(server.base)) seen.push(`${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`);
    });
    await page.goto(`http://127.0.0.1:${evilPort}/`);
    assert.equal(await page.evaluate(() => window.attack()), 'refused');
    await page.close();
    const writes = seen.filter((s) => !s.startsWith('GET'));
    assert.ok(writes.length >= 6, `the attacks reached the server: ${seen.join(', ')}`);
    for (const s of writes) assert.match(s, / 403$/, `refused with 403: ${s}`);
    assert.deepEqual(await state(), before, 'nothing stored, imported, started or switched');
  });

  it('cannot read: a page on a name that resolves to 127.0.0.1 (DNS rebinding) gets 403 everywhere', async () => {
    const page = await browser.newPage();
    for (const p of ['/', '/v1/results', '/v1/results/export?format=jsonl', '/v1/settings', '/debug/pprof/cmdline', '/v1/metrics/stream']) {
      const res = await page.goto(`http://evil.test:${port}${p}`);
      assert.equal(res.status(), 403, `GET http://evil.test:${port}${p}`);
      const body = await res.text();
      assert.ok(!body.includes('Confidential'), `no history in the answer to ${p}`);
      assert.match(body, /forbidden_host/);
    }
    // The page itself, once "rebound", tries a same-origin read and writes.
    const before = await state();
    await page.goto(`http://evil.test:${evilPort}/rebind`);
    await page.evaluate(() => window.attack());
    const read = await page.evaluate(async (u) => {
      try {
        return await (await fetch(u)).text();
      } catch (e) {
        return 'error ' + e;
      }
    }, `http://evil.test:${port}/v1/results`);
    assert.ok(!read.includes('Confidential'), `rebinding read: ${read.slice(0, 200)}`);
    assert.deepEqual(await state(), before);
    await page.close();
  });

  it('the real UI on its own origin keeps working', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/#/analyze`);
    await page.waitForSelector('[data-testid="nav-analyze"][aria-current="page"]');
    // The UI's own transport (same origin, JSON, X-Nlpscope-Request) writes.
    const status = await page.evaluate(async () => {
      const res = await fetch('/v1/analyze', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Nlpscope-Request': '1' },
        body: JSON.stringify({ text: 'a good day in Paris', tasks: ['sentiment'] }),
      });
      const fd = new FormData();
      fd.append('files', new Blob(['good day\n'], { type: 'text/plain' }), 'ok.txt');
      const imp = await fetch('/v1/imports', { method: 'POST', headers: { 'X-Nlpscope-Request': '1' }, body: fd });
      return [res.status, imp.status];
    });
    assert.deepEqual(status, [200, 202], 'the UI analyses and imports');
    await page.close();
  });
});
