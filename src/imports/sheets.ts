/**
 * Reading an import source (JSON, .xlsx, .csv) into raw rows, for any importer: one kind per sheet,
 * headers matched to columns (aliases, spaces, half-width brackets, a "*" marker tolerated), cells as text
 * (dates as the day shown, rich text, formula results, the `'` our exports add taken off again). File-level
 * problems (unreadable file, missing required column, no rows, too many rows) throw ImportFileError: the
 * job then fails before anything is written. Row-level problems are left to the importer's validation.
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { restoreFormulaText } from '../web/spreadsheet-safety.js';
import type { Column, Importer, SheetSpec } from './importer.js';
import { checkXlsx, CORRUPT_XLSX, orderForStreaming } from './xlsx-guard.js';

export type ImportFormat = 'json' | 'xlsx' | 'csv';

export interface SourceRow { kind: string; row: number; data: unknown; present: string[] }
export interface FileIssue { kind: string; row: number; field: string; column?: string; message: string }

export class ImportFileError extends Error {
  constructor(message: string, public issues: FileIssue[] = []) {
    super(message);
  }
}

/** Header text as people type it: spaces, half-width brackets, a "*" required marker are all tolerated. */
export function normalizeHeader(value: string): string {
  return value.replace(/\s+/g, '').replace(/\(/g, '（').replace(/\)/g, '）').replace(/[*＊]/g, '').toLowerCase();
}

export const isBlankRow = (cells: string[]) => cells.every((c) => c.trim() === '');

export interface HeaderMap { byPosition: Map<number, Column>; missing: Column[] }

export function mapHeaders(columns: Column[], headers: string[]): HeaderMap {
  const index = new Map<string, Column>();
  for (const c of columns) for (const name of [c.header, c.path, ...(c.aliases ?? [])]) index.set(normalizeHeader(name), c);
  const byPosition = new Map<number, Column>();
  const seen = new Set<Column>();
  headers.forEach((header, i) => {
    const column = index.get(normalizeHeader(header));
    if (column && !seen.has(column)) {
      byPosition.set(i, column);
      seen.add(column);
    }
  });
  return { byPosition, missing: columns.filter((c) => c.required && !seen.has(c)) };
}

/** Turns a row of cell texts into a raw record keyed by input path, plus the fields it supplies. */
export function recordFromCells(map: HeaderMap, cells: string[]): { data: Record<string, unknown>; present: string[] } {
  const data: Record<string, unknown> = {};
  const present = new Set<string>();
  for (const [i, column] of map.byPosition) {
    const value = (cells[i] ?? '').trim();
    const [parent, child] = column.path.split('.');
    if (!column.notAField) present.add(parent);
    if (child === undefined) data[parent] = value;
    else ((data[parent] ??= {}) as Record<string, unknown>)[child] = value;
  }
  return { data, present: [...present] };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A cell's text: dates as the day the person sees, rich text joined, formulas by their result. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  // ExcelJS gives a date cell as that day at UTC midnight.
  if (value instanceof Date) return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return restoreFormulaText(value);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return restoreFormulaText((v.richText as Array<{ text: string }>).map((r) => r.text).join(''));
    if ('result' in v || 'formula' in v || 'sharedFormula' in v) return cellText(v.result);
    if (typeof v.text === 'string') return restoreFormulaText(v.text);
    if ('error' in v) return '';
  }
  return '';
}

class Sheets {
  constructor(private importer: Importer<unknown>) {}

  byName(name: string): SheetSpec | undefined {
    const n = name.trim().toLowerCase();
    return this.importer.sheets.find((s) => [s.name, s.jsonKey, s.kind, ...(s.names ?? [])].some((x) => x.toLowerCase() === n));
  }

  detect(cells: string[]): SheetSpec | undefined {
    const headers = new Set(cells.map(normalizeHeader));
    return this.importer.sheets.find((s) => s.detect(headers));
  }

  /** Checks the header row of one sheet; returns the mapping or throws naming the missing columns. */
  header(sheet: SheetSpec, cells: string[], where: string): HeaderMap {
    const map = mapHeaders(sheet.columns, cells);
    if (map.missing.length) {
      const kind = this.importer.sheets.length > 1 ? sheet.kind : 'file';
      throw new ImportFileError(`${where}缺少必填列：${map.missing.map((c) => c.header).join('、')}。请使用模板中的表头。`,
        map.missing.map((c) => ({ kind, row: 1, field: c.path, column: c.header, message: `缺少必填列“${c.header}”` })));
    }
    return map;
  }
}

