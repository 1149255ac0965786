// End-to-end: Insights over known texts analysed by the real engine. The
// numbers on screen must equal the counts this test makes from the analysis
// answers, and a number must open History with exactly those documents.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
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

const texts = [
  'Angela Merkel visited Paris and loved the wonderful food.',
  'Microsoft opened a great new office in Berlin.',
  'The service in Paris was terrible and the staff were rude.',
  'Angela Merkel met Emmanuel Macron in Berlin; it was an awful, disappointing meeting.',
  'A lovely sunny day in Paris with Emmanuel Macron.',
  'Nothing happened today.',
];

/** key normalises an entity's text as Insights says it does (written out here, not imported). */
const key = (s) => s.toLowerCase().replace(/\s+/g, ' ').trim().replace(/['’]s$/, '');

let docs = []; // { text, label, ents: Set('LABEL\0key') }

before(async () => {
  server = await startServer(root);
  for (const text of texts) {
    const res = await fetch(`${server.base}/v1/analyze`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) });
    assert.equal(res.status, 200);
    const r = (await res.json()).results[0];
    docs.push({ text, label: r.sentiment.label, ents: new Set(r.entities.map((e) => `${e.label}\0${key(e.text)}`)) });
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1500 }, colorScheme: 'light' });
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

/**
 * historyTexts waits for History's list to show n documents and returns the
 * full texts listed. With want (sorted texts) it waits until the list is
 * exactly those, so that the previous view's list of the same length is
 * never read by mistake; on a timeout the caller's assertion reports the
 * difference.
 */
async function historyTexts(n, want) {
  await page.waitForSelector('[data-testid="nav-history"][aria-current="page"]');
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid="history-item"]').length === k, n);
  if (want) {
    await page
      .waitForFunction(
        (w) => JSON.stringify([...document.querySelectorAll('[data-testid="history-item"] .snippet')].map((e) => e.textContent.trim()).sort()) === w,
        JSON.stringify(want),
        { timeout: 10_000 },
      )
      .catch(() => {});
  }
  return page.$$eval('[data-testid="history-item"] .snippet', (els) => els.map((e) => e.textContent.trim()));
}

