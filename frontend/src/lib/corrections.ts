// Editing a document's correction: gold entity spans in code points, snapped
// to word boundaries. A word is a run of letters and digits (\p{L}\p{N} plus
// combining marks); every other code point (an emoji, a CJK ideograph, a
// punctuation mark) is a token of its own, so a span never splits a
// surrogate pair and keeps exact code points.
import type { CorrectionEntity } from './api/models.gen';

/** Token is a [start, end) range of code points. */
export interface Token {
  start: number;
  end: number;
}

const wordRune = /[\p{L}\p{N}\p{M}]/u;
const space = /\s/u;

/** tokens splits text (as code points) into words and single-code-point symbols; white space is skipped. */
export function tokens(text: string): Token[] {
  const cps = Array.from(text);
  const out: Token[] = [];
  const word = (c: string | undefined) => c !== undefined && wordRune.test(c) && !isSymbolWord(c);
  let i = 0;
  while (i < cps.length) {
    if (space.test(cps[i] ?? '')) {
      i++;
      continue;
    }
    if (word(cps[i])) {
      const s = i;
      while (i < cps.length && word(cps[i])) i++;
      out.push({ start: s, end: i });
    } else {
      out.push({ start: i, end: i + 1 });
      i++;
    }
  }
  return out;
}

// CJK ideographs, kana and Hangul are written without spaces: each is a token.
const ideo = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
function isSymbolWord(c: string): boolean {
  return ideo.test(c);
}

/** codePointOffset converts a UTF-16 offset in text to a code-point offset. */
export function codePointOffset(text: string, utf16: number): number {
  return Array.from(text.slice(0, utf16)).length;
}

/**
 * snap widens [start, end) (code points, any order) to the tokens it touches.
 * Returns null when the range holds no token (only white space).
 */
export function snap(toks: Token[], start: number, end: number): Token | null {
  const a = Math.min(start, end);
  const b = Math.max(start, end);
  let s = -1;
  let e = -1;
  for (const t of toks) {
    const touches = a === b ? t.start <= a && a < t.end : t.start < b && a < t.end;
    if (touches) {
      if (s < 0) s = t.start;
      e = t.end;
    }
  }
  return s < 0 ? null : { start: s, end: e };
}

/** spanText is text's code points [start, end). */
export function spanText(text: string, start: number, end: number): string {
  return Array.from(text).slice(start, end).join('');
}

function sorted(es: CorrectionEntity[]): CorrectionEntity[] {
  return [...es].sort((x, y) => x.start - y.start || x.end - y.end);
}

function overlaps(a: Token, b: Token): boolean {
  return a.start < b.end && b.start < a.end;
}

/** addEntity adds a snapped span with label, replacing the entities it overlaps; returns the list and the new entity's index. */
export function addEntity(text: string, es: CorrectionEntity[], span: Token, label: string): { entities: CorrectionEntity[]; index: number } {
  const e: CorrectionEntity = { label, start: span.start, end: span.end, text: spanText(text, span.start, span.end) };
  const out = sorted([...es.filter((x) => !overlaps(x, span)), e]);
  return { entities: out, index: out.indexOf(e) };
}

/** removeEntity removes entity i. */
export function removeEntity(es: CorrectionEntity[], i: number): CorrectionEntity[] {
  return es.filter((_, j) => j !== i);
}

/** relabel sets entity i's label. */
export function relabel(es: CorrectionEntity[], i: number, label: string): CorrectionEntity[] {
  return es.map((e, j) => (j === i ? { ...e, label } : e));
}

/**
 * resize moves entity i's end by one token (delta +1 extends, -1 shrinks).
 * It never crosses a neighbouring entity nor shrinks below one token; the
 * list is returned unchanged when the move is impossible.
 */
export function resize(text: string, toks: Token[], es: CorrectionEntity[], i: number, delta: 1 | -1): CorrectionEntity[] {
  const e = es[i];
  if (!e) return es;
  let end = e.end;
  if (delta > 0) {
    const next = toks.find((t) => t.start >= e.end);
    if (!next) return es;
    end = next.end;
  } else {
    const inside = toks.filter((t) => t.start >= e.start && t.end <= e.end);
    const prev = inside[inside.length - 2];
    if (!prev) return es;
    end = prev.end;
  }
  const span = { start: e.start, end };
  if (es.some((x, j) => j !== i && overlaps(x, span))) return es;
  return es.map((x, j) => (j === i ? { ...x, end, text: spanText(text, e.start, end) } : x));
}

/** sameEntities reports whether two lists hold the same (label, start, end) set. */
export function sameEntities(a: { label: string; start: number; end: number }[], b: { label: string; start: number; end: number }[]): boolean {
  const key = (e: { label: string; start: number; end: number }) => `${e.label}|${e.start}|${e.end}`;
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return sa.size === sb.size && [...sa].every((k) => sb.has(k));
}

/** entityTypes are the entity types of token-classification tags: B-PER, I-PER → PER; O is left out. */
export function entityTypes(tags: string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    if (t === 'O') continue;
    const l = t.startsWith('B-') || t.startsWith('I-') ? t.slice(2) : t;
    if (l && !out.includes(l)) out.push(l);
  }
  return out;
}
