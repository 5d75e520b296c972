/**
 * Reads an import source (JSON, .xlsx, .csv) into raw rows, one kind per sheet. File-level problems
 * (unreadable file, missing required column, no rows, too many rows) throw ImportFileError: the job then
 * fails before anything is written. Row-level problems are left to validation.
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { columnsOf, detectKind, isBlankRow, kindNames, mapHeaders, recordFromCells } from './columns.js';
import type { ImportKind } from './model.js';
import { restoreFormulaText } from '../web/spreadsheet-safety.js';
import { checkXlsx } from './xlsx-guard.js';

export const MAX_ROWS = 50_000;

export interface SourceRow {
  kind: ImportKind;
  row: number;
  data: unknown;
  present: string[];
}

export interface FileIssue { kind: 'vendor' | 'product' | 'file'; row: number; field: string; column?: string; message: string }

export class ImportFileError extends Error {
  constructor(message: string, public issues: FileIssue[] = []) {
    super(message);
  }
}

const sheetKinds: Record<string, ImportKind> = { 供应商: 'vendor', vendors: 'vendor', vendor: 'vendor', 产品: 'product', products: 'product', product: 'product' };

/** Checks the header row of one sheet; returns the mapping or throws naming the missing columns. */
function headerMapFor(kind: ImportKind, headers: string[], where: string) {
  const map = mapHeaders(kind, headers);
  if (map.missing.length) {
    const names = map.missing.map((c) => c.header).join('、');
    throw new ImportFileError(`${where}缺少必填列：${names}。请使用模板中的表头。`,
      map.missing.map((c) => ({ kind, row: 1, field: c.path, column: c.header, message: `缺少必填列“${c.header}”` })));
  }
  return map;
}

/** A cell's text; the ' our exports put before = + - @ (spreadsheet-safety) is taken off again. */
function cellText(cell: ExcelJS.Cell): string {
  const value = cell.value as unknown;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return restoreFormulaText(value);
  try {
    return restoreFormulaText(cell.text ?? '');
  } catch {
    return '';
  }
}

async function* xlsxRows(input: Readable): AsyncGenerator<SourceRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', entries: 'ignore' });
  let recognized = 0;
  for await (const sheet of reader as unknown as AsyncIterable<ExcelJS.Worksheet & AsyncIterable<ExcelJS.Row>>) {
    const name = (sheet.name ?? '').trim();
    let kind: ImportKind | undefined = sheetKinds[name.toLowerCase()] ?? sheetKinds[name];
    let map: ReturnType<typeof mapHeaders> | undefined;
    for await (const row of sheet) {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => { cells[col - 1] = cellText(cell); });
      for (let i = 0; i < cells.length; i++) cells[i] ??= '';
      if (!map) {
        if (isBlankRow(cells)) continue;
        // A sheet not named 供应商/产品 still counts when its header row says what it holds (e.g. "Sheet1").
        kind ??= detectKind(cells);
        if (!kind) break;
        map = headerMapFor(kind, cells, `“${name || kindNames[kind]}”工作表`);
        recognized++;
        continue;
      }
      if (isBlankRow(cells)) continue;
      yield { kind, row: row.number, ...recordFromCells(map, cells) };
    }
  }
  if (!recognized) throw new ImportFileError('未找到名为“供应商”或“产品”的工作表，也无法从表头识别。请使用下载的模板。');
}

/** Excel in a Chinese locale saves CSV as GB18030 (GBK); everything else should be UTF-8. */
function decodeText(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return new TextDecoder('gb18030').decode(buffer);
  }
}

async function* csvRows(buffer: Buffer): AsyncGenerator<SourceRow> {
  const parser = parseCsv(decodeText(buffer), { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false });
  let kind: ImportKind | undefined;
  let map: ReturnType<typeof mapHeaders> | undefined;
  let line = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      line++;
      const cells = record.map((c) => restoreFormulaText(String(c ?? '')));
      if (!map) {
        if (isBlankRow(cells)) throw new ImportFileError('CSV 文件第一行应为表头，不能为空行。');
        kind = detectKind(cells);
        if (!kind) throw new ImportFileError('无法从 CSV 表头识别是供应商还是产品：表头应包含“企业名称”（供应商）或“型号”（产品）。请使用下载的模板。');
        map = headerMapFor(kind, cells, `${kindNames[kind]} CSV 文件`);
        continue;
      }
      if (isBlankRow(cells)) continue;
      yield { kind: kind!, row: line, ...recordFromCells(map, cells) };
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError(`无法解析 CSV 文件（第 ${line + 1} 行附近）：请确认是逗号分隔的 CSV 文件。`);
  }
  if (!map) throw new ImportFileError('文件是空的：没有表头，也没有数据行。');
}

function* jsonRows(buffer: Buffer): Generator<SourceRow> {
  const body = JSON.parse(buffer.toString('utf8')) as { vendors?: unknown[]; products?: unknown[] };
  const present = (value: unknown) => (typeof value === 'object' && value !== null ? Object.keys(value) : []);
  let i = 0;
  for (const data of body.vendors ?? []) yield { kind: 'vendor', row: ++i, data, present: present(data) };
  i = 0;
  for (const data of body.products ?? []) yield { kind: 'product', row: ++i, data, present: present(data) };
}

/**
 * Every row of the source, vendors and products as they come. Enforces the row cap and a non-empty
 * result; callers order vendors before products when writing.
 */
export async function* readSource(format: 'json' | 'xlsx' | 'csv', source: Buffer): AsyncGenerator<SourceRow> {
  if (format === 'xlsx') {
    // Sizes, entry count and shared strings are checked before the unzipper sees the file (zip bombs).
    const problem = await checkXlsx(source);
    if (problem) throw new ImportFileError(problem);
  }
  const rows = format === 'json' ? jsonRows(source) : format === 'csv' ? csvRows(source) : xlsxRows(Readable.from([source]));
  let count = 0;
  try {
    for await (const row of rows) {
      if (++count > MAX_ROWS) throw new ImportFileError(`数据行数超过上限：一次最多导入 ${MAX_ROWS.toLocaleString('zh-CN')} 行，请分批导入。`);
      yield row;
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    if (format === 'xlsx') throw new ImportFileError('无法读取该 Excel 文件：文件可能已损坏，或不是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）。');
    throw err;
  }
  if (count === 0) throw new ImportFileError('文件中没有数据行：请在表头下方填写要导入的供应商或产品。');
}

/** Required columns of one kind, for the template's 说明 sheet. */
export const requiredHeaders = (kind: ImportKind) => columnsOf(kind).filter((c) => c.required).map((c) => c.header);
