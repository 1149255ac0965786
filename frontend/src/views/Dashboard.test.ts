import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricsSnapshot, Snapshot } from '../lib/api';

// uPlot needs a real canvas; the charts are covered by the browser tests.
vi.mock('uplot', () => ({
  default: class {
    static paths = {};
    setData(): void {}
    setSize(): void {}
    destroy(): void {}
  },
}));

// jsdom has no ResizeObserver (bind:clientWidth uses it).
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
} as unknown as typeof ResizeObserver;

const { metrics } = await import('../lib/stores/metrics.svelte');
const { default: Dashboard } = await import('./Dashboard.svelte');

let cmp: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (cmp) unmount(cmp);
  cmp = null;
  document.body.innerHTML = '';
});

function snapshot(over: Partial<Snapshot>): MetricsSnapshot {
  const pct = { count: 5, min_ns: 1e6, mean_ns: 2e6, p50_ns: 2e6, p90_ns: 3e6, p95_ns: 30e6, p99_ns: 40e6, p999_ns: 5e7, max_ns: 5e7 };
  const snap = {
    time: '2026-01-01T00:00:00Z',
    uptime_s: 3,
    ops: [
      { name: 'sentiment', errors: 0, total: pct, windows: [{ window: '10s', per_second: 2, errors_per_second: 0, ...pct }] },
      { name: 'http:POST /v1/analyze', errors: 1, total: pct, windows: [] },
    ],
    stages: [],
    throughput: { requests_per_s_1s: 2, requests_per_s_10s: 2, requests_per_s_60s: 2, texts_per_s_1s: 2, texts_per_s_10s: 2, texts_per_s_60s: 2, requests: 10, texts: 10, sources: [] },
    queue_depth: 0,
    batches: { total: 3, per_s_10s: 0.3, mean_size_60s: 2, efficiency_60s: 0.9, sizes: [{ le: 1, count: 1 }, { le: 4, count: 2 }, { le: 0, count: 0 }] },
    cache: { hits: 1, misses: 3, hit_rate: 0.25, hit_rate_60s: 0.25, hits_60s: 1, misses_60s: 3 },
    errors: {},
    shed: {},
    system: { sampled_at: '', cpu_percent: 80, cpu_per_core: [80, 80], mem_total_bytes: 8 << 30, mem_used_bytes: 4 << 30, mem_available_bytes: 4 << 30, mem_percent: 50, process_rss_bytes: 1 << 27, goroutines: 12, open_files: 9 },
    gpu: { available: false, reason: 'NVML library not found' },
    ...over,
  } as Snapshot;
  return { time: snap.time, engine: { queue_depth: {}, cache_hits: 1, cache_misses: 3, cache_size: 1 }, profiler: snap };
}

function render(m: MetricsSnapshot): HTMLElement {
  metrics.push(m);
  const target = document.createElement('div');
  document.body.appendChild(target);
  cmp = mount(Dashboard, { target });
  flushSync();
  return target;
}

