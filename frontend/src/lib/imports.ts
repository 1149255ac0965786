// Pure helpers of the Batches view: accepted files, the preview's mapping in
// words, the import list (merging live events into the durable listing), and
// the wording of the delete confirmation.
import type { ImportPreview, ImportStatus } from './api';

/** The file types an import reads (app.FormatOf). */
export const importExts = ['.txt', '.csv', '.tsv', '.jsonl', '.json', '.xlsx', '.xlsm'] as const;

export function acceptedFile(name: string): boolean {
  const n = name.toLowerCase();
  return importExts.some((e) => n.endsWith(e));
}

/** Delimiters the reader sniffs or is told, with their names. */
export const delimiters: readonly { value: string; label: string }[] = [
  { value: ',', label: 'comma ,' },
  { value: ';', label: 'semicolon ;' },
  { value: '\t', label: 'tab' },
  { value: '|', label: 'pipe |' },
];

/** Encodings the reader knows (app/sniff.go). */
export const encodings: readonly { value: string; label: string }[] = [
  { value: 'utf-8', label: 'UTF-8' },
  { value: 'utf-16le', label: 'UTF-16 LE' },
  { value: 'utf-16be', label: 'UTF-16 BE' },
  { value: 'windows-1252', label: 'Windows-1252 / Latin-1' },
];

export function delimiterLabel(d: string | undefined): string {
  if (!d) return '–';
  return delimiters.find((x) => x.value === d)?.label ?? JSON.stringify(d);
}

export function encodingLabel(e: string | undefined): string {
  if (!e) return '–';
  if (e === 'utf-8-bom') return 'UTF-8 with BOM';
  return encodings.find((x) => x.value === e)?.label ?? e;
}

/** columnChoices lists the columns of the previews (names in file order, each once) for the column picker. */
export function columnChoices(previews: ImportPreview[]): string[] {
  const out: string[] = [];
  for (const p of previews) for (const c of p.columns ?? []) if (!out.includes(c.name)) out.push(c.name);
  return out;
}

/** sheetChoices lists the sheets of the previewed workbooks. */
export function sheetChoices(previews: ImportPreview[]): string[] {
  const out: string[] = [];
  for (const p of previews) for (const s of p.sheets ?? []) if (!out.includes(s)) out.push(s);
  return out;
}

/** textColumnIndex is the 0-based index of the column the texts come from, -1 when none. */
export function textColumnIndex(p: ImportPreview): number {
  return p.columns?.find((c) => c.name === p.text_column)?.index ?? -1;
}

/** byNewest orders imports newest first (start time, then id: numeric ids of one database). */
function byNewest(a: ImportStatus, b: ImportStatus): number {
  const ta = Date.parse(a.started) || 0;
  const tb = Date.parse(b.started) || 0;
  if (ta !== tb) return tb - ta;
  const na = Number(a.id);
  const nb = Number(b.id);
  if (Number.isFinite(na) && Number.isFinite(nb)) return nb - na;
  return b.id.localeCompare(a.id);
}

/** mergeImport puts a live status into the list: it replaces the entry of the same id (a stale running event never replaces a finished one) or is added, newest first. */
export function mergeImport(list: ImportStatus[], st: ImportStatus): ImportStatus[] {
  const i = list.findIndex((x) => x.id === st.id);
  if (i >= 0) {
    const old = list[i] as ImportStatus;
    if (old.state !== 'running' && st.state === 'running' && Date.parse(st.updated) <= Date.parse(old.updated)) return list;
    const out = list.slice();
    out[i] = st;
    return out;
  }
  return [...list, st].sort(byNewest);
}

/** plural says "1 document", "2,000 documents". */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** deleteQuestion is the confirmation asked before an import is deleted, with the count of documents that go with it
 * (st.deletes: those no other import or pasted text saw; the others stay, seen once less). */
export function deleteQuestion(st: ImportStatus): string {
  const files = st.files.length === 1 ? st.files[0] : plural(st.files.length, 'file');
  const running = st.state === 'running' ? ' It is still running and will be stopped.' : '';
  const stay = st.deletes < st.new || st.duplicates > 0 ? ' Documents also seen in other imports or pasted stay, seen once less.' : '';
  return `Delete import ${st.id} (${files}) and its ${plural(st.deletes, 'document')}?${stay} This cannot be undone.${running}`;
}

/** seenText is how often a stored text was seen ("seen 3×"), '' when once (or unknown). */
export function seenText(seen: number | undefined): string {
  return seen && seen > 1 ? `seen ${seen}×` : '';
}

/** duplicatesText sums up an import's rows: new documents and rows that matched a stored one, '' when none matched. */
export function duplicatesText(st: Pick<ImportStatus, 'new' | 'duplicates'>): string {
  return st.duplicates ? `${plural(st.new, 'new document')}, ${plural(st.duplicates, 'row')} seen before` : '';
}

/** mappingText is a file's mapping without its leading file name ("reviews.csv: csv, utf-8, …" → "csv, utf-8, …"). */
export function mappingText(file: string, mapping: string | undefined): string {
  if (!mapping) return '';
  return mapping.startsWith(`${file}: `) ? mapping.slice(file.length + 2) : mapping;
}

/** shortTime is a time stamp for a table cell: the time of day when it is today (in now's day), else the date too. */
export function shortTime(iso: string | undefined | null, now = new Date()): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return '–';
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString('en-CA')} ${time}`;
}
