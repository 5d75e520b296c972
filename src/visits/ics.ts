/**
 * A participant's itinerary as an iCalendar file (RFC 5545), written by ical-generator as the events'
 * agendas are: one entry per stop with a stable UID, so importing a newer itinerary updates the entries.
 */
import ical from 'ical-generator';
import { formatCode } from '../events/index.js';
import { hhmm } from './route.js';
import { instantOf, type RegistrationLean, type VisitLean } from './service.js';
import { kindNames } from './schemas.js';

export function itineraryCalendar(visit: VisitLean, registration: RegistrationLean, link: string, host: string): string {
  const calendar = ical({ name: `${visit.title} · ${registration.name}`, prodId: { company: 'binjiang-gongxu', product: 'gongxu-duijie', language: 'ZH' } });
  const code = registration.checkInCode ? `\n签到码：${formatCode(registration.checkInCode)}` : '';
  visit.stops.forEach((s, i) => {
    calendar.createEvent({
      id: `visit-${String(visit._id)}-${String(registration._id)}-${i}@${host}`,
      start: instantOf(visit.date, s.start),
      end: instantOf(visit.date, s.end),
      stamp: visit.updatedAt,
      summary: `${kindNames[visit.kind]}第 ${i + 1} 站：${s.vendorName}${s.place ? `（${s.place}）` : ''}`,
      location: s.address,
      description: `${visit.title}\n${hhmm(s.start)}–${hhmm(s.end)} ${s.vendorName}${s.place ? ` · ${s.place}` : ''}\n地址：${s.address}${s.shows ? `\n考察内容：${s.shows}` : ''}${code}\n行程单：${link}`,
    });
  });
  return calendar.toString();
}
