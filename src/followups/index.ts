/**
 * Follow-up of matches (`app.followUps`, API, the buttons' form post), the vendor opportunity feed and,
 * registered first because follow-ups notify, the notifications plugin (`app.notify`, inbox).
 */
import fp from 'fastify-plugin';
import notifications from '../notifications/index.js';
import { followUpModels } from './model.js';
import { createFollowUpService, type FollowUpService } from './service.js';
import followUpRoutes from './routes.js';
import followUpPages from './pages.js';
import opportunityPages from './opportunities.js';

export { followUpActionsFor, followUpPartial, type FollowUpView } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    followUps: FollowUpService;
  }
}

export default fp(async (app) => {
  await app.register(notifications);
  const { FollowUp } = followUpModels(app.conn);
  // The collection must exist before the first transaction writes to it (MongoDB 4.0).
  await FollowUp.init();
  app.decorate('followUps', createFollowUpService({
    conn: app.conn,
    models: app.models,
    FollowUp,
    clock: app.clock,
    matching: () => (app.hasDecorator('matching') ? app.matching : undefined),
    notify: (event, options) => app.notify(event, options),
    log: app.log,
  }));
  await app.register(followUpRoutes);
  await app.register(followUpPages);
  await app.register(opportunityPages);
}, { name: 'followups' });
