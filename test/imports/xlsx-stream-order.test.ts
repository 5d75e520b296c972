/**
 * Workbooks written by ExcelJS (our own templates and exports, which people fill in and send back) store
 * xl/workbook.xml as the last entry of the archive. ExcelJS's streaming reader now and then misses that
 * last entry and throws, so about one import in a hundred of such a file failed with "无法读取该 Excel 文件".
 * The reader now gets the entries in the order it needs; every read of the same file gives the same rows.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { checkXlsx, orderForStreaming } from '../../src/imports/xlsx-guard.js';
import { readSupplierSource } from '../../src/imports/suppliers.js';

async function exported(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  // Sheets named otherwise than 供应商/产品: recognised by their header rows, as in the import test.
  wb.addWorksheet('Sheet1').addRow(['统一社会信用代码', '企业名称', '省份', '城市', '区县', '领域', '认证', '联系人', '联系电话', '联系邮箱', '网站']);
  const products = wb.addWorksheet('Sheet2');
  products.addRow(['供应商统一社会信用代码', '产品名称', '型号', '类别', '认证', '能效等级', '最低价（元）', '最高价（元）', '规格参数']);
  products.addRow(['91330108MA2XXXXX1A', '球型摄像机（新）', 'DS-1', 'video-surveillance', '', '', '', '', '']);
  products.addRow(['91330108MA2XXXXX1A', '门禁一体机', 'AC-2', 'access-control', '', '', '', '', '']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Entry names in the order the archive stores them (local headers, as a streaming reader meets them; no data descriptors). */
function storedOrder(zip: Buffer): string[] {
  const names: string[] = [];
  for (let p = 0; zip.readUInt32LE(p) === 0x04034b50;) {
    const nameLen = zip.readUInt16LE(p + 26);
    names.push(zip.subarray(p + 30, p + 30 + nameLen).toString('utf8'));
    p += 30 + nameLen + zip.readUInt16LE(p + 28) + zip.readUInt32LE(p + 18);
  }
  return names;
}

const file = await exported();

t.test('ExcelJS stores the workbook entry last (the case that failed)', async (t) => {
  t.equal(storedOrder(file).at(-1), 'xl/workbook.xml');
});

t.test('the reordered workbook is the same workbook, with what the reader needs first', async (t) => {
  const reordered = orderForStreaming(file);
  t.equal(await checkXlsx(reordered), undefined, 'still passes every check (sizes, CRCs, back-to-back entries)');
  t.equal(reordered.length, file.length, 'entries copied byte for byte, nothing re-compressed');
  const order = storedOrder(reordered);
  t.same(order.slice(0, 2), ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml']);
  t.same([...order].sort(), [...storedOrder(file)].sort(), 'the same entries');
  t.ok(order.indexOf('xl/sharedStrings.xml') < order.indexOf('xl/worksheets/sheet1.xml'), 'shared strings before the worksheets');
  const loaded = new ExcelJS.Workbook();
  await loaded.xlsx.load(reordered as never);
  t.same(loaded.worksheets.map((w) => [w.name, w.rowCount]), [['Sheet1', 1], ['Sheet2', 3]], 'Excel-compatible readers see the same sheets');
});

t.test('every read of an ExcelJS-written workbook gives its rows (300 reads)', async (t) => {
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    let outcome: string;
    try {
      const rows = [];
      for await (const row of readSupplierSource('xlsx', file)) rows.push(`${row.kind}:${row.row}`);
      outcome = rows.join(',');
    } catch (err) {
      outcome = `failed: ${(err as Error).message}`;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  t.same([...outcomes], [['product:2,product:3', 300]]);
});
