import { describe, expect, it } from 'vitest';
import type { Capacity, CapacityStep } from './api/models.gen';
import { capacityCurve, sloLatencyMs, stepVerdict } from './capacity';

function step(rate: number, p99ms: number, pass: boolean, requests = 10): CapacityStep {
  return {
    phase: 'grow', rate, achieved_rate: rate, throughput: rate, requests, succeeded: requests, errors: 0, dropped: 0, error_rate: 0,
    p50_ns: (p99ms / 4) * 1e6, p95_ns: (p99ms / 2) * 1e6, p99_ns: p99ms * 1e6, max_ns: p99ms * 1e6, elapsed_ns: 1e9,
    status: 'completed', thresholds: [], pass,
  };
}

function capacity(steps: CapacityStep[], best: number): Capacity {
  return {
    slo: ['p99<50ms', 'errors<1%'], arrivals: 'uniform', start_rate: 10, growth: 2, resolution: 0.05, min_rate: 1, max_rate: 1e5,
    step_duration_ns: 1e9, steps, max_passing_rate: steps[best]?.rate ?? 0, min_failing_rate: 0, best_step: best,
    stop_reason: 'resolution', message: '',
  };
}

describe('capacity', () => {
  it('plots latency against the offered rate in ascending order, with the SLO bound', () => {
    // Grow 10 → 20 → 40 (fails), then bisect at 30 (passes) and 35 (fails).
    const c = capacity([step(10, 8, true), step(20, 12, true), step(40, 300, false), step(30, 40, true), step(35, 90, false)], 3);
    const [x, p50, p95, p99, bound] = capacityCurve(c);
    expect(x).toEqual([10, 20, 30, 35, 40]);
    expect(p99).toEqual([8, 12, 40, 90, 300]);
    expect(p95).toEqual([4, 6, 20, 45, 150]);
    expect(p50).toEqual([2, 3, 10, 22.5, 75]);
    expect(bound).toEqual([50, 50, 50, 50, 50]);
    expect(c.steps.map((s) => s.rate)).toEqual([10, 20, 40, 30, 35]); // the report's order is kept
  });

  it('leaves out the latency of a step without a completed request', () => {
    const empty = { ...step(5, 0, false, 0) };
    const [, , , p99] = capacityCurve(capacity([step(10, 8, false), empty], -1));
    expect(p99).toEqual([null, 8]);
  });

  it('reads the latency bound of an SLO', () => {
    expect(sloLatencyMs(['p99<50ms'])).toBe(50);
    expect(sloLatencyMs(['errors<1%', 'p(99.9) <= 1.5s'])).toBe(1500);
    expect(sloLatencyMs(['p95<250us'])).toBe(0.25);
    expect(sloLatencyMs(['errors<1%', 'rps>=100'])).toBeNull();
    expect(sloLatencyMs(['p99>50ms'])).toBeNull(); // a lower bound is not a ceiling
  });

  it('names each step’s verdict and marks the best', () => {
    const c = capacity([step(10, 8, true), step(20, 80, false), step(15, 20, true)], 2);
    c.steps[1] = { ...c.steps[1]!, status: 'completed' };
    expect([0, 1, 2].map((i) => stepVerdict(c, i).text)).toEqual(['pass', 'fail', 'pass (best)']);
    c.steps.push({ ...step(17, 0, false), status: 'canceled' });
    expect(stepVerdict(c, 3).text).toBe('cancelled');
  });
});