describe('Dashboard', () => {
  it('shows requests shed for overload, by reason, with their total', () => {
    let el = render(snapshot({}));
    expect(el.querySelector('[data-testid="dash-shed-total"]')?.textContent).toContain('0');
    expect(el.querySelector('[data-testid="dash-shed"]')?.classList.contains('warn')).toBe(false);
    unmount(cmp!);
    cmp = null;
    document.body.innerHTML = '';
    el = render(snapshot({ shed: { queue_wait: 1200, inflight_bytes: 3, queue_full: 0 } }));
    expect(el.querySelector('[data-testid="dash-shed-total"]')?.textContent).toContain('1,203');
    expect(el.querySelector('[data-testid="dash-shed-reasons"]')?.textContent).toBe('wait over bound 1,200 · memory budget 3');
    expect(el.querySelector('[data-testid="dash-shed"]')?.classList.contains('warn')).toBe(true);
  });

  it('shows what a batcher in SLO mode chose and why', () => {
    let el = render(snapshot({}));
    expect(el.querySelector('[data-testid="dash-slo-sentiment"]')).toBeNull();
    unmount(cmp!);
    cmp = null;
    document.body.innerHTML = '';
    const m = snapshot({});
    m.engine.slo = {
      sentiment: { target_ns: 50e6, p99_ns: 61e6, samples: 900, max_batch: 12, max_delay_ns: 1e6, admit_share: 0.8, reason: 'p99 61.0 ms over the 50.0 ms target with quick batches: admitting less queue (80 % of the budget)', changed: '2026-01-01T00:00:00Z' },
    };
    el = render(m);
    const tile = el.querySelector('[data-testid="dash-slo-sentiment"]');
    expect(tile?.textContent).toContain('p99 target 50.0 ms');
    expect(tile?.textContent).toContain('≤ 12');
    expect(el.querySelector('[data-testid="dash-slo-reason-sentiment"]')?.textContent).toContain('admitting less queue');
    expect(tile?.classList.contains('warn')).toBe(true);
  });

  it('colours gauges by the DESIGN.md thresholds and says clearly when there is no GPU', () => {
    const el = render(snapshot({}));
    const cpu = el.querySelector('[data-testid="gauge-cpu"]');
    const mem = el.querySelector('[data-testid="gauge-mem"]');
    expect(cpu?.classList.contains('warn')).toBe(true); // 80 %: above the 70 % target, under the 85 % max
    expect(cpu?.getAttribute('aria-valuetext')).toBe('80 %, above target');
    expect(mem?.classList.contains('ok')).toBe(true);
    expect(el.querySelector('[data-testid="no-gpu"]')?.textContent).toContain('NVML library not found');
    expect(el.querySelector('[data-testid="gauge-gpu"]')).toBeNull();
    // Engine operations are tiles (sentiment p95 30 ms: over the 25 ms acceptable, under the 100 ms max);
    // HTTP routes go to their own table.
    const tile = el.querySelector('[data-testid="op-sentiment"]');
    expect(tile?.classList.contains('warn')).toBe(true);
    expect(el.querySelector('[data-testid="op-http:POST /v1/analyze"]')).toBeNull();
    expect(el.querySelector('[data-testid="http-routes"]')?.textContent).toContain('POST /v1/analyze');
    expect(el.querySelector('[data-testid="batch-histogram"]')?.textContent).toContain('2–4');
  });

  it('says "no data" for an idle window instead of showing since-start values, and filters by source', () => {
    const pct = { count: 7, min_ns: 1e6, mean_ns: 2e6, p50_ns: 2e6, p90_ns: 3e6, p95_ns: 204e6, p99_ns: 250e6, p999_ns: 3e8, max_ns: 3e8 };
    const live = { count: 3, min_ns: 1e6, mean_ns: 2e6, p50_ns: 4e6, p90_ns: 5e6, p95_ns: 6e6, p99_ns: 7e6, p999_ns: 7e6, max_ns: 7e6 };
    const el = render(
      snapshot({
        ops: [
          { name: 'sentiment', errors: 0, total: pct, windows: [{ window: '10s', per_second: 0, errors_per_second: 0, ...pct, count: 0 }] },
          { name: 'sentiment', source: 'import', errors: 0, total: pct, windows: [{ window: '10s', per_second: 0.3, errors_per_second: 0, ...live }] },
          { name: 'health', errors: 0, total: pct, windows: [] },
        ],
        throughput: {
          requests_per_s_1s: 0, requests_per_s_10s: 0, requests_per_s_60s: 0, texts_per_s_1s: 0, texts_per_s_10s: 0, texts_per_s_60s: 0, requests: 7, texts: 700,
          sources: [{ source: 'import', requests_per_s_1s: 0, requests_per_s_10s: 0.3, texts_per_s_1s: 0, texts_per_s_10s: 30, requests: 7, texts: 700, texts_10s: 300 }],
        },
        cache: { hits: 734, misses: 61408, hit_rate: 0.01, hit_rate_60s: 0, hits_60s: 0, misses_60s: 0 },
      }),
    );
    const tile = el.querySelector('[data-testid="op-sentiment"]');
    expect(tile?.textContent).toContain('no data');
    expect(tile?.textContent).toContain('since start: p95 204');
    expect(tile?.querySelector('.tval')?.textContent).not.toContain('204');
    expect(el.querySelector('[data-testid="dash-cache"]')?.textContent).toContain('no data');
    // The operation picker does not default to the UI's own health polling.
    expect((el.querySelector('[data-testid="op-select"]') as HTMLSelectElement).value).toBe('sentiment');
    const src = el.querySelector('[data-testid="source-select"]') as HTMLSelectElement;
    expect([...src.options].map((o) => o.value)).toEqual(['', 'import']);
    src.value = 'import';
    src.dispatchEvent(new Event('change'));
    flushSync();
    const imp = el.querySelector('[data-testid="op-sentiment"]');
    expect(imp?.textContent).toContain('6.0');
    expect(imp?.textContent).not.toContain('no data');
    expect(el.querySelector('[data-testid="dash-tps"]')?.textContent).toContain('30');
    expect(el.querySelector('[data-testid="op-health"]')).toBeNull();
  });

  it('shows a gauge per GPU, red above the 95 % max', () => {
    const el = render(
      snapshot({
        gpu: {
          available: true,
          driver: '550.54',
          devices: [{ index: 0, name: 'NVIDIA H100', utilization_percent: 97, memory_utilization_percent: 40, memory_used_bytes: 10 << 30, memory_total_bytes: 80 << 30, temperature_c: 61, power_watts: 300 }],
        },
      }),
    );
    const gpu = el.querySelectorAll('[data-testid="gauge-gpu"]');
    expect(gpu).toHaveLength(1);
    expect(gpu[0]?.classList.contains('bad')).toBe(true);
    expect(gpu[0]?.textContent).toContain('NVIDIA H100');
    expect(el.querySelector('[data-testid="no-gpu"]')).toBeNull();
  });
});
