/**
 * The organizer's grid (slots × tables), the printable table cards and the dashboard as template
 * contexts (pure: data in, context out).
 */
import type { FieldErrors } from '../web/forms.js';
import type { Dashboard, DashboardRow } from './dashboard.js';
import { meetingOutcomes, type EventPhase } from './model.js';
import { canRecordOutcome, canSchedule } from './phases.js';
import { eventView, slotTime, slotsView } from './pages-view.js';
import { fieldLabel, levelLabel } from './report.js';
import { outcomeNames } from './schemas.js';
import type { EventLean, MeetingLean, ParticipantLean, PreferenceLean } from './service.js';

/** A refused grid action: its errors, what was typed, and the meeting it was about (none: the add form). */
export interface GridState { errors?: FieldErrors; status?: number; meetingId?: string; values?: Record<string, string> }

export interface GridData {
  event: EventLean;
  meetings: MeetingLean[];
  names: Map<string, ParticipantLean>;
  /** The meeting opened (?m=), and the titles of its buyer's demands. */
  selectedId?: string;
  demands: Array<{ _id: unknown; title: string }>;
  /** The empty cell clicked (?slot=&table=). */
  cell: { slot?: string; table?: string };
  state?: GridState;
  /** The event's wishes: a meeting is coloured by the strongest wish between its pair. */
  wishes?: PreferenceLean[];
  /** ?p=: show only this participant's meetings. */
  only?: string;
}

/** Why a meeting is on the grid, strongest first: placed by hand, a must, a want, or neither (filled in). */
export type MeetingKind = 'pinned' | 'must' | 'want' | 'other';
/** The legend of the grid's colours; each meeting also carries its short mark, so colour is never the only cue. */
export const meetingKinds: Array<{ kind: MeetingKind; mark: string; label: string }> = [
  { kind: 'pinned', mark: '手工', label: '主办方手工安排' },
  { kind: 'must', mark: '必见', label: '至少一方“必须见”' },
  { kind: 'want', mark: '希望', label: '至少一方“希望见”' },
  { kind: 'other', mark: '补位', label: '双方均未表达意向（系统补位）' },
];

/** The kind of a meeting: hand-placed wins, then the strongest wish either side made about the other. */
export function meetingKind(m: Pick<MeetingLean, 'buyer' | 'vendor' | 'pinned'>, wishes: PreferenceLean[]): MeetingKind {
  if (m.pinned) return 'pinned';
  const pair = new Set([String(m.buyer), String(m.vendor)]);
  const levels = wishes.filter((w) => pair.has(String(w.from)) && pair.has(String(w.to)) && String(w.from) !== String(w.to)).map((w) => w.level);
  if (levels.includes('must')) return 'must';
  if (levels.includes('want')) return 'want';
  return 'other';
}

/** The meeting opened on the grid, if it is one of the saved ones. */
export const chosenMeeting = (meetings: MeetingLean[], selectedId: string | undefined) =>
  selectedId ? meetings.find((m) => String(m._id) === selectedId) : undefined;

/** What a refused form had chosen, else the fallback (the meeting's place, the clicked cell). */
const numberOr = (typed: string | undefined, fallback: number) => (typed ? Number(typed) : fallback);

