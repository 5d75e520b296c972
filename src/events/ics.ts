/**
 * A participant's agenda as an iCalendar file (RFC 5545), written by ical-generator. Each meeting keeps
 * a stable UID, so importing a newer agenda updates the calendar entries instead of duplicating them.
 */
import ical from 'ical-generator';

export interface AgendaEntry {
  meetingId: string;
  start: Date;
  end: Date;
  table: number;
  counterpart: string;
  /** 供应商 or 采购方. */
  counterpartKind: string;
  updatedAt: Date;
}

export function agendaCalendar(input: { eventTitle: string; venue: string; participant: string; link: string; entries: AgendaEntry[]; host: string }): string {
  const calendar = ical({ name: `${input.eventTitle} · ${input.participant}`, prodId: { company: 'binjiang-gongxu', product: 'gongxu-duijie', language: 'ZH' } });
  for (const e of input.entries) {
    calendar.createEvent({
      id: `${e.meetingId}@${input.host}`,
      start: e.start,
      end: e.end,
      stamp: e.updatedAt,
      summary: `洽谈：${e.counterpart}（${e.table} 号桌）`,
      location: input.venue ? `${input.venue} ${e.table} 号桌` : `${e.table} 号桌`,
      description: `${input.eventTitle}\n${e.counterpartKind}：${e.counterpart}\n洽谈桌：${e.table} 号\n日程：${input.link}`,
    });
  }
  return calendar.toString();
}
