// End-to-end: Debian chromium driven by playwright-core against a real
// `nlpscope serve`. Screenshots of every view go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'test-output', 'screenshots');
mkdirSync(shots, { recursive: true });

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
let server;
let browser;
let page;
const consoleErrors = [];

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
}

async function open(view) {
  await page.goto(`${server.base}/#/${view}`);
  await page.waitForSelector(`[data-testid="nav-${view}"][aria-current="page"]`);
}

/** cp slices by Unicode code points, as the API's offsets do. */
const cp = (s, a, b) => Array.from(s).slice(a, b).join('');

before(async () => {
  server = await startServer(root, { int8: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
  const res = await server?.stop();
  if (server) writeFileSync(path.join(shots, '..', 'e2e-server.log'), server.log.join(''));
  // A clean shutdown: SIGTERM ends serve with status 0.
  if (res) assert.equal(res.code, 0, `serve exited with ${JSON.stringify(res)}`);
});

describe('web shell', () => {
  it('analyzes pasted text: sentiment with every label and highlighted entities at code-point offsets', async () => {
    await open('analyze');
    const text = '🎉 Angela Merkel met Emmanuel Macron in Paris, and Microsoft opened an office in Berlin. 東京 was not invited.';
    await page.fill('[data-testid="analyze-text"]', text);
    await page.press('[data-testid="analyze-text"]', 'Control+Enter');
    await page.waitForSelector('[data-testid="sentiment-label"]');
    const label = (await page.textContent('[data-testid="sentiment-label"]')).trim();
    assert.match(label, /\w+/);
    const bars = await page.$$('[data-testid="sentiment"] [role="meter"]');
    assert.ok(bars.length >= 2, `a score bar per label, got ${bars.length}`);

    // Compare the page's highlights with the API's spans for the same text.
    const res = await fetch(`${server.base}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text, no_store: true }) });
    const api = (await res.json()).results[0];
    const spans = api.entities;
    assert.ok(spans.length > 0, 'the NER model finds entities in the example');
    assert.ok(api.meta.entities.model && api.meta.sentiment.model, 'each task says its model in meta, beside its result');
    const marks = await page.$$eval('[data-testid="entity"]', (els) => els.map((e) => ({ label: e.dataset.label, text: e.firstChild.textContent })));
    assert.deepEqual(
      marks,
      spans.map((s) => ({ label: s.label, text: cp(text, s.start, s.end) })),
    );
    for (const s of spans) assert.equal(cp(text, s.start, s.end), s.text, 'API offsets are code points');
    await page.waitForSelector('[data-testid="waterfall"]');
    await shot('analyze');
    await page.click('[data-testid="theme"]');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await shot('analyze-dark');
    await page.click('[data-testid="theme"]');

    // Legend filter hides a label's highlights.
    const first = spans[0].label;
    await page.click(`[data-testid="legend-${first}"]`);
    const after = await page.$$eval('[data-testid="entity"]', (els) => els.map((e) => e.dataset.label));
    assert.ok(!after.includes(first));
    await page.click(`[data-testid="legend-${first}"]`);

    // The same text again is a cache hit: its own time is the lookup, the
    // original stages are marked "computed earlier".
    await page.press('[data-testid="analyze-text"]', 'Control+Enter');
    await page.waitForSelector('[data-testid="waterfall-sentiment-computed"]');
    assert.match(await page.textContent('[data-testid="waterfall-sentiment"]'), /cache lookup/);
    // Editing the text marks the shown result stale.
    await page.fill('[data-testid="analyze-text"]', text + ' More.');
    await page.waitForSelector('[data-testid="analyze-stale"]');
  });

  it('reads a long document by sentences: a strip per sentence, the most negative one a click away', async () => {
    await open('analyze');
    const pos = ['I love this phone, it is wonderful.', 'The screen is beautiful and so bright.', 'Setup was quick and easy, great job!'];
    const neg = ['Then it broke and support was terrible.', 'The battery died after a week, awful.', 'I hate it now, the worst purchase ever.'];
    const sents = [...Array.from({ length: 20 }, (_, i) => pos[i % 3]), ...Array.from({ length: 40 }, (_, i) => neg[i % 3])];
    const text = sents.join(' ');
    await page.fill('[data-testid="analyze-text"]', text);
    await page.press('[data-testid="analyze-text"]', 'Control+Enter');
    // One row per sentence (the previous test's result had 2).
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="sentence"]').length === 60);
    assert.match(await page.textContent('[data-testid="sentiment-read"]'), /length-weighted mean of 60 sentences/);
    assert.match(await page.textContent('[data-testid="sentiment-label"]'), /negative/i);
    const res = await fetch(`${server.base}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text, tasks: ['sentiment'], no_store: true }) });
    const api = (await res.json()).results[0].sentiment;
    assert.equal(api.method, 'mean');
    assert.deepEqual(api.sentences.map((s) => cp(text, s.start, s.end)), sents, 'API sentence spans are code points');
    // Jump to the most negative sentence: it is the one the API scores highest for negative.
    let best = 0;
    api.sentences.forEach((s, i) => {
      if (s.scores[0].score > api.sentences[best].scores[0].score) best = i;
    });
    await page.click('[data-testid="jump-negative"]');
    const sel = await page.$eval('[data-testid="sentence"].sel', (el) => el.dataset.index);
    assert.equal(Number(sel), best);
    await shot('analyze-sentences');
  });

  it('disables Analyze until there is text to analyse', async () => {
    await open('analyze');
    await page.fill('[data-testid="analyze-text"]', '   x');
    await page.fill('[data-testid="analyze-text"]', '   ');
    assert.equal(await page.isDisabled('[data-testid="analyze-run"]'), true, 'nothing to analyse: the button is disabled');
  });

  it('imports a file with progress, lists its rows, and History finds them', async () => {
    await open('batches');
    const word = `zebrafish${Date.now() % 100000}`;
    const lines = Array.from({ length: 40 }, (_, i) => `Review ${i}: the ${word} service in Berlin was ${i % 2 ? 'wonderful' : 'terrible'}.`);
    const csv = 'id,review\n' + lines.slice(0, 10).map((l, i) => `${i},"${l}"`).join('\n') + '\n';
    const jsonl = [`{"text": "Extra ${word} note from Madrid."}`, '{"text": broken', '{"body": "no text field"}', `{"text": "Last ${word} line."}`].join('\n') + '\n';
    await page.setInputFiles('[data-testid="file-input"]', [
      { name: 'reviews.txt', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n') + '\n\n') },
      { name: 'reviews.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) },
      { name: 'notes.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) },
    ]);
    await page.waitForSelector('[data-testid="csv-column"]');
    await page.selectOption('[data-testid="csv-column"]', 'review');
    await page.click('[data-testid="import-start"]');
    await page.waitForSelector('[data-testid="import-status"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="import-state"]')?.textContent?.trim() === 'done', null, { timeout: 60_000 });
    const done = Number((await page.textContent('[data-testid="import-done"]')).replace(/\D/g, ''));
    assert.equal(done, 52, '40 lines + 10 CSV rows + 2 good JSONL lines analysed');
    // The bad JSONL lines are listed with file and line number.
    const errs = await page.$$eval('[data-testid="import-errors"] li', (els) => els.map((e) => e.textContent));
    assert.equal(errs.length, 2, `errors: ${JSON.stringify(errs)}`);
    assert.match(errs[0], /notes\.jsonl:2\b/);
    assert.match(errs[1], /notes\.jsonl:3\b/);
    await page.waitForSelector('[data-testid="import-rows"] tbody tr');
    await shot('batches');

    await open('history');
    await page.fill('[data-testid="history-q"]', word);
    await page.click('[data-testid="history-search"]');
    await page.waitForFunction((w) => [...document.querySelectorAll('[data-testid="history-item"] mark')].some((m) => m.textContent.toLowerCase().includes(w)), word);
    const items = await page.$$('[data-testid="history-item"]');
    assert.ok(items.length >= 20, `a page of matching documents, got ${items.length}`);
    await items[0].click();
    await page.waitForSelector('[data-testid="history-doc"] [data-testid="correction-text"]');
    const docText = await page.textContent('[data-testid="history-doc"] [data-testid="correction-text"]');
    assert.ok(docText.includes(word));
    await shot('history');
    // Esc closes the document pane.
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="history-doc"]', { state: 'detached' });
    // The count of the search, and an export of exactly that many documents as CSV.
    // 52 rows, 42 documents: the CSV's 10 rows repeat the first 10 lines (one
    // document each, seen twice).
    assert.equal((await page.textContent('[data-testid="history-count"]')).trim(), '42 documents · page 1');
    assert.equal((await page.textContent('[data-testid="history-export-csv"]')).trim(), 'Export 42 as CSV');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="history-export-csv"]')]);
    const csvOut = await new Promise((resolve, reject) => {
      download.createReadStream().then((st) => {
        const chunks = [];
        st.on('data', (c) => chunks.push(c));
        st.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        st.on('error', reject);
      }, reject);
    });
    const csvLines = csvOut.trim().split('\n');
    assert.equal(csvLines.length, 1 + 42, 'a header and one line per matching document');
    assert.ok(csvLines.slice(1).every((l) => l.includes(word)));
    // Keyset paging: the next page holds other documents.
    const firstIds = await page.$$eval('[data-testid="history-item"]', (els) => els.map((e) => e.getAttribute('aria-label')));
    if (!(await page.isDisabled('[data-testid="history-next"]'))) {
      await page.click('[data-testid="history-next"]');
      await page.waitForFunction((ids) => {
        const now = [...document.querySelectorAll('[data-testid="history-item"]')].map((e) => e.getAttribute('aria-label'));
        return now.length > 0 && !now.some((x) => ids.includes(x));
      }, firstIds);
    }
  });

  it('takes files dropped onto the drop zone and skips unsupported ones', async () => {
    await open('batches');
    await page.click('text=Clear').catch(() => {});
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(['{"text":"dropped"}\n'], 'dropped.jsonl', { type: 'application/x-ndjson' }));
      d.items.add(new File(['%PDF'], 'paper.pdf', { type: 'application/pdf' }));
      return d;
    });
    await page.dispatchEvent('[data-testid="dropzone"]', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('[data-testid="dropzone"]', 'drop', { dataTransfer: dt });
    await page.waitForSelector('text=dropped.jsonl');
    assert.match(await page.textContent('main'), /Skipped \(not \.txt, \.csv, .*\): paper\.pdf/);
  });

  it('updates the dashboard charts live', async () => {
    await open('dashboard');
    await page.waitForSelector('[data-testid="chart-latency"] canvas');
    const samples = async () => Number((await page.textContent('[data-testid="dash-live"]')).replace(/\D/g, '') || 0);
    const s0 = await samples();
    // Four seconds of traffic from 8 concurrent clients, so lines, batches and queue have something to show.
    const until = Date.now() + 4000;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        while (Date.now() < until) {
          const n = sent++;
          const res = await fetch(`${server.base}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: `Client ${w} says: order ${n} from Acme Corp reached Paris ${n % 3 ? 'late' : 'on time'}.`, no_store: true }) });
          assert.ok(res.ok, `analyze ${res.status}`);
        }
      }),
    );
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="dash-live"]').textContent.replace(/\D/g, '')) >= n + 8, s0, { timeout: 15_000 });
    assert.ok((await samples()) > s0, 'new samples arrived over SSE');
    await page.waitForSelector('[data-testid="op-analyze"]');
    await page.waitForSelector('[data-testid="gauge-cpu"]');
    assert.ok((await page.$('[data-testid="no-gpu"]')) || (await page.$('[data-testid="gauge-gpu"]')), 'GPU gauges or a clear no-GPU state');
    await page.waitForTimeout(1500);
    await shot('dashboard');
    await page.click('[data-testid="theme"]');
    await page.waitForTimeout(500);
    await shot('dashboard-dark');
    await page.click('[data-testid="theme"]');
  });

  it('counts every workload on the dashboard and in /v1/metrics: an import and a built-in load test', async () => {
    const metrics = async () => (await (await fetch(`${server.base}/v1/metrics`)).json()).profiler.throughput;
    const textsOf = (t, src) => t.sources.find((x) => x.source === src)?.texts ?? 0;
    const before = await metrics();
    // An import through the API, as the Batches view sends it.
    const lines = Array.from({ length: 3000 }, (_, i) => `imported review ${i}: the service was ${i % 2 ? 'slow' : 'friendly'}`).join('\n');
    const form = new FormData();
    form.append('tasks', 'sentiment');
    form.append('files', new Blob([lines + '\n'], { type: 'text/plain' }), 'reviews.txt');
    const up = await fetch(`${server.base}/v1/imports`, { method: 'POST', body: form, headers: { 'X-Nlpscope-Request': '1' } });
    assert.equal(up.status, 202);
    const imp = await up.json();
    await open('dashboard');
    await page.selectOption('[data-testid="source-select"]', 'import').catch(() => {});
    await page.waitForTimeout(1500);
    await shot('dashboard-import');
    let st = imp;
    for (const deadline = Date.now() + 120_000; st.state === 'running' && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      st = await (await fetch(`${server.base}/v1/imports/${imp.id}`)).json();
    }
    assert.equal(st.state, 'done');
    assert.equal(st.done, 3000);
    assert.equal(st.total, 3000);
    // A built-in load test.
    const lt = await fetch(`${server.base}/v1/loadtests`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ task: 'sentiment', mode: 'open', rate: 30, duration_ns: 3e9 }) });
    assert.equal(lt.status, 200);
    await page.selectOption('[data-testid="source-select"]', 'loadtest').catch(() => {});
    await page.waitForTimeout(2000);
    await shot('dashboard-loadtest');
    let run = await lt.json();
    for (const deadline = Date.now() + 60_000; run && run.state === 'running' && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      run = await (await fetch(`${server.base}/v1/loadtests/current`)).json();
    }
    assert.equal(run.state, 'done');
    const after = await metrics();
    // Independent counts: the import's rows and the load test's report.
    assert.equal(textsOf(after, 'import') - textsOf(before, 'import'), 3000);
    assert.equal(textsOf(after, 'loadtest') - textsOf(before, 'loadtest'), run.report.succeeded);
    const sum = after.sources.reduce((a, x) => a + x.texts, 0);
    assert.equal(after.texts, sum, 'the total is the sum of the sources');
    // The dashboard shows the same counts (within 1 %), per source.
    for (const src of ['import', 'loadtest']) {
      await page.selectOption('[data-testid="source-select"]', src);
      const want = textsOf(after, src);
      await page.waitForFunction(
        ([w]) => {
          const t = document.querySelector('[data-testid="dash-rps"]')?.textContent ?? '';
          const m = t.match(/([\d,. ]+) texts since start/);
          const n = m ? Number(m[1].replace(/[^\d]/g, '')) : -1;
          return Math.abs(n - w) <= w * 0.01;
        },
        [want],
        { timeout: 10_000 },
      );
    }
    await page.selectOption('[data-testid="source-select"]', '');
    // Leave the stored runs as the Load test view's own test expects them.
    assert.equal((await fetch(`${server.base}/v1/loadtests/${run.report.id}`, { method: 'DELETE', headers: { 'X-Nlpscope-Request': '1' } })).status, 204);
  });

  it('runs a 5-second load test and shows its report', async () => {
    await open('loadtest');
    await page.fill('[data-testid="lt-name"]', 'e2e');
    await page.fill('[data-testid="lt-rate"]', '20');
    await page.fill('[data-testid="lt-duration"]', '5');
    await page.fill('[data-testid="lt-thresholds"]', 'p95<2000ms\nerrors<5%');
    await page.click('[data-testid="lt-start"]');
    await page.waitForSelector('[data-testid="lt-live"]');
    await page.waitForTimeout(2500);
    await shot('loadtest-running');
    await page.waitForSelector('[data-testid="loadtest-report"]', { timeout: 40_000 });
    const verdict = (await page.textContent('[data-testid="loadtest-verdict"]')).trim();
    assert.equal(verdict, 'PASSED');
    const rows = await page.$$('[data-testid="loadtest-thresholds"] tbody tr');
    assert.equal(rows.length, 2);
    await page.waitForSelector('[data-testid="lt-runs"] tbody tr');
    await page.$eval('[data-testid="loadtest-report"]', (el) => el.scrollIntoView({ block: 'start' }));
    await shot('loadtest');

    // A second, closed-loop run, then both side by side.
    await page.$eval('[data-testid="lt-start"]', (el) => el.scrollIntoView({ block: 'center' }));
    await page.check('[data-testid="lt-closed"]');
    await page.fill('[data-testid="lt-users"]', '2');
    await page.fill('[data-testid="lt-duration"]', '2');
    await page.fill('[data-testid="lt-name"]', 'e2e closed');
    await page.click('[data-testid="lt-start"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="lt-runs"] tbody tr').length === 2, null, { timeout: 30_000 });
    const boxes = await page.$$('[data-testid="lt-runs"] tbody input[type="checkbox"]');
    await boxes[0].check();
    await boxes[1].check();
    await page.waitForSelector('[data-testid="lt-compare"]');
    const cmp = await page.textContent('[data-testid="lt-compare"]');
    assert.match(cmp, /e2e closed/);
    assert.match(cmp, /p95/);
    await page.$eval('[data-testid="lt-compare"]', (el) => el.scrollIntoView({ block: 'end' }));
    await shot('loadtest-compare');
  });

  it('finds the max rate that holds an SLO and shows the per-step table', async () => {
    await open('loadtest');
    await page.check('[data-testid="lt-findmax"]');
    await page.fill('[data-testid="lt-name"]', 'e2e find max');
    await page.fill('[data-testid="lt-start-rate"]', '10');
    await page.fill('[data-testid="lt-max-rate"]', '40');
    await page.fill('[data-testid="lt-step"]', '1');
    await page.fill('[data-testid="lt-slo"]', 'p99<5s');
    await page.click('[data-testid="lt-start"]');
    // A loose SLO: 10, 20 and 40 req/s all hold, and 40 is the limit.
    await page.waitForSelector('[data-testid="loadtest-report"] [data-testid="capacity-answer"]', { timeout: 40_000 });
    const answer = await page.textContent('[data-testid="loadtest-report"] [data-testid="capacity-answer"]');
    assert.match(answer, /40(\.0)? req\/s/);
    assert.match(answer, /p99<5s, errors<1%/);
    const rows = await page.$$eval('[data-testid="loadtest-report"] [data-testid="capacity-steps"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
    );
    assert.deepEqual(rows.map((r) => r[2]), ['10.0/s', '20.0/s', '40.0/s']);
    assert.deepEqual(rows.map((r) => r[4]), ['10', '20', '40']); // sent per 1 s step
    assert.equal((await page.textContent('[data-testid="loadtest-verdict"]')).trim(), 'RATE FOUND');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="lt-runs"] tbody tr')].some((tr) => /max 40/.test(tr.textContent)), null, { timeout: 10_000 });
    await page.$eval('[data-testid="loadtest-report"]', (el) => el.scrollIntoView({ block: 'start' }));
    await shot('loadtest-findmax');
  });

  it('navigates every view by keyboard (Alt+1…6) and moves focus into the content', async () => {
    await open('analyze');
    const order = ['analyze', 'batches', 'history', 'dashboard', 'loadtest', 'models'];
    for (const [i, view] of order.entries()) {
      await page.keyboard.press(`Alt+${i + 1}`);
      await page.waitForSelector(`[data-testid="nav-${view}"][aria-current="page"]`);
      // Focus moves into the view (History puts it straight into its search box).
      assert.ok(await page.evaluate(() => document.getElementById('main').contains(document.activeElement)), `focus in the content of ${view}`);
    }
    // Tab from the content reaches a focusable control with a visible focus ring.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
  });

  it('lists the models with their details and settings', async () => {
    await open('models');
    await page.waitForSelector('[data-testid="model-sentiment"] .hash');
    // Each model says what it is for, from its card.
    assert.match(await page.textContent('[data-testid="model-sentiment"] [data-testid="model-card"]'), /English/);
    assert.match(await page.textContent('[data-testid="model-entities"] [data-testid="model-card"]'), /English/);
    const hash = (await page.textContent('[data-testid="model-sentiment"] .hash')).trim();
    assert.match(hash, /^[0-9a-f]{64}$/);
    await page.waitForSelector('[data-testid="settings"]');
    await shot('models');

    // Engine settings apply without restart and read back.
    const batch = page.locator('[data-testid="settings"] input[type="number"]').first();
    const before = Number(await batch.inputValue());
    const next = before === 7 ? 9 : 7;
    await batch.fill(String(next));
    await page.click('[data-testid="settings"] button[type="submit"]');
    await page.waitForSelector('[data-testid="settings"] [role="status"]');
    const settings = await (await fetch(`${server.base}/v1/settings`)).json();
    assert.equal(settings.max_batch_size, next);

    // The catalog lists the INT8 variant that `models quantize` made, with
    // its precision and size; switching to it serves it.
    const panel = '[data-testid="model-sentiment"]';
    const int8Row = `${panel} tr[data-testid="variant-sentiment"][data-variant="int8"]`;
    await page.waitForSelector(int8Row);
    const rowText = await page.textContent(int8Row);
    assert.match(rowText, /model_int8\.onnx/);
    assert.match(rowText, /u?int8/);
    assert.ok(await page.isVisible(`${panel} tr[data-variant="fp32"][data-ref="embedded:sentiment"].active`), 'the embedded fp32 model is marked active');
    const catalog = await (await fetch(`${server.base}/v1/models`)).json();
    const quantized = catalog.available.find((m) => m.source === 'models-dir' && m.variants.some((v) => v.name === 'int8'));
    assert.ok(quantized, 'GET /v1/models lists the models-dir copy with an int8 variant');

    let switched = page.waitForResponse((r) => r.url().endsWith('/v1/models/active') && r.request().method() === 'POST');
    await page.click(`${int8Row} button`);
    let res = await switched;
    assert.equal(res.status(), 200, await res.text());
    let info = await res.json();
    assert.equal(info.file, 'model_int8.onnx');
    assert.equal(info.quantized, true);
    await page.waitForSelector(`${int8Row}.active`);
    assert.ok((await page.textContent(panel)).includes(info.id), `the panel shows ${info.id}`);
    await shot('models-int8');
    // Analyses now run on the INT8 file.
    const analysed = await (await fetch(`${server.base}/v1/analyze`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'The INT8 model is fast and good.', tasks: ['sentiment'], no_store: true }),
    })).json();
    assert.equal(analysed.results[0].meta.sentiment.model, info.id);

    // Back to the embedded default.
    switched = page.waitForResponse((r) => r.url().endsWith('/v1/models/active') && r.request().method() === 'POST');
    await page.click(`${panel} tr[data-ref="embedded:sentiment"][data-variant="fp32"] button`);
    res = await switched;
    assert.equal(res.status(), 200, await res.text());
    info = await res.json();
    assert.equal(info.file, 'model.onnx');
    await page.waitForSelector(`${panel} tr[data-ref="embedded:sentiment"][data-variant="fp32"].active`);
    assert.ok((await page.textContent(panel)).includes(info.id), `the panel shows ${info.id}`);
  });

  it('logged no errors in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
