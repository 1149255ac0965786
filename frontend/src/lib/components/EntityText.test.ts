import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import EntityText from './EntityText.svelte';

let cmp: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (cmp) unmount(cmp);
  cmp = null;
  document.body.innerHTML = '';
});

describe('EntityText', () => {
  it('renders entities at code-point offsets after emoji and CJK, with a legend that filters', () => {
    const text = '🎉 会议 in Paris with Angela Merkel';
    // code points: 🎉 0, ' ' 1, 会 2, 议 3, ' in ' 4..8, Paris 8..13, ' with ' 13..19, Angela Merkel 19..32
    const entities = [
      { label: 'LOC', text: 'Paris', start: 8, end: 13, score: 0.99 },
      { label: 'PER', text: 'Angela Merkel', start: 19, end: 32, score: 0.98 },
      { label: 'MISC', text: '会议', start: 2, end: 4, score: 0.5 },
    ];
    const target = document.createElement('div');
    document.body.appendChild(target);
    cmp = mount(EntityText, { target, props: { text, entities } });
    flushSync();
    const marks = [...target.querySelectorAll('mark')];
    expect(marks.map((m) => [m.dataset['label'], m.firstChild?.textContent])).toEqual([
      ['MISC', '会议'],
      ['LOC', 'Paris'],
      ['PER', 'Angela Merkel'],
    ]);
    // The text outside the tags is the original text, unchanged.
    const plain = [...target.querySelector('[data-testid="entity-text"]')!.childNodes]
      .map((n) => (n.nodeName === 'MARK' ? (n.firstChild?.textContent ?? '') : (n.textContent ?? '')))
      .join('');
    expect(plain).toBe(text);
    // Legend: one chip per label; toggling hides that label's highlights.
    const chip = target.querySelector<HTMLButtonElement>('[data-testid="legend-PER"]');
    expect(chip?.getAttribute('aria-pressed')).toBe('true');
    chip?.click();
    flushSync();
    expect(chip?.getAttribute('aria-pressed')).toBe('false');
    expect([...target.querySelectorAll('mark')].map((m) => m.dataset['label'])).toEqual(['MISC', 'LOC']);
    expect(target.textContent).toContain('Angela Merkel');
  });
});
