// State of the History view: the query, its pages (keyset cursors) and the
// opened document.
import { api, type Correction, type DocumentResult, type DocumentSummary, type EntityMatch, type SearchQuery, type Transport } from '../api';
import { errorMessage } from '../api/errors';
import { fmtNum } from '../format';

export interface Filters {
  q: string;
  sentiment: string;
  entity_label: string;
  entity_text: string;
  model: string;
  source: string;
  import_id: string;
  from: string; // yyyy-mm-dd (local day), or an exact RFC 3339 instant (links from Insights)
  to: string; // yyyy-mm-dd (inclusive), or an exact RFC 3339 instant (exclusive)
  /** Every one of these entities (normalised key, as Insights counts them). */
  entities: EntityMatch[];
  /** Correction filters: '1' documents with it, '0' without, '' either. */
  reviewed: string;
  corrected: string;
  disagrees: string;
  /** Metadata filters as typed: "product=phone; author=Ann" (exact values, all of them). */
  meta: string;
}

/** parseMeta reads the metadata filter field: KEY=VALUE parts separated by ";". bad lists the parts without a key and "=". */
export function parseMeta(s: string): { meta: Record<string, string>; bad: string[] } {
  const meta: Record<string, string> = {};
  const bad: string[] = [];
  for (const part of s.split(';')) {
    if (!part.trim()) continue;
    const i = part.indexOf('=');
    const k = i > 0 ? part.slice(0, i).trim() : '';
    if (!k) bad.push(part.trim());
    else meta[k] = part.slice(i + 1).trim();
  }
  return { meta, bad };
}

