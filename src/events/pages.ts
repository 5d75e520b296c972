/**
 * Pages of matchmaking events (server-rendered, no JavaScript needed), one file per page group: the
 * organizer's list and new-event form (pages-organizer-list.ts), an event's control page
 * (pages-control.ts), its grid, table cards and dashboard (pages-grid.ts), the event day — check-in,
 * badges, a table's meetings, the publish preview — (pages-day.ts), 现场约谈 (pages-on-the-spot.ts), and the participants' pages
 * (pages-participant.ts). Routes validate their params, queries and forms with the schemas of forms.ts,
 * call `app.events` / `app.eventMeetings` (every rule lives there) and the read model (read-model.ts),
 * and render the contexts built by the pure view models (control-view.ts, grid-view.ts,
 * participant-view.ts, pages-view.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import organizerListPages from './pages-organizer-list.js';
import controlPages from './pages-control.js';
import gridPages from './pages-grid.js';
import participantPages from './pages-participant.js';
import dayPages from './pages-day.js';
import onTheSpotPages from './pages-on-the-spot.js';

const eventPages: FastifyPluginAsync = async (app) => {
  await app.register(organizerListPages);
  await app.register(controlPages);
  await app.register(gridPages);
  await app.register(participantPages);
  await app.register(dayPages);
  await app.register(onTheSpotPages);
};

export default eventPages;
