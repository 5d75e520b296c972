/** The upcoming public events on the home page, from the events capability's public face (pure shaping). */
import { phaseNames } from '../events/index.js';

export interface EventSummary {
  _id: unknown;
  title: string;
  theme?: string | null;
  venue?: string | null;
  phase: string;
  slots: ReadonlyArray<{ start: Date; end: Date }>;
}

/** Events not yet over and not drafts, soonest first, at most `limit` (pure). */
export function upcomingEvents(events: readonly EventSummary[], now: Date, limit = 3) {
  return events
    .filter((e) => e.phase !== 'draft' && e.phase !== 'finished' && e.slots.length > 0)
    .filter((e) => new Date(e.slots[e.slots.length - 1].end).getTime() >= now.getTime())
    .sort((a, b) => new Date(a.slots[0].start).getTime() - new Date(b.slots[0].start).getTime())
    .slice(0, limit)
    .map((e) => ({
      id: String(e._id),
      title: e.title,
      theme: e.theme ?? '',
      venue: e.venue ?? '',
      start: e.slots[0].start,
      phaseName: phaseNames[e.phase] ?? e.phase,
      url: `/events/${String(e._id)}`,
    }));
}
