// Capacity-search helpers for the Load test view: the latency-vs-rate curve
// of a search's steps and the latency bound of its SLO.
import type { Capacity, CapacityStep } from './api/models.gen';

/**
 * capacityCurve returns uPlot data for latency against offered rate: x is
 * each step's offered rate in ascending order (steps are tried out of order
 * while bisecting), then p50, p95 and p99 in milliseconds (null for a step
 * without a completed request), then the SLO's latency bound (null when it
 * has none).
 */
export function capacityCurve(c: Capacity): (number | null)[][] {
  const steps = [...c.steps].sort((a, b) => a.rate - b.rate);
  const bound = sloLatencyMs(c.slo);
  const done = (s: CapacityStep) => s.succeeded + s.errors > 0;
  return [
    steps.map((s) => s.rate),
    steps.map((s) => (done(s) ? s.p50_ns / 1e6 : null)),
    steps.map((s) => (done(s) ? s.p95_ns / 1e6 : null)),
    steps.map((s) => (done(s) ? s.p99_ns / 1e6 : null)),
    steps.map(() => bound),
  ];
}

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000 };

/**
 * sloLatencyMs returns the bound of the first upper latency threshold of an
 * SLO ("p99<50ms" → 50), or null when there is none.
 */
export function sloLatencyMs(slo: string[]): number | null {
  for (const expr of slo) {
    const m = /^\s*(p\(?[0-9.]+\)?|med|median|avg|mean|max)\s*<=?\s*([0-9.]+)\s*(ns|us|µs|ms|s|m)\s*$/i.exec(expr);
    if (!m || !m[2] || !m[3]) continue;
    const v = Number(m[2]) * (units[m[3].toLowerCase()] ?? NaN);
    if (Number.isFinite(v)) return v;
  }
  return null;
}

/** stepVerdict is a step's result as the table shows it. */
export function stepVerdict(c: Capacity, i: number): { text: string; cls: string } {
  const s = c.steps[i];
  if (!s) return { text: '', cls: '' };
  if (s.status === 'canceled') return { text: 'cancelled', cls: 'muted' };
  if (i === c.best_step) return { text: 'pass (best)', cls: 'pass' };
  return s.pass ? { text: 'pass', cls: 'pass' } : { text: 'fail', cls: 'fail' };
}
