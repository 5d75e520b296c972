/**
 * The organizer's control page of an event as a template context (pure: data in, context out): the
 * phase strip, the participants with their buttons, the wishes by pair, and the last schedule run in words.
 */
import { buyerLevelNames, buyerLevels, buyerTypeNames, buyerTypes } from '../buyers/index.js';
import { requiredFields, type FieldErrors } from '../web/forms.js';
import { BuyerRegistrationForm } from './forms.js';
import type { EventPhase } from './model.js';
import { canCheckIn, canSchedule, canTransition } from './phases.js';
import { removalReasonNames, unscheduledReasonNames } from './schedule-changes.js';
import { eventView, participantView, phaseOrder, phaseSteps, slotTime } from './pages-view.js';
import { stillUnplaced } from './read-model.js';
import { levelNames, phaseNames } from './schemas.js';
import type { EventLean, ParticipantLean, PreferenceLean } from './service.js';

const nextLabels: Record<string, string> = {
  registration: '开始报名', preferences: '进入意向征集', scheduling: '进入排期', published: '发布日程', finished: '结束对接会',
};

/** A refused action of the page: which form, its errors and what was typed. */
export interface ControlState {
  form?: string;
  errors?: FieldErrors;
  values?: Record<string, string>;
  status?: number;
}

export interface ControlData {
  event: EventLean;
  participants: ParticipantLean[];
  wishes: Array<Pick<PreferenceLean, 'from' | 'to' | 'level'>>;
  /** The saved meetings' pairs. */
  meetings: Array<{ buyer: unknown; vendor: unknown }>;
  search: { vq: string; bq: string; vendorResults: unknown[] | null; buyerResults: unknown[] | null };
  state?: ControlState;
}

/** Wishes, one row per buyer × vendor pair with each side's level, sorted by names. */
export function wishRowsOf(wishes: ControlData['wishes'], byId: Map<string, ParticipantLean>) {
  const nameOf = (pid: unknown) => byId.get(String(pid))?.name ?? '（已删除）';
  const pairs = new Map<string, { buyer: string; vendor: string; buyerLevel?: string; vendorLevel?: string }>();
  for (const w of wishes) {
    const from = byId.get(String(w.from));
    if (!from) continue;
    const buyer = from.kind === 'buyer' ? String(w.from) : String(w.to);
    const vendor = from.kind === 'buyer' ? String(w.to) : String(w.from);
    const key = `${buyer}|${vendor}`;
    const row = pairs.get(key) ?? { buyer, vendor };
    if (from.kind === 'buyer') row.buyerLevel = w.level;
    else row.vendorLevel = w.level;
    pairs.set(key, row);
  }
  return [...pairs.values()]
    .map((r) => ({
      buyer: nameOf(r.buyer), vendor: nameOf(r.vendor),
      buyerLevel: r.buyerLevel ? levelNames[r.buyerLevel] : '—', vendorLevel: r.vendorLevel ? levelNames[r.vendorLevel] : '—',
      veto: r.buyerLevel === 'no' || r.vendorLevel === 'no',
    }))
    .sort((a, b) => a.buyer.localeCompare(b.buyer, 'zh-CN') || a.vendor.localeCompare(b.vendor, 'zh-CN'));
}

type Plain = { buyer: string; vendor: string; slot: number; table: number };
type SavedChanges = { kept: Plain[]; moved: Array<{ from: Plain; to: Plain; reason?: string }>; removed: Array<{ meeting: Plain; reason: string }>; added: Plain[] };

