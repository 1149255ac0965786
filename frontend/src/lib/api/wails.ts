// Wails transport for the desktop window. The Go side is desktop.Desktop
// (desktop/bindings.go); Wails injects its methods as
// window.go.desktop.Desktop.* and its runtime as window.runtime. Rejections
// carry the Go error's text.
import { toApiError } from './errors';
import { csvHeader } from './http';
import type { EventName, EventPayloads, ExportFormat, ImportInput, Transport } from './transport';
import type {
  AnalyzeRequest,
  AnalyzeResponse,
  Correction,
  DocumentResult,
  Health,
  ImportDeleted,
  ImportOptions,
  ImportPreview,
  ImportStatus,
  ModelInfo,
  ModelsResponse,
  Import,
  Insights,
  InsightsQuery,
  ReportFormat,
  SearchPage,
  SearchQuery,
  SetModelRequest,
  Settings,
} from './models.gen';
import type { LoadTestConfig, LoadTestRun, LoadTestStatus, LoadTestSummary } from './loadtest';

type Binding = (...args: unknown[]) => Promise<unknown>;

interface WailsRuntime {
  EventsOn(name: string, cb: (...data: unknown[]) => void): () => void;
  OnFileDrop(cb: (x: number, y: number, paths: string[]) => void, useDropTarget: boolean): void;
  OnFileDropOff(): void;
}

interface WailsWindow {
  go?: { desktop?: { Desktop?: Record<string, Binding> } };
  runtime?: WailsRuntime;
}

/** wailsAvailable reports whether the page runs inside the Wails window. */
export function wailsAvailable(w: unknown = globalThis): boolean {
  return Boolean((w as WailsWindow).go?.desktop?.Desktop);
}

export class WailsTransport implements Transport {
  readonly kind = 'wails' as const;
  private readonly b: Record<string, Binding>;
  private readonly rt: WailsRuntime | undefined;
  private liveCount = 0;

  constructor(w: unknown = globalThis) {
    const win = w as WailsWindow;
    const b = win.go?.desktop?.Desktop;
    if (!b) throw new Error('Wails bindings are not available');
    this.b = b;
    this.rt = win.runtime;
  }

  private async call<T>(method: string, ...args: unknown[]): Promise<T> {
    const fn = this.b[method];
    if (!fn) throw toApiError(`missing_binding: this build has no ${method}`);
    try {
      return (await fn(...args)) as T;
    } catch (e) {
      throw toApiError(e);
    }
  }

  health(): Promise<Health> {
    return this.call('Health');
  }
  analyze(req: AnalyzeRequest): Promise<AnalyzeResponse> {
    return this.call('Analyze', req);
  }
  search(q: SearchQuery): Promise<SearchPage> {
    return this.call('Search', q);
  }
  document(id: number): Promise<DocumentResult> {
    return this.call('Document', id);
  }
  correction(id: number): Promise<Correction> {
    return this.call('Correction', id);
  }
  setCorrection(id: number, c: Correction): Promise<Correction> {
    return this.call('SetCorrection', id, c);
  }
  async clearCorrection(id: number): Promise<void> {
    await this.call('ClearCorrection', id);
  }
  insights(q: InsightsQuery): Promise<Insights> {
    return this.call('Insights', q);
  }
  storedImports(): Promise<Import[]> {
    return this.call('StoredImports');
  }
  exportResults(format: ExportFormat, q: SearchQuery): Promise<string> {
    return this.call('ExportResults', format, q);
  }
  exportLoadTest(id: string, format: ReportFormat): Promise<string> {
    return this.call('ExportLoadTest', id, format);
  }
  models(): Promise<ModelsResponse> {
    return this.call('Models');
  }
  setActiveModel(req: SetModelRequest): Promise<ModelInfo> {
    return this.call('SetActiveModel', req);
  }
  settings(): Promise<Settings> {
    return this.call('Settings');
  }
  setSettings(s: Settings): Promise<Settings> {
    return this.call('SetSettings', s);
  }
  startImport(input: ImportInput, opts: ImportOptions): Promise<ImportStatus> {
    if (input.kind !== 'paths') return Promise.reject(toApiError('bad_request: the desktop window imports files by path'));
    return this.call('StartImport', input.paths, opts);
  }
  importStatus(id: string): Promise<ImportStatus> {
    return this.call('ImportStatus', id);
  }
  async cancelImport(id: string): Promise<void> {
    await this.call('CancelImport', id);
  }
  imports(): Promise<ImportStatus[]> {
    return this.call('Imports');
  }
  resumeImport(id: string): Promise<ImportStatus> {
    return this.call('ResumeImport', id);
  }
  deleteImport(id: string): Promise<ImportDeleted> {
    return this.call('DeleteImport', id);
  }
  previewImport(input: ImportInput, opts: ImportOptions): Promise<ImportPreview[]> {
    if (input.kind !== 'paths') return Promise.reject(toApiError('bad_request: the desktop window imports files by path'));
    return this.call('PreviewImport', input.paths, opts);
  }
  async csvColumns(input: File | string): Promise<string[]> {
    if (typeof input !== 'string') {
      return csvHeader(await input.slice(0, 64 * 1024).text());
    }
    return this.call('CSVColumns', input);
  }
  loadTests(): Promise<LoadTestSummary[]> {
    return this.call('LoadTests');
  }
  startLoadTest(cfg: LoadTestConfig): Promise<LoadTestStatus> {
    return this.call('StartLoadTest', cfg);
  }
  loadTest(id: string): Promise<LoadTestRun> {
    return this.call('LoadTest', id);
  }
  currentLoadTest(): Promise<LoadTestStatus | null> {
    return this.call('CurrentLoadTest');
  }
  async cancelLoadTest(id: string): Promise<void> {
    await this.call('CancelLoadTest', id);
  }
  async deleteLoadTest(id: string): Promise<void> {
    await this.call('DeleteLoadTest', id);
  }

  subscribe<E extends EventName>(event: E, cb: (payload: EventPayloads[E]) => void): () => void {
    if (!this.rt) return () => {};
    const off = this.rt.EventsOn(event, (p) => cb(p as EventPayloads[E]));
    // The Service computes metrics snapshots only while someone watches them.
    if (event === 'metrics' && this.liveCount++ === 0) void this.call('SetLiveMetrics', true).catch(() => {});
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      if (event === 'metrics' && --this.liveCount === 0) void this.call('SetLiveMetrics', false).catch(() => {});
    };
  }

  openFiles = (): Promise<string[]> => this.call('OpenFiles');
  openFolder = (): Promise<string[]> => this.call('OpenFolder');

  onFileDrop = (cb: (paths: string[]) => void): (() => void) => {
    if (!this.rt) return () => {};
    this.rt.OnFileDrop((_x, _y, paths) => cb(paths), false);
    return () => this.rt?.OnFileDropOff();
  };
}
