/**
 * Follow-up of matches (`app.followUps`, API, the buttons' form post) and the vendor opportunity feed.
 * Follow-ups notify (`app.notify`) and the feed ranks by matching, so both are registered before this.
 */
import fp from 'fastify-plugin';
import { platformDeps } from '../infra/deps.js';
import { createFollowUpService, type FollowUpService } from './service.js';
import followUpRoutes from './routes.js';
import followUpPages from './pages.js';
import opportunityPages from './opportunities.js';

export { followUpActionsFor, followUpPartial, type FollowUpService, type FollowUpView } from './service.js';
export { chinaMonth, signingTakenMessage, stageOf } from './state.js';
export { rebuildDemandFunnels, rebuildStages, rebuildStepMonths } from './report-aggregates.js';

declare module 'fastify' { interface FastifyInstance { followUps: FollowUpService } }

export default fp(async (app) => {
  app.decorate('followUps', createFollowUpService({
    ...platformDeps(app),
    FollowUp: app.models.FollowUp,
    matching: () => app.matching,
    notify: (event, options) => app.notify(event, options),
    // The conversations (src/threads) depend on follow-ups, so they register after; counts are asked per request.
    messageCounts: (pairs) => app.threads.countsForPairs(pairs),
  }));
  await app.register(followUpRoutes);
  await app.register(followUpPages);
  await app.register(opportunityPages);
}, { name: 'followups', dependencies: ['matching', 'notifications'] });
