// HTTP + Server-Sent Events transport for the web shell (`nlpscope serve`).
// Routes and shapes: app/API.md.
import { ApiError } from './errors';
import { exportFileName } from './transport';
import type { EventName, EventPayloads, ExportFormat, ImportInput, Transport } from './transport';
import type {
  AnalyzeRequest,
  AnalyzeResponse,
  Correction,
  DocumentResult,
  EntityMatch,
  ErrorBody,
  Health,
  Import,
  ImportDeleted,
  ImportOptions,
  ImportPreview,
  Insights,
  InsightsQuery,
  ImportStatus,
  ModelInfo,
  ModelsResponse,
  ReportFormat,
  SearchPage,
  SearchQuery,
  SetModelRequest,
  Settings,
} from './models.gen';
import type { LoadTestConfig, LoadTestRun, LoadTestStatus, LoadTestSummary } from './loadtest';

export interface HttpOptions {
  /** Base URL; "" = same origin. */
  base?: string;
  /** Bearer token for shells bound to a non-loopback address. */
  token?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

/** query encodes the non-empty fields of q as URL parameters. */
export function query(q: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === false && (k === 'reviewed' || k === 'corrected' || k === 'disagrees')) {
      p.set(k, '0'); // correction filters: false means "documents without it"
      continue;
    }
    if (v === undefined || v === null || v === '' || v === 0 || v === false) continue;
    if (k === 'entities' && Array.isArray(v)) {
      // Entities (SearchQuery.entities) travel as repeated entity=LABEL:key.
      for (const e of v as EntityMatch[]) p.append('entity', `${e.label}:${e.key}`);
      continue;
    }
    if (k === 'meta' && typeof v === 'object') {
      // Metadata filters (SearchQuery.meta) travel as repeated meta=KEY:VALUE.
      for (const [mk, mv] of Object.entries(v as Record<string, string>)) p.append('meta', `${mk}:${mv}`);
      continue;
    }
    p.set(k, v === true ? '1' : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly ES: typeof EventSource | undefined;
  private source: EventSource | null = null;
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();
  private readonly bound = new Set<string>();

  constructor(opts: HttpOptions = {}) {
    this.base = opts.base ?? '';
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.ES = opts.EventSource ?? (typeof EventSource === 'undefined' ? undefined : EventSource);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    // X-Nlpscope-Request proves to the server that this page, not another
    // site, sent the request (a cross-origin page cannot set it).
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Nlpscope-Request': '1' };
    if (this.token) headers['Authorization'] = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, { method, headers, body: payload });
    } catch (e) {
      throw new ApiError('network', `cannot reach nlpscope (${e instanceof Error ? e.message : String(e)}); is \`nlpscope serve\` still running?`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        if (!res.ok) throw new ApiError(`http_${res.status}`, text.trim() || res.statusText, res.status);
        throw new ApiError('bad_response', `the server sent something that is not JSON (${path})`, res.status);
      }
    }
    if (!res.ok) {
      const err = (data as Partial<ErrorBody> | undefined)?.error;
      const retry = Number(res.headers.get('Retry-After') ?? '');
      throw new ApiError(
        err?.code ?? `http_${res.status}`,
        err?.message ?? `${res.status} ${res.statusText}`,
        res.status,
        Number.isFinite(retry) && retry > 0 ? retry : undefined,
      );
    }
    return data as T;
  }

  health(): Promise<Health> {
    return this.request('GET', '/health');
  }
  analyze(req: AnalyzeRequest): Promise<AnalyzeResponse> {
    return this.request('POST', '/v1/analyze', req);
  }
  search(q: SearchQuery): Promise<SearchPage> {
    return this.request('GET', '/v1/results' + query(q));
  }
  document(id: number): Promise<DocumentResult> {
    return this.request('GET', `/v1/results/${encodeURIComponent(String(id))}`);
  }
  correction(id: number): Promise<Correction> {
    return this.request('GET', `/v1/results/${encodeURIComponent(String(id))}/correction`);
  }
  setCorrection(id: number, c: Correction): Promise<Correction> {
    return this.request('PUT', `/v1/results/${encodeURIComponent(String(id))}/correction`, c);
  }
  async clearCorrection(id: number): Promise<void> {
    await this.request('DELETE', `/v1/results/${encodeURIComponent(String(id))}/correction`);
  }
  insights(q: InsightsQuery): Promise<Insights> {
    return this.request('GET', '/v1/insights' + query({ ...q, cursor: undefined, limit: undefined }));
  }
  storedImports(): Promise<Import[]> {
    return this.request('GET', '/v1/insights/imports');
  }
  async exportResults(format: ExportFormat, q: SearchQuery): Promise<string> {
    const url = this.base + '/v1/results/export' + query({ ...q, cursor: undefined, limit: undefined, format });
    const a = document.createElement('a');
    a.href = url;
    a.download = exportFileName(format);
    document.body.appendChild(a);
    a.click();
    a.remove();
    return `downloading ${exportFileName(format)}`;
  }
  async exportLoadTest(id: string, format: ReportFormat): Promise<string> {
    const name = `nlpscope-loadtest-${id}.${format}`;
    const a = document.createElement('a');
    a.href = `${this.base}/v1/loadtests/${encodeURIComponent(id)}/report?format=${format}`;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    return `downloading ${name}`;
  }
  models(): Promise<ModelsResponse> {
    return this.request('GET', '/v1/models');
  }
  setActiveModel(req: SetModelRequest): Promise<ModelInfo> {
    return this.request('POST', '/v1/models/active', req);
  }
  settings(): Promise<Settings> {
    return this.request('GET', '/v1/settings');
  }
  setSettings(s: Settings): Promise<Settings> {
    return this.request('PUT', '/v1/settings', s);
  }
  startImport(input: ImportInput, opts: ImportOptions): Promise<ImportStatus> {
    if (input.kind !== 'files') {
      return Promise.reject(new ApiError('bad_request', 'the web shell imports uploaded files, not local paths'));
    }
    return this.request('POST', '/v1/imports', importForm(input.files, opts));
  }
  async previewImport(input: ImportInput, opts: ImportOptions): Promise<ImportPreview[]> {
    if (input.kind !== 'files') {
      throw new ApiError('bad_request', 'the web shell imports uploaded files, not local paths');
    }
    const res = await this.request<{ files: ImportPreview[] }>('POST', '/v1/imports/preview', importForm(input.files, opts));
    return res.files;
  }
  importStatus(id: string): Promise<ImportStatus> {
    return this.request('GET', `/v1/imports/${encodeURIComponent(id)}`);
  }
  async cancelImport(id: string): Promise<void> {
    await this.request('POST', `/v1/imports/${encodeURIComponent(id)}/cancel`);
  }
  async imports(): Promise<ImportStatus[]> {
    const res = await this.request<{ imports: ImportStatus[] }>('GET', '/v1/imports');
    return res.imports;
  }
  resumeImport(id: string): Promise<ImportStatus> {
    return this.request('POST', `/v1/imports/${encodeURIComponent(id)}/resume`);
  }
  deleteImport(id: string): Promise<ImportDeleted> {
    return this.request('DELETE', `/v1/imports/${encodeURIComponent(id)}`);
  }
  async csvColumns(input: File | string): Promise<string[]> {
    if (typeof input === 'string') throw new ApiError('bad_request', 'the web shell reads uploaded files only');
    const head = await input.slice(0, 64 * 1024).text();
    return csvHeader(head);
  }
  loadTests(): Promise<LoadTestSummary[]> {
    return this.request('GET', '/v1/loadtests');
  }
  startLoadTest(cfg: LoadTestConfig): Promise<LoadTestStatus> {
    return this.request('POST', '/v1/loadtests', cfg);
  }
  loadTest(id: string): Promise<LoadTestRun> {
    return this.request('GET', `/v1/loadtests/${encodeURIComponent(id)}`);
  }
  async currentLoadTest(): Promise<LoadTestStatus | null> {
    return (await this.request<LoadTestStatus | null>('GET', '/v1/loadtests/current')) ?? null;
  }
  async cancelLoadTest(id: string): Promise<void> {
    await this.request('POST', `/v1/loadtests/${encodeURIComponent(id)}/cancel`);
  }
  async deleteLoadTest(id: string): Promise<void> {
    await this.request('DELETE', `/v1/loadtests/${encodeURIComponent(id)}`);
  }

  subscribe<E extends EventName>(event: E, cb: (payload: EventPayloads[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const fn = cb as (p: unknown) => void;
    set.add(fn);
    this.connect();
    return () => {
      set.delete(fn);
      if ([...this.listeners.values()].every((s) => s.size === 0)) this.disconnect();
    };
  }

  private connect(): void {
    if (!this.ES) return;
    if (!this.source) {
      const tok = this.token ? `?token=${encodeURIComponent(this.token)}` : '';
      this.source = new this.ES(this.base + '/v1/metrics/stream' + tok);
      this.bound.clear();
    }
    for (const name of this.listeners.keys()) {
      if (this.bound.has(name)) continue;
      this.bound.add(name);
      this.source.addEventListener(name, (ev) => {
        let payload: unknown;
        try {
          payload = JSON.parse((ev as MessageEvent<string>).data);
        } catch {
          return; // a malformed event is dropped; the next snapshot supersedes it
        }
        for (const l of this.listeners.get(name) ?? []) l(payload);
      });
    }
  }

  private disconnect(): void {
    this.source?.close();
    this.source = null;
    this.bound.clear();
  }
}

/** importForm is the multipart body of an import or its preview. */
export function importForm(files: File[], opts: ImportOptions): FormData {
  const form = new FormData();
  if (opts.tasks?.length) form.set('tasks', opts.tasks.join(','));
  if (opts.aggregation) form.set('aggregation', opts.aggregation);
  if (opts.unit) form.set('unit', opts.unit);
  if (opts.column) form.set('column', opts.column);
  if (opts.field) form.set('field', opts.field);
  if (opts.encoding) form.set('encoding', opts.encoding);
  if (opts.delimiter) form.set('delimiter', opts.delimiter === '\t' ? 'tab' : opts.delimiter);
  if (opts.sheet) form.set('sheet', opts.sheet);
  if (opts.id_column) form.set('id_column', opts.id_column);
  if (opts.date_column) form.set('date_column', opts.date_column);
  for (const m of opts.meta_columns ?? []) form.append('meta_column', m);
  if (opts.keep_duplicates) form.set('keep_duplicates', 'true');
  for (const f of files) form.append('files', f, relativeName(f));
  return form;
}

/** relativeName keeps a dropped folder's structure in the uploaded name. */
function relativeName(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return rel || f.name;
}

/** csvHeader parses the first record of a CSV text (RFC 4180 quoting). */
export function csvHeader(text: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') break;
    else field += c;
  }
  out.push(field);
  return out.map((s) => s.trim());
}
