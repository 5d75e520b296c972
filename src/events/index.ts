/**
 * Matchmaking events (供需对接会): `app.events` (events, registrations, wishes, suggestions),
 * `app.eventMeetings` (the schedule, manual moves, publishing, check-in, outcomes), the JSON API and pages.
 */
export { CheckInCodeInput, ReviewInput, phaseNames } from './schemas.js';
export { seedSampleEvent } from './seed.js';
// Check-in codes, shared with 企业调研/现场考察 (src/visits).
export { checkInDesk } from './checkin-desk.js';
export { checkInFlash, formatCode, holderOfCode, markArrived, newCheckInCode, normalizeCode, qrDataUrl } from './checkin.js';
// Badges (名牌) and their A4 sheets, shared with 企业调研/现场考察.
export { badgeSheets, type BadgeInput } from './badges.js';
export { checkInLists } from './day-view.js';
import fp from 'fastify-plugin';
import { eventDeps } from './deps.js';
import { createEventService, type EventService } from './service.js';
import { createMeetingService, type MeetingService } from './meetings.js';
import { createMeetingRequests, type MeetingRequestService } from './on-the-spot.js';
import eventRoutes from './routes.js';
import onTheSpotRoutes from './routes-on-the-spot.js';
import eventPages from './pages.js';

declare module 'fastify' {
  interface FastifyInstance {
    events: EventService;
    eventMeetings: MeetingService;
    /** 现场约谈: on-the-day requests for an extra meeting. */
    meetingRequests: MeetingRequestService;
  }
}

export default fp(async (app) => {
  const deps = eventDeps(app);
  app.decorate('events', createEventService(deps));
  app.decorate('eventMeetings', createMeetingService(deps));
  app.decorate('meetingRequests', createMeetingRequests(deps));
  await app.register(eventRoutes);
  await app.register(onTheSpotRoutes);
  await app.register(eventPages);
}, { name: 'events', dependencies: ['buyers', 'demands', 'matching', 'notifications', 'followups'] });
