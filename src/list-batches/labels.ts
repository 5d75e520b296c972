/** Chinese names for what a batch cites (pure, from the taxonomy). */
import { certificationName, fieldName, taxonomy } from '../taxonomy/index.js';

const categoryNames = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));
export const categoryName = (code: string | undefined) => (code ? (categoryNames.get(code) ?? code) : '');
export { certificationName, fieldName };

export const fieldLabels: Record<string, string> = {
  name: '名称', province: '省份', city: '城市', district: '区县', address: '地址', website: '网站', description: '简介',
  fields: '服务领域', certifications: '有效资质', model: '型号', category: '类别', field: '领域', energyGrade: '能效等级',
  priceMin: '最低价（元）', priceMax: '最高价（元）', capacityPerMonth: '月产能', leadTimeDays: '交货期（天）', vendorCreditCode: '统一社会信用代码',
};

/** A field's value as a reader sees it. */
export function valueText(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) {
    const name = field === 'fields' ? fieldName : field === 'certifications' ? certificationName : (x: string) => x;
    return value.length ? value.map((v) => name(String(v))).join('、') : '—';
  }
  if (field === 'category') return categoryName(String(value));
  if (field === 'field') return fieldName(String(value));
  return String(value);
}

export const priceText = (min?: number | null, max?: number | null) =>
  typeof min === 'number' ? (typeof max === 'number' && max !== min ? `${min.toLocaleString('zh-CN')} – ${max.toLocaleString('zh-CN')} 元` : `${min.toLocaleString('zh-CN')} 元`)
    : typeof max === 'number' ? `至 ${max.toLocaleString('zh-CN')} 元` : '面议';
