/**
 * The event pages' input shapes: route params, queries and the forms people post, each turned into the
 * input the services take (the schemas of schemas.ts), with errors reported against the typed fields.
 */
import { z } from 'zod';
import { ObjectIdParam } from '../accounts/index.js';
import { pageForm, queryText, type FieldErrors } from '../web/forms.js';
import { beijingInstant, buildSlotGrid, parseBreaks, parseTimeOfDay } from './grid.js';
import {
  CheckInCodeInput, CheckInInput, EventInput, MAX_SLOTS, MeetingAdd, MeetingMove, OutcomeInput, ParticipantInput, ParticipantUpdate, PhaseInput, PreferenceInput, ReviewInput,
} from './schemas.js';

export const EventParams = z.object({ id: ObjectIdParam });
export const ParticipantParams = z.object({ id: ObjectIdParam, participantId: ObjectIdParam });
export const MeetingParams = z.object({ id: ObjectIdParam, meetingId: ObjectIdParam });
export const eventMissing = '未找到该对接会。';

/** ?p=: the participant an organizer acts for. */
export const OnBehalfQuery = z.object({ p: queryText });
/** The control page's searches for vendors (vq) and buyers (bq) to register. */
export const ControlQuery = z.object({ vq: queryText, bq: queryText });
/** The grid: the meeting opened (m) or the empty cell clicked (slot, table), and the participant whose meetings alone are shown (p). */
export const GridQuery = z.object({ m: queryText, slot: queryText, table: queryText, p: queryText });

// ---------------------------------------------------------------- the new-event form

const eventFields = [
  'title', 'theme', 'field', 'venue', 'description', 'tables', 'date', 'startTime', 'slotMinutes', 'slotCount', 'breaks', 'registrationDeadline', 'preferenceDeadline',
] as const;
export type EventFormValues = Record<(typeof eventFields)[number], string>;

const dateTimeLocal = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
/** "2027-03-10T18:00" (datetime-local, Beijing time) → ISO with +08:00; anything else is passed on for the schema to refuse. */
function localTime(v: string | undefined): string | undefined {
  const s = v?.trim();
  if (!s) return undefined;
  return dateTimeLocal.test(s) ? `${s}:00+08:00` : s;
}

/** The new-event form: the grid from date, first start, slot length, count and breaks; the rest as EventInput. */
export function eventFromForm(form: Partial<EventFormValues>): { ok: true; input: EventInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const date = form.date?.trim() ?? '';
  if (!beijingInstant(date, 0)) errors.date = '请选择对接会日期';
  const firstStart = parseTimeOfDay(form.startTime ?? '');
  if (firstStart === null || firstStart >= 24 * 60) errors.startTime = '请填写第一个时段的开始时间，例如 09:00';
  const slotMinutes = Number(form.slotMinutes ?? '');
  if (!Number.isInteger(slotMinutes) || slotMinutes < 5 || slotMinutes > 240) errors.slotMinutes = '每个时段的时长应为 5–240 之间的整数（分钟）';
  const slotCount = Number(form.slotCount ?? '');
  if (!Number.isInteger(slotCount) || slotCount < 1 || slotCount > MAX_SLOTS) errors.slotCount = `时段数应为 1–${MAX_SLOTS} 之间的整数`;
  const breaks = parseBreaks(form.breaks ?? '');
  if (!breaks.ok) errors.breaks = breaks.message;
  for (const key of ['registrationDeadline', 'preferenceDeadline'] as const) {
    const v = form[key]?.trim();
    if (v && !dateTimeLocal.test(v)) errors[key] = '请选择日期和时间';
  }
  let slots: Array<{ start: Date; end: Date }> = [];
  if (Object.keys(errors).length === 0 && breaks.ok) {
    const grid = buildSlotGrid({ date, firstStart: firstStart!, slotMinutes, count: slotCount, breaks: breaks.breaks });
    if (grid.ok) slots = grid.slots;
    else errors[grid.path] = grid.message;
  }
  const parsed = EventInput.safeParse({
    title: form.title ?? '', theme: form.theme, field: form.field, venue: form.venue, description: form.description,
    tables: form.tables ?? '', slots: slots.length ? slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })) : [{ start: '', end: '' }],
    registrationDeadline: localTime(form.registrationDeadline), preferenceDeadline: localTime(form.preferenceDeadline),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '_form';
      // The grid's own errors were reported above, against the fields a person typed.
      if (key.startsWith('slots')) continue;
      errors[key] ??= issue.message;
    }
  }
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, input: parsed.data };
}

export const EventForm = pageForm(
  { text: eventFields },
  (values) => values,
  z.custom<EventFormValues>().transform((values, ctx) => {
    const form = eventFromForm(values);
    if (form.ok) return form.input;
    for (const [key, message] of Object.entries(form.errors)) ctx.addIssue({ code: 'custom', path: [key], message });
    return z.NEVER;
  }),
);

// ---------------------------------------------------------------- the control page's forms

export const PhaseForm = pageForm({ text: ['to'] }, (v) => v, PhaseInput);
export const ReviewForm = pageForm({ text: ['decision', 'reason'] }, (v) => ({ decision: v.decision, reason: v.reason }), ReviewInput);
export const CheckInForm = pageForm({ text: ['state'] }, (v) => v, CheckInInput);
/** A checkbox: ticked or not. */
export const ScheduleForm = pageForm({ text: ['allowMoves'] }, (v) => ({ allowMoves: Boolean(v.allowMoves) }), z.object({ allowMoves: z.boolean() }));

