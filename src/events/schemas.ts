/**
 * Input shapes of matchmaking events, shared by the JSON API (docs/api.md) and the page forms.
 * Messages are Chinese; ids are checked as ObjectId strings so no user object reaches a query.
 */
import { z } from 'zod';
import { blank, objectId, optionalText } from '../web/fields.js';
import { BuyerInput } from '../buyers/index.js';
import { fieldCodes } from '../taxonomy/index.js';
import { meetingOutcomes, preferenceLevels } from './model.js';
import { amountFromForm } from '../web/amount.js';

export const MAX_SLOTS = 96;
export const MAX_TABLES = 500;
export const MAX_REPRESENTATIVES = 10;

export const phaseNames: Record<string, string> = {
  draft: '筹备中', registration: '报名中', preferences: '意向征集', scheduling: '排期中', published: '日程已发布', finished: '已结束',
};
export const levelNames: Record<string, string> = { must: '必须见', want: '希望见', no: '不见' };
export const outcomeNames: Record<string, string> = { held: '已洽谈', no_show: '未到场', intent: '达成意向', signed: '已签约' };
export const participantStatusNames: Record<string, string> = { pending: '待审核', approved: '已通过', rejected: '未通过', withdrawn: '已退出' };
export const kindNames: Record<string, string> = { vendor: '供应商', buyer: '采购方' };

export { objectId };
const text = (max: number, missing: string) => z.string(missing).trim().min(1, missing).max(max, `最多 ${max} 个字`);
const isoTime = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? new Date(v) : v),
    z.date({ error: `${what}应为 ISO 时间，例如 2027-03-18T09:00:00+08:00` }).refine((d) => !Number.isNaN(d.getTime()), `${what}不是有效的时间`),
  );
const optionalTime = (what: string) => z.preprocess((v) => (blank(v) ? undefined : v), isoTime(what).optional());

export const SlotInput = z.object({ start: isoTime('开始时间'), end: isoTime('结束时间') });

/** Slots in time order, each with a positive length, none overlapping the next. */
export const SlotList = z
  .array(SlotInput, '时段应为列表')
  .min(1, '至少需要一个洽谈时段')
  .max(MAX_SLOTS, `最多 ${MAX_SLOTS} 个洽谈时段`)
  .superRefine((slots, ctx) => {
    slots.forEach((slot, i) => {
      if (slot.end.getTime() <= slot.start.getTime()) {
        ctx.addIssue({ code: 'custom', path: [i, 'end'], message: `第 ${i + 1} 个时段的结束时间应晚于开始时间` });
      }
      const next = slots[i + 1];
      if (next && next.start.getTime() < slot.end.getTime()) {
        ctx.addIssue({ code: 'custom', path: [i + 1, 'start'], message: `第 ${i + 2} 个时段与上一个时段重叠或顺序颠倒，时段应按时间先后排列` });
      }
    });
  });

const tables = z.coerce.number({ error: '洽谈桌数应为数字' }).int('洽谈桌数应为整数').min(1, '至少 1 张洽谈桌').max(MAX_TABLES, `最多 ${MAX_TABLES} 张洽谈桌`);
const field = z.preprocess(
  (v) => (blank(v) ? undefined : v),
  z.enum(fieldCodes as [string, ...string[]], { error: '未知的领域代码' }).optional(),
);

const eventFields = {
  title: text(100, '请填写对接会名称'),
  theme: optionalText(50),
  field,
  venue: optionalText(200),
  description: optionalText(2000),
  tables,
  slots: SlotList,
  registrationDeadline: optionalTime('报名截止时间'),
  preferenceDeadline: optionalTime('意向截止时间'),
};

function deadlinesInOrder<T extends { slots?: Array<{ start: Date }>; registrationDeadline?: Date; preferenceDeadline?: Date }>(value: T, ctx: z.RefinementCtx) {
  const first = value.slots?.[0]?.start;
  if (value.registrationDeadline && value.preferenceDeadline && value.preferenceDeadline < value.registrationDeadline) {
    ctx.addIssue({ code: 'custom', path: ['preferenceDeadline'], message: '意向截止时间不应早于报名截止时间' });
  }
  for (const key of ['registrationDeadline', 'preferenceDeadline'] as const) {
    if (first && value[key] && value[key] > first) {
      ctx.addIssue({ code: 'custom', path: [key], message: '截止时间应早于第一个洽谈时段' });
    }
  }
}

export const EventInput = z.object(eventFields).strict().superRefine(deadlinesInOrder);
export type EventInput = z.output<typeof EventInput>;

/** Editing: any subset; the grid (slots, tables) only while no meeting is saved (the service checks). */
export const EventUpdate = z.object(eventFields).partial().strict().superRefine(deadlinesInOrder);
export type EventUpdate = z.output<typeof EventUpdate>;

const slotIndexes = z
  .array(z.coerce.number({ error: '时段编号应为数字' }).int('时段编号应为整数').min(0, '时段编号从 0 开始'), '不可参加的时段应为列表')
  .max(MAX_SLOTS)
  .transform((list) => [...new Set(list)].sort((a, b) => a - b));
