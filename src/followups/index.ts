/**
 * Follow-up of matches (`app.followUps`, API, the buttons' form post) and the vendor opportunity feed.
 * Follow-ups notify (`app.notify`) and the feed ranks by matching, so both are registered before this.
 */
import fp from 'fastify-plugin';
import { createFollowUpService, type FollowUpService } from './service.js';
import followUpRoutes from './routes.js';
import followUpPages from './pages.js';
import opportunityPages from './opportunities.js';

export { followUpActionsFor, followUpPartial, type FollowUpService, type FollowUpView } from './service.js';
export { signingTakenMessage } from './state.js';

declare module 'fastify' {
  interface FastifyInstance {
    followUps: FollowUpService;
  }
}

export default fp(async (app) => {
  app.decorate('followUps', createFollowUpService({
    conn: app.conn,
    models: app.models,
    FollowUp: app.models.FollowUp,
    clock: app.clock,
    matching: () => app.matching,
    notify: (event, options) => app.notify(event, options),
    log: app.log,
    // The conversations (src/threads) are registered after follow-ups; without them there are no counts.
    messageCounts: () => (app.hasDecorator('threads') ? (pairs) => app.threads.countsForPairs(pairs) : undefined),
  }));
  await app.register(followUpRoutes);
  await app.register(followUpPages);
  await app.register(opportunityPages);
}, { name: 'followups', dependencies: ['matching', 'notifications'] });
