// A small fake Transport for store tests: every method fails unless a test overrides it.
import type { EventName, EventPayloads, Transport } from '../api/transport';

export class FakeTransport implements Transport {
  readonly kind: 'http' | 'wails' = 'http';
  handlers = new Map<string, Set<(p: unknown) => void>>();
  private no = (name: string) => () => Promise.reject(new Error(`unexpected call ${name}`));
  health = this.no('health') as Transport['health'];
  analyze = this.no('analyze') as Transport['analyze'];
  search = this.no('search') as Transport['search'];
  document = this.no('document') as Transport['document'];
  correction = this.no('correction') as Transport['correction'];
  setCorrection = this.no('setCorrection') as Transport['setCorrection'];
  clearCorrection = this.no('clearCorrection') as Transport['clearCorrection'];
  insights = this.no('insights') as Transport['insights'];
  storedImports = this.no('storedImports') as Transport['storedImports'];
  exportResults = this.no('exportResults') as Transport['exportResults'];
  models = this.no('models') as Transport['models'];
  setActiveModel = this.no('setActiveModel') as Transport['setActiveModel'];
  settings = this.no('settings') as Transport['settings'];
  setSettings = this.no('setSettings') as Transport['setSettings'];
  startImport = this.no('startImport') as Transport['startImport'];
  importStatus = this.no('importStatus') as Transport['importStatus'];
  cancelImport = this.no('cancelImport') as Transport['cancelImport'];
  imports = this.no('imports') as Transport['imports'];
  resumeImport = this.no('resumeImport') as Transport['resumeImport'];
  deleteImport = this.no('deleteImport') as Transport['deleteImport'];
  previewImport = this.no('previewImport') as Transport['previewImport'];
  csvColumns = this.no('csvColumns') as Transport['csvColumns'];
  loadTests = this.no('loadTests') as Transport['loadTests'];
  startLoadTest = this.no('startLoadTest') as Transport['startLoadTest'];
  loadTest = this.no('loadTest') as Transport['loadTest'];
  currentLoadTest = this.no('currentLoadTest') as Transport['currentLoadTest'];
  cancelLoadTest = this.no('cancelLoadTest') as Transport['cancelLoadTest'];
  deleteLoadTest = this.no('deleteLoadTest') as Transport['deleteLoadTest'];
  exportLoadTest = this.no('exportLoadTest') as Transport['exportLoadTest'];

  subscribe<E extends EventName>(event: E, cb: (payload: EventPayloads[E]) => void): () => void {
    const set = this.handlers.get(event) ?? new Set();
    set.add(cb as (p: unknown) => void);
    this.handlers.set(event, set);
    return () => set.delete(cb as (p: unknown) => void);
  }

  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    for (const h of this.handlers.get(event) ?? []) h(payload);
  }

  listeners(event: EventName): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}
