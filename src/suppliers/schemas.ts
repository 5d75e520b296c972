/**
 * Input shapes for vendors and products, shared by the API, the page forms and bulk import, so a row
 * is judged the same way however it arrives. Messages are Chinese, for the person who typed the value.
 */
import { z } from 'zod';
import { certificationCodes, fieldCodes, fieldOfCategory } from '../taxonomy/index.js';
import { isValidCreditCode, normalizeCreditCode } from './credit-code.js';

const text = (max: number) => z.string().trim().max(max, `最多 ${max} 个字`);
const optionalText = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), text(max).optional());
const optionalNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.number({ error: '必须是数字' }).pipe(schema).optional());

export const CreditCode = z
  .string('请填写统一社会信用代码')
  .transform(normalizeCreditCode)
  .refine((v) => v.length === 18, '统一社会信用代码应为 18 位')
  .refine(isValidCreditCode, '统一社会信用代码校验位不正确，请核对');

const codeList = (codes: readonly string[], what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/[,，;；、\s]+/).filter(Boolean) : v),
    z.array(z.enum(codes as [string, ...string[]], { error: (issue) => `未知的${what}代码：${String(issue.input).slice(0, 40)}` })).max(40),
  );

export const FieldCodes = codeList(fieldCodes, '领域');
export const CertificationCodes = codeList(certificationCodes, '认证');

export const Contact = z.object({
  name: optionalText(40),
  phone: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().regex(/^[0-9+\-() ]{5,20}$/, '电话号码格式不正确').optional()),
  email: z.preprocess((v) => (v === '' ? undefined : v), z.email('电子邮箱格式不正确').max(200).optional()),
});

const optionalDate = (message: string) => z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.date(message).optional());

/** A certificate with its evidence: number, issuing body, validity and a scan uploaded beforehand. */
export const Qualification = z
  .object({
    certification: z.string('请选择认证类别').refine((c) => certificationCodes.includes(c), '未知的认证代码'),
    number: optionalText(60),
    issuer: optionalText(100),
    validFrom: optionalDate('生效日期必须是日期'),
    expiresAt: optionalDate('有效期必须是日期'),
    /** An evidence file uploaded by POST /api/v1/vendors/:id/evidence. */
    scanFileId: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[0-9a-f]{24}$/i, '扫描件编号不正确').optional()),
  })
  .refine((q) => !q.validFrom || !q.expiresAt || q.validFrom <= q.expiresAt, { message: '生效日期不能晚于有效期', path: ['expiresAt'] });

export const VendorInput = z.object({
  name: text(100).min(2, '请填写企业名称'),
  creditCode: CreditCode,
  province: text(20).min(2, '请填写所在省份'),
  city: optionalText(20),
  district: optionalText(20),
  address: optionalText(200),
  fields: FieldCodes.default([]),
  certifications: CertificationCodes.default([]),
  contact: Contact.default({}),
  description: optionalText(2000),
  website: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/, error: '网址必须以 http:// 或 https:// 开头' }).max(300).optional()),
  qualifications: z.array(Qualification).max(40).default([]),
});
export type VendorInput = z.infer<typeof VendorInput>;

export const Spec = z.object({ key: text(40).min(1, '参数名不能为空'), value: text(200).min(1, '参数值不能为空') });

const ProductFields = z.object({
  vendorCreditCode: CreditCode,
  name: text(100).min(2, '请填写产品名称'),
  model: text(60).min(1, '请填写型号'),
  category: z.string('请选择产品类别').refine((c) => fieldOfCategory(c) !== undefined, '未知的产品类别代码'),
  description: optionalText(4000),
  certifications: CertificationCodes.default([]),
  energyGrade: optionalNumber(z.number().int('能效等级为 1–5 的整数').min(1, '能效等级为 1–5').max(5, '能效等级为 1–5')),
  priceMin: optionalNumber(z.number().min(0, '价格不能为负').max(1e10)),
  priceMax: optionalNumber(z.number().min(0, '价格不能为负').max(1e10)),
  capacityPerMonth: optionalNumber(z.number().int('月产能须为整数').min(0).max(1e9)),
  leadTimeDays: optionalNumber(z.number().int('交货期须为整数天').min(0).max(3650)),
  specs: z.array(Spec).max(50, '规格参数最多 50 行').default([]),
});

const pricesInOrder = <S extends z.ZodType<{ priceMin?: number; priceMax?: number }>>(schema: S) =>
  schema.refine((p) => typeof p.priceMin !== 'number' || typeof p.priceMax !== 'number' || p.priceMin <= p.priceMax, {
    message: '最低价不能高于最高价',
    path: ['priceMax'],
    // Checked even when other fields are wrong, so the person sees every problem at once.
    when: (payload) => !payload.issues.some((issue) => ['priceMin', 'priceMax'].includes(String(issue.path?.[0]))),
  });

export const ProductInput = pricesInOrder(ProductFields);
/** A product as its vendor's form posts it: the vendor (and its credit code) is the page's, not the form's. */
export const ProductDetails = pricesInOrder(ProductFields.omit({ vendorCreditCode: true }));
export type ProductInput = z.infer<typeof ProductInput>;

/**
 * What the public list shows under the district's name: an approved vendor's change to these waits for an
 * organizer. Contact details and the description stay self-service (and are recorded in history).
 */
export const reviewedVendorFields = ['name', 'province', 'city', 'district', 'address', 'website', 'fields', 'certifications', 'qualifications'] as const;

/** The fields a change log compares, and a revision may change. */
export const vendorFields = [
  'name', 'creditCode', 'province', 'city', 'district', 'address', 'fields', 'certifications', 'contact',
  'description', 'website', 'qualifications',
] as const;
export const productFields = [
  'name', 'model', 'category', 'field', 'description', 'certifications', 'energyGrade', 'priceMin', 'priceMax',
  'capacityPerMonth', 'leadTimeDays', 'specs',
] as const;

export const fieldLabels: Record<string, string> = {
  name: '名称', creditCode: '统一社会信用代码', province: '省份', city: '城市', district: '区县', address: '地址',
  fields: '领域', certifications: '认证', contact: '联系人', description: '简介', website: '网站', qualifications: '资质证书',
  model: '型号', category: '类别', field: '领域', energyGrade: '能效等级', priceMin: '最低价（元）', priceMax: '最高价（元）',
  capacityPerMonth: '月产能', leadTimeDays: '交货期（天）', specs: '规格参数', status: '状态', images: '图片', logo: '标志',
  confirmedAt: '确认时间', reviewNote: '审核意见',
};

export const ReasonBody = z.object({ reason: text(500).min(2, '请填写原因') });
