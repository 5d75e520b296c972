/**
 * Buyer organizations (采购单位): `app.buyers` finds, resolves (find or create by name) and searches them.
 * Demands, events, matching and notifications reach organizations only through this module.
 */
// Pure pieces first: other modules' schemas compose BuyerInput at load time.
export { buyerLevels, buyerTypes, type BuyerOrg } from './model.js';
export { BuyerInput, buyerLevelNames, buyerTypeNames } from './schemas.js';
export { createBuyerService, type BuyerRegionFilter, type BuyerService, type OrgDoc } from './service.js';
import fp from 'fastify-plugin';
import { createBuyerService, type BuyerService } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    buyers: BuyerService;
  }
}

export default fp(async (app) => {
  app.decorate('buyers', createBuyerService({ models: app.models }));
}, { name: 'buyers' });
