import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DocumentSummary, ImportOptions, ImportStatus, MetricsSnapshot, SearchQuery, Snapshot } from '../api';
import { ApiError } from '../api/errors';
import { AnalyzeStore } from './analyze.svelte';
import { BatchesStore, acceptedFile } from './batches.svelte';
import { FakeTransport } from './fake';
import { HistoryStore, addMeta, emptyFilters, filterParam, parseFilterParam, parseMeta, toQuery } from './history.svelte';
import { LoadTestStore } from './loadtest.svelte';
import { HISTORY, MetricsStore } from './metrics.svelte';
import { parseRoute } from './router.svelte';
import { percentileSeries, latencyLevel } from '../dashboard';

afterEach(() => vi.useRealTimers());

function snap(p95ms: number, t = '2026-01-01T00:00:00Z'): Snapshot {
  const pct = { count: 10, min_ns: 0, mean_ns: 0, p50_ns: p95ms * 5e5, p90_ns: 0, p95_ns: p95ms * 1e6, p99_ns: p95ms * 2e6, p999_ns: 0, max_ns: 0 };
  return {
    time: t,
    uptime_s: 1,
    ops: [{ name: 'sentiment', errors: 0, total: pct, windows: [{ window: '10s', per_second: 1, errors_per_second: 0, ...pct }] }],
    stages: [],
    throughput: { requests_per_s_1s: 1, requests_per_s_10s: 1, requests_per_s_60s: 1, texts_per_s_1s: 1, texts_per_s_10s: 1, texts_per_s_60s: 1, requests: 1, texts: 1, sources: [] },
    queue_depth: 2,
    batches: { total: 0, per_s_10s: 0, mean_size_60s: 0, efficiency_60s: 0, sizes: [] },
    cache: { hits: 0, misses: 0, hit_rate: 0, hit_rate_60s: 0, hits_60s: 0, misses_60s: 0 },
    errors: {},
    shed: {},
    system: { sampled_at: t, cpu_percent: 10, cpu_per_core: [], mem_total_bytes: 1, mem_used_bytes: 1, mem_available_bytes: 0, mem_percent: 50, process_rss_bytes: 1, goroutines: 1, open_files: 1 },
    gpu: { available: false, reason: 'no driver' },
  } as Snapshot;
}

const metricsEvent = (p95: number, sec: number): MetricsSnapshot => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(),
  engine: { queue_depth: {}, cache_hits: 0, cache_misses: 0, cache_size: 0 },
  profiler: snap(p95),
});

describe('MetricsStore', () => {
  it('subscribes once for many views and unsubscribes after the last', () => {
    const t = new FakeTransport();
    const m = new MetricsStore(t);
    const stop1 = m.start();
    const stop2 = m.start();
    expect(t.listeners('metrics')).toBe(1);
    stop1();
    stop1();
    expect(t.listeners('metrics')).toBe(1);
    stop2();
    expect(t.listeners('metrics')).toBe(0);
  });

  it('keeps a bounded history of snapshots and ignores events without profiler data', () => {
    const t = new FakeTransport();
    const m = new MetricsStore(t);
    m.start();
    t.emit('metrics', { ...metricsEvent(1, 0), profiler: null as unknown as Snapshot });
    expect(m.samples).toHaveLength(0);
    for (let i = 0; i < HISTORY + 5; i++) t.emit('metrics', metricsEvent(i, i));
    expect(m.samples).toHaveLength(HISTORY);
    expect(m.samples[0]?.t).toBe(Date.UTC(2026, 0, 1, 0, 0, 5) / 1000);
    expect(m.latest?.ops?.[0]?.total.p95_ns).toBe((HISTORY + 4) * 1e6);
    expect(m.samples[0]?.queue).toBe(2);
  });

  it('feeds latency lines per operation, with gaps where the operation is absent', () => {
    const m = new MetricsStore(new FakeTransport());
    m.push(metricsEvent(12, 1));
    m.push(metricsEvent(30, 2));
    const [xs, p50, p95, p99] = percentileSeries(m.samples, 'sentiment');
    expect(xs).toHaveLength(2);
    expect(p95).toEqual([12, 30]);
    expect(p50).toEqual([6, 15]);
    expect(p99).toEqual([24, 60]);
    expect(percentileSeries(m.samples, 'entities')[2]).toEqual([null, null]);
    expect(latencyLevel('sentiment', 12)).toBe('ok');
    expect(latencyLevel('sentiment', 30)).toBe('warn');
    expect(latencyLevel('sentiment', 150)).toBe('bad');
  });
});