/** The last schedule run in words: what changed and what could not be placed (and still is not). */
export function lastRunView(event: EventLean, byId: Map<string, ParticipantLean>, meetings: ControlData['meetings']) {
  const run = event.lastRun;
  if (!run) return null;
  const nameOf = (pid: unknown) => byId.get(String(pid))?.name ?? '（已删除）';
  const slotLabel = (s: number) => (event.slots[s] ? `第 ${s + 1} 时段（${slotTime(event.slots[s])}）` : `第 ${s + 1} 时段`);
  const where = (m: { slot: number; table: number }) => `${slotLabel(m.slot)} ${m.table} 号桌`;
  const pair = (m: { buyer?: unknown; vendor?: unknown }) => `${nameOf(m.buyer)} × ${nameOf(m.vendor)}`;
  const changes = (run.changes ?? null) as SavedChanges | null;
  return {
    at: run.at, by: run.by?.name ?? '', allowMoves: Boolean(run.allowMoves),
    kept: changes?.kept.length ?? 0, addedCount: changes?.added.length ?? 0, movedCount: changes?.moved.length ?? 0, removedCount: changes?.removed.length ?? 0,
    moved: (changes?.moved ?? []).map((m) => ({ pair: pair(m.from), from: where(m.from), to: where(m.to), reason: m.reason ? removalReasonNames[m.reason] ?? m.reason : '' })),
    removed: (changes?.removed ?? []).map((r) => ({ pair: pair(r.meeting), where: where(r.meeting), reason: removalReasonNames[r.reason] ?? r.reason })),
    added: (changes?.added ?? []).map((m) => ({ pair: pair(m), where: where(m) })),
    unscheduled: stillUnplaced(run.unscheduled ?? [], meetings)
      .sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0))
      .map((u) => ({ pair: pair(u), reason: unscheduledReasonNames[u.reason as keyof typeof unscheduledReasonNames] ?? u.reason ?? '' })),
    stats: run.stats as Record<string, number> | undefined,
  };
}

export function controlView({ event, participants, wishes, meetings, search, state = {} }: ControlData) {
  const phase = event.phase as EventPhase;
  const at = phaseOrder.indexOf(phase);
  const next = phaseOrder[at + 1];
  const prev = phaseOrder[at - 1];
  const byId = new Map(participants.map((p) => [String(p._id), p]));
  const checkIn = canCheckIn(phase);
  const open = phase !== 'finished';
  return {
    title: event.title,
    event: eventView(event),
    steps: phaseSteps(phase),
    next: next && canTransition(phase, next) ? { to: next, label: nextLabels[next] ?? phaseNames[next] } : null,
    prev: prev && canTransition(phase, prev) ? { to: prev, label: `退回到“${phaseNames[prev]}”` } : null,
    participants: participants.map((p) => ({
      ...participantView(p),
      canApprove: p.status !== 'approved' && p.status !== 'withdrawn' && open,
      canReject: p.status !== 'rejected' && p.status !== 'withdrawn' && open,
      checkInButtons: checkIn && p.status === 'approved',
      error: state.form === `review-${String(p._id)}` ? state.errors?._form ?? '' : '',
    })),
    vendorCount: participants.filter((p) => p.kind === 'vendor' && p.status === 'approved').length,
    buyerCount: participants.filter((p) => p.kind === 'buyer' && p.status === 'approved').length,
    pendingCount: participants.filter((p) => p.status === 'pending').length,
    canEdit: open,
    canSchedule: canSchedule(phase),
    meetingCount: meetings.length,
    ...search,
    typeOptions: buyerTypes.map((t) => ({ code: t, name: buyerTypeNames[t], selected: t === (state.values?.['buyer.type'] ?? 'agency') })),
    levelOptions: buyerLevels.map((l) => ({ code: l, name: buyerLevelNames[l], selected: l === (state.values?.['buyer.level'] ?? 'district') })),
    wishRows: wishRowsOf(wishes, byId),
    levelCounts: ['must', 'want', 'no'].map((l) => ({ name: levelNames[l], n: wishes.filter((w) => w.level === l).length })),
    wishTotal: wishes.length,
    lastRun: lastRunView(event, byId, meetings),
    form: state.form ?? '',
    errors: state.errors ?? {},
    values: { 'buyer.province': '浙江省', 'buyer.city': '杭州市', ...(state.values ?? {}) },
    /** The new buyer form's * marks, from its schema. */
    required: requiredFields(BuyerRegistrationForm),
  };
}