const representatives = z.coerce
  .number({ error: '参会代表人数应为数字' })
  .int('参会代表人数应为整数')
  .min(1, '至少 1 名参会代表')
  .max(MAX_REPRESENTATIVES, `最多 ${MAX_REPRESENTATIVES} 名参会代表`);

/** What a participant may change about its registration (and what registering also takes). */
const registrationFields = {
  /** The buyer's demands to talk about (ids of its own open demands). */
  demands: z.array(objectId).max(50, '最多关联 50 条需求').optional(),
  representatives: representatives.optional(),
  contactName: optionalText(50),
  contactPhone: optionalText(30),
  unavailableSlots: slotIndexes.optional(),
};

export const ParticipantInput = z
  .object({
    kind: z.enum(['vendor', 'buyer'], { error: '参会类型应为 vendor（供应商）或 buyer（采购方）' }),
    /** A vendor from the approved supplier list, by its 统一社会信用代码 (a vendor user may leave it out: its own). */
    vendorCreditCode: optionalText(18),
    /** A buyer organization: found by exact name or created (organizers); a buyer user registers its own. */
    buyer: BuyerInput.optional(),
    ...registrationFields,
  })
  .strict();
export type ParticipantInput = z.output<typeof ParticipantInput>;

export const ParticipantUpdate = z.object(registrationFields).strict();
export type ParticipantUpdate = z.output<typeof ParticipantUpdate>;

export const ReviewInput = z
  .object({
    decision: z.enum(['approve', 'reject'], { error: '审核结果应为 approve（通过）或 reject（不通过）' }),
    reason: optionalText(500),
  })
  .strict()
  .refine((v) => v.decision === 'approve' || Boolean(v.reason), { path: ['reason'], message: '不通过时请写明原因' });
export type ReviewInput = z.output<typeof ReviewInput>;

export const PreferenceInput = z
  .object({
    from: objectId,
    to: objectId,
    level: z.enum(preferenceLevels, { error: '意向应为 must（必须见）、want（希望见）或 no（不见）' }),
    source: z.enum(['manual', 'suggestion']).optional(),
  })
  .strict();
export type PreferenceInput = z.output<typeof PreferenceInput>;

export const ScheduleRunInput = z
  .object({
    /** Allow the optimizer to move published or pinned meetings (they are never dropped for lighter ones). */
    allowMoves: z.boolean('allowMoves 应为 true 或 false').optional(),
  })
  .strict();

const slotIndex = z.coerce.number({ error: '时段编号应为数字' }).int('时段编号应为整数').min(0, '时段编号从 0 开始');
const tableNumber = z.coerce.number({ error: '桌号应为数字' }).int('桌号应为整数').min(1, '桌号从 1 开始');

export const MeetingMove = z.object({ slot: slotIndex, table: tableNumber }).strict();
export type MeetingMove = z.output<typeof MeetingMove>;

export const MeetingAdd = z.object({ buyer: objectId, vendor: objectId, slot: slotIndex, table: tableNumber }).strict();
export type MeetingAdd = z.output<typeof MeetingAdd>;

export const CheckInInput = z.object({ state: z.enum(['arrived', 'no_show', 'clear'], { error: '签到状态应为 arrived（已到场）、no_show（未到场）或 clear（撤销）' }) }).strict();

// Written as people write amounts: "12万", "45.5万元", "1,200,000" (src/web/amount.ts).
const amount = z.preprocess(
  amountFromForm,
  z.coerce.number({ error: '金额应为数字，如 120000、12万 或 45.5万元' }).min(0, '金额不能为负').max(1e12, '金额过大').optional(),
);

export const OutcomeInput = z
  .object({
    outcome: z.enum(meetingOutcomes, { error: '洽谈结果应为 held（已洽谈）、no_show（未到场）、intent（达成意向）或 signed（已签约）' }),
    /** Which of the buyer's demands the outcome is about; needed when the buyer brought several. */
    demand: z.preprocess((v) => (blank(v) ? undefined : v), objectId.optional()),
    amountYuan: amount,
    note: optionalText(500),
  })
  .strict();
export type OutcomeInput = z.output<typeof OutcomeInput>;

export const PhaseInput = z.object({ to: z.enum(['draft', 'registration', 'preferences', 'scheduling', 'published', 'finished'], { error: '未知的阶段' }) }).strict();

/** A check-in code as scanned or typed (checkin.ts normalizes spaces, dashes and case). */
export const CheckInCodeInput = z.object({ code: z.string('签到码应为文字').trim().min(1, '请输入签到码').max(64, '签到码过长') }).strict();
export type CheckInCodeInput = z.output<typeof CheckInCodeInput>;

/** 现场约谈: a participant asks to meet `to` (one of the other side) on the day. */
export const MeetingRequestInput = z.object({
  to: objectId,
  note: optionalText(200),
}).strict();
export type MeetingRequestInput = z.output<typeof MeetingRequestInput>;

export const DeclineInput = z.object({ reason: text(200, '请填写不能安排的原因') }).strict();
