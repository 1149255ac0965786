// End-to-end for Batches (issue 16), in Chromium against a real
// `nlpscope serve`: a dropped CSV is previewed with the text column chosen by
// content (body, not the id), imported, and still listed with its counts
// after a reload; a dropped .xlsx is previewed with its sheet and imported;
// deleting an import asks first, with the count of its documents; an import
// cut off by kill -9 of the server is listed as interrupted after a restart,
// and Resume finishes it with every row stored once. A repeated line is one
// document with its count ("seen 3×" in History) unless "Keep every
// occurrence" is checked.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const shots = path.join(root, 'test-output', 'screenshots');
mkdirSync(shots, { recursive: true });

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
let server;
let browser;
let page;
const consoleErrors = [];

const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const text = async (sel) => (await page.textContent(sel))?.trim();

async function openBatches() {
  await page.goto(`${server.base}/#/batches`);
  await page.waitForSelector('[data-testid="nav-batches"][aria-current="page"]');
}

/** drop dispatches a drop of files (name, base64 content, type) onto the drop zone, as a user's drag does. */
async function drop(files) {
  const dt = await page.evaluateHandle((fs) => {
    const d = new DataTransfer();
    for (const f of fs) {
      const bin = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      d.items.add(new File([bin], f.name, { type: f.type }));
    }
    return d;
  }, files);
  await page.dispatchEvent('[data-testid="dropzone"]', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid="dropzone"]', 'drop', { dataTransfer: dt });
}

async function imports() {
  const res = await fetch(`${server.base}/v1/imports`);
  return (await res.json()).imports;
}

async function importAndWait() {
  const before = (await imports()).length;
  await page.click('[data-testid="import-start"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="import-state"]')?.textContent?.trim() === 'done', null, { timeout: 60_000 });
  const list = await imports();
  assert.equal(list.length, before + 1, 'one more import is recorded');
  return list[0];
}

before(async () => {
  server = await startServer(root);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
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
  if (res) assert.equal(res.code, 0, `serve exited with ${JSON.stringify(res)}`);
});

