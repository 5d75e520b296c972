/** Input shapes of follow-up moves (API body and page form). */
import { z } from 'zod';
import { followUpStatuses, moveTargets } from './state.js';
import { amountFromForm } from '../web/amount.js';

export const objectIdString = z.string('编号应为字符串').regex(/^[0-9a-f]{24}$/i, '编号格式不正确');

const MoveFields = {
  to: z.enum(moveTargets, '目标状态应为 contacted（已联系）、intent（有意向）、signed（已签约）、declined（不合适）或 reopen（重新打开）'),
  /** The status the caller saw ('none': no follow-up yet); if it changed meanwhile, the move is refused. */
  from: z.enum([...followUpStatuses, 'none'], '当前状态无效').optional(),
  note: z.string('备注应为文字').trim().max(500, '备注最多 500 字').optional(),
  reason: z.string('原因应为文字').trim().max(500, '原因最多 500 字').optional(),
};

type MoveShape = { to: string; reason?: string; amountYuan?: number };
const moveRules = (value: MoveShape, ctx: z.RefinementCtx) => {
  if ((value.to === 'declined' || value.to === 'reopen') && !value.reason) {
    ctx.addIssue({ code: 'custom', path: ['reason'], message: value.to === 'declined' ? '请填写不合适的原因' : '请填写重新打开的原因' });
  }
  if (value.amountYuan !== undefined && value.to !== 'signed') {
    ctx.addIssue({ code: 'custom', path: ['amountYuan'], message: '只有签约时才能填写金额' });
  }
};

const amount = z.number('金额应为数字').min(0, '金额不能为负数').max(1e12, '金额过大');

export const MoveBody = z
  .object({ vendorId: objectIdString, ...MoveFields, amountYuan: amount.optional() })
  .superRefine(moveRules);
export type MoveBody = z.output<typeof MoveBody>;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** The page form: strings from a form post; blank fields are absent. */
export const MoveForm = z
  .looseObject({
    ...MoveFields,
    note: z.preprocess(blankToUndefined, MoveFields.note),
    reason: z.preprocess(blankToUndefined, MoveFields.reason),
    amountYuan: z.preprocess(amountFromForm, z.coerce.number('金额应为数字，如 120000、12万 或 45.5万元').pipe(amount).optional()),
    back: z.string().optional(),
  })
  .superRefine(moveRules);

export const ListQuery = z.object({
  vendor: objectIdString.optional(),
  demand: objectIdString.optional(),
  status: z.enum(followUpStatuses, '状态应为 contacted、intent、signed 或 declined').optional(),
  page: z.coerce.number('页码应为数字').int('页码应为整数').min(1, '页码至少为 1').max(10000, '页码过大').default(1),
  pageSize: z.coerce.number('每页条数应为数字').int('每页条数应为整数').min(1, '每页至少 1 条').max(200, '每页最多 200 条').default(50),
});
