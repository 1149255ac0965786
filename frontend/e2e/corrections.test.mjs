// End-to-end: correcting a document in History. Analyse texts with the real
// engine, open one in History, add an entity by selecting text with the
// mouse (the span snaps to whole words), relabel it with a number key,
// delete a predicted entity with Delete, set the sentiment and mark it
// reviewed with r, save, reload: the correction is kept, the model's
// prediction is still shown under "Model", and the "disagrees" filter finds
// exactly this document.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'test-output', 'screenshots');
mkdirSync(shots, { recursive: true });

let server;
let browser;
let page;
const consoleErrors = [];

const target = 'Angela Merkel visited Paris and loved the wonderful food 😀 in 東京.';
const other = 'Microsoft opened a great new office in Berlin.';
let doc; // the analysis of target
const cp = (s) => Array.from(target.slice(0, target.indexOf(s))).length; // code-point offset

async function analyze(text) {
  const res = await fetch(`${server.base}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) });
  assert.equal(res.status, 200);
  return (await res.json()).results[0];
}

before(async () => {
  server = await startServer(root);
  doc = await analyze(target);
  await analyze(other);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1100 }, colorScheme: 'light' });
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** entities reads the entities the editor shows: [{label, text}]. */
function entities() {
  return page.$$eval('[data-testid="correction-entity"]', (els) =>
    els.map((e) => ({ label: e.dataset.label, start: Number(e.dataset.start), end: Number(e.dataset.end), text: e.firstChild.textContent })),
  );
}

/** dragSelect selects the characters [from, to) of needle's first occurrence in the editor text with the mouse. */
async function dragSelect(needle, from, to) {
  const pts = await page.evaluate(
    ([needle, from, to]) => {
      const box = document.querySelector('[data-testid="correction-text"]');
      const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const i = n.textContent.indexOf(needle);
        if (i < 0) continue;
        const r = document.createRange();
        r.setStart(n, i + from);
        r.setEnd(n, i + from + 1);
        const a = r.getBoundingClientRect();
        r.setStart(n, i + to - 1);
        r.setEnd(n, i + to);
        const b = r.getBoundingClientRect();
        return { x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2 };
      }
      return null;
    },
    [needle, from, to],
  );
  assert.ok(pts, `${needle} not in the editor text`);
  await page.mouse.move(pts.x1, pts.y1);
  await page.mouse.down();
  await page.mouse.move((pts.x1 + pts.x2) / 2, pts.y1, { steps: 4 });
  await page.mouse.move(pts.x2, pts.y2, { steps: 4 });
  await page.mouse.up();
}

describe('corrections', () => {
  it('adds, relabels and deletes entities, sets the sentiment, and keeps it all after a reload', async () => {
    const paris = doc.entities.find((e) => e.text === 'Paris');
    assert.ok(paris, `the model finds Paris: ${JSON.stringify(doc.entities)}`);
    const sentiment = doc.sentiment.label === 'negative' ? 'positive' : 'negative';

    await page.goto(`${server.base}/#/history`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-item"]').length === 2);
    await page.click(`[data-testid="history-item"] >> text=Angela Merkel`);
    await page.waitForSelector('[data-testid="correction-text"]');
    // At first the editor shows the model's entities.
    assert.deepEqual(
      (await entities()).map((e) => e.text),
      doc.entities.map((e) => e.text),
    );

    // Select "onderful fo" with the mouse: the span snaps to "wonderful food".
    await dragSelect('wonderful food', 1, 11);
    await page.waitForSelector('[data-testid="pick-ORG"]');
    assert.match(await page.textContent('[data-testid="correction-toolbar"]'), /Add “wonderful food” as/);
    await page.click('[data-testid="pick-ORG"]');
    let ents = await entities();
    let added = ents.find((e) => e.text === 'wonderful food');
    assert.deepEqual(added, { label: 'ORG', start: cp('wonderful'), end: cp('wonderful') + 14, text: 'wonderful food' });

    // Relabel with a number key: the picker numbers the labels.
    const picks = await page.$$eval('[data-testid^="pick-"]', (els) => els.map((e) => e.textContent.trim()));
    const misc = picks.find((p) => p.endsWith(' MISC'));
    assert.ok(misc, `MISC in the picker: ${picks}`);
    await page.keyboard.press(misc.split(' ')[0]);
    // Shift+→ extends it by one token: the emoji (one code point).
    await page.keyboard.press('Shift+ArrowRight');
    ents = await entities();
    added = ents.find((e) => e.text.startsWith('wonderful'));
    assert.deepEqual(added, { label: 'MISC', start: cp('wonderful'), end: cp('wonderful') + 16, text: 'wonderful food 😀' });
    await page.keyboard.press('Shift+ArrowLeft');
    ents = await entities();
    assert.equal(ents.find((e) => e.text.startsWith('wonderful')).text, 'wonderful food');

    // A CJK span: select 東京 (two code points).
    await dragSelect('東京', 0, 2);
    await page.click('[data-testid="pick-LOC"]');
    assert.ok((await entities()).some((e) => e.label === 'LOC' && e.text === '東京' && e.start === cp('東京') && e.end === cp('東京') + 2));

    // Click the predicted Paris and delete it.
    await page.click('[data-testid="correction-entity"][data-label="LOC"] >> text=Paris');
    await page.keyboard.press('Delete');
    assert.ok(!(await entities()).some((e) => e.text === 'Paris'), 'Paris deleted');

    // Sentiment and reviewed (the r key).
    await page.selectOption('[data-testid="correction-sentiment"]', sentiment);
    await page.click('[data-testid="correction-toolbar"]'); // focus out of the select
    await page.keyboard.press('r');
    assert.equal(await page.isChecked('[data-testid="correction-reviewed"]'), true);
    await page.waitForSelector('[data-testid="correction-disagrees"]');
    await page.click('[data-testid="correction-save"]');
    await page.waitForSelector('[data-testid="correction-note"] >> text=Saved.');
    const expected = (await entities()).map(({ label, start, end, text }) => ({ label, start, end, text }));

    // Reload: the correction is kept.
    await page.goto(`${server.base}/#/history/doc:${doc.id}`);
    await page.reload();
    await page.waitForSelector('[data-testid="correction-saved"]');
    assert.deepEqual(await entities(), expected);
    assert.equal(await page.inputValue('[data-testid="correction-sentiment"]'), sentiment);
    assert.equal(await page.isChecked('[data-testid="correction-reviewed"]'), true);
    const stored = await (await fetch(`${server.base}/v1/results/${doc.id}/correction`)).json();
    assert.deepEqual(stored.entities, expected);
    assert.equal(stored.sentiment, sentiment);
    assert.equal(stored.reviewed, true);
    assert.match(stored.entities_model, /@/);
    await page.locator('[data-testid="history-doc"]').screenshot({ path: path.join(shots, 'corrections.png') });

    // The model's prediction is unchanged, under "Model".
    await page.click('[data-testid="view-model"]');
    const modelEnts = await page.$$eval('[data-testid="history-doc"] [data-testid="entity"]', (els) => els.map((e) => e.dataset.label + ':' + e.firstChild.textContent));
    assert.deepEqual(modelEnts, doc.entities.map((e) => `${e.label}:${e.text}`));
    await page.click('[data-testid="view-corrected"]');

    // The filters: disagrees finds exactly this document; reviewed too.
    await page.click('button:has-text("Filters")');
    await page.selectOption('[data-testid="history-disagrees"]', '1');
    await page.click('[data-testid="history-search"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-item"]').length === 1);
    assert.match(await page.textContent('[data-testid="history-item"]'), /Angela Merkel/);
    assert.match(await page.textContent('[data-testid="history-item"]'), /corrected/);
    assert.match(await page.textContent('[data-testid="history-count"]'), /^1 document/);
    // Each list below has one row, like the one before it: wait for its text,
    // not its length, or the previous list is read.
    const oneRow = (re) =>
      page.waitForFunction((src) => {
        const items = document.querySelectorAll('[data-testid="history-item"]');
        return items.length === 1 && new RegExp(src).test(items[0].textContent ?? '');
      }, re.source);
    await page.selectOption('[data-testid="history-disagrees"]', '0');
    await page.click('[data-testid="history-search"]');
    await oneRow(/Microsoft/);
    assert.match(await page.textContent('[data-testid="history-item"]'), /Microsoft/);
    await page.selectOption('[data-testid="history-disagrees"]', '');
    await page.selectOption('[data-testid="history-reviewed"]', '1');
    await page.click('[data-testid="history-search"]');
    await oneRow(/Angela Merkel/);
    assert.match(await page.textContent('[data-testid="history-item"]'), /Angela Merkel/);

    // Revert and delete: the correction goes, the prediction stays.
    await page.click('[data-testid="correction-clear"]');
    await page.waitForSelector('[data-testid="correction-note"] >> text=Correction deleted');
    const gone = await fetch(`${server.base}/v1/results/${doc.id}/correction`);
    assert.equal(gone.status, 404);
    assert.deepEqual(
      (await entities()).map((e) => e.text),
      doc.entities.map((e) => e.text),
    );
    assert.deepEqual(consoleErrors.filter((e) => !e.includes('404')), []);
  });
});
