/**
 * The published list (推介清单) as spreadsheets (the templates are src/imports/template.ts). Export uses the same headers
 * and cell texts that import reads, so an exported file imports back without changes.
 */
import ExcelJS from 'exceljs';
import { PassThrough, type Readable } from 'node:stream';
import { z } from 'zod';
import type { Models } from '../infra/models.js';
import { effectiveCertifications } from '../suppliers/index.js';
import { certificationCodes, fieldCodes, fieldOfCategory } from '../taxonomy/index.js';
import { addSafeRow, csvText } from '../web/spreadsheet-safety.js';
import {
  categoryNameOf, certificationNameOf, fieldNameOf, listText, specsText, vendorColumns,
} from './columns.js';
import { widthOf } from './template.js';

const code = (codes: readonly string[], what: string) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.enum(codes as [string, ...string[]], { error: `未知的${what}代码` }).optional());
const place = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().max(20, '最多 20 个字').optional());

export const ExportQuery = z.object({
  field: code(fieldCodes, '领域'),
  category: z.preprocess((v) => (v === '' ? undefined : v), z.string().refine((c) => fieldOfCategory(c) !== undefined, '未知的产品类别代码').optional()),
  province: place,
  city: place,
  district: place,
  certification: code(certificationCodes, '认证'),
});
export type ExportQuery = z.infer<typeof ExportQuery>;

type Lean<T> = T & { _id: import('mongoose').Types.ObjectId };

/** Approved vendors (not hidden for staleness) and their published products matching the filters. */
export async function publishedList(models: Models, query: ExportQuery, now: Date) {
  const vendorFilter: Record<string, unknown> = { status: 'approved', freshness: { $ne: 'hidden' } };
  if (query.province) vendorFilter.province = query.province;
  if (query.city) vendorFilter.city = query.city;
  if (query.district) vendorFilter.district = query.district;
  const vendors = await models.Vendor.find(vendorFilter).sort({ name: 1 }).lean();
  const productFilter: Record<string, unknown> = { status: 'published', vendor: { $in: vendors.map((v) => v._id) } };
  if (query.field) productFilter.field = query.field;
  if (query.category) productFilter.category = query.category;
  if (query.certification) {
    // A vendor certification counts only while its certificate is valid.
    const certified = vendors.filter((v) => effectiveCertifications(v.certifications, v.qualifications as never, now).includes(query.certification!));
    productFilter.$or = [{ certifications: query.certification }, { vendor: { $in: certified.map((v) => v._id) } }];
  }
  const products = await models.Product.find(productFilter).sort({ vendorCreditCode: 1, model: 1 }).lean();
  const used = new Set(products.map((p) => String(p.vendor)));
  return { vendors: vendors.filter((v) => used.has(String(v._id))), products };
}

type VendorDoc = Lean<Awaited<ReturnType<typeof publishedList>>['vendors'][number]>;
type ProductDoc = Awaited<ReturnType<typeof publishedList>>['products'][number];

const optional = (v: unknown) => (v === undefined || v === null ? '' : v);

function vendorRow(v: VendorDoc): unknown[] {
  const values: Record<string, unknown> = {
    creditCode: v.creditCode, name: v.name, province: v.province, city: v.city, district: v.district, address: v.address,
    fields: listText(v.fields, fieldNameOf), certifications: listText(v.certifications, certificationNameOf),
    'contact.name': v.contact?.name, 'contact.phone': v.contact?.phone, 'contact.email': v.contact?.email,
    description: v.description, website: v.website,
  };
  return vendorColumns.map((c) => optional(values[c.path]));
}

/** Product sheet columns: the import columns plus two for readers (vendor name, field). */
const productExportHeaders = ['供应商统一社会信用代码', '供应商名称', '产品名称', '型号', '类别', '领域', '描述', '认证', '能效等级', '最低价（元）', '最高价（元）', '月产能', '交货期（天）', '规格参数'];

function productRow(p: ProductDoc, vendorName: string): unknown[] {
  return [
    p.vendorCreditCode, vendorName, p.name, p.model, categoryNameOf.get(p.category) ?? p.category, fieldNameOf.get(p.field) ?? p.field,
    optional(p.description), listText(p.certifications, certificationNameOf), optional(p.energyGrade), optional(p.priceMin),
    optional(p.priceMax), optional(p.capacityPerMonth), optional(p.leadTimeDays), specsText(p.specs),
  ];
}

/** Streams the list as .xlsx with sheets 供应商 and 产品; every row goes through addSafeRow (no cell is a formula). */
export function exportXlsx(list: Awaited<ReturnType<typeof publishedList>>): Readable {
  const out = new PassThrough();
  // eslint-disable-next-line no-restricted-properties -- every row below goes through addSafeRow
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const names = new Map(list.vendors.map((v) => [String(v._id), v.name]));
  void (async () => {
    const vendorSheet = workbook.addWorksheet('供应商', { views: [{ state: 'frozen', ySplit: 1 }] });
    vendorSheet.columns = vendorColumns.map((c) => ({ header: c.header, key: c.path, width: widthOf(c.header) }));
    for (const v of list.vendors) addSafeRow(vendorSheet, vendorRow(v as VendorDoc)).commit();
    vendorSheet.commit();
    const productSheet = workbook.addWorksheet('产品', { views: [{ state: 'frozen', ySplit: 1 }] });
    productSheet.columns = productExportHeaders.map((h) => ({ header: h, width: widthOf(h) }));
    for (const p of list.products) addSafeRow(productSheet, productRow(p, names.get(String(p.vendor)) ?? '')).commit();
    productSheet.commit();
    await workbook.commit();
  })().catch((err: Error) => out.destroy(err));
  return out;
}

const csvVendorHeaders = ['省份', '城市', '区县', '联系人', '联系电话', '联系邮箱'];

/** The list as one CSV of products with their vendor's columns; UTF-8 with BOM so Excel reads Chinese; no cell is a formula. */
export function exportCsv(list: Awaited<ReturnType<typeof publishedList>>): string {
  const byId = new Map(list.vendors.map((v) => [String(v._id), v]));
  const rows = list.products.map((p) => {
    const v = byId.get(String(p.vendor));
    return [...productRow(p, v?.name ?? ''), ...[v?.province, v?.city, v?.district, v?.contact?.name, v?.contact?.phone, v?.contact?.email].map(optional)];
  });
  return csvText([[...productExportHeaders, ...csvVendorHeaders], ...rows]);
}
