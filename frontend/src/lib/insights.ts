// View logic of Insights: links from every number to History, the layout of
// the charts (SVG, so that they export as SVG and PNG), CSV of every table.
import type { Cooccurrence, EntityGroup, EntityMatch, EntityStat, Insights, Timeline } from './api';
import type { Filters } from './stores/history.svelte';
import { filterParam } from './stores/history.svelte';

/** Drill is what one number adds to the selection it was counted in. */
export interface Drill {
  sentiment?: string;
  /** An exact time range (a timeline bucket, already clipped to the selection). */
  from?: string;
  to?: string;
  entities?: EntityMatch[];
}

/** drillFilters: History's filters for exactly the documents behind a number. */
export function drillFilters(sel: Filters, d: Drill): Filters {
  const f: Filters = { ...sel, entities: [...sel.entities] };
  if (d.sentiment !== undefined) f.sentiment = d.sentiment;
  if (d.from !== undefined) f.from = d.from;
  if (d.to !== undefined) f.to = d.to;
  for (const e of d.entities ?? []) {
    if (!f.entities.some((x) => x.label === e.label && x.key === e.key)) f.entities.push({ label: e.label, key: e.key });
  }
  return f;
}

/** historyHref is the link to History for a number. */
export function historyHref(sel: Filters, d: Drill = {}): string {
  return '#/history/' + encodeURIComponent(filterParam(drillFilters(sel, d)));
}

/** polarity of a sentiment label: +1 positive, -1 negative, 0 otherwise (as storage.Polarity). */
export function polarity(label: string): number {
  const l = label.toLowerCase().replace(/^label_/, '');
  return l.startsWith('pos') ? 1 : l.startsWith('neg') ? -1 : 0;
}

const others = ['#4e79a7', '#f28e2b', '#b07aa1', '#76b7b2', '#edc948', '#9c755f'];
/** sentimentColor: fixed colours (they must survive SVG/PNG export, so no CSS variables). */
export function sentimentColor(label: string, i = 0): string {
  const p = polarity(label);
  if (p > 0) return '#2da44e';
  if (p < 0) return '#cf222e';
  if (/neu/i.test(label)) return '#8c959f';
  return others[i % others.length] ?? '#4e79a7';
}

const pad = (n: number) => String(n).padStart(2, '0');
/** bucketLabel names a UTC bucket by its start. */
export function bucketLabel(bucket: string, from: string): string {
  const d = new Date(from);
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  switch (bucket) {
    case 'hour':
      return `${day} ${pad(d.getUTCHours())}:00`;
    case 'week':
      return `week of ${day}`;
    case 'month':
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  }
  return day;
}

export interface Segment {
  /** index of the bucket */
  bucket: number;
  label: string;
  count: number;
  x: number;
  y: number;
  w: number;
  h: number;
  color: string;
}
export interface Layout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  segments: Segment[];
  /** The net-sentiment line over the bar centres; y in pixels (net -1..1 over the plot height). */
  net: { x: number; y: number; value: number }[];
  yTicks: { y: number; value: number }[];
  xTicks: { x: number; label: string }[];
  max: number;
}

/** niceMax rounds a count up to 1, 2 or 5 × a power of ten. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** timelineLayout places the stacked bars (one per bucket, labels in order) and the net line. */
export function timelineLayout(tl: Timeline, width: number, height: number): Layout {
  const plot = { left: 44, top: 10, right: width - 40, bottom: height - 28 };
  const n = Math.max(1, tl.buckets.length);
  const slot = (plot.right - plot.left) / n;
  const max = niceMax(Math.max(0, ...tl.buckets.map((b) => b.total)));
  const ph = plot.bottom - plot.top;
  const segments: Segment[] = [];
  const net: Layout['net'] = [];
  tl.buckets.forEach((b, i) => {
    const w = Math.max(1, Math.min(56, slot * 0.8));
    const x = plot.left + i * slot + (slot - w) / 2;
    let base = plot.bottom;
    tl.labels.forEach((label, li) => {
      const count = b.counts[li] ?? 0;
      if (!count) return;
      const h = (count / max) * ph;
      base -= h;
      segments.push({ bucket: i, label, count, x, y: base, w, h, color: sentimentColor(label, li) });
    });
    if (b.total > 0) net.push({ x: x + w / 2, y: plot.top + ((1 - b.net) / 2) * ph, value: b.net });
  });
  const yTicks = [0, 0.5, 1].map((f) => ({ y: plot.bottom - f * ph, value: f * max }));
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((plot.right - plot.left) / 90))));
  const xTicks = tl.buckets.flatMap((b, i) => (i % every === 0 ? [{ x: plot.left + (i + 0.5) * slot, label: bucketLabel(tl.bucket, b.from) }] : []));
  return { width, height, plot, segments, net, yTicks, xTicks, max };
}

/** distributionBar: the distribution as one horizontal stacked bar, x and width in 0..1. */
export function distributionBar(in_: Insights): { label: string; docs: number; x: number; w: number; color: string }[] {
  const total = in_.sentiment.reduce((s, c) => s + c.docs, 0);
  let x = 0;
  return in_.sentiment.map((c, i) => {
    const w = total ? c.docs / total : 0;
    const seg = { label: c.label, docs: c.docs, x, w, color: sentimentColor(c.label, i) };
    x += w;
    return seg;
  });
}

/** matrix: the symmetric co-occurrence counts, the entity's own documents on the diagonal. */
export function matrix(co: Cooccurrence): number[][] {
  const n = co.entities.length;
  const m = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? (co.docs[i] ?? 0) : 0)));
  for (const p of co.pairs) {
    const row = m[p.a];
    const col = m[p.b];
    if (row && col) {
      row[p.b] = p.docs;
      col[p.a] = p.docs;
    }
  }
  return m;
}

/** csv turns rows into RFC 4180 text (a header first). */
export function csv(rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export const sentimentCSV = (in_: Insights): string =>
  csv([['label', 'documents', 'share', 'mean_score'], ...in_.sentiment.map((s) => [s.label, s.docs, s.share, s.mean_score])]);

export const timelineCSV = (tl: Timeline): string =>
  csv([['from', 'to', ...tl.labels, 'total', 'net'], ...tl.buckets.map((b) => [b.from, b.to, ...b.counts, b.total, b.net])]);

export function entitiesCSV(g: EntityGroup): string {
  return csv([
    ['label', 'entity', 'documents', 'mentions', 'negative_share', 'positive_share', 'sentiment', 'surface_forms'],
    ...g.entities.map((e) => [e.label, e.key, e.docs, e.mentions, e.negative_share, e.positive_share, e.sentiment.map((m) => `${m.label}=${m.docs}`).join(';'), e.forms.map((f) => f.text).join('|')]),
  ]);
}

export function cooccurrenceCSV(co: Cooccurrence): string {
  const m = matrix(co);
  const name = (e: EntityMatch) => `${e.label}:${e.key}`;
  return csv([['', ...co.entities.map(name)], ...co.entities.map((e, i) => [name(e), ...(m[i] ?? [])])]);
}

/** mixOf: an entity's sentiment mix as shares for a small bar. */
export function mixOf(e: EntityStat): { label: string; docs: number; share: number; color: string }[] {
  return e.sentiment.map((m, i) => ({ label: m.label, docs: m.docs, share: e.docs ? m.docs / e.docs : 0, color: sentimentColor(m.label, i) }));
}

export const pct = (f: number): string => `${(100 * f).toFixed(1)} %`;