describe('AnalyzeStore', () => {
  it('validates before calling and sends the chosen tasks and aggregation', async () => {
    const t = new FakeTransport();
    const sent: unknown[] = [];
    t.analyze = async (req) => {
      sent.push(req);
      return { results: [{ text: req.text ?? '', meta: {}, created_at: '' }] };
    };
    const s = new AnalyzeStore(t);
    await s.run();
    expect(s.error).toMatch(/Paste or type/);
    s.text = 'hello';
    s.sentiment = false;
    s.entities = false;
    await s.run();
    expect(s.error).toMatch(/at least one task/);
    s.entities = true;
    s.aggregation = 'max';
    s.method = 'mean';
    await s.run();
    expect(s.error).toBe('');
    expect(sent).toEqual([{ text: 'hello', tasks: ['entities'], aggregation: 'max', sentiment_method: 'mean', source: 'analyze' }]);
    expect(s.result?.text).toBe('hello');
    expect(s.busy).toBe(false);
    // Editing the text marks the shown result stale until it is run again.
    expect(s.stale).toBe(false);
    s.text = 'hello there';
    expect(s.stale).toBe(true);
    await s.run();
    expect(s.stale).toBe(false);
  });

  it('shows the server error message', async () => {
    const t = new FakeTransport();
    t.analyze = () => Promise.reject(new ApiError('overloaded', 'engine overloaded: queue is full', 429));
    const s = new AnalyzeStore(t);
    s.text = 'x';
    await s.run();
    expect(s.error).toBe('engine overloaded: queue is full');
    expect(s.result).toBeNull();
  });
});

