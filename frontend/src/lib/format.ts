// Number and time formatting shared by the views.

/** ms formats nanoseconds as milliseconds. */
export function nsToMs(ns: number): number {
  return ns / 1e6;
}

export function fmtMs(ms: number | undefined | null, digits = 1): string {
  if (ms == null || !Number.isFinite(ms)) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? Math.max(digits, 2) : digits)} ms`;
}

export function fmtNum(n: number | undefined | null, digits = 0): string {
  if (n == null || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtBytes(b: number | undefined | null): string {
  if (b == null || !Number.isFinite(b)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmtPct(p: number | undefined | null, digits = 0): string {
  if (p == null || !Number.isFinite(p)) return '–';
  return `${p.toFixed(digits)} %`;
}

export function fmtDuration(seconds: number | undefined | null): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtTime(iso: string | undefined | null): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  return d.toLocaleString();
}

/** Threshold levels from DESIGN.md's resource table. */
export type Level = 'ok' | 'warn' | 'bad';

export const resourceThresholds = {
  cpu: { target: 70, max: 85 },
  memory: { target: 75, max: 90 },
  gpu: { target: 80, max: 95 },
  disk: { target: 60, max: 80 },
} as const;

/** level classifies a value: ≤ target ok, ≤ max warn, above max bad. */
export function level(value: number, t: { target: number; max: number }): Level {
  if (value <= t.target) return 'ok';
  if (value <= t.max) return 'warn';
  return 'bad';
}
