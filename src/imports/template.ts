/**
 * Workbooks an importer hands out: its template (.xlsx with one sheet per kind, red required headers, an
 * example row, dropdowns for coded columns and a 说明 sheet; .csv per kind) and the error workbook (the
 * rejected rows as they were sent, with the reasons beside each). All written through spreadsheet-safety.
 */
import ExcelJS from 'exceljs';
import { taxonomy } from '../taxonomy/index.js';
import { csvText, xlsxBuffer } from '../web/spreadsheet-safety.js';
import type { Column, Importer, SheetSpec } from './importer.js';

export const widthOf = (header: string) => Math.max(10, header.length * 2 + 4);
/** Rows of the template that carry the dropdowns. */
const DROPDOWN_ROWS = 1000;
/** The dropdowns' lists stand on the 说明 sheet from this column on, right of the help text. */
const LIST_COLUMN = 8;

const columnLetter = (n: number): string => (n > 26 ? columnLetter(Math.floor((n - 1) / 26)) : '') + String.fromCharCode(65 + ((n - 1) % 26));

/** One template sheet; coded columns get a dropdown listed on the 说明 sheet (several values stay allowed). */
function addSheet(wb: ExcelJS.Workbook, sheet: SheetSpec, lists: Array<{ title: string; values: readonly string[] }>) {
  const ws = wb.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = sheet.columns.map((c) => ({ header: c.header, width: widthOf(c.header) }));
  ws.addRow(sheet.columns.map((c) => c.example));
  ws.getRow(1).font = { bold: true };
  sheet.columns.forEach((c, i) => {
    if (c.required) ws.getCell(1, i + 1).font = { bold: true, color: { argb: 'FFC0392B' } };
    if (!c.choices) return;
    const values = c.choices();
    lists.push({ title: `${sheet.name}·${c.header}`, values });
    const letter = columnLetter(LIST_COLUMN + lists.length - 1);
        for (let r = 2; r <= DROPDOWN_ROWS + 1; r++) {
      ws.getCell(r, i + 1).dataValidation = {
        type: 'list', allowBlank: true, formulae: [`'说明'!$${letter}$2:$${letter}$${values.length + 1}`],
        // A list cell may hold several names separated by “、”, and codes are accepted too: offer, never refuse.
        showErrorMessage: false, showInputMessage: Boolean(c.note), promptTitle: c.header, prompt: c.note?.slice(0, 250),
      };
    }
  });
}

/** The import template of an importer: its sheets and a 说明 sheet of columns, codes and the dropdown lists. */
export async function templateXlsx(importer: Importer<unknown>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const lists: Array<{ title: string; values: readonly string[] }> = [];
  for (const sheet of importer.sheets) addSheet(wb, sheet, lists);
  const help = wb.addWorksheet('说明');
  help.columns = [{ width: 26 }, { width: 34 }, { width: 16 }, { width: 60 }];
  const add = (values: unknown[], bold = false) => {
    const row = help.addRow(values);
    if (bold) row.font = { bold: true };
  };
  add(['填写说明'], true);
  for (const line of importer.template?.help ?? []) add([line]);
  add([]);
  const several = importer.sheets.length > 1;
  for (const sheet of importer.sheets) {
    add([several ? `${sheet.name}表的列` : '列', '对应字段', '是否必填', '说明'], true);
    for (const c of sheet.columns) add([c.header, c.path, c.required ? '必填' : '选填', c.note ?? '']);
    add([]);
  }
  add(['领域代码', '领域名称'], true);
  for (const f of taxonomy.fields) add([f.code, f.name]);
  add([]);
  add(['类别代码', '类别名称', '所属领域'], true);
  for (const f of taxonomy.fields) for (const c of f.categories) add([c.code, c.name, f.name]);
  add([]);
  add(['认证代码', '认证名称'], true);
  for (const c of taxonomy.certifications) add([c.code, c.name]);
  for (const row of importer.template?.extraRows ?? []) add(row, true);
  // The dropdowns' lists, right of the help text.
  lists.forEach((list, i) => {
    help.getColumn(LIST_COLUMN + i).width = 24;
    help.getCell(1, LIST_COLUMN + i).value = `下拉选项：${list.title}`;
    help.getCell(1, LIST_COLUMN + i).font = { bold: true };
    list.values.forEach((v, j) => { help.getCell(j + 2, LIST_COLUMN + i).value = v; });
  });
  return xlsxBuffer(wb);
}

export function templateCsv(columns: Column[]): string {
  return csvText([columns.map((c) => c.header), columns.map((c) => c.example)]);
}

/** A raw row's value for a column path ("contact.name" is nested), as a cell shows it. */
function valueAt(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const part of path.split('.')) value = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[part] : undefined;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join('、');
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

interface RejectedLike { kind?: string | null; row?: number | null; data?: string | null; reasons: Array<{ field?: string | null; column?: string | null; message?: string | null }> }

/**
 * The rejected rows as a workbook to correct and import again: one sheet per kind with the template's
 * columns, the original row number and the reasons beside each row; file-level reasons on a sheet of their own.
 */
export async function errorsXlsx(importer: Importer<unknown>, rows: RejectedLike[], fileIssues: Array<{ row?: number | null; column?: string | null; message?: string | null }>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const sheet of importer.sheets) {
    const mine = rows.filter((r) => r.kind === sheet.kind);
    if (!mine.length && importer.sheets.length > 1) continue;
    const ws = wb.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = [
      ...sheet.columns.map((c) => ({ header: c.header, width: widthOf(c.header) })),
      { header: '原行号', width: 8 }, { header: '错误原因', width: 60 },
    ];
    ws.getRow(1).font = { bold: true };
    for (const r of mine) {
      let data: unknown = null;
      try {
        data = JSON.parse(r.data ?? 'null');
      } catch { /* shown empty */ }
      const reasons = r.reasons.map((i) => `${i.column ?? (i.field || '整行')}：${i.message ?? ''}`).join('；');
      const added = ws.addRow([...sheet.columns.map((c) => valueAt(data, c.path)), r.row ?? '', reasons]);
      added.getCell(sheet.columns.length + 2).font = { color: { argb: 'FFC0392B' } };
    }
  }
  if (fileIssues.length) {
    const ws = wb.addWorksheet('文件问题');
    ws.columns = [{ header: '行号', width: 8 }, { header: '列', width: 20 }, { header: '错误原因', width: 80 }];
    for (const i of fileIssues) ws.addRow([i.row ?? '', i.column ?? '', i.message ?? '']);
  }
  return xlsxBuffer(wb);
}
