// The transport contract. Only this folder knows whether calls go through the
// Wails bindings (desktop window) or HTTP + SSE (web shell); the rest of the UI
// sees this interface. Each method has the name of its Service method and
// Wails binding (analyze = Service.Analyze = Desktop.Analyze; app/API.md).
import type {
  AnalyzeRequest,
  AnalyzeResponse,
  Correction,
  DocumentResult,
  ExportFormat,
  Health,
  Import,
  ImportDeleted,
  ImportOptions,
  ImportPreview,
  Insights,
  InsightsQuery,
  ImportStatus,
  MetricsSnapshot,
  ModelInfo,
  ModelsResponse,
  ReportFormat,
  SearchPage,
  SearchQuery,
  SetModelRequest,
  Settings,
} from './models.gen';
import type { LoadTestConfig, LoadTestRun, LoadTestStatus, LoadTestSummary } from './loadtest';

/** Live events, as named by app/live.go. */
export interface EventPayloads {
  metrics: MetricsSnapshot;
  import: ImportStatus;
  loadtest: LoadTestStatus;
}
export type EventName = keyof EventPayloads;

/**
 * ImportInput is what a batch reads: File objects in the browser (uploaded),
 * or paths on the local disk in the desktop window (native dialogs, drops).
 */
export type ImportInput = { kind: 'files'; files: File[] } | { kind: 'paths'; paths: string[] };

export type { ExportFormat };

/** exportFileName is the name an export is saved under (app.ExportFileName). */
export function exportFileName(format: ExportFormat): string {
  switch (format) {
    case 'csv':
    case 'jsonl':
      return `nlpscope-results.${format}`;
    case 'conll':
      return 'nlpscope-results.conll';
    case 'sentiment-csv':
      return 'nlpscope-results.sentiment.csv';
    case 'sentiment-jsonl':
      return 'nlpscope-results.sentiment.jsonl';
    case 'labelstudio':
      return 'nlpscope-results.labelstudio.json';
    default:
      return `nlpscope-results.${format}.jsonl`;
  }
}

export interface Transport {
  readonly kind: 'wails' | 'http';
  health(): Promise<Health>;
  analyze(req: AnalyzeRequest): Promise<AnalyzeResponse>;
  search(q: SearchQuery): Promise<SearchPage>;
  document(id: number): Promise<DocumentResult>;
  /** correction reads a stored document's correction (rejects with not_found when it has none). */
  correction(id: number): Promise<Correction>;
  /** setCorrection stores a document's correction (the analyst's labels) and resolves to it as stored. */
  setCorrection(id: number, c: Correction): Promise<Correction>;
  /** clearCorrection deletes a document's correction; the predictions stay. */
  clearCorrection(id: number): Promise<void>;
  /** insights aggregates the documents a History query selects. */
  insights(q: InsightsQuery): Promise<Insights>;
  /** storedImports lists every import in the database, newest first. */
  storedImports(): Promise<Import[]>;
  /** exportResults downloads (web) or saves through a dialog (desktop); resolves to a description. */
  exportResults(format: ExportFormat, q: SearchQuery): Promise<string>;
  models(): Promise<ModelsResponse>;
  setActiveModel(req: SetModelRequest): Promise<ModelInfo>;
  settings(): Promise<Settings>;
  setSettings(s: Settings): Promise<Settings>;
  startImport(input: ImportInput, opts: ImportOptions): Promise<ImportStatus>;
  importStatus(id: string): Promise<ImportStatus>;
  cancelImport(id: string): Promise<void>;
  /** imports lists every import, newest first (earlier ones from the database). */
  imports(): Promise<ImportStatus[]>;
  resumeImport(id: string): Promise<ImportStatus>;
  /** deleteImport deletes an import and its documents; resolves to how many were deleted. */
  deleteImport(id: string): Promise<ImportDeleted>;
  /** previewImport says how each file would be read (mapping, first rows) without importing. */
  previewImport(input: ImportInput, opts: ImportOptions): Promise<ImportPreview[]>;
  /** csvColumns returns a CSV file's header row, for the column picker. */
  csvColumns(input: File | string): Promise<string[]>;
  loadTests(): Promise<LoadTestSummary[]>;
  startLoadTest(cfg: LoadTestConfig): Promise<LoadTestStatus>;
  loadTest(id: string): Promise<LoadTestRun>;
  /** currentLoadTest is the running or last load test of this process; null when there was none. */
  currentLoadTest(): Promise<LoadTestStatus | null>;
  cancelLoadTest(id: string): Promise<void>;
  deleteLoadTest(id: string): Promise<void>;
  /** exportLoadTest downloads (web) or saves through a dialog (desktop) a saved run's report; resolves to a description. */
  exportLoadTest(id: string, format: ReportFormat): Promise<string>;
  /** subscribe delivers live events until the returned function is called. */
  subscribe<E extends EventName>(event: E, cb: (payload: EventPayloads[E]) => void): () => void;
  /** Desktop only: native dialogs. Undefined in the browser. */
  openFiles?: () => Promise<string[]>;
  openFolder?: () => Promise<string[]>;
  /** Desktop only: files dropped onto the window. */
  onFileDrop?: (cb: (paths: string[]) => void) => () => void;
}
