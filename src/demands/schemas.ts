/**
 * Input shapes for buyer organizations and demands, shared by the API, the page forms and the demand-list
 * import, so a demand is judged the same way however it arrives. Messages are Chinese.
 */
import { z } from 'zod';
import { blank, optionalText } from '../web/fields.js';
import { certificationCodes, fieldCodes, fieldOfCategory } from '../taxonomy/index.js';
import { BuyerInput, buyerLevels } from '../buyers/index.js';
import { closedAsValues, demandStatuses } from './model.js';

export const statusNames: Record<string, string> = { draft: '草稿', open: '征集中', in_progress: '对接中', closed: '已关闭' };
export const closedAsNames: Record<string, string> = { fulfilled: '已完成', cancelled: '已取消', expired: '已过期' };
export const actionNames: Record<string, string> = {
  create: '创建', edit: '修改', open: '开放征集', start: '开始对接', close: '关闭', expire: '过期自动关闭', import: '导入更新',
};

const text = (max: number, missing = '应为文字') => z.string(missing).trim().max(max, `最多 ${max} 个字`);
const optionalNumber = (schema: z.ZodNumber) =>
  z.preprocess(
    (v) => (blank(v) ? undefined : typeof v === 'string' ? v.replace(/[,，\s]/g, '').replace(/^[¥￥]/, '').replace(/元$/, '') : v),
    z.coerce.number({ error: '必须是数字' }).pipe(schema).optional(),
  );

const codeList = (codes: readonly string[], what: string) =>
  z.preprocess(
    (v) => (blank(v) || v === undefined ? [] : typeof v === 'string' ? v.split(/[,，;；、\s]+/).filter(Boolean) : v),
    z.array(z.enum(codes as [string, ...string[]], { error: (issue) => `未知的${what}代码：${String(issue.input).slice(0, 40)}` }), `${what}应为代码列表`)
      .max(20, `${what}最多 20 项`)
      .transform((list) => [...new Set(list)]),
  );

/**
 * A deadline is a day ("2027-07-31", meaning through the end of that day in Beijing) or an ISO time.
 * Spreadsheets also hand over Date objects.
 */
export function parseDeadline(value: unknown): Date | undefined | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const s = value.trim().replace(/[/.]/g, '-').replace(/^(\d{4})年(\d{1,2})月(\d{1,2})日?$/, '$1-$2-$3');
  const day = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const utc = new Date(Date.UTC(y, m - 1, d));
    if (utc.getUTCFullYear() !== y || utc.getUTCMonth() !== m - 1 || utc.getUTCDate() !== d) return null;
    // End of that day, Beijing time (UTC+8).
    return new Date(Date.UTC(y, m - 1, d, 15, 59, 59, 999));
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return null;
  const t = new Date(s);
  return Number.isNaN(t.getTime()) ? null : t;
}

const Deadline = z.preprocess(
  (v) => (blank(v) || v === undefined ? undefined : parseDeadline(v)),
  z.date({ error: '截止日期必须是日期，例如 2027-06-30' }).optional(),
);

/** The demand's own fields (everything but who posts it). */
const demandFields = {
  title: text(100, '请填写需求标题').min(2, '请填写需求标题（至少 2 个字）'),
  description: z.preprocess((v) => (v === undefined || v === null ? '' : v), text(4000)),
  field: z.preprocess((v) => (blank(v) ? undefined : v), z.enum(fieldCodes as [string, ...string[]], { error: '未知的领域代码' }).optional()),
  category: z.preprocess(
    (v) => (blank(v) ? undefined : v),
    z.string('类别应为代码').refine((c) => fieldOfCategory(c) !== undefined, '未知的类别代码').optional(),
  ),
  quantity: optionalNumber(z.number().positive('数量应大于 0').max(1e9, '数量过大')),
  unit: optionalText(10),
  budgetYuan: optionalNumber(z.number().min(0, '预算不能为负数').max(1e12, '预算过大')),
  requiredCertifications: codeList(certificationCodes, '认证'),
  preferredCertifications: codeList(certificationCodes, '认证'),
  deadline: Deadline,
  privateNotes: optionalText(2000),
};

