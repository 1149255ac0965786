import { describe, expect, it } from 'vitest';
import type { ImportPreview, ImportStatus } from './api';
import { acceptedFile, columnChoices, deleteQuestion, delimiterLabel, duplicatesText, encodingLabel, mappingText, mergeImport, seenText, sheetChoices, shortTime, textColumnIndex } from './imports';

const status = (over: Partial<ImportStatus>): ImportStatus => ({
  id: '1', state: 'done', files: ['a.csv'], total: 10, total_exact: true, done: 10, failed: 0, errors: [], rate_per_s: 0, eta_s: 0,
  started: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:10Z', elapsed_ns: 0, options: {}, mappings: [], resumable: false, bad_dates: 0,
  new: 10, duplicates: 0, deletes: 10, ...over,
});

const preview = (over: Partial<ImportPreview>): ImportPreview => ({ source: 'r.csv', format: 'csv', header: true, ...over });

describe('imports helpers', () => {
  it('accepts every format the reader knows and nothing else', () => {
    expect(['a.txt', 'B.CSV', 'c.jsonl', 'd.json', 'e.tsv', 'f.xlsx', 'g.XLSM', 'h.pdf', 'i.xls', 'csv'].map(acceptedFile)).toEqual([
      true, true, true, true, true, true, true, false, false, false,
    ]);
  });

  it('names delimiters and encodings', () => {
    expect([',', ';', '\t', '|', '#', undefined].map(delimiterLabel)).toEqual(['comma ,', 'semicolon ;', 'tab', 'pipe |', '"#"', '–']);
    expect(encodingLabel('windows-1252')).toBe('Windows-1252 / Latin-1');
    expect(encodingLabel('utf-8-bom')).toBe('UTF-8 with BOM');
    expect(encodingLabel('utf-8')).toBe('UTF-8');
  });

  it('lists the columns and sheets of all previews once, and finds the text column', () => {
    const cols = (names: string[]) => names.map((name, index) => ({ index, name, kind: 'text', mean_chars: 1, text_share: 1 }));
    const a = preview({ columns: cols(['id', 'author', 'body', 'stars']), text_column: 'body' });
    const b = preview({ source: 'b.xlsx', format: 'xlsx', columns: cols(['id', 'comment']), text_column: 'comment', sheets: ['Reviews', 'Notes'] });
    expect(columnChoices([a, b])).toEqual(['id', 'author', 'body', 'stars', 'comment']);
    expect(sheetChoices([a, b])).toEqual(['Reviews', 'Notes']);
    expect(textColumnIndex(a)).toBe(2);
    expect(textColumnIndex(preview({}))).toBe(-1);
  });

  it('merges live statuses into the list, newest first, never back to running', () => {
    const old = status({ id: '1', started: '2026-01-01T00:00:00Z' });
    const run = status({ id: '2', state: 'running', done: 3, started: '2026-01-02T00:00:00Z', updated: '2026-01-02T00:00:01Z' });
    let list = mergeImport([old], run);
    expect(list.map((x) => x.id)).toEqual(['2', '1']);
    list = mergeImport(list, { ...run, done: 5, updated: '2026-01-02T00:00:02Z' });
    expect(list[0]?.done).toBe(5);
    list = mergeImport(list, { ...run, state: 'done', done: 10, updated: '2026-01-02T00:00:03Z' });
    list = mergeImport(list, { ...run, done: 6, updated: '2026-01-02T00:00:02Z' }); // stale
    expect(list[0]?.state).toBe('done');
    expect(list[0]?.done).toBe(10);
    // A resume makes it run again, with a newer update time.
    list = mergeImport(list, { ...run, done: 10, updated: '2026-01-03T00:00:00Z' });
    expect(list[0]?.state).toBe('running');
    expect(list).toHaveLength(2);
  });

  it('asks before deleting, with the count of documents', () => {
    expect(deleteQuestion(status({ id: '7', done: 2000, deletes: 2000 }))).toBe('Delete import 7 (a.csv) and its 2,000 documents? This cannot be undone.');
    expect(deleteQuestion(status({ id: '8', done: 1, deletes: 1, files: ['a', 'b'], state: 'running' }))).toMatch(/^Delete import 8 \(2 files\) and its 1 document\?.*still running/);
    // The count is what the server will delete, not the rows: shared documents stay.
    expect(deleteQuestion(status({ id: '9', done: 90, new: 38, duplicates: 52, deletes: 37 }))).toBe(
      'Delete import 9 (a.csv) and its 37 documents? Documents also seen in other imports or pasted stay, seen once less. This cannot be undone.');
  });

  it('tells repeated texts apart', () => {
    expect(seenText(3)).toBe('seen 3×');
    expect(seenText(1)).toBe('');
    expect(seenText(undefined)).toBe('');
    expect(duplicatesText({ new: 38, duplicates: 52 })).toBe('38 new documents, 52 rows seen before');
    expect(duplicatesText({ new: 1, duplicates: 1 })).toBe('1 new document, 1 row seen before');
    expect(duplicatesText({ new: 5, duplicates: 0 })).toBe('');
  });

  it('shortens mappings and time stamps for the list', () => {
    expect(mappingText('reviews.csv', 'reviews.csv: csv, utf-8, delimiter ","')).toBe('csv, utf-8, delimiter ","');
    expect(mappingText('a.txt', 'other: x')).toBe('other: x');
    expect(mappingText('a.txt', undefined)).toBe('');
    const now = new Date(2026, 11, 4, 20, 0, 0);
    expect(shortTime(new Date(2026, 11, 4, 18, 50, 9).toISOString(), now)).toBe('18:50:09');
    expect(shortTime(new Date(2026, 10, 30, 8, 5, 1).toISOString(), now)).toBe('2026-11-30 08:05:01');
    expect(shortTime('', now)).toBe('–');
    expect(shortTime('0001-01-01T00:00:00Z', now)).toBe('–');
  });
});
