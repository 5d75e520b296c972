/** A published batch as .xlsx (说明, 供应商, 产品), written only through src/web/spreadsheet-safety.ts. */
import ExcelJS from 'exceljs';
import { xlsxBuffer } from '../web/spreadsheet-safety.js';
import type { ProductEntry, VendorEntry } from './diff.js';
import { categoryName, certificationName, fieldName } from './labels.js';
import { chinaDateTime } from '../web/china-time.js';

const list = (codes: readonly string[] | undefined, name: (c: string) => string) => (codes ?? []).map(name).join('、');
const opt = (v: unknown) => (v === undefined || v === null ? '' : v);

export async function batchXlsx(
  batch: { number: number; title: string; publishedAt: Date; objectionUntil?: Date | null },
  entries: Array<{ vendor: VendorEntry; products: ProductEntry[] }>,
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  // Fixed metadata: the same batch gives the same workbook content on every download.
  wb.creator = '供需对接平台';
  wb.created = batch.publishedAt;
  wb.modified = batch.publishedAt;
  const about = wb.addWorksheet('说明');
  about.columns = [{ header: '项目', width: 16 }, { header: '内容', width: 60 }];
  about.addRow(['批次', `第 ${batch.number} 批`]);
  about.addRow(['标题', batch.title]);
  about.addRow(['发布时间', chinaDateTime(batch.publishedAt)]);
  about.addRow(['公示期至', batch.objectionUntil ? chinaDateTime(batch.objectionUntil) : '未设公示期']);
  about.addRow(['供应商数', entries.length]);
  about.addRow(['产品数', entries.reduce((n, e) => n + e.products.length, 0)]);

  const vs = wb.addWorksheet('供应商', { views: [{ state: 'frozen', ySplit: 1 }] });
  vs.columns = ['统一社会信用代码', '企业名称', '省份', '城市', '区县', '地址', '服务领域', '有效资质', '网站'].map((h) => ({ header: h, width: h === '企业名称' || h === '地址' ? 32 : 18 }));
  for (const { vendor: v } of entries) {
    vs.addRow([v.creditCode, v.name, opt(v.province), opt(v.city), opt(v.district), opt(v.address), list(v.fields, fieldName), list(v.certifications, certificationName), opt(v.website)]);
  }
  const ps = wb.addWorksheet('产品', { views: [{ state: 'frozen', ySplit: 1 }] });
  ps.columns = ['统一社会信用代码', '企业名称', '产品名称', '型号', '类别', '领域', '认证', '能效等级', '最低价（元）', '最高价（元）', '月产能', '交货期（天）']
    .map((h) => ({ header: h, width: h === '企业名称' || h === '产品名称' ? 28 : 14 }));
  for (const { vendor, products } of entries) {
    for (const p of products) {
      ps.addRow([p.vendorCreditCode, vendor.name, p.name, p.model, categoryName(p.category), p.field ? fieldName(p.field) : '', list(p.certifications, certificationName),
        opt(p.energyGrade), opt(p.priceMin), opt(p.priceMax), opt(p.capacityPerMonth), opt(p.leadTimeDays)]);
    }
  }
  return xlsxBuffer(wb);
}