type FieldsOut = { field?: string; category?: string };
/** A category implies its field; a field given with a category must be that category's field. */
function checkCategory<T extends FieldsOut>(schema: z.ZodType<T>) {
  return schema
    .refine((d) => !d.category || !d.field || fieldOfCategory(d.category) === d.field, {
      message: '所选类别不属于所选领域', path: ['category'],
      when: (payload) => !payload.issues.some((i) => ['field', 'category'].includes(String(i.path?.[0]))),
    })
    .transform((d) => ({ ...d, field: d.field ?? (d.category ? fieldOfCategory(d.category) : undefined) }));
}

const DemandFieldsObject = z.object(demandFields);

/** POST /api/v1/demands (docs/api.md), plus the optional privateNotes and status. */
export const DemandInput = checkCategory(z.object({
  ...demandFields,
  status: z.enum(['draft', 'open'], { error: '状态只能是 draft（草稿）或 open（开放征集）' }).default('open'),
  buyer: BuyerInput.optional(),
}));
export type DemandInput = z.output<typeof DemandInput>;

/** PUT /api/v1/demands/:id: the demand's fields; the organization and status do not change here. */
export const DemandUpdate = checkCategory(DemandFieldsObject);
export type DemandUpdate = z.output<typeof DemandUpdate>;
export type DemandFields = DemandUpdate;

/** The fields an edit compares (history records which changed). */
export const editableFields = [
  'title', 'description', 'field', 'category', 'quantity', 'unit', 'budgetYuan', 'requiredCertifications',
  'preferredCertifications', 'deadline', 'privateNotes',
] as const;

export const fieldLabels: Record<string, string> = {
  title: '需求标题', description: '需求描述', field: '领域', category: '类别', quantity: '数量', unit: '单位',
  budgetYuan: '预算（元）', requiredCertifications: '必需认证', preferredCertifications: '优选认证', deadline: '截止日期',
  privateNotes: '内部备注', buyer: '采购单位', 'buyer.name': '采购单位', 'buyer.type': '单位类型', 'buyer.level': '层级',
  'buyer.province': '省份', 'buyer.city': '城市', 'buyer.district': '区县', closedAs: '关闭结果', reason: '原因',
};

export const CloseBody = z.object({
  closedAs: z.enum(['fulfilled', 'cancelled'], { error: '请选择关闭结果：fulfilled（已完成）或 cancelled（已取消）' }),
  reason: text(500, '请填写关闭原因').min(2, '请填写关闭原因（至少 2 个字）'),
});
export type CloseBody = z.infer<typeof CloseBody>;

const emptyToUndefined = (v: unknown) => (blank(v) ? undefined : v);
export const DemandListQuery = z.object({
  level: z.preprocess(emptyToUndefined, z.enum(buyerLevels, { error: '层级应为 province、city 或 district' }).optional()),
  field: z.preprocess(emptyToUndefined, z.enum(fieldCodes as [string, ...string[]], { error: '未知的领域代码' }).optional()),
  status: z.preprocess(emptyToUndefined, z.enum(demandStatuses, { error: '状态应为 draft、open、in_progress 或 closed' }).optional()),
  city: z.preprocess(emptyToUndefined, text(20).optional()),
  district: z.preprocess(emptyToUndefined, text(20).optional()),
  q: z.preprocess(emptyToUndefined, text(50).optional()),
  page: z.preprocess(emptyToUndefined, z.coerce.number({ error: '页码应为数字' }).int('页码应为整数').min(1, '页码从 1 开始').max(10_000).default(1)),
  pageSize: z.preprocess(emptyToUndefined, z.coerce.number({ error: '每页条数应为数字' }).int().min(1, '每页至少 1 条').max(100, '每页最多 100 条').default(20)),
});
export type DemandListQuery = z.infer<typeof DemandListQuery>;

export { closedAsValues, demandStatuses };
