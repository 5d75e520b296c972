/** The report as one workbook: a 说明 sheet (filters, definitions), then one sheet per table, Chinese headers; no cell is a formula. */
import ExcelJS from 'exceljs';
import type { Report } from './figures.js';
import { xlsxBuffer } from '../web/spreadsheet-safety.js';
import { chinaDateTime } from '../web/china-time.js';

/** Sheet names: at most 31 characters, none of []:*?/\ , unique. */
function sheetName(title: string, used: Set<string>): string {
  const base = title.replace(/[[\]:*?/\\]/g, '·').slice(0, 28);
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}${i}`;
  used.add(name);
  return name;
}

export async function reportXlsx(report: Report): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.created = report.generatedAt;
  const used = new Set<string>();
  const cover = workbook.addWorksheet(sheetName('说明', used));
  cover.columns = [{ width: 24 }, { width: 100 }];
  cover.addRow(['供需对接平台 统计报表']).font = { bold: true, size: 14 };
  cover.addRow(['生成时间', chinaDateTime(report.generatedAt)]);
  for (const f of report.filters) cover.addRow([f.label, f.value]);
  cover.addRow([]);
  for (const section of report.sections) {
    cover.addRow([section.title, section.intro]).font = { bold: true };
    for (const h of section.headline) cover.addRow([h.label, h.value]);
    for (const table of section.tables) if (table.note) cover.addRow([`${section.title}·${table.title}`, table.note]);
    cover.addRow([]);
  }
  for (const section of report.sections) {
    for (const table of section.tables) {
      const sheet = workbook.addWorksheet(sheetName(`${section.title}-${table.title}`, used), { views: [{ state: 'frozen', ySplit: 1 }] });
      sheet.columns = table.columns.map((header) => ({ header, width: Math.max(10, header.length * 2 + 4) }));
      sheet.getRow(1).font = { bold: true };
      for (const row of table.rows) sheet.addRow(row);
      if (table.totalRow && table.rows.length) sheet.getRow(table.rows.length + 1).font = { bold: true };
    }
  }
  return xlsxBuffer(workbook);
}
