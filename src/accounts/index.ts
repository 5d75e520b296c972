import type { FastifyPluginAsync } from 'fastify';
import { loginLimit } from './login-limit.js';
import { accountPages } from './pages.js';
import { accountRoutes } from './routes.js';
import { accountService } from './service.js';

const accounts: FastifyPluginAsync = async (app) => {
  const { config, models } = app;
  const service = accountService(models, { defaultDays: config.API_TOKEN_DAYS, maxDays: config.API_TOKEN_MAX_DAYS }, app.clock);
  const limit = loginLimit(models.RateLimit, config.LOGIN_ACCOUNT_RATE_LIMIT, config.LOGIN_ACCOUNT_WINDOW_MINUTES);
  // Tokens made before tokens expired get the longest lifetime, counted from their creation (idempotent).
  const legacy = await models.ApiToken.find({ expiresAt: null, revokedAt: null }, 'createdAt').limit(10_000).lean();
  if (legacy.length) {
    await models.ApiToken.bulkWrite(legacy.map((t) => ({
      updateOne: { filter: { _id: t._id, expiresAt: null }, update: { $set: { expiresAt: new Date(t.createdAt.getTime() + config.API_TOKEN_MAX_DAYS * 86_400_000) } } },
    })));
  }
  await app.register(accountRoutes(service, limit));
  await app.register(accountPages(service, limit));
};
export default accounts;
