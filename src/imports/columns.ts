/**
 * The spreadsheet side of the supplier list: Chinese column headers, how a cell becomes an input value,
 * and how a raw row (from a sheet or from JSON) is turned into a validated VendorInput / ProductInput.
 * Pure: no I/O, so import, export and templates agree on every header. Reading sheets is src/imports/sheets.ts.
 */
import { certificationCodes, fieldCodes, taxonomy } from '../taxonomy/index.js';
import { normalizeCreditCode } from '../suppliers/index.js';
import { ProductInput, VendorInput } from '../suppliers/index.js';
import type { Column, RowIssue as Issue } from './importer.js';
import type { ImportKind } from './model.js';
import { categoryLookup, certificationLookup, choices, codes, fieldLookup, isObject, loose, zodIssues } from './values.js';

export type { Column };

export const vendorColumns: Column[] = [
  { header: '统一社会信用代码', path: 'creditCode', required: true, example: '91330108MA27XKYT99', note: '18 位，校验位须正确；同一代码再次导入即为更新' },
  { header: '企业名称', path: 'name', required: true, aliases: ['供应商名称', '名称'], example: '杭州示例智能科技有限公司' },
  { header: '省份', path: 'province', required: true, example: '浙江省' },
  { header: '城市', path: 'city', example: '杭州市' },
  { header: '区县', path: 'district', example: '滨江区' },
  { header: '地址', path: 'address', example: '滨江区长河街道示例路 1 号' },
  { header: '领域', path: 'fields', example: '安防、教育', note: '领域代码或名称，多个用“、”分隔', choices: choices.fields },
  { header: '认证', path: 'certifications', aliases: ['企业认证'], example: '高新技术企业、专精特新', note: '认证代码或名称，多个用“、”分隔', choices: choices.certifications },
  { header: '联系人', path: 'contact.name', example: '张工' },
  { header: '联系电话', path: 'contact.phone', example: '0571-88886666' },
  { header: '联系邮箱', path: 'contact.email', aliases: ['电子邮箱'], example: 'sales@example.com' },
  { header: '简介', path: 'description', aliases: ['企业简介'], example: '专注视频监控与智能分析。' },
  { header: '网站', path: 'website', example: 'https://www.example.com' },
];

export const productColumns: Column[] = [
  { header: '供应商统一社会信用代码', path: 'vendorCreditCode', required: true, example: '91330108MA27XKYT99', note: '须为本次导入或平台已有的供应商' },
  { header: '产品名称', path: 'name', required: true, example: '400万像素网络摄像机' },
  { header: '型号', path: 'model', required: true, example: 'SL-IPC-4M01', note: '同一供应商的型号不能重复；再次导入即为更新' },
  { header: '类别', path: 'category', required: true, aliases: ['产品类别'], example: '视频监控前端设备', note: '类别代码或名称，见“说明”表', choices: choices.categories },
  { header: '描述', path: 'description', aliases: ['产品描述'], example: '支持 H.265 编码，夜视 30 米。' },
  { header: '认证', path: 'certifications', aliases: ['产品认证'], example: '品字标“浙江制造”', note: '认证代码或名称，多个用“、”分隔', choices: choices.certifications },
  { header: '能效等级', path: 'energyGrade', example: 1, note: '1–5 的整数，可空' },
  { header: '最低价（元）', path: 'priceMin', example: 680 },
  { header: '最高价（元）', path: 'priceMax', example: 920, note: '不能低于最低价' },
  { header: '月产能', path: 'capacityPerMonth', example: 5000, note: '整数' },
  { header: '交货期（天）', path: 'leadTimeDays', example: 15, note: '整数天' },
  { header: '规格参数', path: 'specs', example: '分辨率=400万像素；镜头=4mm', note: '“名称=值”，多项用“；”分隔' },
];

export const columnsOf = (kind: ImportKind) => (kind === 'vendor' ? vendorColumns : productColumns);
export const kindNames: Record<string, string> = { vendor: '供应商', product: '产品', demand: '需求', file: '文件' };

// --- values: codes or Chinese names --------------------------------------------------------------

export const categoryNameOf = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));

