/**
 * 企业调研 (survey visits) and 现场考察 (site visits) beside the 对接会: `app.visits` (visits and their
 * route, registrations with approval, check-in codes, outcomes per stop, suggestions), the JSON API under
 * /api/v1/visits and the pages under /visits and /organizer/visits.
 */
export { checkRoute, DEFAULT_TRAVEL_MINUTES, hhmm, parseHhmm, type RouteProblem, type RouteStop } from './route.js';
export { seedSampleVisits } from './seed.js';
export { kindNames as visitKindNames, phaseNames as visitPhaseNames, outcomeNames as visitOutcomeNames } from './schemas.js';
import fp from 'fastify-plugin';
import { platformDeps } from '../infra/deps.js';
import { createVisitService, type VisitService } from './service.js';
import visitRoutes from './routes.js';
import visitPages from './pages.js';
import visitDay from './day.js';
import attendanceRoutes from './attendance-routes.js';

declare module 'fastify' { interface FastifyInstance { visits: VisitService } }

export default fp(async (app) => {
  app.decorate('visits', createVisitService({
    ...platformDeps(app),
    followUps: () => app.followUps,
    matching: () => app.matching,
    notify: (event, options) => app.notify(event, options),
    orgFor: (user, buyer, session) => app.demands.orgFor(user, buyer, session),
    defaultTravelMinutes: app.config.VISIT_TRAVEL_MINUTES,
  }));
  await app.register(visitRoutes);
  await app.register(visitPages);
  await app.register(visitDay);
  await app.register(attendanceRoutes);
}, { name: 'visits', dependencies: ['buyers', 'matching', 'notifications', 'followups', 'demands'] });