describe('insights', () => {
  it('shows the counts of the analyses and every number opens exactly its documents', async () => {
    await page.goto(`${server.base}/#/insights`);
    await page.waitForSelector('[data-testid="insights-docs"]');
    assert.equal((await page.textContent('[data-testid="insights-docs"]')).trim(), String(texts.length));

    // Sentiment distribution.
    const byLabel = {};
    for (const d of docs) byLabel[d.label] = (byLabel[d.label] ?? 0) + 1;
    const shown = await page.$$eval('[data-testid^="insights-sent-"]', (els) => Object.fromEntries(els.map((e) => [e.dataset.testid.slice('insights-sent-'.length), Number(e.textContent.replace(/,/g, ''))])));
    assert.deepEqual(shown, byLabel);

    // Top entities: documents per normalised entity.
    const entDocs = {};
    for (const d of docs) for (const e of d.ents) entDocs[e] = (entDocs[e] ?? 0) + 1;
    const rows = await page.$$eval('[data-testid^="insights-group-"]', (groups) =>
      groups.flatMap((g) =>
        Array.from(g.querySelectorAll('[data-testid="insights-entity"]')).map((r) => [
          `${g.dataset.testid.slice('insights-group-'.length)}\0${r.dataset.key}`,
          Number(r.querySelector('[data-testid="insights-ent-docs"]').textContent.replace(/,/g, '')),
        ]),
      ),
    );
    assert.deepEqual(Object.fromEntries(rows), entDocs);
    assert.ok(Object.keys(entDocs).length >= 3, `the NER model finds the entities of the texts: ${JSON.stringify(Object.keys(entDocs))}`);
    await page.screenshot({ path: path.join(shots, 'insights.png'), fullPage: true });

    // Exports: a table as CSV, the timeline as SVG and PNG.
    const saved = async (panel, button) => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${panel}"] .tools button:text-is("${button}")`)]);
      return { name: dl.suggestedFilename(), body: readFileSync(await dl.path()) };
    };
    const sentCSV = await saved('insights-distribution', 'CSV');
    assert.equal(sentCSV.name, 'nlpscope-sentiment.csv');
    const csvRows = sentCSV.body.toString('utf8').trim().split(/\r\n/).slice(1).map((l) => l.split(','));
    assert.deepEqual(Object.fromEntries(csvRows.map((r) => [r[0], Number(r[1])])), byLabel);
    const svg = await saved('insights-timeline', 'SVG');
    assert.equal(svg.name, 'nlpscope-timeline.svg');
    assert.match(svg.body.toString('utf8'), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = await saved('insights-timeline', 'PNG');
    assert.equal(png.name, 'nlpscope-timeline.png');
    assert.deepEqual([...png.body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const tlCSV = await saved('insights-timeline', 'CSV');
    const tlRows = tlCSV.body.toString('utf8').trim().split(/\r\n/);
    const total = tlRows.slice(1).reduce((n, l) => n + Number(l.split(',').at(-2)), 0);
    assert.equal(total, docs.length, 'the timeline CSV holds every labelled document');

    // The entity in most documents: its number opens History with exactly those.
    const [topKey, topN] = Object.entries(entDocs).sort((a, b) => b[1] - a[1])[0];
    const [label, k] = topKey.split('\0');
    await page.click(`[data-testid="insights-group-${label}"] [data-key="${k}"] [data-testid="insights-ent-docs"]`);
    const wantTop = docs.filter((d) => d.ents.has(topKey)).map((d) => d.text).sort();
    const listed = await historyTexts(topN, wantTop);
    assert.deepEqual(listed.sort(), wantTop);
    assert.ok(await page.isVisible('[data-testid="history-entities"]'), 'History shows the entity filter it was opened with');

    // A sentiment count.
    await page.goBack();
    await page.waitForSelector('[data-testid="insights-docs"]');
    const [sLabel, sN] = Object.entries(byLabel)[0];
    await page.click(`[data-testid="insights-sent-${sLabel}"]`);
    const wantSent = docs.filter((d) => d.label === sLabel).map((d) => d.text).sort();
    assert.deepEqual((await historyTexts(sN, wantSent)).sort(), wantSent);

    // A co-occurrence cell: the documents where both entities occur.
    await page.goBack();
    await page.waitForSelector('[data-testid="insights-cooccurrence"]');
    const ents = await page.$$eval('[data-testid="insights-cooccurrence"] th.rowh', (els) => els.length);
    let clicked = false;
    for (let i = 0; i < ents && !clicked; i++) {
      for (let j = i + 1; j < ents && !clicked; j++) {
        const cell = await page.$(`[data-testid="insights-co-${i}-${j}"] a`);
        if (!cell) continue;
        const n = Number((await cell.textContent()).trim());
        const names = await page.$$eval('[data-testid="insights-cooccurrence"] th.col', (els) => els.map((e) => e.getAttribute('title')));
        const [a, b] = [names[i], names[j]].map((t) => t.replace(': ', '\0'));
        const want = docs.filter((d) => d.ents.has(a) && d.ents.has(b)).map((d) => d.text).sort();
        assert.equal(n, want.length, `co-occurrence of ${a} and ${b}`);
        await cell.click();
        assert.deepEqual((await historyTexts(n, want)).sort(), want);
        clicked = true;
      }
    }
    assert.ok(clicked, 'two entities occur together (Merkel and Paris/Berlin, Macron and Paris/Berlin)');

    // A narrower selection: words narrow every panel.
    await page.goto(`${server.base}/#/insights`);
    await page.fill('[data-testid="insights-q"]', 'paris');
    await page.click('[data-testid="insights-apply"]');
    const paris = docs.filter((d) => /paris/i.test(d.text)).length;
    await page.waitForFunction((n) => document.querySelector('[data-testid="insights-docs"]')?.textContent.trim() === String(n), paris);
    await page.click('[data-testid="insights-docs"]');
    const wantParis = docs.filter((d) => /paris/i.test(d.text)).map((d) => d.text).sort();
    assert.deepEqual((await historyTexts(paris, wantParis)).sort(), wantParis);
    assert.deepEqual(consoleErrors, []);
  });
});
