/**
 * The event day's pages as template contexts (pure: data in, context out): the check-in page, the badges,
 * a table's meetings, and the publish preview.
 */
import type { News, PlainMeeting } from './announce.js';
import { badgeSheets, BADGES_PER_SHEET } from './badges.js';
import { eventView, slotsView } from './pages-view.js';
import { kindNames, outcomeNames } from './schemas.js';
import type { EventLean, MeetingLean, ParticipantLean } from './service.js';

interface CheckInHolder { name: string; checkIn?: string | null; checkInAt?: Date | null }

/**
 * The lists a check-in page shows (对接会 and 企业调研/现场考察 alike): who arrived (latest first), who is
 * still expected (by name), their counts, and the typed-code form's state.
 */
export function checkInLists<T extends CheckInHolder, R>(approved: T[], row: (holder: T) => R, state: { error?: string; code?: string } = {}) {
  const arrived = approved.filter((h) => h.checkIn === 'arrived')
    .sort((a, b) => new Date(b.checkInAt ?? 0).getTime() - new Date(a.checkInAt ?? 0).getTime());
  const waiting = approved.filter((h) => h.checkIn !== 'arrived').sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  return {
    arrivedCount: arrived.length,
    expected: approved.length,
    arrived: arrived.map(row),
    waiting: waiting.map(row),
    error: state.error ?? '',
    code: state.code ?? '',
  };
}

/** The organizer's check-in page: counts, who arrived (latest first) and who is still expected. */
export function checkInView(event: EventLean, participants: ParticipantLean[], state: { error?: string; code?: string; status?: number } = {}) {
  const row = (p: ParticipantLean) => ({ id: String(p._id), name: p.name, kindName: kindNames[p.kind] ?? '', contactName: p.contactName ?? '', at: p.checkInAt ?? null, noShow: p.checkIn === 'no_show' });
  return {
    title: `扫码签到 · ${event.title}`,
    event: eventView(event),
    open: event.phase === 'published',
    ...checkInLists(participants.filter((p) => p.status === 'approved'), row, state),
  };
}

export function badgesView(event: EventLean, badges: Array<{ participant: ParticipantLean; code: string; qr: string }>, perSheet = BADGES_PER_SHEET) {
  const { sheets, count } = badgeSheets(badges.map(({ participant: p, code, qr }) => ({
    heading: event.title, person: p.contactName ?? '', organization: p.name, kind: p.kind, role: kindNames[p.kind] ?? '', code, qr,
  })), perSheet);
  return { title: `名牌 · ${event.title}`, event: eventView(event), sheets, count, printable: true };
}

/** The meetings at one table, slot by slot (the page the table card's QR opens). */
export function tableView(event: EventLean, table: number, meetings: MeetingLean[], names: Map<string, ParticipantLean>) {
  const at = new Map(meetings.filter((m) => m.table === table).map((m) => [m.slot, m]));
  return {
    title: `${table} 号桌 · ${event.title}`,
    event: eventView(event),
    table,
    slots: slotsView(event).map((s) => {
      const m = at.get(s.index);
      const buyer = m ? names.get(String(m.buyer)) : undefined;
      const vendor = m ? names.get(String(m.vendor)) : undefined;
      return {
        ...s,
        meeting: m ? {
          id: String(m._id),
          buyer: buyer?.name ?? '', buyerArrived: buyer?.checkIn === 'arrived',
          vendor: vendor?.name ?? '', vendorArrived: vendor?.checkIn === 'arrived',
          outcome: m.outcome ? outcomeNames[m.outcome] ?? '' : '',
        } : null,
      };
    }),
  };
}

/** The publish preview: per participant what it will be told. */
export function publishPreviewView(
  event: EventLean,
  preview: { participants: Array<{ participant: ParticipantLean; news: News }>; names: Map<string, ParticipantLean>; meetings: number; firstPublication: boolean },
  state: { error?: string; status?: number } = {},
) {
  const slots = slotsView(event);
  const where = (m: PlainMeeting) => `第 ${m.slot + 1} 时段 ${slots[m.slot]?.time ?? ''} · ${m.table} 号桌`;
  const other = (me: ParticipantLean, m: PlainMeeting) => preview.names.get(me.kind === 'buyer' ? m.vendor : m.buyer)?.name ?? '';
  const publishing = event.phase === 'scheduling';
  return {
    title: `${publishing ? '发布日程' : '通知日程变动'} · ${event.title}`,
    event: eventView(event),
    publishing,
    announcing: event.phase === 'published',
    revision: event.revision ?? 0,
    meetings: preview.meetings,
    firstPublication: preview.firstPublication,
    told: preview.participants.length,
    error: state.error ?? '',
    participants: preview.participants.map(({ participant: p, news }) => ({
      id: String(p._id),
      name: p.name,
      kindName: kindNames[p.kind] ?? '',
      added: news.added.map((m) => ({ counterpart: other(p, m), where: where(m) })),
      moved: news.moved.map((x) => ({ counterpart: other(p, x.to), from: where(x.from), to: where(x.to) })),
      cancelled: news.cancelled.map((m) => ({ counterpart: other(p, m), where: where(m) })),
    })),
  };
}
