/** View helpers shared by the event pages and their view models (pure). */
import { fieldName } from '../taxonomy/index.js';
import { AppError } from '../web/errors.js';
import { beijingDay, beijingMinutes, formatTimeOfDay } from './grid.js';
import type { EventPhase } from './model.js';
import { kindNames, participantStatusNames, phaseNames } from './schemas.js';
import type { EventLean, ParticipantLean } from './service.js';

export const phaseOrder: EventPhase[] = ['draft', 'registration', 'preferences', 'scheduling', 'published', 'finished'];

/** "09:00–09:20" of a slot in Beijing time. */
export const slotTime = (slot: { start: Date; end: Date }) =>
  `${formatTimeOfDay(Math.round(beijingMinutes(new Date(slot.start))))}–${formatTimeOfDay(Math.round(beijingMinutes(new Date(slot.end))))}`;

/** "2027年3月18日" of a Beijing day. */
export function dayLabel(d: Date | null | undefined): string {
  if (!d) return '';
  const [y, m, day] = beijingDay(new Date(d)).split('-').map(Number);
  return `${y}年${m}月${day}日`;
}

/** The slots with their times, and the break before each (the gap after the previous slot), if any. */
export function slotsView(event: Pick<EventLean, 'slots'>) {
  return event.slots.map((slot, index) => {
    const prev = event.slots[index - 1];
    const gap = prev && new Date(slot.start).getTime() > new Date(prev.end).getTime();
    return {
      index,
      number: index + 1,
      time: slotTime(slot),
      breakBefore: gap ? slotTime({ start: prev.end, end: slot.start }) : '',
    };
  });
}

export function eventView(event: EventLean) {
  const first = event.slots[0];
  const last = event.slots[event.slots.length - 1];
  return {
    id: String(event._id),
    title: event.title,
    theme: event.theme ?? '',
    fieldName: event.field ? fieldName(event.field) : '',
    venue: event.venue ?? '',
    description: event.description ?? '',
    phase: event.phase,
    phaseName: phaseNames[event.phase] ?? event.phase,
    day: first ? dayLabel(first.start) : '',
    hours: first && last ? slotTime({ start: first.start, end: last.end }) : '',
    tables: event.tables,
    slotCount: event.slots.length,
    registrationDeadline: event.registrationDeadline,
    preferenceDeadline: event.preferenceDeadline,
    published: event.phase === 'published' || event.phase === 'finished',
    finished: event.phase === 'finished',
    /** Bumped by every change to the meetings: the live agenda (public/js/agenda-live.js) watches it. */
    revision: event.revision ?? 0,
  };
}

export function participantView(p: ParticipantLean) {
  return {
    id: String(p._id),
    kind: p.kind,
    kindName: kindNames[p.kind] ?? p.kind,
    name: p.name,
    status: p.status,
    statusName: participantStatusNames[p.status] ?? p.status,
    rejectReason: p.rejectReason ?? '',
    representatives: p.representatives ?? 1,
    unavailable: (p.unavailableSlots ?? []).map((s) => s + 1).join('、'),
    demandCount: (p.demands ?? []).length,
    checkIn: p.checkIn ?? '',
    checkInName: p.checkIn === 'arrived' ? '已到场' : p.checkIn === 'no_show' ? '未到场' : '',
    contactName: p.contactName ?? '',
    contactPhone: p.contactPhone ?? '',
    isVendor: p.kind === 'vendor',
    approved: p.status === 'approved',
  };
}

/** Phases in order with the current one marked (for the phase strip). */
export function phaseSteps(phase: string) {
  const at = phaseOrder.indexOf(phase as EventPhase);
  return phaseOrder.map((p, i) => ({ name: phaseNames[p], current: i === at, done: i < at }));
}

/** A service's 4xx as a message for the page (404 and 5xx propagate: error page / logged). */
export function messageOf(err: unknown, keep404 = false): { status: number; message: string; details: Record<string, string> } {
  if (!(err instanceof AppError) || err.statusCode >= 500 || (err.statusCode === 404 && !keep404)) throw err;
  const details: Record<string, string> = {};
  for (const d of err.details ?? []) details[d.path] = d.message;
  return { status: err.statusCode, message: err.message, details };
}

