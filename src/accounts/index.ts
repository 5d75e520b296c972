import type { FastifyPluginAsync } from 'fastify';
import { accountPages } from './pages.js';
import { accountRoutes } from './routes.js';
import { accountService } from './service.js';

const accounts: FastifyPluginAsync = async (app) => {
  const service = accountService(app.models);
  await app.register(accountRoutes(service));
  await app.register(accountPages(service));
};
export default accounts;
