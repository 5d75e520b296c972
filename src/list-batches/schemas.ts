/** Input and output shapes of the batches' API and pages (zod: validation and the OpenAPI document). */
import { z } from 'zod';
import { MAX_OBJECTION_DAYS } from './service.js';

export const NumberParams = z.object({
  number: z.coerce.number('批次号应为数字').int('批次号应为整数').min(1, '批次号至少为 1').max(1_000_000, '批次号过大'),
});
export const ObjectionParams = NumberParams.extend({ id: z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确') });

export const PublishBody = z.strictObject({
  title: z.string('标题应为文字').trim().min(1, '标题不能为空').max(100, '标题最多 100 个字').optional(),
  objectionDays: z.number('公示天数应为数字').int('公示天数应为整数').min(0, '公示天数不能为负数').max(MAX_OBJECTION_DAYS, `公示期最长 ${MAX_OBJECTION_DAYS} 天`).optional(),
});

const creditCode = z.string('统一社会信用代码应为文字').trim().min(1, '请填写统一社会信用代码').max(18, '统一社会信用代码为 18 位').transform((s) => s.toUpperCase());
export const ObjectionFields = {
  kind: z.enum(['vendor', 'product'], '异议对象应为 vendor（企业）或 product（产品）'),
  creditCode,
  model: z.string('型号应为文字').trim().max(100, '型号最多 100 个字').optional().transform((s) => s || undefined),
  reason: z.string('异议理由应为文字').trim().min(5, '异议理由至少 5 个字').max(2000, '异议理由最多 2000 个字'),
  contact: z.string('联系方式应为文字').trim().min(3, '请留下联系方式（姓名与电话或邮箱）').max(200, '联系方式最多 200 个字'),
};
export const ObjectionBody = z.object({
  ...ObjectionFields,
  file: z.any().optional().describe('仅 multipart/form-data：附件（PDF 或 JPEG/PNG/WebP 图片，≤ 5 MB，按内容判断）'),
});

export const AnswerBody = z.strictObject({
  outcome: z.enum(['upheld', 'dismissed'], '处理结果应为 upheld（异议成立）或 dismissed（异议不成立）'),
  text: z.string('答复应为文字').trim().min(2, '请填写答复内容').max(2000, '答复最多 2000 个字'),
});

const EntryRef = z.object({
  kind: z.enum(['vendor', 'product']),
  creditCode: z.string(),
  name: z.string(),
  model: z.string().optional(),
  vendorName: z.string().optional(),
});
export const BatchOut = z.object({
  id: z.string(),
  number: z.number(),
  title: z.string(),
  publishedAt: z.date(), objectionUntil: z.date().nullable(),
  counts: z.object({ vendors: z.number(), products: z.number() }),
  changes: z.object({
    added: z.array(EntryRef),
    removed: z.array(EntryRef.extend({ reason: z.enum(['suspended', 'withdrawn', 'lapsed']), reasonName: z.string() })),
    changed: z.array(EntryRef.extend({ fields: z.array(z.object({ field: z.string(), label: z.string(), before: z.unknown(), after: z.unknown() })) })),
  }),
});
export const BatchSummary = z.object({ number: z.number(), title: z.string(), publishedAt: z.date(), objectionUntil: z.date().nullable(), counts: z.object({ vendors: z.number(), products: z.number() }) });

export const ObjectionOut = z.object({
  id: z.string(),
  number: z.number(),
  entry: EntryRef,
  reason: z.string(),
  contact: z.string(),
  file: z.object({ url: z.string(), contentType: z.string(), filename: z.string() }).optional(),
  filedAt: z.date(),
  answer: z.object({ text: z.string(), outcome: z.enum(['upheld', 'dismissed']), by: z.object({ id: z.string(), name: z.string() }), at: z.date() }).optional(),
});
