import { describe, expect, it } from 'vitest';
import { addEntity, codePointOffset, entityTypes, relabel, removeEntity, resize, sameEntities, snap, spanText, tokens } from './corrections';

describe('tokens and snapping', () => {
  const text = 'Hi 😀 東京 Apple’s café-bar 42';
  const toks = tokens(text);
  const words = toks.map((t) => spanText(text, t.start, t.end));

  it('splits words, keeps emoji and CJK as single code points', () => {
    expect(words).toEqual(['Hi', '😀', '東', '京', 'Apple', '’', 's', 'café', '-', 'bar', '42']);
    // 😀 is one code point (two UTF-16 units): offsets are code points.
    expect(toks[1]).toEqual({ start: 3, end: 4 });
    expect(toks[2]).toEqual({ start: 5, end: 6 });
  });

  it('widens a selection to whole tokens', () => {
    const a = text.indexOf('pple'); // UTF-16 offset, after the emoji
    const s = codePointOffset(text, a);
    expect(s).toBe(a - 1);
    expect(snap(toks, s, s + 2)).toEqual({ start: s - 1, end: s + 4 }); // "Apple"
    expect(snap(toks, s + 2, s - 1)).toEqual({ start: s - 1, end: s + 4 }); // backwards
    expect(snap(toks, 2, 3)).toBeNull(); // only a space
    expect(snap(toks, 0, 4)).toEqual({ start: 0, end: 4 }); // "Hi 😀"
    expect(snap(toks, 1, 1)).toEqual({ start: 0, end: 2 }); // a caret inside a word
  });

  it('combining marks stay in their word', () => {
    const t = 'cafe\u0301 ok';
    expect(tokens(t).map((x) => spanText(t, x.start, x.end))).toEqual(['cafe\u0301', 'ok']);
  });
});

describe('editing', () => {
  const text = 'Alice 😀 met Bob in 東京 today';
  const toks = tokens(text);
  const cp = (s: string) => codePointOffset(text, text.indexOf(s));

  it('adds, relabels, removes, and replaces what a new span overlaps', () => {
    let { entities, index } = addEntity(text, [], { start: cp('Bob'), end: cp('Bob') + 3 }, 'PER');
    expect(entities).toEqual([{ label: 'PER', start: 12, end: 15, text: 'Bob' }]);
    expect(index).toBe(0);
    ({ entities, index } = addEntity(text, entities, { start: 0, end: 5 }, 'PER'));
    expect(index).toBe(0);
    expect(entities.map((e) => e.text)).toEqual(['Alice', 'Bob']);
    ({ entities, index } = addEntity(text, entities, snap(toks, cp('東'), cp('京') + 1)!, 'LOC'));
    expect(entities[index]).toEqual({ label: 'LOC', start: cp('東'), end: cp('東') + 2, text: '東京' });
    entities = relabel(entities, 1, 'ORG');
    expect(entities[1]?.label).toBe('ORG');
    const replaced = addEntity(text, entities, { start: cp('met'), end: cp('Bob') + 3 }, 'MISC').entities;
    expect(replaced.map((e) => e.text)).toEqual(['Alice', 'met Bob', '東京']);
    expect(removeEntity(entities, 0).map((e) => e.text)).toEqual(['Bob', '東京']);
  });

  it('extends and shrinks by one token without crossing a neighbour', () => {
    const es = [
      { label: 'PER', start: 0, end: 5, text: 'Alice' },
      { label: 'PER', start: cp('Bob'), end: cp('Bob') + 3, text: 'Bob' },
    ];
    let out = resize(text, toks, es, 0, 1);
    expect(out[0]).toEqual({ label: 'PER', start: 0, end: 7, text: 'Alice 😀' });
    out = resize(text, toks, out, 0, 1);
    expect(out[0]?.text).toBe('Alice 😀 met');
    expect(resize(text, toks, out, 0, 1)).toBe(out); // Bob is next: no overlap
    out = resize(text, toks, out, 0, -1);
    expect(out[0]?.text).toBe('Alice 😀');
    out = resize(text, toks, out, 0, -1);
    expect(resize(text, toks, out, 0, -1)).toBe(out); // one token left
    const last = [{ label: 'X', start: cp('today'), end: cp('today') + 5, text: 'today' }];
    expect(resize(text, toks, last, 0, 1)).toBe(last); // end of text
  });

  it('compares entity sets and reads entity types from tags', () => {
    expect(sameEntities([{ label: 'A', start: 0, end: 1 }], [{ label: 'A', start: 0, end: 1 }])).toBe(true);
    expect(sameEntities([{ label: 'A', start: 0, end: 1 }], [{ label: 'B', start: 0, end: 1 }])).toBe(false);
    expect(sameEntities([], [{ label: 'A', start: 0, end: 1 }])).toBe(false);
    expect(entityTypes(['O', 'B-PER', 'I-PER', 'B-LOC', 'MISC'])).toEqual(['PER', 'LOC', 'MISC']);
  });
});