export const VendorRegistrationForm = pageForm(
  { text: ['vendorCreditCode', 'representatives'] },
  (v) => ({ kind: 'vendor', vendorCreditCode: v.vendorCreditCode, representatives: v.representatives || undefined }),
  ParticipantInput,
);

const buyerFields = ['buyer.name', 'buyer.type', 'buyer.level', 'buyer.province', 'buyer.city', 'buyer.district', 'contactName', 'contactPhone'] as const;
export const BuyerRegistrationForm = pageForm(
  { text: buyerFields, lists: ['demands'] },
  (v) => ({
    kind: 'buyer',
    buyer: {
      name: v['buyer.name'], type: v['buyer.type'] || undefined, level: v['buyer.level'] || undefined,
      province: v['buyer.province'], city: v['buyer.city'], district: v['buyer.district'],
    },
    demands: v.demands,
    contactName: v.contactName, contactPhone: v.contactPhone,
  }),
  ParticipantInput,
);

// ---------------------------------------------------------------- the grid's forms

export const MeetingAddForm = pageForm({ text: ['buyer', 'vendor', 'slot', 'table'] }, (v) => v, MeetingAdd);
export const MeetingMoveForm = pageForm({ text: ['slot', 'table'] }, (v) => v, MeetingMove);
export const OutcomeForm = pageForm({ text: ['outcome', 'demand', 'amountYuan', 'note'] }, (v) => v, OutcomeInput);

// ---------------------------------------------------------------- the participants' forms

const { representatives, contactName, contactPhone, unavailableSlots, demands } = ParticipantUpdate.shape;
/**
 * A participant's registration form (registering, or changing it): the same fields for both kinds; the
 * handler keeps the vendor's or the buyer's ones, as it knows which the participant is.
 */
const RegistrationFields = z.object({ representatives, contactName, contactPhone, unavailableSlots, demands });
export type RegistrationFields = z.output<typeof RegistrationFields>;
export const RegistrationForm = pageForm(
  { text: ['representatives', 'contactName', 'contactPhone'], lists: ['unavailableSlots', 'demands'] },
  (v) => ({ ...v, representatives: v.representatives || undefined }),
  RegistrationFields,
);

/** The fields a participant of this kind registers with (a vendor its representatives, a buyer its demands). */
export function registrationOf(kind: 'vendor' | 'buyer', form: RegistrationFields) {
  const { contactName: name, contactPhone: phone, unavailableSlots: slots } = form;
  const common = { contactName: name, contactPhone: phone, unavailableSlots: slots };
  return kind === 'vendor' ? { ...common, representatives: form.representatives } : { ...common, demands: form.demands };
}

/**
 * A wish: `level` none (or empty) clears it, any other is set (PreferenceInput, less `from`: the page
 * knows whose wish it is); `p` is the participant an organizer acts for.
 */
export const WishForm = pageForm(
  { text: ['to', 'level', 'source', 'p'] },
  (v) => (v.level === '' || v.level === 'none'
    ? { clear: true, to: v.to, p: v.p || undefined }
    : { clear: false, to: v.to, level: v.level, source: v.source === 'suggestion' ? 'suggestion' : 'manual', p: v.p || undefined }),
  z.discriminatedUnion('clear', [
    z.object({ clear: z.literal(true), to: z.string().regex(/^[0-9a-f]{24}$/i, '请选择洽谈对象。'), p: z.string().optional() }),
    PreferenceInput.omit({ from: true }).extend({ clear: z.literal(false), p: z.string().optional() }),
  ]),
);

/**
 * The whole wish list in one form: one radio group per participant of the other side, named `w-<id>`
 * (must / want / no / none); `p` is the participant an organizer acts for. Other fields are ignored.
 */
export const WishListForm = z.preprocess(
  (body) => {
    const form = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const levels: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(form)) {
      const m = /^w-([0-9a-f]{24})$/i.exec(key);
      if (m) levels[m[1]] = Array.isArray(value) ? value[0] : value;
    }
    return { p: typeof form.p === 'string' && form.p ? form.p : undefined, levels };
  },
  z.object({
    p: z.string().optional(),
    levels: z.record(z.string(), z.enum(['must', 'want', 'no', 'none'], '请为每一家选择“必须见”“希望见”“不见”或“未设置”。')),
  }),
);

// ---------------------------------------------------------------- the event day

/** A table's page: /organizer/events/:id/tables/:table. */
export const TableParams = z.object({ id: ObjectIdParam, table: z.coerce.number().int('桌号应为整数').min(1, '桌号应从 1 开始').max(10_000, '桌号过大') });
/** A code typed at the door (the scanner posts the same field). */
export const CheckInCodeForm = pageForm({ text: ['code'] }, (v) => ({ code: v.code }), CheckInCodeInput);
/** The confirmation of a publish preview: the revision it was read at. */
export const PublishForm = pageForm({ text: ['revision'] }, (v) => ({ revision: v.revision === '' ? Number.NaN : Number(v.revision) }), z.object({ revision: z.number('预览已失效，请重新查看').int().min(0) }));