describe('BatchesStore', () => {
  const status = (over: Partial<ImportStatus>): ImportStatus => ({
    id: 'a', state: 'running', files: [], total: 10, total_exact: true, done: 0, failed: 0, errors: [], rate_per_s: 0, eta_s: 0, started: '', updated: '', elapsed_ns: 0, options: {}, mappings: [], resumable: false, bad_dates: 0, new: 0, duplicates: 0, deletes: 0, ...over,
  });

  it('accepts the formats the reader knows', () => {
    expect(['a.txt', 'B.CSV', 'c.jsonl', 'd.json', 'e.tsv', 'f.xlsx', 'g.pdf'].map(acceptedFile)).toEqual([true, true, true, true, true, true, false]);
  });

  it('previews the picked files and previews again with each override', async () => {
    const t = new FakeTransport();
    const asked: ImportOptions[] = [];
    t.previewImport = async (input, opts) => {
      asked.push(opts);
      expect(input.kind).toBe('files');
      return [{ source: 'r.csv', format: 'csv', header: true, delimiter: opts.delimiter ?? ',', text_column: opts.column ?? 'body' }];
    };
    const b = new BatchesStore(t);
    await b.add([{ name: 'r.csv', file: new File(['id,body\n'], 'r.csv') }, { name: 'x.pdf', file: new File([''], 'x.pdf') }]);
    expect(b.picked.map((p) => p.name)).toEqual(['r.csv']);
    expect(b.skipped).toEqual(['x.pdf']);
    expect(b.previews[0]?.text_column).toBe('body');
    b.delimiter = ';';
    b.column = 'id';
    b.dateColumn = 'when';
    await b.preview();
    expect(b.previews[0]?.delimiter).toBe(';');
    expect(b.previews[0]?.text_column).toBe('id');
    expect(asked).toEqual([{ unit: 'line' }, { unit: 'line', column: 'id', delimiter: ';', date_column: 'when' }]);
    let started: ImportOptions | undefined;
    t.startImport = async (_input, opts) => {
      started = opts;
      return status({});
    };
    t.importStatus = async () => status({});
    await b.start();
    expect(started).toEqual({ tasks: ['sentiment', 'entities'], unit: 'line', column: 'id', delimiter: ';', date_column: 'when' });
    expect(b.list.map((x) => x.id)).toEqual(['a']);
    b.clear();
    expect(b.previews).toEqual([]);
    expect(b.delimiter).toBe('');
    expect(b.dateColumn).toBe('');
    // "Keep every occurrence" asks the server to store every row.
    b.keepDuplicates = true;
    await b.add([{ name: 'a.txt', file: new File(['x\n'], 'a.txt') }]);
    await b.start();
    expect(started?.keep_duplicates).toBe(true);
  });

  it('ticks columns as metadata, previews again with them, and imports with them', async () => {
    const t = new FakeTransport();
    const asked: ImportOptions[] = [];
    t.previewImport = async (_input, opts) => {
      asked.push(opts);
      return [{ source: 'r.csv', format: 'csv', header: true, text_column: 'body', meta_columns: opts.meta_columns }];
    };
    const b = new BatchesStore(t);
    await b.add([{ name: 'r.csv', file: new File(['id,product,author,body\n'], 'r.csv') }]);
    await b.toggleMeta('product');
    await b.toggleMeta('author');
    await b.toggleMeta('product'); // unticked again
    await b.toggleMeta('product');
    expect(asked.map((o) => o.meta_columns)).toEqual([undefined, ['product'], ['product', 'author'], ['author'], ['author', 'product']]);
    expect(b.previews[0]?.meta_columns).toEqual(['author', 'product']);
    let started: ImportOptions | undefined;
    t.startImport = async (_input, opts) => {
      started = opts;
      return status({});
    };
    t.importStatus = async () => status({});
    await b.start();
    expect(started?.meta_columns).toEqual(['author', 'product']);
    b.clear();
    expect(b.metaColumns).toEqual([]);
  });

  it('lists earlier imports, resumes one, and deletes one only after confirmation', async () => {
    const t = new FakeTransport();
    t.imports = async () => [status({ id: '2', state: 'interrupted', done: 40, resumable: true }), status({ id: '1', state: 'done', done: 10 })];
    const b = new BatchesStore(t);
    await b.loadList();
    expect(b.list.map((x) => `${x.id}:${x.state}`)).toEqual(['2:interrupted', '1:done']);
    t.resumeImport = async (id) => status({ id, state: 'running', done: 40, updated: '2030-01-01T00:00:00Z' });
    t.importStatus = async (id) => status({ id, state: 'running', done: 41 });
    await b.resume('2');
    expect(b.status?.id).toBe('2');
    expect(b.list.find((x) => x.id === '2')?.state).toBe('running');
    t.emit('import', status({ id: '2', state: 'done', done: 100, updated: '2030-01-01T00:00:09Z' }));
    expect(b.list.find((x) => x.id === '2')?.state).toBe('done');
    const deleted: string[] = [];
    t.deleteImport = async (id) => {
      deleted.push(id);
      return { id, deleted: 10 };
    };
    b.askDelete(b.list[1] as ImportStatus);
    expect(deleted).toEqual([]); // nothing until confirmed
    expect(b.confirmDelete?.id).toBe('1');
    expect(await b.deleteConfirmed()).toBe(10);
    expect(deleted).toEqual(['1']);
    expect(b.list.map((x) => x.id)).toEqual(['2']);
    b.stopListing();
    expect(t.listeners('import')).toBe(0);
  });

  it('follows its own import through events, ignores others, and loads rows at the end', async () => {
    vi.useFakeTimers();
    const t = new FakeTransport();
    const queries: SearchQuery[] = [];
    t.previewImport = async () => [];
    t.startImport = async () => status({});
    t.importStatus = async () => status({ done: 1 });
    t.search = async (q) => {
      queries.push(q);
      return { items: [{ id: 7 } as DocumentSummary], total_exact: true };
    };
    const b = new BatchesStore(t);
    await b.add([{ name: 'a.txt', file: new File(['x\n'], 'a.txt') }]);
    await b.start();
    expect(b.running).toBe(true);
    t.emit('import', status({ id: 'other', done: 9 }));
    expect(b.status?.done).toBe(0);
    t.emit('import', status({ done: 5 }));
    expect(b.status?.done).toBe(5);
    t.emit('import', status({ state: 'done', done: 10 }));
    expect(b.running).toBe(false);
    t.emit('import', status({ done: 6 })); // a stale running event after the end
    expect(b.status?.state).toBe('done');
    await vi.runOnlyPendingTimersAsync();
    expect(t.listeners('import')).toBe(0);
    expect(queries).toEqual([{ import_id: 'a', limit: 100 }]);
    expect(b.rows.map((r) => r.id)).toEqual([7]);
  });
});

