/**
 * The participants' event pages as template contexts (pure: data in, context out): an event with its
 * registration form, the wishes with the platform's suggestions, and the agenda.
 */
import type { CurrentUser } from '../accounts/index.js';
import type { FieldErrors } from '../web/forms.js';
import type { EventPhase } from './model.js';
import { agendaVisible, selfPreferencesOpen, selfRegistrationOpen, staffMayEdit } from './phases.js';
import { eventView, participantView, slotsView } from './pages-view.js';
import { kindNames, levelNames } from './schemas.js';
import { formatCode } from './checkin.js';
import type { EventLean, MeetingLean, ParticipantLean, PreferenceLean, Suggestion } from './service.js';

/** The registration form as typed, when it comes back refused. */
export interface RegistrationValues { representatives: string; contactName: string; contactPhone: string; unavailableSlots: string[]; demands: string[] }

export interface ShowData {
  user: CurrentUser;
  staff: boolean;
  event: EventLean;
  /** The registration shown: the user's own, or the one an organizer edits on its behalf. */
  mine: ParticipantLean | null;
  onBehalf: boolean;
  demands: Array<{ _id: unknown; title: string }>;
  now: Date;
  values?: RegistrationValues;
  errors?: FieldErrors;
}

export function showView({ user, staff, event, mine, onBehalf, demands, now, values, errors }: ShowData) {
  const phase = event.phase as EventPhase;
  const hasOrg = (user.role === 'vendor' && Boolean(user.vendorId)) || (user.role === 'buyer' && Boolean(user.buyerOrgId));
  const canRegister = !mine && selfRegistrationOpen(phase, event, now) && hasOrg;
  const editable = Boolean(mine) && mine!.status !== 'rejected' && mine!.status !== 'withdrawn';
  const canUpdate = editable && (onBehalf ? staffMayEdit(phase) : selfPreferencesOpen(phase, event, now));
  const unavailable = new Set(values?.unavailableSlots.map(Number) ?? mine?.unavailableSlots ?? []);
  const chosenDemands = new Set(values?.demands ?? (mine?.demands ?? []).map(String));
  const id = String(event._id);
  return {
    title: event.title,
    event: eventView(event),
    slots: slotsView(event).map((s) => ({ ...s, unavailable: unavailable.has(s.index) })),
    staff,
    onBehalf,
    pq: onBehalf ? `?p=${String(mine!._id)}` : '',
    isVendor: onBehalf ? mine!.kind === 'vendor' : user.role === 'vendor',
    isBuyer: onBehalf ? mine!.kind === 'buyer' : user.role === 'buyer',
    noOrg: (user.role === 'vendor' && !user.vendorId) || (user.role === 'buyer' && !user.buyerOrgId),
    mine: mine ? participantView(mine) : null,
    canRegister,
    regForm: canRegister
      ? { heading: '报名参会', action: `/events/${id}/register`, button: '提交报名' }
      : canUpdate ? { heading: onBehalf ? `修改报名信息（代 ${mine!.name}）` : '修改报名信息', action: `/events/${id}/participants/${String(mine!._id)}/update`, button: '保存' } : null,
    canWithdraw: Boolean(mine) && (mine!.status === 'pending' || mine!.status === 'approved') && staffMayEdit(phase),
    registrationOpen: selfRegistrationOpen(phase, event, now),
    preferencesOpen: selfPreferencesOpen(phase, event, now),
    agendaOut: agendaVisible(phase),
    demandOptions: demands.map((d) => ({ id: String(d._id), title: d.title, checked: chosenDemands.has(String(d._id)) })),
    values: {
      representatives: values?.representatives ?? String(mine?.representatives ?? 1),
      contactName: values?.contactName ?? mine?.contactName ?? '',
      contactPhone: values?.contactPhone ?? mine?.contactPhone ?? '',
    },
    errors: errors ?? {},
  };
}

/** A wish refused: which row it was about and why. */
export interface WishError { to: string; message: string }

/** The suggestions as the wishes page lists them. */
/** The platform's suggestions less the participants already wished for or vetoed (they are in the list below). */
export const suggestionRows = (suggestions: Suggestion[]) => suggestions.filter((s) => !s.level).map((s) => ({
  to: s.to, name: s.name, percent: Math.round(s.score * 100), demand: s.demand.title,
  reasons: s.reasons.filter((r) => r.text).map((r) => r.text), products: s.products.map((x) => `${x.name}${x.model ? `（${x.model}）` : ''}`),
}));

