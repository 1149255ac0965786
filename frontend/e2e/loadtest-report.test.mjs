// Load test view end-to-end: a finished run's heading, figures and cache
// mode, and its report downloaded through the buttons (playwright download
// events) as a self-contained HTML page and a CSV whose rows add up.
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

let server;
let browser;
let page;
const consoleErrors = [];

before(async () => {
  server = await startServer(root);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', acceptDownloads: true });
  page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function download(format) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="lt-download-${format}"]`)]);
  const file = path.join(downloads, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), text: readFileSync(file, 'utf8') };
}

describe('load-test report', () => {
  it('says what the run measured and downloads it as HTML and CSV', async () => {
    await page.goto(`${server.base}/#/loadtest`);
    await page.waitForSelector('[data-testid="nav-loadtest"][aria-current="page"]');

    // A form error goes away once the form is valid again.
    await page.fill('[data-testid="lt-rate"]', '20');
    await page.fill('[data-testid="lt-duration"]', '3');
    await page.fill('[data-testid="lt-ramp"]', '9');
    await page.click('[data-testid="lt-start"]');
    assert.match(await page.textContent('form [role="alert"]'), /ramp/);
    await page.fill('[data-testid="lt-ramp"]', '0');
    await page.waitForSelector('form [role="alert"]', { state: 'detached' });

    await page.fill('[data-testid="lt-name"]', 'report e2e');
    await page.fill('[data-testid="lt-thresholds"]', 'p95<2000ms\nerrors<5%');
    await page.click('[data-testid="lt-start"]');
    await page.waitForFunction(() => /^Running report e2e · \d+ s of 3 s$/.test(document.querySelector('[data-testid="lt-heading"]')?.textContent?.trim() ?? ''));
    await page.waitForSelector('[data-testid="loadtest-report"]', { timeout: 40_000 });
    const heading = (await page.textContent('[data-testid="lt-heading"]')).trim();
    assert.match(heading, /^Finished report e2e · 60 requests in \d(\.\d)? s$/);

    const report = await (await fetch(`${server.base}/v1/loadtests`)).json();
    const id = report[0].id;
    const saved = await (await fetch(`${server.base}/v1/loadtests/${id}`)).json();
    assert.equal(saved.requests, 60);
    assert.equal((await page.textContent('[data-testid="loadtest-cache"]')).trim(), `caches bypassed · 0 cache hits of 60 results (0.0 %)`);
    // The legend shows the run's figures while the cursor is off the chart.
    const legend = await page.textContent('[data-testid="loadtest-chart-latency"] .u-legend');
    assert.match(legend, /p95\s*run \d/);
    assert.equal(consoleErrors.length, 0, consoleErrors.join('\n'));

    await page.$eval('[data-testid="lt-live"]', (el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(shots, 'loadtest-finished.png') });
    await page.$eval('[data-testid="lt-download-html"]', (el) => el.scrollIntoView({ block: 'start' }));
    await page.evaluate(() => window.scrollBy(0, -24));
    await page.screenshot({ path: path.join(shots, 'loadtest-report.png') });

    const html = await download('html');
    assert.equal(html.name, `nlpscope-loadtest-${id}.html`);
    assert.doesNotMatch(html.text, /(src|href)\s*=\s*["']?\s*(https?:)?\/\/|<script|<link/i);
    assert.match(html.text, /data-figure="requests">60</);
    assert.match(html.text, /report e2e/);
    assert.match(html.text, /<svg/);

    const csv = await download('csv');
    assert.equal(csv.name, `nlpscope-loadtest-${id}.csv`);
    const [head, ...rows] = csv.text.trim().split('\n').map((l) => l.split(','));
    const col = (name) => head.indexOf(name);
    const total = rows.find((r) => r[col('type')] === 'total');
    const seconds = rows.filter((r) => r[col('type')] === 'second');
    assert.equal(Number(total[col('sent')]), 60);
    assert.equal(seconds.reduce((n, r) => n + Number(r[col('sent')]), 0), 60);
    assert.equal(seconds.reduce((n, r) => n + Number(r[col('completed')]), 0), Number(total[col('completed')]));

    // The downloaded page opens from disk, offline, with its charts.
    await page.goto('file://' + path.join(downloads, html.name));
    assert.match(await page.textContent('[data-figure="requests"]'), /^60$/);
    await page.screenshot({ path: path.join(shots, 'loadtest-report-html.png'), fullPage: true });
  });
});