describe('HistoryStore', () => {
  it('pages with keyset cursors forwards and back', async () => {
    const t = new FakeTransport();
    const seen: (string | undefined)[] = [];
    t.search = async (q) => {
      seen.push(q.cursor);
      const n = q.cursor === 'c2' ? 3 : q.cursor === 'c1' ? 2 : 1;
      return { items: [{ id: n } as DocumentSummary], next_cursor: n < 3 ? `c${n}` : '', total_exact: true };
    };
    const h = new HistoryStore(t);
    await h.search();
    await h.nextPage();
    await h.nextPage();
    expect(h.items[0]?.id).toBe(3);
    expect(h.next).toBe('');
    await h.nextPage(); // no next page: nothing happens
    await h.prevPage();
    expect(h.items[0]?.id).toBe(2);
    expect(h.page).toBe(1);
    expect(seen).toEqual([undefined, 'c1', 'c2', 'c1']);
  });

  it('pages and exports the search on screen, not the form as typed since', async () => {
    const t = new FakeTransport();
    const seen: (string | undefined)[] = [];
    t.search = async (q) => {
      seen.push(q.q);
      return { items: [{ id: 1 } as DocumentSummary], next_cursor: 'c1', total_exact: true };
    };
    const h = new HistoryStore(t);
    h.filters.q = 'Merkel Paris';
    await h.search();
    h.filters.q = 'Messi'; // typed, not submitted
    expect(h.edited).toBe(true);
    await h.nextPage();
    expect(seen).toEqual(['Merkel Paris', 'Merkel Paris']);
    expect(h.exportQuery()).toEqual({ q: 'Merkel Paris', limit: undefined });
    await h.search();
    expect(h.edited).toBe(false);
    expect(h.exportQuery().q).toBe('Messi');
  });

  it('keeps the count of the first page while paging and forgets it on a new search or an error', async () => {
    const t = new FakeTransport();
    let fail = false;
    t.search = async (q) => {
      if (fail) throw new ApiError('bad_request', 'search: "OR" needs a term on each side', 400);
      return q.cursor ? { items: [{ id: 2 } as DocumentSummary], total_exact: false } : { items: [{ id: 1 } as DocumentSummary], next_cursor: 'c1', total: 1, total_exact: true };
    };
    const h = new HistoryStore(t);
    await h.search();
    expect(h.summary).toBe('1 document · page 1');
    await h.nextPage();
    expect([h.total, h.totalExact, h.countText]).toEqual([1, true, '1']);
    expect(h.summary).toBe('1 document · page 2');
    fail = true;
    await h.search();
    expect(h.total).toBeNull();
    expect(h.countText).toBe('');
    expect(h.error).toMatch(/needs a term/);
  });

  it('builds queries from the filter form with inclusive day bounds', () => {
    const f = { ...emptyFilters(), q: ' berlin ', sentiment: 'positive', from: '2026-03-01', to: '2026-03-01' };
    const q = toQuery(f);
    expect(q.q).toBe('berlin');
    expect(q.sentiment).toBe('positive');
    expect(q.entity_label).toBeUndefined();
    expect(new Date(q.to ?? '').getTime() - new Date(q.from ?? '').getTime()).toBe(24 * 3600 * 1000);
  });

  it('filters by metadata: key=value parts, refused without a key, kept in links', async () => {
    expect(parseMeta(' product = phone ; author=Ann;; ')).toEqual({ meta: { product: 'phone', author: 'Ann' }, bad: [] });
    expect(parseMeta('a=b=c').meta).toEqual({ a: 'b=c' }); // the value keeps later "="
    expect(parseMeta('phone; =x').bad).toEqual(['phone', '=x']);
    expect(addMeta('product=phone', 'author', 'Ann')).toBe('product=phone; author=Ann');
    expect(addMeta('product=phone', 'product', 'laptop')).toBe('product=laptop');
    const f = { ...emptyFilters(), meta: 'product=phone; author=Ann' };
    expect(toQuery(f).meta).toEqual({ product: 'phone', author: 'Ann' });
    expect(toQuery(emptyFilters()).meta).toBeUndefined();
    expect(parseFilterParam(filterParam(f))?.meta).toBe('product=phone; author=Ann');
    const t = new FakeTransport();
    const seen: SearchQuery[] = [];
    t.search = async (q) => {
      seen.push(q);
      return { items: [], total: 0, total_exact: true };
    };
    const h = new HistoryStore(t);
    h.filters.meta = 'phone';
    await h.search();
    expect(seen).toEqual([]); // refused before asking
    expect(h.error).toMatch(/key=value/);
    h.filters.meta = 'product=phone';
    await h.search();
    expect(seen.map((q) => q.meta)).toEqual([{ product: 'phone' }]);
    expect(h.exportQuery().meta).toEqual({ product: 'phone' });
    expect(h.error).toBe('');
  });

  it('keeps the error and empties the list when a search fails', async () => {
    const t = new FakeTransport();
    t.search = () => Promise.reject(new ApiError('no_storage', 'no database: history is unavailable', 503));
    const h = new HistoryStore(t);
    await h.search();
    expect(h.error).toMatch(/no database/);
    expect(h.items).toEqual([]);
  });
});

