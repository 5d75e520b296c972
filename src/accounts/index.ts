/**
 * Accounts: users, logins, sessions, API tokens and access control. Other modules use the public face below:
 * who is calling (`requireUser`, `isStaff`, `actorOf`), the roles and their names, and the shared schemas.
 */
// Pure pieces first: other modules compose these at load time.
export { roleNames, roles, type Role } from './model.js';
export { CreateUserBody, Email, ObjectIdParam, Password } from './schemas.js';
export {
  STAFF_ROLES, actorOf, isStaff, requireUser, type Access, type CurrentUser,
} from './access.js';
export { accountService, hashPassword } from './service.js';
export { MongoSessionStore } from './session-store.js';
export { mongoRateLimitStore } from './rate-limit-store.js';
export { default as accessControl } from './access.js';
import fp from 'fastify-plugin';
import { loginLimit } from './login-limit.js';
import { accountPages } from './pages.js';
import { accountRoutes } from './routes.js';
import { accountService } from './service.js';

export default fp(async (app) => {
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
}, { name: 'accounts', dependencies: ['access'] });