describe('batches', () => {
  const rows = Array.from({ length: 30 }, (_, i) => [i, `user${i}`, `Review ${i}: the pasta was ${i % 2 ? 'wonderful' : 'terrible'}, "honestly" — ${'x'.repeat(i)}`, 1 + (i % 5)]);
  const csv = 'id,author,body,stars\n' + rows.map((r) => [r[0], r[1], `"${String(r[2]).replaceAll('"', '""')}"`, r[3]].join(',')).join('\n') + '\n';

  it('previews a dropped CSV with the body column chosen, imports it, and lists it after a reload', async () => {
    await openBatches();
    await drop([{ name: 'reviews.csv', type: 'text/csv', b64: Buffer.from(csv).toString('base64') }]);
    await page.waitForSelector('[data-testid="preview-text-column"]');
    assert.equal(await text('[data-testid="preview-text-column"]'), 'body', 'the longest text column, not the first');
    assert.equal(await text('[data-testid="preview-delimiter"]'), 'comma ,');
    assert.equal(await text('[data-testid="preview-quote"]'), '"');
    assert.equal(await text('[data-testid="preview-header"]'), 'yes');
    assert.equal(await text('[data-testid="preview-encoding"]'), 'UTF-8');
    const chosen = await page.$$eval('[data-testid="preview-file"] th.chosen', (els) => els.map((e) => e.textContent.trim()));
    assert.deepEqual(chosen, ['body ✓'], 'the chosen column is highlighted');
    const firstRow = await page.$$eval('[data-testid="preview-file"] tbody tr:first-child td', (els) => els.map((e) => e.textContent));
    assert.deepEqual(firstRow, rows[0].map(String));
    // The Analyze button stays on the options' row, not on a row of its own.
    const btn = await page.locator('[data-testid="import-start"]').boundingBox();
    const opt = await page.locator('.opts label').first().boundingBox();
    assert.ok(btn.y < opt.y + opt.height && opt.y < btn.y + btn.height, `button ${JSON.stringify(btn)} beside the options ${JSON.stringify(opt)}`);
    // An override previews again: the id column highlighted instead, then back.
    await page.selectOption('[data-testid="csv-column"]', 'id');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-text-column"]')?.textContent?.trim() === 'id');
    await page.selectOption('[data-testid="csv-column"]', '');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-text-column"]')?.textContent?.trim() === 'body');
    // The id column is kept with each document.
    await page.selectOption('[data-testid="id-column"]', 'id');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-id-column"]')?.textContent?.trim() === 'id');
    // The author column is ticked as metadata, kept with each document.
    await page.check('[data-testid="meta-toggle"][data-column="author"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-meta-columns"]')?.textContent?.trim() === 'author');
    await shot('batches-preview');

    const imp = await importAndWait();
    assert.equal(Number((await text('[data-testid="import-done"]')).replace(/\D/g, '')), 30);
    assert.equal(imp.state, 'done');
    assert.equal(imp.done, 30);
    // The stored texts are the bodies, not "0"…"29".
    const page1 = await (await fetch(`${server.base}/v1/results?import_id=${imp.id}&limit=100`)).json();
    assert.deepEqual(page1.items.map((d) => d.text).sort(), rows.map((r) => r[2]).sort());
    for (const it of page1.items.slice(0, 5)) {
      const doc = await (await fetch(`${server.base}/v1/results/${it.id}`)).json();
      const row = rows.find((r) => r[2] === doc.text);
      assert.equal(doc.ext_id, String(row[0]), 'the row id is stored with its document');
      assert.deepEqual(doc.metadata, { author: row[1] }, 'the metadata column is stored with its document');
    }
    // History filters by metadata: exactly the one row by user3, and its pane shows the metadata.
    const byUser3 = await (await fetch(`${server.base}/v1/results?meta=author:user3`)).json();
    assert.deepEqual(byUser3.items.map((d) => d.text), [rows[3][2]]);
    await page.goto(`${server.base}/#/history/${encodeURIComponent('filter:' + new URLSearchParams({ meta: 'author=user3' }))}`);
    await page.waitForFunction(() => /^1 document\b/.test(document.querySelector('[data-testid="history-count"]')?.textContent?.trim() ?? ''));
    await page.click('[data-testid="history-item"]');
    await page.waitForSelector('[data-testid="doc-metadata"]');
    assert.match(await text('[data-testid="doc-metadata"]'), /author\s*user3/);
    await shot('history-metadata');

    await page.reload();
    await openBatches();
    const row = `[data-testid="import-row"][data-id="${imp.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await text(`${row} [data-testid="row-state"]`), 'done');
    assert.equal(await text(`${row} [data-testid="row-done"]`), '30');
    assert.equal(await text(`${row} [data-testid="row-total"]`), '30');
    assert.equal(await text(`${row} [data-testid="row-failed"]`), '0');
    assert.match(await text(`${row} .files`), /reviews\.csv.*text from column "body"/s);
  });

  it('previews a dropped .xlsx with its sheet, imports it, and deletes it after confirming the count', async () => {
    await openBatches();
    const xlsx = readFileSync(path.join(here, 'fixtures', 'reviews.xlsx'));
    await drop([{ name: 'reviews.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', b64: xlsx.toString('base64') }]);
    await page.waitForSelector('[data-testid="preview-sheet"]');
    assert.equal(await text('[data-testid="preview-sheet"]'), 'Reviews', 'the first sheet with data');
    assert.equal(await text('[data-testid="preview-text-column"]'), 'body');
    const sheets = await page.$$eval('[data-testid="sheet"] option', (els) => els.map((e) => e.value));
    assert.deepEqual(sheets, ['', 'Notes', 'Reviews']);
    await shot('batches-xlsx-preview');
    const imp = await importAndWait();
    assert.equal(imp.done, 4);

    await page.reload();
    await openBatches();
    const row = `[data-testid="import-row"][data-id="${imp.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await text(`${row} [data-testid="row-done"]`), '4');
    assert.equal((await page.$$('[data-testid="import-row"]')).length, 2, 'both imports are listed');
    await shot('batches-imports');

    await page.click(`${row} [data-testid="row-delete"]`);
    await page.waitForSelector('[data-testid="delete-confirm"]');
    assert.match(await text('[data-testid="delete-confirm"]'), /Delete import \d+ \(reviews\.xlsx\) and its 4 documents\?/);
    assert.equal((await imports()).length, 2, 'nothing is deleted before confirming');
    await page.click('[data-testid="delete-confirm-yes"]');
    await page.waitForSelector(row, { state: 'detached' });
    assert.match(await text('[data-testid="imports-note"]'), /Deleted 4 documents/);
    const left = await (await fetch(`${server.base}/v1/results?import_id=${imp.id}`)).json();
    assert.equal(left.items.length, 0, 'its documents are gone');
    assert.equal((await imports()).length, 1);
    assert.deepEqual(consoleErrors, []);
  });

  it('lists an import cut off by kill -9 of the server as interrupted, and Resume finishes it without duplicates', async () => {
    const n = 6000;
    const bodies = Array.from({ length: n }, (_, i) => `Resumed review ${i}: the delivery was ${i % 3 ? 'quick' : 'late'} and the box ${i % 2 ? 'intact' : 'dented'}.`);
    const big = 'id,body\n' + bodies.map((b, i) => `${i},${b}`).join('\n') + '\n';
    const form = new FormData();
    form.set('tasks', 'sentiment');
    form.append('files', new Blob([big], { type: 'text/csv' }), 'big.csv');
    const up = await fetch(`${server.base}/v1/imports`, { method: 'POST', body: form, headers: { 'X-Nlpscope-Request': '1' } });
    assert.equal(up.status, 202);
    const { id } = await up.json();
    let st;
    for (;;) {
      st = await (await fetch(`${server.base}/v1/imports/${id}`)).json();
      if ((st.done >= 300 && st.total_exact) || st.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(st.state, 'running', `the import must still run when the server is killed: ${JSON.stringify(st)}`);
    const dir = server.dir;
    await server.kill();
    server = await startServer(root, { dir });

    await openBatches();
    const row = `[data-testid="import-row"][data-id="${id}"]`;
    await page.waitForSelector(row);
    assert.equal(await text(`${row} [data-testid="row-state"]`), 'interrupted');
    const stored = Number((await text(`${row} [data-testid="row-done"]`)).replace(/\D/g, ''));
    assert.ok(stored >= 300 && stored < n, `stored before the kill: ${stored}`);
    assert.equal(await text(`${row} [data-testid="row-total"]`), n.toLocaleString('en-US'), 'the total of the first, counting pass was recorded');
    await shot('batches-interrupted');
    await page.click(`${row} [data-testid="row-resume"]`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.trim() === 'done', `${row} [data-testid="row-state"]`, { timeout: 120_000 });
    assert.equal(await text(`${row} [data-testid="row-done"]`), n.toLocaleString('en-US'));
    assert.equal(await text(`${row} [data-testid="row-total"]`), n.toLocaleString('en-US'));
    // An independent count: every body exactly once among the import's documents.
    const res = await fetch(`${server.base}/v1/results/export?format=jsonl&import_id=${id}`);
    const texts = (await res.text()).trim().split('\n').map((l) => JSON.parse(l).text);
    assert.equal(texts.length, n, 'no row missing, none duplicated');
    assert.deepEqual([...texts].sort(), [...bodies].sort());
    assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource|net::ERR|EventSource/.test(e)), []);
  });

  it('stores a repeated line once with its count, shows "seen 3×" in History, and keeps every occurrence when asked', async () => {
    const lines = ['Duplicate check: the soup was cold.', 'Duplicate check: the soup was cold.', 'Duplicate check: service was kind.',
      'Duplicate check: the soup was cold.'];
    await openBatches();
    await drop([{ name: 'repeats.txt', type: 'text/plain', b64: Buffer.from(lines.join('\n') + '\n').toString('base64') }]);
    await page.waitForSelector('[data-testid="preview-file"]');
    const imp = await importAndWait();
    assert.equal(imp.done, 4);
    assert.equal(imp.new, 2, 'two distinct texts');
    assert.equal(imp.duplicates, 2, 'two rows seen before');
    assert.equal(await text('[data-testid="import-duplicates"]'), '2 new documents, 2 rows seen before');
    const docs = (await (await fetch(`${server.base}/v1/results?import_id=${imp.id}&limit=100`)).json()).items;
    assert.deepEqual(docs.map((d) => `${d.text} ${d.seen}`).sort(), ['Duplicate check: service was kind. 1', 'Duplicate check: the soup was cold. 3']);

    await page.goto(`${server.base}/#/history`);
    await page.fill('[data-testid="history-q"]', '"Duplicate check"');
    await page.click('[data-testid="history-search"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-item"]').length === 2);
    const seen = await page.$$eval('[data-testid="history-item"]', (els) => els.map((e) => e.querySelector('[data-testid="history-seen"]')?.textContent?.trim() ?? ''));
    assert.deepEqual(seen.sort(), ['', 'seen 3×']);
    await page.click('[data-testid="history-item"]:has([data-testid="history-seen"])');
    await page.waitForSelector('[data-testid="doc-imports"]');
    assert.match(await text('[data-testid="doc-imports"]'), new RegExp(`^From import\\s+#${imp.id}$`));
    await shot('history-seen');

    // Keep every occurrence: four more documents.
    await page.reload();
    await openBatches();
    await drop([{ name: 'repeats.txt', type: 'text/plain', b64: Buffer.from(lines.join('\n') + '\n').toString('base64') }]);
    await page.waitForSelector('[data-testid="preview-file"]');
    await page.check('[data-testid="keep-duplicates"]');
    const kept = await importAndWait();
    assert.equal(kept.new, 4);
    assert.equal(kept.duplicates, 0);
    assert.equal(kept.options.keep_duplicates, true);
    const all = (await (await fetch(`${server.base}/v1/results?q=${encodeURIComponent('"Duplicate check"')}&limit=100`)).json()).items;
    assert.equal(all.length, 6);
    assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource|net::ERR|EventSource/.test(e)), []);
  });
});