/** One row per participant of the other side: the wish set for it, the one it set (vetoes are private). */
export function wishRows(me: ParticipantLean, participants: ParticipantLean[], wishes: PreferenceLean[], error?: WishError, typed: Record<string, string> = {}) {
  const mineTo = new Map(wishes.filter((w) => String(w.from) === String(me._id)).map((w) => [String(w.to), w]));
  const theirs = new Map(wishes.filter((w) => String(w.to) === String(me._id) && w.level !== 'no').map((w) => [String(w.from), w.level]));
  return participants.filter((p) => p.kind !== me.kind && p.status === 'approved').map((o) => {
    const id = String(o._id);
    const level = mineTo.get(id)?.level ?? '';
    // A refused save shows the choices as they were made.
    const shown = typed[id] === undefined ? level : typed[id] === 'none' ? '' : typed[id];
    return {
      id, name: o.name, level, levelName: level ? levelNames[level] : '未设置',
      fromSuggestion: mineTo.get(id)?.source === 'suggestion',
      theirLevel: theirs.get(id) ? levelNames[theirs.get(id)!] : '',
      options: ['must', 'want', 'no'].map((l) => ({ code: l, name: levelNames[l], checked: l === shown })),
      none: !shown,
      error: error?.to === id ? error.message : '',
    };
  });
}

/**
 * What saving the whole wish list changes: the wishes to set (new or another level) and the ones to clear,
 * leaving alone the rows whose choice is what is saved. `levels` maps a participant to must/want/no/none.
 */
export function wishChanges(me: ParticipantLean, wishes: PreferenceLean[], levels: Record<string, string>) {
  const mine = new Map(wishes.filter((w) => String(w.from) === String(me._id)).map((w) => [String(w.to), w.level as string]));
  const set: Array<{ to: string; level: 'must' | 'want' | 'no' }> = [];
  const clear: string[] = [];
  for (const [to, level] of Object.entries(levels)) {
    const now = mine.get(to);
    if (level === 'none') {
      if (now) clear.push(to);
    } else if (level !== now) {
      set.push({ to, level: level as 'must' | 'want' | 'no' });
    }
  }
  return { set, clear };
}

/** "已保存意向：必须见 1 家、希望见 2 家，撤销 1 家。", or that nothing changed. */
export function wishChangesMessage(changes: ReturnType<typeof wishChanges>) {
  if (!changes.set.length && !changes.clear.length) return '意向没有变化。';
  const parts = (['must', 'want', 'no'] as const)
    .map((l) => [l, changes.set.filter((c) => c.level === l).length] as const)
    .filter(([, n]) => n > 0)
    .map(([l, n]) => `${levelNames[l]} ${n} 家`);
  if (changes.clear.length) parts.push(`撤销 ${changes.clear.length} 家`);
  return `已保存意向：${parts.join('、')}。`;
}

/**
 * A participant's agenda: time, table and counterpart of each meeting (its organization, contact person
 * and the demand the meeting is about, when known), and the participant's check-in QR (`qr`, a data URL).
 */
export function agendaView(
  agenda: {
    event: EventLean; participant: ParticipantLean; published: boolean; checkInCode?: string;
    meetings: Array<{ meeting: MeetingLean; counterpart?: ParticipantLean; demand?: { id: string; title: string } }>;
  },
  staff: boolean,
  qr = '',
) {
  const slots = slotsView(agenda.event);
  const id = String(agenda.event._id);
  return {
    title: `洽谈日程 · ${agenda.participant.name}`,
    event: eventView(agenda.event),
    participant: participantView(agenda.participant),
    staff,
    published: agenda.published,
    show: agenda.published || staff,
    printable: true,
    icsUrl: `/api/v1/events/${id}/participants/${String(agenda.participant._id)}/agenda.ics`,
    // The check-in QR only once the participant may see its agenda (organizers: always).
    checkIn: agenda.checkInCode && (agenda.published || staff) ? { qr, code: formatCode(agenda.checkInCode) } : null,
    meetings: agenda.meetings.map(({ meeting, counterpart, demand }) => ({
      slot: meeting.slot + 1,
      time: slots[meeting.slot]?.time ?? '',
      table: meeting.table,
      counterpart: counterpart?.name ?? '',
      counterpartKind: counterpart ? kindNames[counterpart.kind] : '',
      contactName: counterpart?.contactName ?? '',
      contactPhone: counterpart?.contactPhone ?? '',
      demand: demand?.title ?? '',
      outcome: meeting.outcome ?? '',
    })),
  };
}

const requestStatusNames: Record<string, string> = { open: '待安排', placed: '已安排（见上方日程）', declined: '未能安排' };

/** The agenda page's 现场约谈 section: whom to ask, and the requests so far with their state. */
export function spotView(spot: { candidates: Array<{ id: string; name: string }>; requests: Array<{ request: { status?: string | null; reason?: string | null; createdAt: Date }; counterpart: string }> }) {
  return {
    candidates: spot.candidates,
    requests: spot.requests.map(({ request, counterpart }) => ({
      counterpart,
      status: requestStatusNames[request.status ?? 'open'] ?? '',
      declined: request.status === 'declined',
      reason: request.reason ?? '',
      at: request.createdAt,
    })),
  };
}