describe('LoadTestStore', () => {
  it('validates the form and builds the config in nanoseconds', () => {
    const s = new LoadTestStore(new FakeTransport());
    s.form.durationS = 0;
    expect(s.validate()).toMatch(/Duration/);
    s.form.durationS = 5;
    s.form.mode = 'closed';
    s.form.users = 0;
    expect(s.validate()).toMatch(/virtual user/);
    s.form.users = 4;
    s.form.rampS = 2;
    s.form.texts = 'a\n\n b \n';
    s.form.thresholds = 'p95<25ms\n errors<1% \n';
    expect(s.validate()).toBe('');
    expect(s.config()).toEqual({ task: 'sentiment', mode: 'closed', users: 4, duration_ns: 5e9, ramp_ns: 2e9, thresholds: ['p95<25ms', 'errors<1%'], texts: ['a', 'b'] });
  });

  it('follows the running test through events and keeps the final report, although the id changes when saved', async () => {
    vi.useFakeTimers();
    const t = new FakeTransport();
    const progress = (sec: number) => ({
      elapsed_ns: sec * 1e9, duration_ns: 5e9, sent: sec * 10, completed: sec * 10, errors: 0, in_flight: 1,
      last_second: { second: sec, sent: 10, completed: 10, errors: 0, p50_ns: 2e6, p95_ns: 4e6, p99_ns: 8e6, max_ns: 9e6 },
      latency: { count: 1, min_ns: 0, mean_ns: 0, p50_ns: 0, p90_ns: 0, p95_ns: 0, p99_ns: 0, p999_ns: 0, max_ns: 0 },
    });
    t.startLoadTest = async () => ({ id: 'run-1', state: 'running' });
    t.loadTests = async () => [];
    const s = new LoadTestStore(t);
    await s.start();
    t.emit('loadtest', { id: 'run-1', state: 'running', progress: progress(1) });
    t.emit('loadtest', { id: 'run-1', state: 'running', progress: progress(1) }); // same second: no new point
    t.emit('loadtest', { id: 'run-1', state: 'running', progress: progress(2) });
    expect(s.live.map((p) => [p.t, p.p95])).toEqual([[1, 4], [2, 4]]);
    t.emit('loadtest', { id: 'saved-7', state: 'done', report: { id: 'saved-7' } as never });
    expect(s.running).toBe(false);
    expect(s.report?.id).toBe('saved-7');
    t.emit('loadtest', { id: 'run-2', state: 'running' }); // someone else's later test
    expect(s.status?.id).toBe('saved-7');
    expect(t.listeners('loadtest')).toBe(0);
  });

  it('leaves no stale error after a valid run, and clears a form error once the form is valid', async () => {
    const t = new FakeTransport();
    t.startLoadTest = async () => ({ id: 'run-1', state: 'running' });
    t.loadTests = async () => [];
    t.cancelLoadTest = async () => {
      throw new Error('not_found: running load test "run-1" not found');
    };
    const s = new LoadTestStore(t);
    s.form.rate = 0;
    await s.start();
    expect(s.error).toMatch(/Rate/);
    s.form.rate = 5;
    s.formChanged();
    expect(s.error).toBe('');
    await s.start();
    await s.cancel(); // too late: the run had just ended
    expect(s.error).toMatch(/not found/);
    t.emit('loadtest', { id: '7', state: 'done', report: { id: '7' } as never });
    expect(s.error).toBe('');
  });

  it('sends the cache mode only when the caches are included, and downloads the shown report', async () => {
    const t = new FakeTransport();
    const asked: string[] = [];
    t.exportLoadTest = async (id, format) => {
      asked.push(`${id}.${format}`);
      return `downloading nlpscope-loadtest-${id}.${format}`;
    };
    const s = new LoadTestStore(t);
    expect(s.config().cache).toBeUndefined();
    s.form.cache = 'include';
    expect(s.config().cache).toBe('include');
    await s.download('html'); // no report shown: nothing to download
    s.report = { id: '3' } as never;
    await s.download('csv');
    expect(asked).toEqual(['3.csv']);
    expect(s.notice).toBe('downloading nlpscope-loadtest-3.csv');
  });

  it('builds a capacity search config from the find-max form', () => {
    const s = new LoadTestStore(new FakeTransport());
    s.form.mode = 'findmax';
    s.form.slo = '';
    expect(s.validate()).toMatch(/SLO/);
    s.form.slo = ' p99<50ms \n\nerrors<5%';
    s.form.startRate = 0;
    expect(s.validate()).toMatch(/start rate/);
    s.form.startRate = 20;
    s.form.maxRate = 10;
    expect(s.validate()).toMatch(/max rate/);
    s.form.maxRate = 0;
    s.form.stepS = 2;
    s.form.maxTimeS = 6;
    expect(s.validate()).toMatch(/time limit/);
    s.form.maxTimeS = 120;
    s.form.arrivals = 'poisson';
    s.form.thresholds = 'p95<1ms'; // the load-test form's thresholds do not apply
    expect(s.validate()).toBe('');
    expect(s.config()).toEqual({
      task: 'sentiment', mode: 'open', duration_ns: 2e9, arrivals: 'poisson',
      find_max: { slo: ['p99<50ms', 'errors<5%'], start_rate: 20, max_duration_ns: 120e9 },
    });
    s.form.maxRate = 500;
    expect(s.config().find_max?.max_rate).toBe(500);
  });

  it('shows the running search’s steps, then the final report’s', async () => {
    const t = new FakeTransport();
    const cap = (n: number) => ({ steps: Array.from({ length: n }, () => ({ rate: 10 })) }) as never;
    t.startLoadTest = async () => ({ id: 'run-1', state: 'running' });
    t.loadTests = async () => [];
    const s = new LoadTestStore(t);
    s.form.mode = 'findmax';
    await s.start();
    expect(s.capacity).toBeNull();
    t.emit('loadtest', { id: 'run-1', state: 'running', capacity: cap(2) });
    expect(s.capacity?.steps.length).toBe(2);
    t.emit('loadtest', { id: '9', state: 'done', report: { id: '9', capacity: cap(5) } as never });
    expect(s.capacity?.steps.length).toBe(5);
  });

  it('keeps only the last two runs selected for comparison', async () => {
    const t = new FakeTransport();
    t.loadTest = async (id) => ({ id }) as never;
    const s = new LoadTestStore(t);
    await s.toggleCompare('a');
    await s.toggleCompare('b');
    expect(s.compared.map((r) => r.id)).toEqual(['a', 'b']);
    await s.toggleCompare('c');
    expect(s.compare).toEqual(['b', 'c']);
    await s.toggleCompare('c');
    expect(s.compare).toEqual(['b']);
    expect(s.compared).toEqual([]);
  });
});

describe('router', () => {
  it('parses hash routes with a parameter and falls back to analyze', () => {
    expect(parseRoute('#/history/doc%3A12')).toEqual({ view: 'history', param: 'doc:12' });
    expect(parseRoute('#/dashboard')).toEqual({ view: 'dashboard', param: '' });
    expect(parseRoute('#/nope')).toEqual({ view: 'analyze', param: '' });
    expect(parseRoute('')).toEqual({ view: 'analyze', param: '' });
  });
});
