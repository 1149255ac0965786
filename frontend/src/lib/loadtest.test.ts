import { describe, expect, it } from 'vitest';
import type { LoadTestStatus, Report } from './api';
import { cacheText, lastSecond, runFigure, runHeading } from './loadtest';

const report = (over: Partial<Report> = {}): Report =>
  ({ id: '1', requests: 3000, elapsed_ns: 30e9, cache_hits: 0, cache_results: 3000, config: { target: 'inproc', duration_ns: 30e9, max_requests: 0, cache: 'bypass' }, ...over }) as Report;

describe('runHeading', () => {
  it('names the running test and its time, never the bare saved id once finished', () => {
    const running = {
      id: 'run-0d70ab12cd34ef56',
      state: 'running',
      config: { target: 'inproc', duration_ns: 30e9, max_requests: 0 },
      progress: { elapsed_ns: 12.4e9, duration_ns: 30e9 },
    } as LoadTestStatus;
    expect(runHeading(running)).toBe('Running run-0d70ab12 · 12 s of 30 s');
    expect(runHeading({ ...running, config: { ...running.config!, name: 'baseline' } })).toBe('Running baseline · 12 s of 30 s');
    const done = { id: '1', state: 'done', report: report() } as LoadTestStatus;
    expect(runHeading(done)).toBe('Finished · 3,000 requests in 30 s');
    expect(runHeading(done)).not.toMatch(/Finished 1/);
    expect(runHeading({ ...done, state: 'cancelled', report: report({ requests: 1, elapsed_ns: 2.5e9 }) })).toBe('Stopped · 1 request in 2.5 s');
    expect(runHeading({ id: 'run-x', state: 'failed' } as LoadTestStatus)).toBe('Failed');
  });
});

describe('figures', () => {
  it('says which figure is the run and which the last second', () => {
    expect(runFigure(127.2, 'ms')).toBe('run 127.2 ms');
    expect(lastSecond(6.37, 'ms')).toBe('last 1 s 6.37 ms');
    expect(lastSecond(null, 'ms')).toBe('last 1 s –');
    expect(runFigure(49.96, 'req/s')).toBe('run 50.0 req/s');
  });
  it('states the cache mode and hits', () => {
    expect(cacheText(report())).toBe('caches bypassed · 0 cache hits of 3,000 results (0.0 %)');
    expect(cacheText(report({ cache_hits: 2990, config: { target: 'x', duration_ns: 1, max_requests: 0, cache: 'include' } }))).toBe('caches included · 2,990 cache hits of 3,000 results (99.7 %)');
    expect(cacheText(report({ cache_results: 0, config: { target: 'x', duration_ns: 1, max_requests: 0 } }))).toBe('cache mode not recorded · no cache hits reported');
  });
});
