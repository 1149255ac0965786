import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { createTransport } from './index';
import { WailsTransport, wailsAvailable } from './wails';

function fakeWindow() {
  const calls: [string, unknown[]][] = [];
  const listeners = new Map<string, Set<(...d: unknown[]) => void>>();
  const fire = (name: string, ...d: unknown[]) => listeners.get(name)?.forEach((cb) => cb(...d));
  const Desktop: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const m of ['Health', 'Analyze', 'Search', 'SetLiveMetrics', 'StartImport', 'OpenFiles']) {
    Desktop[m] = async (...a: unknown[]) => {
      calls.push([m, a]);
      if (m === 'Analyze') return Promise.reject('empty_text: text is empty or whitespace only');
      if (m === 'OpenFiles') return [];
      return { ok: m };
    };
  }
  const runtime = {
    EventsOn: (name: string, cb: (...d: unknown[]) => void) => {
      const set = listeners.get(name) ?? new Set();
      set.add(cb);
      listeners.set(name, set);
      return () => set.delete(cb);
    },
    OnFileDrop: () => {},
    OnFileDropOff: () => {},
  };
  return { win: { go: { desktop: { Desktop } }, runtime }, calls, fire };
}

describe('WailsTransport', () => {
  it('is chosen when the Wails bindings exist, HTTP otherwise', () => {
    const { win } = fakeWindow();
    expect(wailsAvailable(win)).toBe(true);
    expect(createTransport(win).kind).toBe('wails');
    expect(createTransport({}).kind).toBe('http');
  });

  it('calls the bound methods with their arguments', async () => {
    const { win, calls } = fakeWindow();
    const t = new WailsTransport(win);
    expect(await t.health()).toEqual({ ok: 'Health' });
    await t.startImport({ kind: 'paths', paths: ['/data/a.csv'] }, { column: 'text' });
    expect(calls.at(-1)).toEqual(['StartImport', [['/data/a.csv'], { column: 'text' }]]);
    expect(await t.openFiles()).toEqual([]); // a cancelled dialog is no files
  });

  it('turns Go error strings into ApiError with the code', async () => {
    const { win } = fakeWindow();
    const err = await new WailsTransport(win).analyze({ text: ' ' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'empty_text', message: 'text is empty or whitespace only' });
  });

  it('keeps a Go error without a known code as it is', async () => {
    const { win } = fakeWindow();
    win.go.desktop.Desktop['Search'] = () => Promise.reject('json: cannot unmarshal number into string');
    await expect(new WailsTransport(win).search({})).rejects.toMatchObject({ code: 'error', message: 'json: cannot unmarshal number into string' });
  });

  it('reports a binding missing from this build', async () => {
    const { win } = fakeWindow();
    await expect(new WailsTransport(win).models()).rejects.toMatchObject({ code: 'missing_binding' });
  });

  it('switches live metrics on for the first subscriber and off after the last', () => {
    const { win, calls, fire } = fakeWindow();
    const t = new WailsTransport(win);
    const got: unknown[] = [];
    const off1 = t.subscribe('metrics', (m) => got.push(m));
    const off2 = t.subscribe('metrics', () => {});
    fire('metrics', { time: 'now' });
    expect(got).toEqual([{ time: 'now' }]);
    off1();
    off1(); // idempotent
    off2();
    expect(calls.filter(([m]) => m === 'SetLiveMetrics').map(([, a]) => a[0])).toEqual([true, false]);
  });

  it('refuses browser File uploads', async () => {
    const { win } = fakeWindow();
    await expect(new WailsTransport(win).startImport({ kind: 'files', files: [] }, {})).rejects.toBeInstanceOf(ApiError);
  });
});
