/**
 * Pages of matchmaking events (server-rendered, no JavaScript needed): the organizer's pages
 * (pages-organizer.ts: list, create, control page, grid, table cards, dashboard) and the participants'
 * pages (pages-participant.ts: events, registration, wishes, agenda). Both call `app.events` and
 * `app.eventMeetings` only: every rule lives in the services. Shared view helpers are in pages-view.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import organizerPages from './pages-organizer.js';
import participantPages from './pages-participant.js';

const eventPages: FastifyPluginAsync = async (app) => {
  await app.register(organizerPages);
  await app.register(participantPages);
};

export default eventPages;
