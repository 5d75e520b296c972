/**
 * The notices that carry a participant's agenda (a schedule published or changed): each participant's
 * company hears of it, with a link to its agenda and the agenda as an .ics attachment.
 */
import type { EventDeps } from './deps.js';
import { kindNames } from './schemas.js';
import { agendaCalendar } from './ics.js';
import type { EventLean, MeetingLean, ParticipantLean } from './service.js';

export function createAgendaNotices({ models, config, notify, events }: Pick<EventDeps, 'models' | 'config' | 'notify' | 'events'>) {
  const { EventMeeting } = models;

  /**
   * The participant's published agenda as an .ics file (the same calendar as the agenda.ics download), attached
   * to the notice so the e-mail channel carries it without reaching into events.
   */
  async function agendaAttachment(event: EventLean, p: ParticipantLean, names: Map<string, ParticipantLean>) {
    const meetings = await EventMeeting.find({ event: event._id, [p.kind]: p._id, published: true }).sort({ slot: 1, table: 1 }).lean<MeetingLean[]>();
    const base = config.PUBLIC_BASE_URL ?? `http://${config.HOST}:${config.PORT}`;
    const content = agendaCalendar({
      eventTitle: event.title,
      venue: event.venue ?? '',
      participant: p.name,
      link: `${base}/events/${String(event._id)}/agenda/${String(p._id)}`,
      host: new URL(base).hostname || 'gongxu.local',
      entries: meetings.filter((m) => event.slots[m.slot]).map((m) => {
        const other = names.get(String(p.kind === 'buyer' ? m.vendor : m.buyer));
        return {
          meetingId: String(m._id), start: event.slots[m.slot].start, end: event.slots[m.slot].end, table: m.table,
          counterpart: other?.name ?? '', counterpartKind: kindNames[other?.kind ?? ''] ?? '', updatedAt: m.updatedAt,
        };
      }),
    });
    return [{ filename: `${p.name.replace(/[\\/\r\n]/g, '_').slice(0, 80)}-洽谈日程.ics`, contentType: 'text/calendar; charset=utf-8', content }];
  }

  /** Tells each participant's company, with a link to its agenda and the agenda .ics (once per participant and event when `dedupe`). */
  return async function tellAboutAgenda(event: EventLean, participants: ParticipantLean[], message: { kind: string; title: string; body: string; dedupe?: boolean }) {
    const names = await events().names(event._id);
    for (const p of participants) {
      await notify({
        attachments: await agendaAttachment(event, p, names),
        kind: message.kind,
        recipients: p.kind === 'vendor' ? { vendorId: String(p.vendor) } : { buyerOrgId: String(p.buyerOrg) },
        title: message.title,
        body: message.body,
        link: `/events/${String(event._id)}/agenda/${String(p._id)}`,
        ...(message.dedupe ? { dedupeKey: `${message.kind}:${String(event._id)}:${String(p._id)}` } : {}),
      });
    }
  };
}
