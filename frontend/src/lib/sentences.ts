// Sentence-level sentiment: how a text was read, the strip's segments, and
// the sentences to jump to.
import type { Sentiment, SentenceScore } from './api';

export type Tone = 'pos' | 'neg' | 'neu';

/** tone maps a label to a colour class (positive, negative, anything else neutral). */
export function tone(label: string): Tone {
  const l = label.toLowerCase();
  if (l.startsWith('pos')) return 'pos';
  if (l.startsWith('neg')) return 'neg';
  return 'neu';
}

/** readAs says in words how the label was read. */
export function readAs(s: Sentiment): string {
  const n = s.sentences.length;
  const of = `${n} sentence${n === 1 ? '' : 's'}`;
  switch (s.method) {
    case 'mean':
      return `Read by sentences: the label is the length-weighted mean of ${of}.`;
    case 'majority':
      return `Read by sentences: the label most of the text's ${of} have (by length).`;
    default:
      if (s.truncated) return 'Only the first window of this long text was read: the rest did not count (method "whole").';
      return n > 1 ? `Read whole, as the model was trained; each of its ${of} is scored below.` : 'Read whole.';
  }
}

export interface Segment {
  index: number;
  /** share of the text's sentence code points, 0–1 */
  width: number;
  tone: Tone;
  label: string;
  score: number;
}

/** segments are the strip's parts, one per sentence, as wide as its share of the text. */
export function segments(sents: readonly SentenceScore[]): Segment[] {
  const total = sents.reduce((a, s) => a + Math.max(1, s.end - s.start), 0);
  return sents.map((s, index) => ({ index, width: Math.max(1, s.end - s.start) / total, tone: tone(s.label), label: s.label, score: s.score }));
}

function scoreOf(s: SentenceScore, t: Tone): number {
  return s.scores.find((l) => tone(l.label) === t)?.score ?? 0;
}

/** extreme is the index of the sentence with the highest score for tone t (-1 for none). */
export function extreme(sents: readonly SentenceScore[], t: Tone): number {
  let best = -1;
  let top = -1;
  sents.forEach((s, i) => {
    const v = scoreOf(s, t);
    if (v > top) [best, top] = [i, v];
  });
  return best;
}

/** sentenceText is the sentence's text: start and end are code points, not UTF-16 units. */
export function sentenceText(text: string, s: SentenceScore): string {
  return Array.from(text).slice(s.start, s.end).join('');
}
