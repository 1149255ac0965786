// Wording of the Load test view: which figure is the run's and which the
// last second's, the run's heading, and its cache mode.
import type { LoadTestStatus, Report } from './api/models.gen';
import { fmtDuration, fmtMs, fmtNum } from './format';

/** shortRunId shortens a running test's temporary id ("run-0d70ab12…" → "run-0d70ab12"). */
export function shortRunId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** wholeSeconds formats elapsed time as whole seconds below a minute ("12 s"), like fmtDuration above. */
function wholeSeconds(s: number): string {
  return s < 60 ? `${Math.floor(s)} s` : fmtDuration(s);
}

/** seconds formats a configured duration: "30 s", "2.5 s", "5 min 0 s". */
function seconds(s: number): string {
  return s < 60 && Number.isInteger(s) ? `${s} s` : fmtDuration(s);
}

/**
 * runHeading is the heading of the live panel: "Running baseline · 12 s of
 * 30 s" while it runs, then "Finished · 3,000 requests in 30 s" (or
 * "Stopped · …", "Failed"), never the saved run's bare id.
 */
export function runHeading(st: LoadTestStatus): string {
  const name = st.config?.name || st.report?.config?.name || '';
  if (st.state === 'running') {
    const p = st.progress;
    let h = `Running ${name || shortRunId(st.id)}`;
    if (st.capacity) h += ` · step ${st.capacity.steps.length + 1}`;
    if (p && p.duration_ns > 0) h += ` · ${wholeSeconds(p.elapsed_ns / 1e9)} of ${seconds(p.duration_ns / 1e9)}`;
    return h;
  }
  const verb = st.state === 'done' ? 'Finished' : st.state === 'cancelled' ? 'Stopped' : 'Failed';
  const r = st.report;
  if (!r) return verb;
  const n = r.requests === 1 ? '1 request' : `${fmtNum(r.requests)} requests`;
  return `${verb}${name ? ` ${name}` : ''} · ${n} in ${fmtDuration(r.elapsed_ns / 1e9)}`;
}

/** cacheText says how a run treated the caches and how many results were cache hits. */
export function cacheText(r: Report): string {
  const c = r.config?.cache;
  const mode = c === 'bypass' ? 'caches bypassed' : c === 'include' ? 'caches included' : 'cache mode not recorded';
  if (!r.cache_results) return r.cache_hits ? `${mode} · ${fmtNum(r.cache_hits)} cache hits` : `${mode} · no cache hits reported`;
  const pct = ((r.cache_hits / r.cache_results) * 100).toFixed(1);
  return `${mode} · ${fmtNum(r.cache_hits)} cache hits of ${fmtNum(r.cache_results)} results (${pct} %)`;
}

/** lastSecond labels a value of the latest complete second for a legend ("last 1 s 6.37 ms"). */
export function lastSecond(v: number | null | undefined, unit: 'ms' | 'req/s'): string {
  if (v == null || !Number.isFinite(v)) return 'last 1 s –';
  return `last 1 s ${unit === 'ms' ? fmtMs(v) : `${fmtNum(v)} ${unit}`}`;
}

/** runFigure labels a figure of the whole run for a legend or tile ("run 127 ms"). */
export function runFigure(v: number | null | undefined, unit: 'ms' | 'req/s' | 'count'): string {
  if (v == null || !Number.isFinite(v)) return 'run –';
  if (unit === 'ms') return `run ${fmtMs(v)}`;
  if (unit === 'req/s') return `run ${fmtNum(v, 1)} req/s`;
  return `run ${fmtNum(v)}`;
}