/** addMeta adds KEY=VALUE to a metadata filter field (replacing that key). */
export function addMeta(s: string, key: string, value: string): string {
  const { meta } = parseMeta(s);
  meta[key] = value;
  return Object.entries(meta)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

export const emptyFilters = (): Filters => ({
  q: '',
  sentiment: '',
  entity_label: '',
  entity_text: '',
  model: '',
  source: '',
  import_id: '',
  from: '',
  to: '',
  entities: [],
  reviewed: '',
  corrected: '',
  disagrees: '',
  meta: '',
});

const correctionKeys = ['reviewed', 'corrected', 'disagrees'] as const;

/** isInstant: a from/to that is an exact time, not a day. */
export const isInstant = (s: string): boolean => s.includes('T');

/** toQuery turns the form into a SearchQuery: dates become RFC 3339 day bounds (local time). */
export function toQuery(f: Filters, cursor = '', limit = 25): SearchQuery {
  const q: SearchQuery = { limit };
  for (const k of ['q', 'sentiment', 'entity_label', 'entity_text', 'model', 'source', 'import_id'] as const) {
    const v = f[k].trim();
    if (v) q[k] = v;
  }
  if (f.from) q.from = isInstant(f.from) ? f.from : new Date(`${f.from}T00:00:00`).toISOString();
  if (f.to) {
    if (isInstant(f.to)) {
      q.to = f.to;
    } else {
      const d = new Date(`${f.to}T00:00:00`);
      d.setDate(d.getDate() + 1); // "to" is inclusive of that day
      q.to = d.toISOString();
    }
  }
  for (const k of correctionKeys) if (f[k]) q[k] = f[k] === '1';
  if (f.entities.length) q.entities = f.entities.map((e) => ({ ...e }));
  const { meta } = parseMeta(f.meta);
  if (Object.keys(meta).length) q.meta = meta;
  if (cursor) q.cursor = cursor;
  return q;
}

const filterKeys = ['q', 'sentiment', 'entity_label', 'entity_text', 'model', 'source', 'import_id', 'from', 'to', 'meta', ...correctionKeys] as const;

/** filterParam encodes filters as the History route's parameter: #/history/filter:… */
export function filterParam(f: Filters): string {
  const p = new URLSearchParams();
  for (const k of filterKeys) if (f[k]) p.set(k, f[k]);
  for (const e of f.entities) p.append('entity', `${e.label}:${e.key}`);
  return 'filter:' + p.toString();
}

/** parseFilterParam reads filterParam's form back; null when param is not one. */
export function parseFilterParam(param: string): Filters | null {
  if (!param.startsWith('filter:')) return null;
  const p = new URLSearchParams(param.slice(7));
  const f = emptyFilters();
  for (const k of filterKeys) f[k] = p.get(k) ?? '';
  for (const e of p.getAll('entity')) {
    const i = e.indexOf(':');
    if (i >= 0 && e.slice(i + 1).trim()) f.entities.push({ label: e.slice(0, i), key: e.slice(i + 1) });
  }
  return f;
}

export class HistoryStore {
  /** filters is the form as typed; shown is what the listed results were searched with. */
  filters = $state<Filters>(emptyFilters());
  shown = $state<Filters>(emptyFilters());
  items = $state<DocumentSummary[]>([]);
  /** cursors[i] is the cursor that loaded page i (page 0: ""). */
  cursors = $state<string[]>(['']);
  page = $state(0);
  next = $state('');
  loading = $state(false);
  error = $state('');
  searched = $state(false);
  /** total counts the search on screen (from its first page); null until known. */
  total = $state<number | null>(null);
  /** totalExact: false when there are more than total matches (the count stops there). */
  totalExact = $state(true);
  doc = $state<DocumentResult | null>(null);
  docError = $state('');
  private readonly transport: Transport;
  private seq = 0;

  constructor(transport: Transport = api) {
    this.transport = transport;
  }

  async search(): Promise<void> {
    const { bad } = parseMeta(this.filters.meta);
    if (bad.length) {
      this.error = `Metadata filter “${bad[0]}”: write key=value (several separated by ;).`;
      return;
    }
    this.shown = { ...this.filters, entities: [...this.filters.entities] };
    this.cursors = [''];
    this.page = 0;
    this.total = null;
    this.totalExact = true;
    await this.load('');
  }

  /** countText is the number of documents the search on screen matches: "1,234" or "≥ 10,000"; "" until known. */
  get countText(): string {
    if (this.total === null) return '';
    return this.totalExact ? fmtNum(this.total) : `≥ ${fmtNum(this.total)}`;
  }

  /** summary is the status line: "1,234 documents · page 2". */
  get summary(): string {
    if (this.total === null) return `Page ${this.page + 1} · ${this.items.length === 1 ? '1 document' : `${this.items.length} documents`}`;
    const docs = this.totalExact && this.total === 1 ? 'document' : 'documents';
    return `${this.countText} ${docs} · page ${this.page + 1}`;
  }

  async nextPage(): Promise<void> {
    if (!this.next) return;
    const c = this.next;
    this.cursors = [...this.cursors.slice(0, this.page + 1), c];
    this.page++;
    await this.load(c);
  }

  async prevPage(): Promise<void> {
    if (this.page === 0) return;
    this.page--;
    await this.load(this.cursors[this.page] ?? '');
  }

  private async load(cursor: string): Promise<void> {
    const my = ++this.seq;
    this.loading = true;
    this.error = '';
    try {
      const res = await this.transport.search(toQuery(this.shown, cursor));
      if (my !== this.seq) return; // a newer search superseded this one
      this.items = res.items;
      this.next = res.next_cursor ?? '';
      if (res.total != null) {
        // Only a first page is counted; later pages keep the count.
        this.total = res.total;
        this.totalExact = res.total_exact;
      }
      this.searched = true;
    } catch (e) {
      if (my !== this.seq) return;
      this.error = errorMessage(e);
      this.items = [];
      this.next = '';
      this.total = null;
    } finally {
      if (my === this.seq) this.loading = false;
    }
  }

  async open(id: number): Promise<void> {
    this.docError = '';
    try {
      this.doc = await this.transport.document(id);
    } catch (e) {
      this.doc = null;
      this.docError = errorMessage(e);
    }
  }

  /** exportQuery is the search on screen (submitted, not as typed since), every page. */
  exportQuery(): SearchQuery {
    return { ...toQuery(this.shown), limit: undefined };
  }

  /** edited: the form differs from the search on screen. */
  get edited(): boolean {
    return JSON.stringify(this.filters) !== JSON.stringify(this.shown);
  }

  /** corrected updates the open document and its row after a correction was saved or deleted. */
  corrected(id: number, c: Correction | null): void {
    if (this.doc && this.doc.id === id) this.doc = { ...this.doc, correction: c ?? undefined };
    this.items = this.items.map((d) => (d.id === id ? { ...d, reviewed: c?.reviewed ?? false, corrected: !!c && (c.sentiment != null || c.entities != null) } : d));
  }

  close(): void {
    this.doc = null;
    this.docError = '';
  }
}

export const history = new HistoryStore();
