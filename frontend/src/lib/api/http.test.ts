import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { HttpTransport, csvHeader, query } from './http';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: BodyInit | null | undefined;
}

function fakeFetch(respond: (c: Call) => Response): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const f = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const c = { url: String(input), method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string>, body: init?.body };
    calls.push(c);
    return respond(c);
  };
  return { fetch: f as typeof fetch, calls };
}

const json = (status: number, v: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json', ...headers } });

describe('HttpTransport requests', () => {
  it('posts analyze requests as JSON and returns the decoded response', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { results: [{ text: 'hi', created_at: '2026-01-01T00:00:00Z' }] }));
    const t = new HttpTransport({ fetch, base: 'http://x' });
    const res = await t.analyze({ text: 'hi', tasks: ['sentiment'] });
    expect(res.results?.[0]?.text).toBe('hi');
    expect(calls[0]?.url).toBe('http://x/v1/analyze');
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.headers['Content-Type']).toBe('application/json');
    expect(calls[0]?.headers['X-Nlpscope-Request']).toBe('1'); // the server refuses non-JSON POSTs without it (CSRF)
    expect(JSON.parse(String(calls[0]?.body))).toEqual({ text: 'hi', tasks: ['sentiment'] });
  });

  it('sends the bearer token when configured', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { status: 'ok' }));
    await new HttpTransport({ fetch, token: 's3cret' }).health();
    expect(calls[0]?.headers['Authorization']).toBe('Bearer s3cret');
  });

  it('encodes search filters and cursors, skipping empty ones', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { items: [], next_cursor: 'abc' }));
    const page = await new HttpTransport({ fetch }).search({ q: 'café & co', sentiment: '', cursor: 'c1', limit: 25 });
    expect(page.next_cursor).toBe('abc');
    const u = new URL(calls[0]?.url ?? '', 'http://h');
    expect(u.pathname).toBe('/v1/results');
    expect(u.searchParams.get('q')).toBe('café & co');
    expect(u.searchParams.get('cursor')).toBe('c1');
    expect(u.searchParams.get('limit')).toBe('25');
    expect(u.searchParams.has('sentiment')).toBe(false);
  });

  it('maps JSON errors to ApiError with code, status and Retry-After', async () => {
    const { fetch } = fakeFetch(() => json(429, { error: { code: 'overloaded', message: 'engine overloaded: queue is full' } }, { 'Retry-After': '1' }));
    const err = await new HttpTransport({ fetch }).analyze({ text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'overloaded', status: 429, retryAfterS: 1, message: 'engine overloaded: queue is full' });
  });

  it('reports non-JSON error bodies and network failures with clear messages', async () => {
    const plain = fakeFetch(() => new Response('upstream broke', { status: 502 }));
    await expect(new HttpTransport({ fetch: plain.fetch }).health()).rejects.toMatchObject({ code: 'http_502', message: 'upstream broke' });
    const down = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(new HttpTransport({ fetch: down.fetch }).health()).rejects.toMatchObject({ code: 'network' });
  });

  it('uploads import files as multipart with option fields', async () => {
    const { fetch, calls } = fakeFetch(() => json(202, { id: 'imp1', state: 'running' }));
    const f = new File(['a,b\n1,2\n'], 'data.csv', { type: 'text/csv' });
    const st = await new HttpTransport({ fetch }).startImport({ kind: 'files', files: [f] }, { tasks: ['sentiment', 'entities'], column: 'b', unit: 'line' });
    expect(st.id).toBe('imp1');
    const body = calls[0]?.body as FormData;
    expect(body).toBeInstanceOf(FormData);
    expect(body.get('tasks')).toBe('sentiment,entities');
    expect(body.get('column')).toBe('b');
    expect(body.get('unit')).toBe('line');
    expect((body.getAll('files')[0] as File).name).toBe('data.csv');
    expect(calls[0]?.headers['Content-Type']).toBeUndefined(); // the browser sets the multipart boundary
  });

  it('previews with every reader option (a tab delimiter by name) and posts cancel, resume and delete', async () => {
    const { fetch, calls } = fakeFetch((c) => json(200, c.url.includes('preview') ? { files: [{ source: 'r.tsv', format: 'tsv', header: true }] } : { id: '3', deleted: 7 }));
    const t = new HttpTransport({ fetch });
    const f = new File(['a\tb\n'], 'r.tsv');
    const prev = await t.previewImport({ kind: 'files', files: [f] }, { delimiter: '\t', encoding: 'windows-1252', sheet: 'S', id_column: 'a', date_column: 'b', meta_columns: ['c', 'd,e'], keep_duplicates: true });
    expect(prev[0]?.format).toBe('tsv');
    const body = calls[0]?.body as FormData;
    expect(body.getAll('meta_column')).toEqual(['c', 'd,e']); // one part each: a name may hold a comma
    expect([body.get('delimiter'), body.get('encoding'), body.get('sheet'), body.get('id_column'), body.get('date_column'), body.get('keep_duplicates')]).toEqual(['tab', 'windows-1252', 'S', 'a', 'b', 'true']);
    expect(calls[0]?.url).toMatch(/\/v1\/imports\/preview$/);
    await t.cancelImport('3');
    await t.resumeImport('3');
    const del = await t.deleteImport('3');
    expect(calls.slice(1).map((c) => `${c.method} ${new URL(c.url, 'http://x').pathname}`)).toEqual([
      'POST /v1/imports/3/cancel',
      'POST /v1/imports/3/resume',
      'DELETE /v1/imports/3',
    ]);
    expect(del.deleted).toBe(7);
  });

  it('refuses local paths in the browser', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    await expect(new HttpTransport({ fetch }).startImport({ kind: 'paths', paths: ['/tmp/a.txt'] }, {})).rejects.toBeInstanceOf(ApiError);
    expect(calls).toHaveLength(0);
  });

  it('treats 204 as no content', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    await new HttpTransport({ fetch }).deleteLoadTest('r 1');
    expect(calls[0]).toMatchObject({ method: 'DELETE', url: '/v1/loadtests/r%201' });
  });
});

