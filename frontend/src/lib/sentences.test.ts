import { describe, expect, it } from 'vitest';
import type { Sentiment, SentenceScore } from './api';
import { extreme, readAs, segments, sentenceText } from './sentences';

const sc = (start: number, end: number, neg: number, pos: number): SentenceScore => ({
  start,
  end,
  label: neg > pos ? 'negative' : 'positive',
  score: Math.max(neg, pos),
  scores: [
    { label: 'negative', score: neg },
    { label: 'neutral', score: 1 - neg - pos },
    { label: 'positive', score: pos },
  ],
});

describe('sentences', () => {
  const sents = [sc(0, 10, 0.1, 0.8), sc(11, 41, 0.7, 0.1), sc(42, 52, 0.9, 0.05)];
  it('sizes segments by code points', () => {
    const seg = segments(sents);
    expect(seg.map((s) => s.width)).toEqual([10 / 50, 30 / 50, 10 / 50]);
    expect(seg.map((s) => s.tone)).toEqual(['pos', 'neg', 'neg']);
  });
  it('finds the most negative and most positive sentence', () => {
    expect(extreme(sents, 'neg')).toBe(2);
    expect(extreme(sents, 'pos')).toBe(0);
    expect(extreme([], 'pos')).toBe(-1);
  });
  it('slices by code points', () => {
    const text = '😍 good. bad 東京.';
    expect(sentenceText(text, sc(0, 7, 0, 1))).toBe('😍 good.');
    expect(sentenceText(text, sc(8, 15, 1, 0))).toBe('bad 東京.');
  });
  it('says how the text was read', () => {
    const base: Sentiment = { label: 'negative', score: 0.6, scores: [], method: 'mean', sentences: sents };
    expect(readAs(base)).toContain('length-weighted mean of 3 sentences');
    expect(readAs({ ...base, method: 'whole', truncated: true, sentences: [] })).toContain('first window');
    expect(readAs({ ...base, method: 'whole', sentences: [] })).toBe('Read whole.');
    expect(readAs({ ...base, method: 'majority' })).toContain('most of');
  });
});
