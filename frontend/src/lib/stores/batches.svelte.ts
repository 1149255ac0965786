// State of the Batches view: the files picked and how they will be read
// (the preview), the running import, its rows, and the list of all imports.
import { api, type DocumentSummary, type ImportOptions, type ImportPreview, type ImportStatus, type Task, type Transport } from '../api';
import { errorMessage } from '../api/errors';
import { acceptedFile, mergeImport } from '../imports';
import { follow } from './follow';

export { acceptedFile, importExts } from '../imports';

/** A picked input: an uploaded File (web) or a local path (desktop). */
export type Picked = { name: string; file?: File; path?: string };

export class BatchesStore {
  picked = $state<Picked[]>([]);
  skipped = $state<string[]>([]);
  unit = $state<'line' | 'file'>('line');
  /** Overrides of the sniffed mapping; '' = as detected. */
  column = $state('');
  delimiter = $state('');
  encoding = $state('');
  sheet = $state('');
  /** Optional columns kept with each document; '' = none. */
  idColumn = $state('');
  dateColumn = $state('');
  /** Columns kept with each document as metadata, by name (ticked in the preview). */
  metaColumns = $state<string[]>([]);
  /** keepDuplicates stores every row as a document (ImportOptions.keep_duplicates). */
  keepDuplicates = $state(false);
  field = $state('');
  previews = $state<ImportPreview[]>([]);
  previewing = $state(false);
  /** Every import, newest first (earlier ones from the database). */
  list = $state<ImportStatus[]>([]);
  listError = $state('');
  /** The import whose deletion waits for confirmation. */
  confirmDelete = $state<ImportStatus | null>(null);
  private previewSeq = 0;
  private stopList: (() => void) | null = null;
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

  get hasTXT(): boolean {
    return this.picked.some((p) => p.name.toLowerCase().endsWith('.txt'));
  }
  get hasJSONL(): boolean {
    return this.picked.some((p) => /\.jsonl?$/i.test(p.name));
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
    await this.preview();
  }

  remove(i: number): void {
    this.picked = this.picked.filter((_, j) => j !== i);
    void this.preview();
  }

  clear(): void {
    this.picked = [];
    this.skipped = [];
    this.previews = [];
    this.column = this.delimiter = this.encoding = this.sheet = this.idColumn = this.dateColumn = '';
    this.metaColumns = [];
  }

  /** toggleMeta ticks or unticks a column as metadata and previews again. */
  async toggleMeta(name: string): Promise<void> {
    this.metaColumns = this.metaColumns.includes(name) ? this.metaColumns.filter((c) => c !== name) : [...this.metaColumns, name];
    await this.preview();
  }

  /** readOptions are the reader options the preview and the import use. */
  readOptions(): ImportOptions {
    return {
      unit: this.unit,
      ...(this.column ? { column: this.column } : {}),
      ...(this.field ? { field: this.field } : {}),
      ...(this.delimiter ? { delimiter: this.delimiter } : {}),
      ...(this.encoding ? { encoding: this.encoding } : {}),
      ...(this.sheet ? { sheet: this.sheet } : {}),
      ...(this.idColumn ? { id_column: this.idColumn } : {}),
      ...(this.dateColumn ? { date_column: this.dateColumn } : {}),
      ...(this.metaColumns.length ? { meta_columns: [...this.metaColumns] } : {}),
      ...(this.keepDuplicates ? { keep_duplicates: true } : {}),
    };
  }

  private input(): { kind: 'paths'; paths: string[] } | { kind: 'files'; files: File[] } {
    if (this.transport.kind === 'wails') return { kind: 'paths', paths: this.picked.filter((p) => p.path).map((p) => p.path as string) };
    return { kind: 'files', files: this.picked.filter((p) => p.file).map((p) => p.file as File) };
  }

  /** preview asks how the picked files would be read with the current overrides (again after each change). */
  async preview(): Promise<void> {
    const seq = ++this.previewSeq;
    if (!this.picked.length) {
      this.previews = [];
      return;
    }
    this.previewing = true;
    try {
      const res = await this.transport.previewImport(this.input(), this.readOptions());
      if (seq === this.previewSeq) {
        this.previews = res;
        this.error = '';
      }
    } catch (e) {
      if (seq === this.previewSeq) {
        this.previews = [];
        this.error = `Could not preview the files: ${errorMessage(e)}`;
      }
    } finally {
      if (seq === this.previewSeq) this.previewing = false;
    }
  }

  async start(): Promise<void> {
    if (!this.picked.length) {
      this.error = 'Pick or drop some files first (.txt, .csv, .tsv, .jsonl, .json, .xlsx).';
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
    try {
      this.stopWatching();
      this.status = await this.transport.startImport(this.input(), { tasks, ...this.readOptions() });
      this.list = mergeImport(this.list, this.status);
      this.watch(this.status.id);
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.starting = false;
    }
  }

  /** update applies a status event (ignores other imports and stale events). */
  update(st: ImportStatus): void {
    this.list = mergeImport(this.list, st);
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

  async cancel(id = this.status?.id): Promise<void> {
    if (!id) return;
    try {
      await this.transport.cancelImport(id);
      this.update(await this.transport.importStatus(id));
    } catch (e) {
      this.listError = errorMessage(e);
    }
  }

  /** loadList reads every import (after a reload: from the database) and keeps it current from import events. */
  async loadList(): Promise<void> {
    if (!this.stopList) this.stopList = this.transport.subscribe('import', (st) => (this.list = mergeImport(this.list, st)));
    try {
      const list = await this.transport.imports();
      let merged = list;
      for (const st of this.list) if (!list.some((x) => x.id === st.id)) merged = mergeImport(merged, st);
      this.list = merged;
      this.listError = '';
    } catch (e) {
      this.listError = `Could not list the imports: ${errorMessage(e)}`;
    }
  }

  stopListing(): void {
    this.stopList?.();
    this.stopList = null;
  }

  /** resume continues an interrupted or cancelled import and follows it. */
  async resume(id: string): Promise<void> {
    try {
      this.stopWatching();
      this.rows = [];
      this.status = await this.transport.resumeImport(id);
      this.list = mergeImport(this.list, this.status);
      this.watch(id);
    } catch (e) {
      this.listError = errorMessage(e);
    }
  }

  /** askDelete shows the confirmation (with the count) before deleteConfirmed deletes. */
  askDelete(st: ImportStatus): void {
    this.confirmDelete = st;
  }

  /** deleteConfirmed deletes the import awaiting confirmation; resolves to the documents deleted. */
  async deleteConfirmed(): Promise<number> {
    const st = this.confirmDelete;
    this.confirmDelete = null;
    if (!st) return 0;
    try {
      const res = await this.transport.deleteImport(st.id);
      this.list = this.list.filter((x) => x.id !== st.id);
      if (this.status?.id === st.id) {
        this.stopWatching();
        this.status = null;
        this.rows = [];
      }
      return res.deleted;
    } catch (e) {
      this.listError = errorMessage(e);
      return 0;
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
