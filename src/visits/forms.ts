/** The visit pages' forms: posted fields as typed, turned into the inputs of schemas.ts. */
import { z } from 'zod';
import { ObjectIdParam } from '../accounts/index.js';
import { pageForm } from '../web/forms.js';
import { hhmm } from './route.js';
import { OutcomeInput, PhaseInput, RegistrationInput, ReviewInput, VisitInput } from './schemas.js';
import type { VisitLean } from './service.js';

export const VisitParams = z.object({ id: ObjectIdParam });
export const RegistrationParams = z.object({ id: ObjectIdParam, rid: ObjectIdParam });
export const StopParams = z.object({ id: ObjectIdParam, stopIndex: z.coerce.number().int().min(0).max(99) });
export const visitMissing = '未找到该调研考察活动。';

/** Rows of stops the form offers (the API takes up to MAX_STOPS). */
export const FORM_STOPS = 6;
const stopKeys = ['vendor', 'place', 'address', 'start', 'end', 'travel', 'shows'] as const;
const stopFields = Array.from({ length: FORM_STOPS }, (_, i) => stopKeys.map((k) => `s${i}_${k}`)).flat();
const visitFields = ['kind', 'title', 'date', 'field', 'capacity', 'meetingPoint', 'description', 'registrationDeadline', ...stopFields] as const;
export type VisitFormValues = Record<string, string>;

const localTime = (v: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v.trim()) ? `${v.trim()}:00+08:00` : v);

export const VisitForm = pageForm({ text: visitFields as unknown as readonly string[] }, (v) => {
  const stops = [];
  for (let i = 0; i < FORM_STOPS; i++) {
    const s = (k: string) => (v[`s${i}_${k}`] ?? '').trim();
    if (!s('vendor') && !s('address') && !s('start') && !s('end')) continue;
    stops.push({ vendor: s('vendor'), place: s('place'), address: s('address'), start: s('start'), end: s('end'), travelMinutes: s('travel'), shows: s('shows') });
  }
  return {
    kind: v.kind, title: v.title, date: v.date, field: v.field, capacity: v.capacity, meetingPoint: v.meetingPoint, description: v.description,
    registrationDeadline: localTime(v.registrationDeadline ?? ''), stops,
  };
}, VisitInput);

/** The form filled from a saved visit (editing). */
export function visitFormValues(visit?: VisitLean, defaults: { date?: string } = {}): VisitFormValues {
  const values: VisitFormValues = Object.fromEntries(visitFields.map((k) => [k, ''])) as VisitFormValues;
  if (!visit) return { ...values, kind: 'survey', capacity: '20', date: defaults.date ?? '' };
  Object.assign(values, {
    kind: visit.kind, title: visit.title, date: visit.date, field: visit.field ?? '', capacity: String(visit.capacity),
    meetingPoint: visit.meetingPoint ?? '', description: visit.description ?? '',
    registrationDeadline: visit.registrationDeadline ? new Date(visit.registrationDeadline.getTime() + 8 * 3600_000).toISOString().slice(0, 16) : '',
  });
  visit.stops.slice(0, FORM_STOPS).forEach((s, i) => Object.assign(values, {
    [`s${i}_vendor`]: String(s.vendor), [`s${i}_place`]: s.place ?? '', [`s${i}_address`]: s.address, [`s${i}_start`]: hhmm(s.start),
    [`s${i}_end`]: hhmm(s.end), [`s${i}_travel`]: s.travelMinutes === undefined || s.travelMinutes === null ? '' : String(s.travelMinutes), [`s${i}_shows`]: s.shows ?? '',
  }));
  return values;
}

/** Form errors of the API's paths (stops.1.start) under the form's field names (s1_start). */
export function stopFieldErrors(errors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors)) {
    const m = /^stops\.(\d+)\.(\w+)$/.exec(path);
    const key = m ? `s${m[1]}_${m[2] === 'travelMinutes' ? 'travel' : m[2] === 'vendorCreditCode' ? 'vendor' : m[2]}` : path;
    out[key] ??= message;
  }
  return out;
}

export const RegisterForm = pageForm({ text: ['people', 'officials', 'contactName', 'contactPhone'] as const, lists: ['demands'] as const }, (v) => ({
  demands: v.demands, people: v.people, officials: v.officials, contactName: v.contactName, contactPhone: v.contactPhone,
}), RegistrationInput);

export const ReviewForm = pageForm({ text: ['decision', 'reason'] as const }, (v) => ({ decision: v.decision, reason: v.reason }), ReviewInput);
export const PhaseForm = pageForm({ text: ['to'] as const }, (v) => ({ to: v.to }), PhaseInput);
export const OutcomeForm = pageForm({ text: ['registration', 'outcome', 'demand', 'amountYuan', 'note'] as const }, (v) => ({
  registration: v.registration, outcome: v.outcome, demand: v.demand, amountYuan: v.amountYuan, note: v.note,
}), OutcomeInput);
