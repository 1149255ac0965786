// Pure helpers that turn the metrics history into chart data.
import type { SeriesStats } from './api/models.gen';
import { latencyMs, recentLatency, type ProfilerSnapshot, type Quantile } from './api/snapshot';
import type { Sample } from './stores/metrics.svelte';

/** Latency targets in ms from DESIGN.md (target, acceptable, max) by operation. */
export const latencyTargets: Record<string, { target: number; acceptable: number; max: number }> = {
  health: { target: 5, acceptable: 10, max: 50 },
  sentiment: { target: 15, acceptable: 25, max: 100 },
  entities: { target: 25, acceptable: 50, max: 150 },
  analyze: { target: 40, acceptable: 75, max: 200 },
};

/** latencyLevel colours a p95 against an operation's targets. */
export function latencyLevel(op: string, p95ms: number | null): 'ok' | 'warn' | 'bad' | 'none' {
  const t = latencyTargets[op];
  if (!t || p95ms == null) return 'none';
  if (p95ms <= t.acceptable) return 'ok';
  if (p95ms <= t.max) return 'warn';
  return 'bad';
}

/** Who asked for the work: "" is all of it. Labels for the source filter. */
export const sourceLabels: Record<string, string> = {
  '': 'all work',
  http: 'web API',
  desktop: 'desktop window',
  cli: 'command line',
  import: 'imports',
  loadtest: 'load tests',
  api: 'other callers',
};

/** workOps are the analysis operations of one source ("" = all sources), without HTTP routes. */
export function workOps(s: ProfilerSnapshot | null, source = ''): SeriesStats[] {
  return (s?.ops ?? []).filter((o) => !o.name.startsWith('http:') && (o.source ?? '') === source);
}

/** opNames are the operation names of one source, analyses first and the UI's own health polling last. */
export function opNames(s: ProfilerSnapshot | null, source = ''): string[] {
  const rank = (n: string) => (n === 'analyze' ? 0 : n === 'health' ? 2 : 1);
  return workOps(s, source)
    .map((o) => o.name)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** sources present in the snapshot, for the filter ("" first). */
export function sourceNames(s: ProfilerSnapshot | null): string[] {
  return ['', ...(s?.throughput.sources ?? []).map((x) => x.source)];
}

export function stageNames(s: ProfilerSnapshot | null): string[] {
  return (s?.stages ?? []).map((o) => o.name);
}

/**
 * percentileSeries: [times, p50, p95, p99] of one operation (of source, "" =
 * all) or stage over the history; null (a gap) where its window was empty.
 */
export function percentileSeries(samples: readonly Sample[], name: string, kind: 'ops' | 'stages' = 'ops', source = ''): (number | null)[][] {
  const xs: number[] = [];
  const cols: (number | null)[][] = [[], [], []];
  const qs: Quantile[] = ['p50', 'p95', 'p99'];
  for (const s of samples) {
    xs.push(s.t);
    const series = s.snap[kind].find((o) => o.name === name && (kind === 'stages' || (o.source ?? '') === source));
    qs.forEach((q, i) => cols[i]?.push(series ? latencyMs(recentLatency(series), q) : null));
  }
  return [xs, ...cols];
}

/** stageSeries: [times, one p95 column per stage]. */
export function stageSeries(samples: readonly Sample[], stages: readonly string[], q: Quantile = 'p95'): (number | null)[][] {
  const xs = samples.map((s) => s.t);
  const cols = stages.map((name) =>
    samples.map((s) => {
      const st = s.snap.stages.find((o) => o.name === name);
      return st ? latencyMs(recentLatency(st), q) : null;
    }),
  );
  return [xs, ...cols];
}

/** throughputSeries: [times, requests/s, texts/s] over 1 s windows, of one source ("" = all). */
export function throughputSeries(samples: readonly Sample[], source = ''): (number | null)[][] {
  if (!source) {
    return [samples.map((s) => s.t), samples.map((s) => s.snap.throughput.requests_per_s_1s), samples.map((s) => s.snap.throughput.texts_per_s_1s)];
  }
  const of = (s: Sample) => s.snap.throughput.sources?.find((x) => x.source === source);
  return [samples.map((s) => s.t), samples.map((s) => of(s)?.requests_per_s_1s ?? 0), samples.map((s) => of(s)?.texts_per_s_1s ?? 0)];
}

/** Human names of the engine stages (profiler.Stage*). */
export const stageLabels: Record<string, string> = {
  cache_lookup: 'cache lookup',
  queue_wait: 'queue wait',
  tokenize: 'tokenize',
  inference: 'inference',
  postprocess: 'post-process',
  store: 'store (commit wait)',
};

export function stageLabel(name: string): string {
  return stageLabels[name] ?? name.replaceAll('_', ' ');
}

export function queueSeries(samples: readonly Sample[]): (number | null)[][] {
  return [samples.map((s) => s.t), samples.map((s) => s.queue)];
}

export function cacheSeries(samples: readonly Sample[]): (number | null)[][] {
  return [samples.map((s) => s.t), samples.map((s) => s.snap.cache.hit_rate_60s * 100)];
}

export function resourceSeries(samples: readonly Sample[]): (number | null)[][] {
  return [samples.map((s) => s.t), samples.map((s) => s.snap.system.cpu_percent), samples.map((s) => s.snap.system.mem_percent)];
}
