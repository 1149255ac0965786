import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, type DocumentSummary, type SearchPage, type SearchQuery } from '../lib/api';

const { history } = await import('../lib/stores/history.svelte');
const { default: History } = await import('./History.svelte');

let cmp: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (cmp) unmount(cmp);
  cmp = null;
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

const doc = (id: number, seen = 1): DocumentSummary => ({ id, snippet: `text [[${id}]]`, text: `text ${id}`, entity_count: 0, created_at: '2026-01-01T00:00:00Z', seen, imports: [] });

function render(): HTMLElement {
  const target = document.createElement('div');
  document.body.appendChild(target);
  cmp = mount(History, { target });
  flushSync();
  return target;
}

const text = (el: HTMLElement, id: string): string => el.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? '';

describe('History', () => {
  it('shows the count of the search on screen and exports exactly it, with the count in the button', async () => {
    const seen: SearchQuery[] = [];
    // The server counts on the first page only (no cursor).
    vi.spyOn(api, 'search').mockImplementation(async (q: SearchQuery): Promise<SearchPage> => {
      seen.push(q);
      if (q.q === 'everything') return { items: [doc(9)], next_cursor: 'x', total: 10000, total_exact: false };
      return q.cursor ? { items: [doc(2)], total_exact: false } : { items: [doc(1)], next_cursor: 'c1', total: 1234, total_exact: true };
    });
    const exported: [string, SearchQuery][] = [];
    vi.spyOn(api, 'exportResults').mockImplementation(async (format, q) => {
      exported.push([format, q]);
      return 'saved';
    });
    history.filters.q = 'Merkel Paris';
    const el = render();
    await vi.waitFor(() => expect(text(el, 'history-count')).toBe('1,234 documents · page 1'));
    expect(text(el, 'history-export-csv')).toBe('Export 1,234 as CSV');
    expect(text(el, 'history-export-jsonl')).toBe('Export 1,234 as JSONL');

    // A later page keeps the count of the search.
    (el.querySelector('[data-testid="history-next"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(text(el, 'history-count')).toBe('1,234 documents · page 2'));
    expect(text(el, 'history-export-csv')).toBe('Export 1,234 as CSV');

    // Typed but not submitted: the export takes the search shown.
    const box = el.querySelector('[data-testid="history-q"]') as HTMLInputElement;
    box.value = 'Messi';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    expect(text(el, 'history-edited')).toMatch(/search shown/);
    (el.querySelector('[data-testid="history-export-csv"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(exported).toHaveLength(1));
    expect(exported[0]).toEqual(['csv', { q: 'Merkel Paris', limit: undefined }]);
    expect(seen.map((q) => q.q)).toEqual(['Merkel Paris', 'Merkel Paris']);

    // "Export as…" a training format: the same search, the chosen format, and the select resets.
    const as = el.querySelector('[data-testid="history-export-as"]') as HTMLSelectElement;
    expect(Array.from(as.options).map((o) => o.value)).toEqual(['', 'conll', 'spacy', 'labelstudio', 'doccano', 'sentiment-csv', 'sentiment-jsonl']);
    as.value = 'labelstudio';
    as.dispatchEvent(new Event('change', { bubbles: true }));
    await vi.waitFor(() => expect(exported).toHaveLength(2));
    expect(exported[1]).toEqual(['labelstudio', { q: 'Merkel Paris', limit: undefined }]);
    flushSync();
    expect(as.value).toBe('');

    // Past the counting bound: "at least".
    box.value = 'everything';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    (el.querySelector('[data-testid="history-search"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(text(el, 'history-count')).toBe('≥ 10,000 documents · page 1'));
    expect(text(el, 'history-export-csv')).toBe('Export all (≥ 10,000) as CSV');
    history.filters.q = '';
  });

  it('shows how often a text was seen and the imports its document came from', async () => {
    vi.spyOn(api, 'search').mockResolvedValue({ items: [doc(1, 3), doc(2)], total: 2, total_exact: true });
    vi.spyOn(api, 'document').mockResolvedValue({ id: 1, text: 'text 1', meta: {}, created_at: '2026-01-01T00:00:00Z', seen: 3, imports: [4, 7] });
    const el = render();
    await vi.waitFor(() => expect(el.querySelectorAll('[data-testid="history-item"]')).toHaveLength(2));
    const seen = [...el.querySelectorAll('[data-testid="history-item"]')].map((li) => li.querySelector('[data-testid="history-seen"]')?.textContent ?? '');
    expect(seen).toEqual(['seen 3×', '']); // once: nothing shown
    (el.querySelector('[data-testid="history-item"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(text(el, 'doc-imports')).toMatch(/^From imports\s+#4, #7$/));
    expect(text(el, 'doc-seen')).toBe('· seen 3×');
  });

  it('explains the search syntax at the search box', () => {
    vi.spyOn(api, 'search').mockResolvedValue({ items: [], total: 0, total_exact: true });
    const el = render();
    const box = el.querySelector('[data-testid="history-q"]') as HTMLInputElement;
    const help = el.querySelector(`#${box.getAttribute('aria-describedby') ?? 'none'}`);
    expect(help?.textContent).toMatch(/OR/);
    expect(help?.textContent).toMatch(/-recall/);
    expect(help?.textContent).toMatch(/"model y"/);
    expect(help?.textContent).toMatch(/tes\*/);
    expect(box.title).toMatch(/NOT word/);
  });
});
