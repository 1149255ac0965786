import { describe, expect, it } from 'vitest';
import type { Cooccurrence, Insights, Timeline } from './api';
import { cooccurrenceCSV, csv, distributionBar, drillFilters, historyHref, matrix, niceMax, polarity, timelineLayout, bucketLabel, mixOf } from './insights';
import { emptyFilters, filterParam, parseFilterParam, toQuery } from './stores/history.svelte';
import { parseRoute } from './stores/router.svelte';
import { query } from './api/http';

describe('links from Insights to History', () => {
  const sel = { ...emptyFilters(), q: 'great food', import_id: '3', from: '2026-03-01' };

  it('adds the number’s own filter to the selection, keeping the selection', () => {
    const f = drillFilters(sel, { sentiment: 'negative', entities: [{ label: 'ORG', key: 'apple' }] });
    expect(f).toMatchObject({ q: 'great food', import_id: '3', from: '2026-03-01', sentiment: 'negative' });
    expect(f.entities).toEqual([{ label: 'ORG', key: 'apple' }]);
    expect(sel.entities).toEqual([]); // not mutated
    // a pair of the co-occurrence matrix: both entities; a repeated one once
    const both = drillFilters({ ...sel, entities: [{ label: 'ORG', key: 'apple' }] }, { entities: [{ label: 'ORG', key: 'apple' }, { label: 'LOC', key: 'berlin' }] });
    expect(both.entities).toEqual([{ label: 'ORG', key: 'apple' }, { label: 'LOC', key: 'berlin' }]);
    // a bucket replaces the day range with the exact clipped instants
    const b = drillFilters(sel, { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' });
    expect(toQuery(b)).toMatchObject({ from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' });
  });

  it('round-trips through the route, with odd characters in keys', () => {
    const f = drillFilters(sel, { sentiment: 'positive', entities: [{ label: 'ORG', key: "o'brien & co: 50% / ?" }, { label: '', key: '東京' }] });
    const href = historyHref(sel, { sentiment: 'positive', entities: f.entities });
    expect(href.startsWith('#/history/')).toBe(true);
    const r = parseRoute(href);
    expect(r.view).toBe('history');
    expect(parseFilterParam(r.param)).toEqual(f);
    expect(parseFilterParam('doc:12')).toBeNull();
    expect(parseFilterParam(filterParam(emptyFilters()))).toEqual(emptyFilters());
  });

  it('sends entities as repeated entity=LABEL:key', () => {
    const q = toQuery({ ...emptyFilters(), entities: [{ label: 'ORG', key: 'apple' }, { label: 'LOC', key: 'a:b' }] });
    const p = new URLSearchParams(query(q).slice(1));
    expect(p.getAll('entity')).toEqual(['ORG:apple', 'LOC:a:b']);
  });
});

const tl: Timeline = {
  bucket: 'day',
  auto: true,
  labels: ['positive', 'negative', 'neutral'],
  buckets: [
    { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z', counts: [3, 1, 0], total: 4, net: 0.5 },
    { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z', counts: [0, 0, 0], total: 0, net: 0 },
    { from: '2026-03-03T00:00:00Z', to: '2026-03-04T00:00:00Z', counts: [1, 4, 3], total: 8, net: -0.375 },
  ],
};

describe('timeline layout', () => {
  it('stacks each bucket’s counts to its total and puts net on -1..+1', () => {
    const l = timelineLayout(tl, 600, 200);
    expect(l.max).toBe(10);
    const ph = l.plot.bottom - l.plot.top;
    for (const [i, b] of tl.buckets.entries()) {
      const segs = l.segments.filter((s) => s.bucket === i);
      expect(segs.map((s) => s.count)).toEqual(b.counts.filter((c) => c > 0));
      const height = segs.reduce((h, s) => h + s.h, 0);
      expect(height).toBeCloseTo((b.total / l.max) * ph, 6);
      if (segs.length) expect(Math.min(...segs.map((s) => s.y))).toBeCloseTo(l.plot.bottom - height, 6);
    }
    expect(l.net.map((p) => p.value)).toEqual([0.5, -0.375]); // no point for the empty bucket
    expect(l.net[0]?.y).toBeCloseTo(l.plot.top + 0.25 * ph, 6);
    expect(l.segments.find((s) => s.label === 'negative')?.color).toBe('#cf222e');
  });

  it('names buckets in UTC and rounds the scale', () => {
    expect(bucketLabel('hour', '2026-03-01T13:00:00Z')).toBe('2026-03-01 13:00');
    expect(bucketLabel('week', '2026-03-02T00:00:00Z')).toBe('week of 2026-03-02');
    expect(bucketLabel('month', '2026-03-01T00:00:00Z')).toBe('2026-03');
    expect([0, 1, 3, 10, 11, 49, 51, 999].map(niceMax)).toEqual([1, 1, 5, 10, 20, 50, 100, 1000]);
    expect([polarity('POSITIVE'), polarity('LABEL_neg'), polarity('neutral')]).toEqual([1, -1, 0]);
  });
});

describe('tables', () => {
  it('makes the co-occurrence matrix symmetric with the documents on the diagonal', () => {
    const co: Cooccurrence = {
      entities: [{ label: 'ORG', key: 'apple' }, { label: 'LOC', key: 'berlin' }, { label: 'PER', key: 'x, "y"' }],
      docs: [5, 3, 2],
      pairs: [{ a: 0, b: 1, docs: 2 }, { a: 1, b: 2, docs: 1 }],
    };
    expect(matrix(co)).toEqual([[5, 2, 0], [2, 3, 1], [0, 1, 2]]);
    expect(cooccurrenceCSV(co)).toBe(',ORG:apple,LOC:berlin,"PER:x, ""y"""\r\nORG:apple,5,2,0\r\nLOC:berlin,2,3,1\r\n"PER:x, ""y""",0,1,2\r\n');
  });

  it('quotes CSV cells that need it, including surrounding spaces', () => {
    expect(csv([['a', ' APPLE ', 'x\ny', 1.5]])).toBe('a," APPLE ","x\ny",1.5\r\n');
  });

  it('splits the distribution bar by share and the sentiment mix by documents', () => {
    const d = { sentiment: [{ label: 'positive', docs: 3, share: 0.75, mean_score: 0.9 }, { label: 'negative', docs: 1, share: 0.25, mean_score: 0.8 }] } as Insights;
    expect(distributionBar(d).map((b) => [b.label, b.x, b.w])).toEqual([['positive', 0, 0.75], ['negative', 0.75, 0.25]]);
    const mix = mixOf({ label: 'ORG', key: 'apple', docs: 4, mentions: 6, sentiment: [{ label: 'negative', docs: 3 }, { label: 'positive', docs: 1 }], negative_share: 0.75, positive_share: 0.25, forms: [] });
    expect(mix.map((m) => m.share)).toEqual([0.75, 0.25]);
  });
});

describe('InsightsStore', () => {
  it('asks for the selection it shows, and keeps its links on it while the form is edited', async () => {
    const { InsightsStore } = await import('./stores/insights.svelte');
    const { FakeTransport } = await import('./stores/fake');
    const t = new FakeTransport();
    const asked: unknown[] = [];
    t.insights = async (q) => {
      asked.push(q);
      return { documents: 1, unlabelled: 0, sentiment: [], timeline: { bucket: 'hour', auto: true, labels: [], buckets: [] }, entities: [], cooccurrence: { entities: [], docs: [], pairs: [] } };
    };
    const s = new InsightsStore(t);
    s.filters.q = 'paris';
    s.filters.entities = [{ label: 'ORG', key: 'apple' }];
    await s.apply();
    expect(asked[0]).toMatchObject({ q: 'paris', entities: [{ label: 'ORG', key: 'apple' }], sort: 'docs', top: 10, co_top: 10 });
    expect(asked[0]).not.toHaveProperty('bucket');
    s.filters.q = 'berlin'; // typed, not applied
    s.bucket = 'week';
    await s.setSort('negative');
    expect(asked[1]).toMatchObject({ q: 'paris', bucket: 'week', sort: 'negative' });
    expect(parseFilterParam(decodeURIComponent(historyHref(s.shown).slice('#/history/'.length)))?.q).toBe('paris');
  });
});
