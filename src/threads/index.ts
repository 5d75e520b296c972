/**
 * Conversations between a buyer and a vendor about one demand (对接对话, `app.threads`): the buyer's answer
 * to a vendor's 有意向, contacts shown on mutual interest, messages with a quote attached (PDF/.xlsx by
 * content, GridFS bucket `thread_files`), notices to the other side, organizers' read-only access. A
 * conversation belongs to the follow-up record of its (demand, vendor): follow-ups show its message count.
 */
export { mutualInterest, threadOpen, viewerOf, sniffAttachment, type PairFacts, type Viewer } from './rules.js';
export { threadUrl, type ThreadSummary, type ThreadView } from './service.js';

import fp from 'fastify-plugin';
import { platformDeps } from '../infra/deps.js';
import { createThreadService, type ThreadService } from './service.js';
import { threadRoutes } from './routes.js';

declare module 'fastify' { interface FastifyInstance { threads: ThreadService } }

export default fp(async (app) => {
  app.decorate('threads', createThreadService({
    ...platformDeps(app),
    notify: (event, options) => app.notify(event, options),
    followUps: () => app.followUps,
  }));
  await app.register(threadRoutes(() => app.threads));
}, { name: 'threads', dependencies: ['followups', 'notifications'] });