async function* xlsxRows(sheets: Sheets, importer: Importer<unknown>, input: Readable): AsyncGenerator<SourceRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'ignore' });
  let recognized = 0;
  for await (const ws of reader as unknown as AsyncIterable<ExcelJS.Worksheet & AsyncIterable<ExcelJS.Row>>) {
    const name = (ws.name ?? '').trim();
    let sheet = sheets.byName(name);
    let map: HeaderMap | undefined;
    for await (const row of ws) {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => { cells[col - 1] = cellText(cell.value); });
      for (let i = 0; i < cells.length; i++) cells[i] ??= '';
      if (isBlankRow(cells)) continue;
      if (!map) {
        // A sheet not named after its kind still counts when its header row says what it holds (e.g. "Sheet1").
        sheet ??= sheets.detect(cells);
        if (!sheet) break;
        map = sheets.header(sheet, cells, `“${name || sheet.name}”工作表`);
        recognized++;
        continue;
      }
      yield { kind: sheet!.kind, row: row.number, ...recordFromCells(map, cells) };
    }
  }
  if (!recognized) throw new ImportFileError(importer.messages.noSheet);
}

/** Excel in a Chinese locale saves CSV as GB18030 (GBK); everything else should be UTF-8. */
function decodeText(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return new TextDecoder('gb18030').decode(buffer);
  }
}

async function* csvRows(sheets: Sheets, importer: Importer<unknown>, buffer: Buffer): AsyncGenerator<SourceRow> {
  const parser = parseCsv(decodeText(buffer), { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false });
  let sheet: SheetSpec | undefined;
  let map: HeaderMap | undefined;
  let line = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      line++;
      const cells = record.map((c) => restoreFormulaText(String(c ?? '')));
      if (!map) {
        if (isBlankRow(cells)) throw new ImportFileError('CSV 文件第一行应为表头，不能为空行。');
        // One CSV holds one kind: found from its header, or the importer's only one.
        sheet = sheets.detect(cells) ?? (importer.sheets.length === 1 ? importer.sheets[0] : undefined);
        if (!sheet) throw new ImportFileError(importer.messages.csvUnknown);
        map = sheets.header(sheet, cells, importer.sheets.length > 1 ? `${sheet.name} CSV 文件` : 'CSV 文件');
        continue;
      }
      if (isBlankRow(cells)) continue;
      yield { kind: sheet!.kind, row: line, ...recordFromCells(map, cells) };
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError(`无法解析 CSV 文件（第 ${line + 1} 行附近）：请确认是逗号分隔的 CSV 文件。`);
  }
  if (!map) throw new ImportFileError('文件是空的：没有表头，也没有数据行。');
}

function* jsonRows(importer: Importer<unknown>, buffer: Buffer): Generator<SourceRow> {
  const body = JSON.parse(buffer.toString('utf8')) as Record<string, unknown[] | undefined>;
  const present = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : []);
  for (const sheet of importer.sheets) {
    let i = 0;
    for (const data of body[sheet.jsonKey] ?? []) yield { kind: sheet.kind, row: ++i, data, present: present(data) };
  }
}

/** Every row of the source, in the order the file has them. Enforces the row cap and a non-empty result. */
export async function* readSource(importer: Importer<unknown>, format: ImportFormat, source: Buffer): AsyncGenerator<SourceRow> {
  if (format === 'xlsx') {
    // Sizes, entry count and shared strings are checked before the unzipper sees the file (zip bombs).
    const problem = await checkXlsx(source);
    if (problem) throw new ImportFileError(problem);
  }
  const sheets = new Sheets(importer);
  const rows = format === 'json' ? jsonRows(importer, source) : format === 'csv' ? csvRows(sheets, importer, source) : xlsxRows(sheets, importer, Readable.from([orderForStreaming(source)]));
  let count = 0;
  try {
    for await (const row of rows) {
      if (++count > importer.maxRows) throw new ImportFileError(`数据行数超过上限：一次最多导入 ${importer.maxRows.toLocaleString('zh-CN')} 行，请分批导入。`);
      yield row;
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    if (err instanceof SyntaxError && format === 'json') throw new ImportFileError('内容不是有效的 JSON。');
    if (format === 'xlsx') throw new ImportFileError(CORRUPT_XLSX);
    throw err;
  }
  if (count === 0) throw new ImportFileError(importer.messages.noRows);
}