class FakeEventSource {
  static last: FakeEventSource | null = null;
  url: string;
  closed = false;
  handlers = new Map<string, ((ev: MessageEvent) => void)[]>();
  constructor(url: string) {
    this.url = url;
    FakeEventSource.last = this;
  }
  addEventListener(name: string, fn: (ev: MessageEvent) => void): void {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), fn]);
  }
  close(): void {
    this.closed = true;
  }
  fire(name: string, data: string): void {
    for (const h of this.handlers.get(name) ?? []) h(new MessageEvent(name, { data }));
  }
}

describe('HttpTransport events (SSE)', () => {
  it('opens one stream, delivers parsed events by name, and closes after the last unsubscribe', () => {
    const t = new HttpTransport({ fetch: fakeFetch(() => json(200, {})).fetch, EventSource: FakeEventSource as unknown as typeof EventSource });
    const metrics: unknown[] = [];
    const imports: unknown[] = [];
    const off1 = t.subscribe('metrics', (m) => metrics.push(m));
    const es = FakeEventSource.last;
    const off2 = t.subscribe('import', (m) => imports.push(m));
    expect(FakeEventSource.last).toBe(es); // still one connection
    expect(es?.url).toBe('/v1/metrics/stream');
    es?.fire('metrics', '{"time":"t1"}');
    es?.fire('import', '{"id":"i1"}');
    es?.fire('metrics', 'not json'); // dropped
    expect(metrics).toEqual([{ time: 't1' }]);
    expect(imports).toEqual([{ id: 'i1' }]);
    off1();
    expect(es?.closed).toBe(false);
    off2();
    expect(es?.closed).toBe(true);
  });
});

describe('helpers', () => {
  it('query skips empty values', () => {
    expect(query({ a: 'x', b: '', c: 0, d: undefined, e: 3 })).toBe('?a=x&e=3');
    expect(query({})).toBe('');
    // Metadata filters: repeated meta=KEY:VALUE, the value keeping its ':'.
    expect(new URLSearchParams(query({ meta: { product: 'phone: pro', author: 'Ann' } })).getAll('meta')).toEqual(['product:phone: pro', 'author:Ann']);
  });
  it('csvHeader parses quoted headers, BOMs and CRLF', () => {
    expect(csvHeader('\ufeffid,"review, text","say ""hi"""\r\n1,2,3')).toEqual(['id', 'review, text', 'say "hi"']);
    expect(csvHeader('text\n')).toEqual(['text']);
  });
});
