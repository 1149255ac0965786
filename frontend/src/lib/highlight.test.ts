import { describe, expect, it } from 'vitest';
import { codePointSlice, contrastRatio, labelColor, labelText, segments, snippetParts, type Span } from './highlight';

const span = (label: string, start: number, end: number): Span => ({ label, start, end, score: 0.9 });

describe('segments', () => {
  it('slices by code points, so emoji before an entity do not shift it', () => {
    const text = '😀😀 Angela Merkel visited 東京 today';
    // code points: 😀=0, 😀=1, ' '=2, 'Angela Merkel' = 3..16, ' visited ' 16..25, 東京 = 25..27
    const segs = segments(text, [span('PER', 3, 16), span('LOC', 25, 27)]);
    expect(segs.map((s) => [s.text, s.entity?.label ?? null])).toEqual([
      ['😀😀 ', null],
      ['Angela Merkel', 'PER'],
      [' visited ', null],
      ['東京', 'LOC'],
      [' today', null],
    ]);
    expect(segs.map((s) => s.text).join('')).toBe(text);
  });

  it('differs from UTF-16 slicing where astral characters precede the entity', () => {
    const text = '🎉 Paris';
    expect(text.slice(2, 7)).not.toBe('Paris'); // UTF-16 indices would be wrong
    expect(codePointSlice(text, 2, 7)).toBe('Paris');
    expect(segments(text, [span('LOC', 2, 7)])[1]?.text).toBe('Paris');
  });

  it('handles combining sequences and flags as separate code points', () => {
    const text = '🇪🇺 EU'; // a flag is two regional-indicator code points
    expect(segments(text, [span('ORG', 3, 5)]).map((s) => s.text)).toEqual(['🇪🇺 ', 'EU']);
  });

  it('drops overlapping spans, keeping the earlier and longer one', () => {
    const segs = segments('New York City', [span('LOC', 4, 8), span('LOC', 0, 13), span('GPE', 0, 3)]);
    expect(segs).toHaveLength(1);
    expect(segs[0]?.entity?.end).toBe(13);
  });

  it('clamps spans outside the text and ignores empty ones', () => {
    const segs = segments('abc', [span('X', -5, 1), span('Y', 2, 99), span('Z', 2, 2)]);
    expect(segs.map((s) => [s.text, s.entity?.label ?? null])).toEqual([
      ['a', 'X'],
      ['b', null],
      ['c', 'Y'],
    ]);
  });

  it('hides filtered labels as plain text', () => {
    const segs = segments('Ann met Bob', [span('PER', 0, 3), span('ORG', 8, 11)], new Set(['ORG']));
    expect(segs.map((s) => [s.text, s.entity?.label ?? null])).toEqual([
      ['Ann', 'PER'],
      [' met Bob', null],
    ]);
  });

  it('returns one plain segment for text without entities, also when empty', () => {
    expect(segments('plain', [])).toEqual([{ text: 'plain' }]);
    expect(segments('', [])).toEqual([{ text: '' }]);
  });
});

describe('label colours', () => {
  it('meet WCAG AA contrast with the label text for known and unknown labels', () => {
    for (const l of ['PER', 'ORG', 'LOC', 'MISC', 'GPE', 'DATE', 'B-PER', 'WEIRD_LABEL', 'X', 'EMAIL', 'NORP']) {
      const bg = labelColor(l);
      expect(bg).toMatch(/^#[0-9a-f]{6}$/);
      expect(contrastRatio(bg, labelText), `${l} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    }
  });
  it('are stable and distinct for the common labels', () => {
    expect(labelColor('per')).toBe(labelColor('PER'));
    expect(new Set(['PER', 'ORG', 'LOC', 'MISC'].map(labelColor)).size).toBe(4);
  });
  it('computes known contrast ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#777777')).toBeCloseTo(1, 5);
    expect(() => contrastRatio('red', '#fff')).toThrow();
  });
});

describe('snippetParts', () => {
  it('marks [[hits]] without interpreting HTML', () => {
    expect(snippetParts('the [[<b>cat</b>]] sat on [[mat]]')).toEqual([
      { text: 'the ', hit: false },
      { text: '<b>cat</b>', hit: true },
      { text: ' sat on ', hit: false },
      { text: 'mat', hit: true },
    ]);
    expect(snippetParts('no hits')).toEqual([{ text: 'no hits', hit: false }]);
  });
});
