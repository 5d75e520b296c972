/**
 * Input shapes of 企业调研 / 现场考察, shared by the JSON API and the page forms. Messages are Chinese;
 * ids are checked as ObjectId strings, so no user object reaches a query.
 */
import { z } from 'zod';
import { objectId, optional, optionalText } from '../web/fields.js';
import { BuyerInput } from '../buyers/index.js';
import { fieldCodes } from '../taxonomy/index.js';
import { visitKinds, visitOutcomes, visitPhases } from './model.js';
import { MAX_STOPS, parseHhmm } from './route.js';
import { amountFromForm } from '../web/amount.js';

export const MAX_CAPACITY = 500;

export const kindNames: Record<string, string> = { survey: '企业调研', site: '现场考察' };
export const phaseNames: Record<string, string> = {
  draft: '筹备中', registration: '报名中', confirmed: '行程已确定', finished: '已结束', cancelled: '已取消',
};
export const statusNames: Record<string, string> = { pending: '待审核', approved: '已通过', rejected: '未通过', withdrawn: '已退出' };
export const outcomeNames: Record<string, string> = { visited: '已参观', intent: '达成意向', signed: '已签约' };

const text = (max: number, missing: string) => z.string(missing).trim().min(1, missing).max(max, `最多 ${max} 个字`);

/** 'HH:MM' (24 h, China time) → minutes after midnight. */
const clockTime = (what: string) =>
  z.string(`${what}应为“时:分”，例如 09:30`).transform((v, ctx) => {
    const m = parseHhmm(v);
    if (m === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}应为“时:分”，例如 09:30` });
      return z.NEVER;
    }
    return m;
  });

const day = z.string('日期应为文字').trim().regex(/^\d{4}-\d{2}-\d{2}$/, '日期应为 YYYY-MM-DD，例如 2027-04-08')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00+08:00`)) && new Date(Date.parse(`${v}T00:00:00+08:00`) + 8 * 3600_000).toISOString().slice(0, 10) === v, '不是有效的日期');

const isoTime = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? new Date(v) : v),
    z.date({ error: `${what}应为 ISO 时间，例如 2027-04-01T18:00:00+08:00` }).refine((d) => !Number.isNaN(d.getTime()), `${what}不是有效的时间`),
  );

export const StopInput = z.object({
  /** The host vendor, by id or by 统一社会信用代码 (one of them). */
  vendor: optional(objectId),
  vendorCreditCode: optionalText(18),
  place: optionalText(100),
  address: text(200, '请填写地址'),
  start: clockTime('开始时间'),
  end: clockTime('结束时间'),
  travelMinutes: optional(z.coerce.number({ error: '路程时间应为分钟数' }).int('路程时间应为整数分钟').min(0, '路程时间不能为负').max(600, '路程时间最多 600 分钟')),
  shows: optionalText(500),
}).strict();
export type StopInput = z.output<typeof StopInput>;

const visitFields = {
  kind: z.enum(visitKinds, { error: '类型应为 survey（企业调研）或 site（现场考察）' }),
  title: text(100, '请填写名称'),
  date: day,
  field: optional(z.enum(fieldCodes as [string, ...string[]], { error: '未知的领域代码' })),
  description: optionalText(2000),
  meetingPoint: optionalText(200),
  capacity: z.coerce.number({ error: '名额应为数字' }).int('名额应为整数').min(1, '至少 1 个名额').max(MAX_CAPACITY, `最多 ${MAX_CAPACITY} 个名额`),
  registrationDeadline: optional(isoTime('报名截止时间')),
  stops: z.array(StopInput, '行程站点应为列表').min(1, '至少需要一个站点').max(MAX_STOPS, `最多 ${MAX_STOPS} 个站点`),
};

export const VisitInput = z.object(visitFields).strict();
export type VisitInput = z.output<typeof VisitInput>;
export const VisitUpdate = z.object(visitFields).partial().strict();
export type VisitUpdate = z.output<typeof VisitUpdate>;

export const PhaseInput = z.object({ to: z.enum(visitPhases, { error: '未知的阶段' }) }).strict();

export const RegistrationInput = z.object({
  /** Organizers registering on a buyer's behalf name the organization; a buyer registers its own. */
  buyer: BuyerInput.optional(),
  /** Ids of the buyer's own open demands it brings. */
  demands: z.array(objectId, '关联需求应为列表').max(50, '最多关联 50 条需求').optional(),
  people: optional(z.coerce.number({ error: '人数应为数字' }).int('人数应为整数').min(1, '至少 1 人').max(20, '每家单位最多 20 人')),
  officials: optionalText(200),
  contactName: optionalText(50),
  contactPhone: optionalText(30),
}).strict();
export type RegistrationInput = z.output<typeof RegistrationInput>;



// Written as people write amounts: "12万", "45.5万元", "1,200,000" (src/web/amount.ts).
const amount = z.preprocess(
  amountFromForm,
  z.coerce.number({ error: '金额应为数字，如 120000、12万 或 45.5万元' }).min(0, '金额不能为负').max(1e12, '金额过大').optional(),
);

export const OutcomeInput = z.object({
  /** The buyer's registration. */
  registration: objectId,
  outcome: z.enum(visitOutcomes, { error: '结果应为 visited（已参观）、intent（达成意向）或 signed（已签约）' }),
  /** Which of the buyer's demands it is about; needed when the buyer brought several. */
  demand: optional(objectId),
  amountYuan: amount,
  note: optionalText(500),
}).strict();
export type OutcomeInput = z.output<typeof OutcomeInput>;

// Reviewing a registration and typing a check-in code work as for 对接会.
export { CheckInCodeInput, ReviewInput } from '../events/index.js';
