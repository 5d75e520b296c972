/**
 * Matchmaking events (供需对接会): `app.events` (events, registrations, wishes, suggestions),
 * `app.eventMeetings` (the schedule, manual moves, publishing, check-in, outcomes), the JSON API and pages.
 */
export { phaseNames } from './schemas.js';
export { seedSampleEvent } from './seed.js';
// Check-in codes, shared with 企业调研/现场考察 (src/visits).
export { formatCode, newCheckInCode, normalizeCode, qrDataUrl } from './checkin.js';
import fp from 'fastify-plugin';
import { eventDeps } from './deps.js';
import { createEventService, type EventService } from './service.js';
import { createMeetingService, type MeetingService } from './meetings.js';
import eventRoutes from './routes.js';
import eventPages from './pages.js';

declare module 'fastify' {
  interface FastifyInstance {
    events: EventService;
    eventMeetings: MeetingService;
  }
}

export default fp(async (app) => {
  const deps = eventDeps(app);
  app.decorate('events', createEventService(deps));
  app.decorate('eventMeetings', createMeetingService(deps));
  await app.register(eventRoutes);
  await app.register(eventPages);
}, { name: 'events', dependencies: ['buyers', 'demands', 'matching', 'notifications', 'followups'] });