export function gridView({ event, meetings, names, selectedId, demands, cell: clicked, state = {}, wishes = [], only }: GridData) {
  const phase = event.phase as EventPhase;
  const nameOf = (pid: unknown) => names.get(String(pid))?.name ?? '';
  const kindMark = new Map(meetingKinds.map((k) => [k.kind, k.mark]));
  const filter = only && names.has(only) ? only : '';
  const byCell = new Map(meetings.map((m) => [`${m.slot}|${m.table}`, m]));
  const tables = Array.from({ length: event.tables }, (_, i) => i + 1);
  const slots = slotsView(event);
  const rows = slots.map((s) => ({
    ...s,
    cells: tables.map((table) => {
      const m = byCell.get(`${s.index}|${table}`);
      if (!m) return { id: '', table, slot: s.index };
      const kind = meetingKind(m, wishes);
      return {
        id: String(m._id), buyer: nameOf(m.buyer), vendor: nameOf(m.vendor), table, kind, mark: kindMark.get(kind),
        people: `${String(m.buyer)} ${String(m.vendor)}`, hidden: Boolean(filter) && String(m.buyer) !== filter && String(m.vendor) !== filter,
        outcome: m.outcome ? outcomeNames[m.outcome] : '', selected: String(m._id) === selectedId,
        movable: canSchedule(phase) && !m.outcome,
      };
    }),
  }));
  const chosen = chosenMeeting(meetings, selectedId);
  let selected: Record<string, unknown> | null = null;
  if (chosen) {
    const v = state.values ?? {};
    const slotPick = numberOr(v.slot, chosen.slot);
    const tablePick = numberOr(v.table, chosen.table);
    selected = {
      id: String(chosen._id), buyer: nameOf(chosen.buyer), vendor: nameOf(chosen.vendor), where: `第 ${chosen.slot + 1} 时段（${slots[chosen.slot]?.time ?? ''}）${chosen.table} 号桌`,
      outcome: chosen.outcome ? outcomeNames[chosen.outcome] : '', amountYuan: chosen.amountYuan, locked: Boolean(chosen.outcome),
      slotOptions: slots.map((s) => ({ index: s.index, label: `第 ${s.number} 时段 ${s.time}`, selected: s.index === slotPick })),
      tableOptions: tables.map((t) => ({ n: t, selected: t === tablePick })),
      outcomeOptions: meetingOutcomes.map((o) => ({ code: o, name: outcomeNames[o], selected: o === (v.outcome || chosen.outcome) })),
      demandOptions: demands.map((d) => ({ id: String(d._id), title: d.title, selected: String(d._id) === String(v.demand || chosen.demand || '') })),
      severalDemands: demands.length > 1,
      canOutcome: canRecordOutcome(phase),
    };
  }
  const approved = [...names.values()].filter((p) => p.status === 'approved');
  const forAdd = state.meetingId ? {} : state.values ?? {};
  const addSlot = numberOr(forAdd.slot, Number(clicked.slot ?? NaN));
  const addTable = numberOr(forAdd.table, Number(clicked.table ?? NaN));
  return {
    title: `洽谈安排 · ${event.title}`,
    event: eventView(event),
    tables,
    rows,
    selected,
    selectedMissing: Boolean(selectedId) && !chosen,
    errors: state.errors ?? {},
    addErrors: state.meetingId ? {} : state.errors ?? {},
    editErrors: state.meetingId ? state.errors ?? {} : {},
    canEdit: canSchedule(phase),
    meetingCount: meetings.length,
    legend: meetingKinds,
    filter: {
      active: Boolean(filter),
      name: filter ? nameOf(filter) : '',
      shown: filter ? meetings.filter((m) => String(m.buyer) === filter || String(m.vendor) === filter).length : meetings.length,
      groups: (['buyer', 'vendor'] as const).map((kind) => ({
        label: kind === 'buyer' ? '采购方' : '供应商',
        options: approved.filter((p) => p.kind === kind).map((p) => ({ id: String(p._id), name: p.name, selected: String(p._id) === filter })),
      })),
    },
    add: {
      buyers: approved.filter((p) => p.kind === 'buyer').map((p) => ({ id: String(p._id), name: p.name, selected: String(p._id) === forAdd.buyer })),
      vendors: approved.filter((p) => p.kind === 'vendor').map((p) => ({ id: String(p._id), name: p.name, selected: String(p._id) === forAdd.vendor })),
      slots: slots.map((s) => ({ index: s.index, label: `第 ${s.number} 时段 ${s.time}`, selected: s.index === addSlot })),
      tables: tables.map((t) => ({ n: t, selected: t === addTable })),
      open: Number.isInteger(addSlot) || Boolean(state.errors && !state.meetingId),
    },
  };
}

/** "买方 × 卖方：第 n 时段（09:00–09:20）3 号桌", as the grid's messages name a meeting. */
export const describeMeeting = (event: EventLean, names: Map<string, ParticipantLean>, m: Pick<MeetingLean, 'buyer' | 'vendor' | 'slot' | 'table'>) =>
  `${names.get(String(m.buyer))?.name ?? ''} × ${names.get(String(m.vendor))?.name ?? ''}：第 ${m.slot + 1} 时段（${event.slots[m.slot] ? slotTime(event.slots[m.slot]) : ''}）${m.table} 号桌`;

/** One card per table with who sits there in each slot, and the QR of the table's page (`qrs[table - 1]`, a data URL). */
export function cardsView(event: EventLean, meetings: MeetingLean[], names: Map<string, ParticipantLean>, qrs: string[] = []) {
  const slots = slotsView(event);
  const byTable = new Map<number, MeetingLean[]>();
  for (const m of meetings) byTable.set(m.table, [...(byTable.get(m.table) ?? []), m]);
  const cards = Array.from({ length: event.tables }, (_, i) => i + 1).map((table) => {
    const at = new Map((byTable.get(table) ?? []).map((m) => [m.slot, m]));
    return {
      table,
      qr: qrs[table - 1] ?? '',
      count: at.size,
      slots: slots.map((s) => {
        const m = at.get(s.index);
        return { ...s, buyer: m ? names.get(String(m.buyer))?.name ?? '' : '', vendor: m ? names.get(String(m.vendor))?.name ?? '' : '' };
      }),
    };
  });
  return { title: `桌卡 · ${event.title}`, event: eventView(event), cards, printable: true };
}

/** The dashboard's figures with the rows named (field, buyer level). */
export function dashboardView(event: EventLean, figures: Dashboard) {
  const named = (label: (key: string) => string) => (r: DashboardRow) => ({ ...r, label: label(r.key) });
  return {
    title: `数据看板 · ${event.title}`,
    event: eventView(event),
    total: figures.total,
    byField: figures.byField.map(named(fieldLabel)),
    byLevel: figures.byLevel.map(named(levelLabel)),
    people: figures.participants,
  };
}
