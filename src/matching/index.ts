/**
 * Matching: finds the right local suppliers for a demand, and the open demands for a supplier, and says
 * why. `app.matching` (matchDemand, matchDemandById, opportunitiesFor) plus the JSON API.
 */
import fp from 'fastify-plugin';
import { platformDeps } from '../infra/deps.js';
import { productsIndexName } from '../search/index.js';
import { createMatchingService, type MatchingService } from './service.js';
import { weightsFrom } from './weights.js';
import routes from './routes.js';

export type { DemandLike, MatchOptions, MatchingService, Opportunity } from './service.js';
export type { MatchResult, Reason } from './types.js';

declare module 'fastify' { interface FastifyInstance { matching: MatchingService } }

export default fp(async (app) => {
  app.decorate('matching', createMatchingService({
    ...platformDeps(app),
    meili: app.searchServers,
    indexUid: productsIndexName(app.config.MEILI_INDEX_PREFIX),
    policy: { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS },
    // A bad MATCH_WEIGHTS stops the start with a message naming the variable.
    weights: weightsFrom(app.config.MATCH_WEIGHTS),
    buyers: app.buyers,
  }));
  await app.register(routes);
}, { name: 'matching', dependencies: ['buyers'] });
