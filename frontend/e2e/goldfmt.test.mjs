// Training-format export and evaluation end-to-end: History's "Export as…"
// downloads the search shown as Label Studio JSON and CoNLL from the real
// server, and the downloaded Label Studio file, posted back to
// /v1/evaluate from the page as the UI would, scores the same models at 1.0.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'test-output', 'screenshots');
const downloads = path.join(root, 'test-output', 'downloads');
mkdirSync(shots, { recursive: true });
mkdirSync(downloads, { recursive: true });
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const texts = [
  'Angela Merkel met Emmanuel Macron in Paris 😍',
  'The hotel in Rome was awful and Marco never called back',
  'Great service from Amazon in Seattle, thank you!',
  '東京 was wonderful, said Yuki Tanaka',
];

let server;
let browser;
let page;
const pageErrors = [];

before(async () => {
  server = await startServer(root);
  const res = await fetch(`${server.base}/v1/analyze`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ texts, source: 'goldfmt-e2e' }),
  });
  assert.equal(res.status, 200, await res.text());
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', acceptDownloads: true });
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function exportAs(format) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.selectOption('[data-testid="history-export-as"]', format)]);
  const file = path.join(downloads, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), text: readFileSync(file, 'utf8') };
}

describe('training formats', () => {
  it('exports the History search as Label Studio and CoNLL, and evaluates the export', async () => {
    await page.goto(`${server.base}/#/history`);
    await page.waitForSelector('[data-testid="history-item"]');
    assert.equal((await page.textContent('[data-testid="history-count"]')).trim(), `${texts.length} documents · page 1`);
    await page.screenshot({ path: path.join(shots, 'history-export-as.png') });

    const ls = await exportAs('labelstudio');
    assert.equal(ls.name, 'nlpscope-results.labelstudio.json');
    const tasks = JSON.parse(ls.text);
    assert.deepEqual(tasks.map((t) => t.data.text), texts, 'one task per document, oldest first');
    for (const t of tasks) {
      const results = t.predictions[0].result;
      assert.ok(results.some((r) => r.type === 'choices' && r.from_name === 'sentiment'), 'a sentiment choice');
      for (const r of results.filter((r) => r.type === 'labels')) {
        // Code points, as Python slices: the span's text is the text at its offsets.
        assert.equal([...t.data.text].slice(r.value.start, r.value.end).join(''), r.value.text);
      }
    }
    assert.ok(tasks.some((t) => t.predictions[0].result.some((r) => r.type === 'labels')), 'some entities');
    assert.equal(await page.inputValue('[data-testid="history-export-as"]'), '', 'the select is ready for the next export');

    const conll = await exportAs('conll');
    assert.equal(conll.name, 'nlpscope-results.conll');
    assert.equal(conll.text.trim().split('\n\n').length, texts.length, 'a blank line after each document');
    assert.match(conll.text, /^😍 O$/m);
    assert.match(conll.text, /^(Angela B-PER|Paris B-LOC)$/m);

    // The downloaded file as gold, posted from the page as a later Evaluate view would.
    const ev = await page.evaluate(async (body) => {
      const fd = new FormData();
      fd.append('file', new Blob([body], { type: 'application/json' }), 'tasks.json');
      const res = await fetch('/v1/evaluate', { method: 'POST', body: fd, headers: { 'X-Nlpscope-Request': '1' } });
      return { status: res.status, json: await res.json() };
    }, ls.text);
    assert.equal(ev.status, 200, JSON.stringify(ev.json));
    const rep = ev.json.runs[0].report;
    assert.equal(rep.docs, texts.length);
    assert.equal(rep.sentiment.accuracy, 1);
    assert.equal(rep.entities.micro.f1, 1);
    assert.deepEqual(rep.disagreements, []);
    assert.deepEqual(pageErrors, []);
  });
});
