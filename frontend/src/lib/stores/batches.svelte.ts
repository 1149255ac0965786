// State of the Batches view: the files picked, the running import and its rows.
import { api, type DocumentSummary, type ImportStatus, type Task, type Transport } from '../api';
import { errorMessage } from '../api/errors';
import { follow } from './follow';

export const importExts = ['.txt', '.csv', '.jsonl'] as const;

export function acceptedFile(name: string): boolean {
  const n = name.toLowerCase();
  return importExts.some((e) => n.endsWith(e));
}

/** A picked input: an uploaded File (web) or a local path (desktop). */
export type Picked = { name: string; file?: File; path?: string };

export class BatchesStore {
  picked = $state<Picked[]>([]);
  skipped = $state<string[]>([]);
  unit = $state<'line' | 'file'>('line');
  column = $state('');
  columns = $state<string[]>([]);
  field = $state('');
  sentiment = $state(true);
  entities = $state(true);
  status = $state<ImportStatus | null>(null);
  rows = $state<DocumentSummary[]>([]);
  error = $state('');
  starting = $state(false);
  private stop: (() => void) | null = null;
  private readonly transport: Transport;

  constructor(transport: Transport = api) {
    this.transport = transport;
  }

  get running(): boolean {
    return this.status?.state === 'running';
  }

  get hasCSV(): boolean {
    return this.picked.some((p) => p.name.toLowerCase().endsWith('.csv'));
  }
  get hasJSONL(): boolean {
    return this.picked.some((p) => p.name.toLowerCase().endsWith('.jsonl'));
  }
  get hasTXT(): boolean {
    return this.picked.some((p) => p.name.toLowerCase().endsWith('.txt'));
  }

  /** add keeps files with a supported extension; folders (desktop paths) are expanded by the server. */
  async add(items: Picked[], folders = false): Promise<void> {
    const ok: Picked[] = [];
    const skipped: string[] = [];
    for (const it of items) {
      if (folders || acceptedFile(it.name)) ok.push(it);
      else skipped.push(it.name);
    }
    const seen = new Set(this.picked.map((p) => p.path ?? p.name));
    this.picked = [...this.picked, ...ok.filter((p) => !seen.has(p.path ?? p.name))];
    this.skipped = skipped;
    await this.loadColumns();
  }

  remove(i: number): void {
    this.picked = this.picked.filter((_, j) => j !== i);
    void this.loadColumns();
  }

  clear(): void {
    this.picked = [];
    this.skipped = [];
    this.columns = [];
    this.column = '';
  }

  private async loadColumns(): Promise<void> {
    const csv = this.picked.find((p) => p.name.toLowerCase().endsWith('.csv'));
    if (!csv) {
      this.columns = [];
      return;
    }
    try {
      const input = csv.file ?? csv.path;
      if (input === undefined) return;
      this.columns = await this.transport.csvColumns(input);
      if (!this.column || !this.columns.includes(this.column)) {
        this.column = this.columns.find((c) => c.toLowerCase() === 'text') ?? this.columns[0] ?? '';
      }
    } catch (e) {
      this.error = `Could not read the CSV header of ${csv.name}: ${errorMessage(e)}`;
    }
  }

  async start(): Promise<void> {
    if (!this.picked.length) {
      this.error = 'Pick or drop some .txt, .csv or .jsonl files first.';
      return;
    }
    if (!this.sentiment && !this.entities) {
      this.error = 'Pick at least one task.';
      return;
    }
    this.error = '';
    this.rows = [];
    this.starting = true;
    const tasks: Task[] = [...(this.sentiment ? ['sentiment' as const] : []), ...(this.entities ? ['entities' as const] : [])];
    const files = this.picked.filter((p) => p.file).map((p) => p.file as File);
    const paths = this.picked.filter((p) => p.path).map((p) => p.path as string);
    try {
      this.stopWatching();
      const input = this.transport.kind === 'wails' ? { kind: 'paths' as const, paths } : { kind: 'files' as const, files };
      this.status = await this.transport.startImport(input, {
        tasks,
        unit: this.unit,
        ...(this.column ? { column: this.column } : {}),
        ...(this.field ? { field: this.field } : {}),
      });
      this.watch(this.status.id);
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.starting = false;
    }
  }

  /** update applies a status event (ignores other imports and stale events). */
  update(st: ImportStatus): void {
    if (!this.status || st.id !== this.status.id) return;
    if (this.status.state !== 'running' && st.state === 'running') return;
    this.status = st;
    if (st.state !== 'running') {
      this.stopWatching();
      void this.loadRows();
    }
  }

  private watch(id: string): void {
    this.stop = follow(this.transport, 'import', () => this.transport.importStatus(id), (st) => this.update(st));
  }

  private stopWatching(): void {
    this.stop?.();
    this.stop = null;
  }

  async cancel(): Promise<void> {
    if (!this.status) return;
    try {
      await this.transport.cancelImport(this.status.id);
      this.update(await this.transport.importStatus(this.status.id));
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async loadRows(): Promise<void> {
    if (!this.status) return;
    try {
      const page = await this.transport.search({ import_id: this.status.id, limit: 100 });
      this.rows = page.items;
    } catch (e) {
      this.error = `The import finished, but its rows could not be listed: ${errorMessage(e)}`;
    }
  }

  async exportRows(format: 'csv' | 'jsonl'): Promise<string> {
    if (!this.status) return '';
    return this.transport.exportResults(format, { import_id: this.status.id });
  }
}

export const batches = new BatchesStore();

/** filesFromDrop collects the files of a browser drop, walking dropped folders. */
export async function filesFromDrop(dt: DataTransfer): Promise<File[]> {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(dt.items)) {
    const e = item.webkitGetAsEntry?.();
    if (e) entries.push(e);
  }
  if (!entries.length) return Array.from(dt.files);
  const out: File[] = [];
  const walk = async (e: FileSystemEntry): Promise<void> => {
    if (e.isFile) {
      const f = await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej));
      if (acceptedFile(f.name)) out.push(f);
    } else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const c of batch) await walk(c);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}
