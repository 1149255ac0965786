// Helpers over the profiler's live snapshot (profiler.Snapshot in Go, carried
// as MetricsSnapshot.profiler).
import type { Percentiles, SeriesStats, Snapshot } from './models.gen';

export type ProfilerSnapshot = Snapshot;

/** asSnapshot accepts the profiler part of a metrics event when it has the expected shape. */
export function asSnapshot(x: unknown): ProfilerSnapshot | null {
  if (!x || typeof x !== 'object') return null;
  const s = x as Partial<Snapshot>;
  if (!s.throughput || !s.system) return null;
  return x as ProfilerSnapshot;
}

/** Rolling-window stats of a series ("1s", "10s", "60s"). */
export function windowOf(s: SeriesStats, w: string) {
  return s.windows.find((x) => x.window === w);
}

export type Quantile = 'p50' | 'p95' | 'p99';

/** latencyMs reads one percentile of a Percentiles value in milliseconds. */
export function latencyMs(p: Percentiles | undefined, q: Quantile): number | null {
  if (!p || !p.count) return null;
  const ns = q === 'p50' ? p.p50_ns : q === 'p95' ? p.p95_ns : p.p99_ns;
  return ns / 1e6;
}

/**
 * recentLatency is a series' percentiles over a rolling window (what is
 * happening now); undefined when nothing happened in it. The since-start
 * figures are s.total, always labelled as such: an empty window is never
 * filled with old values.
 */
export function recentLatency(s: SeriesStats, w = '10s'): Percentiles | undefined {
  const win = windowOf(s, w);
  return win && win.count ? win : undefined;
}
