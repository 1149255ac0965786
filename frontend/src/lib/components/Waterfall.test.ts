import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Waterfall from './Waterfall.svelte';

let cmp: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (cmp) unmount(cmp);
  cmp = null;
  document.body.innerHTML = '';
});

const t = (o: Partial<Record<string, number>>) => ({ cache_lookup_ns: 0, queue_wait_ns: 0, tokenize_ns: 0, inference_ns: 0, postprocess_ns: 0, ...o });

describe('Waterfall', () => {
  it('shows every stage of an uncached result, and only the lookup plus "computed earlier" for a cached one', () => {
    const target = document.createElement('div');
    document.body.appendChild(target);
    cmp = mount(Waterfall, {
      target,
      props: {
        rows: [
          { task: 'sentiment', cached: false, timings: t({ queue_wait_ns: 1e6, tokenize_ns: 2e6, inference_ns: 5e6, postprocess_ns: 1e5 }), storeNs: 3e6 },
          { task: 'entities', cached: true, timings: t({ cache_lookup_ns: 4e5 }), computed: t({ queue_wait_ns: 2e6, tokenize_ns: 1e6, inference_ns: 9e6, postprocess_ns: 1e6 }), storeNs: 3e6 },
        ],
      },
    });
    flushSync();
    const own = target.querySelector('[data-testid="waterfall-sentiment"]')?.textContent ?? '';
    expect(own).toMatch(/queue wait\s*1\.0/);
    expect(own).toMatch(/inference\s*5\.0/);
    expect(own).toMatch(/store \(commit wait\)\s*3\.0/);
    expect(own).not.toContain('cache lookup');
    expect(target.querySelector('[data-testid="waterfall-sentiment-computed"]')).toBeNull();
    const cached = target.querySelector('[data-testid="waterfall-entities"]')?.textContent ?? '';
    expect(cached).toContain('cache lookup');
    expect(cached).not.toContain('inference');
    const earlier = target.querySelector('[data-testid="waterfall-entities-computed"]')?.textContent ?? '';
    expect(earlier).toContain('computed earlier');
    expect(earlier).toMatch(/inference\s*9\.0/);
  });
});
