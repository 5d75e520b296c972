/**
 * Spreadsheets that cannot attack their readers (OWASP "CSV injection"): a text cell that begins with
 * = + - @ or a tab or carriage return is read by Excel, WPS or LibreOffice as a formula, so every CSV and
 * .xlsx the platform writes goes through this module, which prefixes such text with one single quote '.
 * Numbers, dates and booleans stay what they are (a negative number is a number, not a formula).
 *
 * The import readers undo it with `restoreFormulaText`, so an exported file imports back to the same text.
 * To keep that lossless, text that already begins with quotes followed by a trigger ('=x) gets one more
 * quote on the way out (''=x), and the reader takes exactly one off.
 *
 * Writers: `addSafeRow` (row by row, also for the streaming writer), `xlsxBuffer` (neutralises every cell
 * of a workbook, headers included, then writes it) and `csvText` (csv-stringify with every field
 * neutralised, UTF-8 with a BOM so Excel reads Chinese). src/ must not call `writeBuffer` or csv-stringify
 * directly (eslint.config.js says so).
 */
import type ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';

/** Characters that make a spreadsheet cell a formula (or smuggle one past a naive check). */
export const FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r'] as const;

const NEEDS_QUOTE = /^'*[=+\-@\t\r]/;
const QUOTED = /^'+[=+\-@\t\r]/;

/** Text as it may be written into a cell: a leading trigger (after any quotes) gets one ' in front. */
export function neutralizeFormula(text: string): string {
  return NEEDS_QUOTE.test(text) ? `'${text}` : text;
}

/** The reader's side: removes exactly the one ' that `neutralizeFormula` added. */
export function restoreFormulaText(text: string): string {
  return QUOTED.test(text) ? text.slice(1) : text;
}

/** Any cell value: strings are neutralised, rich text runs too; numbers, dates, booleans, null pass. */
export function safeCellValue<T>(value: T): T {
  if (typeof value === 'string') return neutralizeFormula(value) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const v = value as Record<string, unknown>;
    // A formula object would be evaluated by the reader: write its text (or cached result) instead.
    if ('formula' in v || 'sharedFormula' in v) return safeCellValue((v.result ?? '') as T);
    if (Array.isArray(v.richText)) {
      const runs = v.richText as Array<{ text: string }>;
      return { ...v, richText: runs.map((r, i) => (i === 0 ? { ...r, text: neutralizeFormula(r.text) } : r)) } as T;
    }
    if (typeof v.text === 'string' && 'hyperlink' in v) return neutralizeFormula(v.text) as T;
  }
  return value;
}

/** A row as ExcelJS's addRow takes it (array or object keyed by column key), every cell made safe. */
export function safeRow<T extends unknown[] | Record<string, unknown>>(values: T): T {
  if (Array.isArray(values)) return values.map(safeCellValue) as T;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, safeCellValue(v)])) as T;
}

/** worksheet.addRow with every cell neutralised; works for the streaming writer's sheets too. */
export function addSafeRow(sheet: ExcelJS.Worksheet, values: unknown[] | Record<string, unknown>): ExcelJS.Row {
  return sheet.addRow(safeRow(values));
}

/** Neutralises every cell of every sheet in place (headers set through `columns` included). */
export function neutralizeWorkbook(workbook: ExcelJS.Workbook): void {
  for (const sheet of workbook.worksheets) {
    sheet.eachRow({ includeEmpty: false }, (row) => {
      row.eachCell({ includeEmpty: false }, (cell) => {
        const safe = safeCellValue(cell.value);
        if (safe !== cell.value) cell.value = safe;
      });
    });
  }
}

/** The workbook as .xlsx bytes, after `neutralizeWorkbook`: the one way src/ writes an in-memory workbook. */
export async function xlsxBuffer(workbook: ExcelJS.Workbook): Promise<Buffer> {
  neutralizeWorkbook(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Records as CSV text, every field neutralised; with a UTF-8 BOM (Excel reads Chinese) unless bom: false. */
export function csvText(records: unknown[][], options: { bom?: boolean } = {}): string {
  const text = stringify(records.map((r) => r.map(safeCellValue)));
  return options.bom === false ? text : `\ufeff${text}`;
}