/** "分辨率=400万像素；镜头=4mm" → [{key, value}]. */
function specRows(value: unknown, issues: Issue[]): unknown {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object') return Object.entries(value).map(([key, v]) => ({ key, value: String(v) }));
  if (typeof value !== 'string') return value;
  const rows: Array<{ key: string; value: string }> = [];
  for (const part of value.split(/[;；\n]+/).map((p) => p.trim()).filter(Boolean)) {
    // "名称=值"; a colon works too when there is no "=" (values such as 16:9 keep theirs).
    const m = /[=＝]/.test(part) ? /^([^=＝]+)[=＝](.*)$/.exec(part) : /^([^:：]+)[:：](.*)$/.exec(part);
    if (!m) {
      issues.push({ field: 'specs', message: `规格参数“${part.slice(0, 30)}”应写成“名称=值”` });
      continue;
    }
    rows.push({ key: m[1].trim(), value: m[2].trim() });
  }
  return rows;
}

/** "1,200 元" → "1200": spreadsheets carry thousands separators and units. */
function numberText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value.replace(/[,，\s]/g, '').replace(/^[¥￥]/, '').replace(/(元|天|台|套|件)$/, '');
}

const numberFields = ['energyGrade', 'priceMin', 'priceMax', 'capacityPerMonth', 'leadTimeDays'];

export interface RowResult<T> {
  ok: boolean;
  value?: T;
  issues: Issue[];
}

function merge(pre: Issue[], zod: Issue[]): Issue[] {
  const preFields = new Set(pre.map((i) => i.field));
  const seen = new Set<string>();
  return [...pre, ...zod.filter((i) => !preFields.has(i.field))].filter((i) => {
    const key = `${i.field}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function validateVendor(raw: unknown): RowResult<VendorInput> {
  if (!isObject(raw)) return { ok: false, issues: [{ field: '_row', message: '每一行应为一个对象' }] };
  const issues: Issue[] = [];
  const data: Record<string, unknown> = { ...raw };
  if ('fields' in raw) data.fields = codes(raw.fields, fieldLookup, '领域', 'fields', issues);
  if ('certifications' in raw) data.certifications = codes(raw.certifications, certificationLookup, '认证', 'certifications', issues);
  const parsed = VendorInput.safeParse(data);
  const all = merge(issues, parsed.success ? [] : zodIssues(parsed.error));
  return all.length ? { ok: false, issues: all } : { ok: true, value: parsed.data, issues: [] };
}

export function validateProduct(raw: unknown): RowResult<ProductInput> {
  if (!isObject(raw)) return { ok: false, issues: [{ field: '_row', message: '每一行应为一个对象' }] };
  const issues: Issue[] = [];
  const data: Record<string, unknown> = { ...raw };
  if (typeof raw.category === 'string' && raw.category.trim()) {
    const code = categoryLookup.get(loose(raw.category));
    if (!code) issues.push({ field: 'category', message: `未知的产品类别：${raw.category.slice(0, 40)}（可填代码或名称，见模板“说明”表）` });
    else data.category = code;
  } else if (raw.category === '' || raw.category === undefined || raw.category === null) {
    issues.push({ field: 'category', message: '请填写产品类别' });
  }
  if ('certifications' in raw) data.certifications = codes(raw.certifications, certificationLookup, '认证', 'certifications', issues);
  if ('specs' in raw) data.specs = specRows(raw.specs, issues);
  for (const key of numberFields) if (key in raw) data[key] = numberText(raw[key]);
  const parsed = ProductInput.safeParse(data);
  const all = merge(issues, parsed.success ? [] : zodIssues(parsed.error));
  return all.length ? { ok: false, issues: all } : { ok: true, value: parsed.data, issues: [] };
}

/** The natural key of a raw row, normalized as validation would, for duplicate detection before writing. */
export function naturalKey(kind: ImportKind, raw: unknown): string | undefined {
  if (!isObject(raw)) return undefined;
  const code = kind === 'vendor' ? raw.creditCode : raw.vendorCreditCode;
  if (typeof code !== 'string' || !code.trim()) return undefined;
  if (kind === 'vendor') return normalizeCreditCode(code);
  if (typeof raw.model !== 'string' && typeof raw.model !== 'number') return undefined;
  const model = String(raw.model).trim();
  return model ? `${normalizeCreditCode(code)}\u0000${model}` : undefined;
}

// --- export formatting: the same texts import reads back ----------------------------------------

export const fieldNameOf = new Map(taxonomy.fields.map((f) => [f.code, f.name] as const));
export const certificationNameOf = new Map(taxonomy.certifications.map((c) => [c.code, c.name] as const));
export const listText = (values: readonly string[] | undefined, names: Map<string, string>) =>
  (values ?? []).map((v) => names.get(v) ?? v).join('、');
export const specsText = (specs: ReadonlyArray<{ key?: string | null; value?: string | null }> | undefined) =>
  (specs ?? []).map((s) => `${s.key ?? ''}=${s.value ?? ''}`).join('；');

export { fieldCodes, certificationCodes };
