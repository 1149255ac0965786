// Entity highlighting. Entity offsets from the engine are Unicode code-point
// offsets (end exclusive), so text is sliced by code points (Array.from),
// never by UTF-16 indices: an emoji before an entity would shift it otherwise.

export interface Span {
  label: string;
  start: number;
  end: number;
  score: number;
  text?: string;
}

/** A run of text, either plain or one entity. */
export interface Segment {
  text: string;
  entity?: Span;
}

/**
 * segments splits text into plain runs and entity runs. Spans outside the
 * text are clamped; overlapping spans keep the earlier (then longer) one;
 * spans whose label is in `hidden` are shown as plain text.
 */
export function segments(text: string, spans: readonly Span[], hidden: ReadonlySet<string> = new Set()): Segment[] {
  const cps = Array.from(text);
  const n = cps.length;
  const sorted = spans
    .filter((s) => !hidden.has(s.label))
    .map((s) => ({ ...s, start: clamp(s.start, 0, n), end: clamp(s.end, 0, n) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Segment[] = [];
  let pos = 0;
  for (const s of sorted) {
    if (s.start < pos) continue; // overlaps the previous entity
    if (s.start > pos) out.push({ text: cps.slice(pos, s.start).join('') });
    out.push({ text: cps.slice(s.start, s.end).join(''), entity: s });
    pos = s.end;
  }
  if (pos < n || out.length === 0) out.push({ text: cps.slice(pos).join('') });
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.trunc(v)));
}

/** codePointSlice returns text[start:end] in code points. */
export function codePointSlice(text: string, start: number, end: number): string {
  return Array.from(text).slice(start, end).join('');
}

// Label colours, after displaCy's palette, tuned so the label text (#1a1a1a)
// on the background has a contrast ratio of at least 4.5:1 (WCAG AA).
const known: Record<string, string> = {
  PER: '#aa9cfc',
  PERSON: '#aa9cfc',
  ORG: '#7aecec',
  LOC: '#ff9561',
  GPE: '#feca74',
  MISC: '#c6e07a',
  DATE: '#bfe1d9',
  TIME: '#bfe1d9',
  MONEY: '#e4e7d2',
  NORP: '#c887fb',
  EVENT: '#ffeb80',
  PRODUCT: '#bfeeb7',
};

/** Text colour used on every label background. */
export const labelText = '#1a1a1a';

/** labelColor returns the background colour for an entity label. */
export function labelColor(label: string): string {
  const key = label.toUpperCase().replace(/^[BI]-/, '');
  const c = known[key];
  if (c) return c;
  // Unknown labels: a stable light hue, so text stays readable.
  let h = 0;
  for (const ch of key) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return hslToHex(h, 70, 78);
}

function hslToHex(h: number, s: number, l: number): string {
  const sat = s / 100;
  const lig = l / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = sat * Math.min(lig, 1 - lig);
  const f = (n: number) => lig - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const hex = (x: number) => Math.round(x * 255).toString(16).padStart(2, '0');
  return `#${hex(f(0))}${hex(f(8))}${hex(f(4))}`;
}

/** contrastRatio is the WCAG 2 contrast ratio of two #rrggbb colours. */
export function contrastRatio(a: string, b: string): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const ch = [m[1], m[2], m[3]].map((x) => {
    const v = parseInt(x ?? '0', 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (ch[0] ?? 0) + 0.7152 * (ch[1] ?? 0) + 0.0722 * (ch[2] ?? 0);
}

/**
 * snippetParts splits a search snippet with [[…]] around hits into parts,
 * so hits render as <mark> without injecting HTML.
 */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  const out: { text: string; hit: boolean }[] = [];
  const re = /\[\[(.*?)\]\]/gs;
  let last = 0;
  for (let m = re.exec(snippet); m; m = re.exec(snippet)) {
    if (m.index > last) out.push({ text: snippet.slice(last, m.index), hit: false });
    out.push({ text: m[1] ?? '', hit: true });
    last = m.index + m[0].length;
  }
  if (last < snippet.length) out.push({ text: snippet.slice(last), hit: false });
  return out;
}
