/**
 * Who is calling, and may they? Every route declares `config.access` ('public', 'user', or a list of
 * roles); a route without one fails at start. Authentication comes from a Bearer API token or the session
 * cookie. Form posts on pages need their CSRF token; cookie-authenticated API posts must be JSON, which a
 * cross-site form cannot send.
 */
import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { forbidden, unauthorized, wantsJson } from '../web/errors.js';
import type { Role } from './model.js';

export type Access = 'public' | 'user' | readonly Role[];

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  vendorId?: string;
  buyerOrgId?: string;
}

export interface RouteEntry { method: string; url: string; access: Access }

declare module 'fastify' {
  interface FastifyContextConfig { access?: Access }
  interface FastifyRequest {
    user: CurrentUser | null;
    authVia: 'session' | 'token' | null;
  }
  interface FastifyInstance {
    /** Every route with its declared access: the role × route test walks it. */
    routeTable: RouteEntry[];
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Routes added by well-known plugins (static files, the API docs) are public by nature.
const pluginRoutes = [/^\/public\//, /^\/docs(\/|$)/];

function toCurrentUser(user: { _id: unknown; email: string; name: string; role: Role; vendor?: unknown; buyerOrg?: unknown }): CurrentUser {
  return {
    id: String(user._id),
    email: user.email,
    name: user.name,
    role: user.role,
    vendorId: user.vendor ? String(user.vendor) : undefined,
    buyerOrgId: user.buyerOrg ? String(user.buyerOrg) : undefined,
  };
}

type UserRecord = { _id: unknown; email: string; name: string; role: Role; vendor?: unknown; buyerOrg?: unknown; disabled?: boolean };
interface ApiTokenWithUser { _id: unknown; createdAt: Date; expiresAt?: Date | null; lastUsedAt?: Date | null; owner: UserRecord[] }

export default fp(async (app) => {
  const { User, ApiToken } = app.models;
  app.decorate('routeTable', [] as RouteEntry[]);
  app.decorateRequest('user', null);
  app.decorateRequest('authVia', null);

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const now = app.clock();
      // The token and its user in one round trip: this runs before every API call made with a token.
      const [token] = await ApiToken.aggregate<ApiTokenWithUser>([
        { $match: { tokenHash: hashToken(header.slice(7).trim()), revokedAt: null } },
        { $limit: 1 },
        { $lookup: { from: User.collection.collectionName, localField: 'user', foreignField: '_id', as: 'owner' } },
      ]);
      const expiresAt = token && (token.expiresAt ?? new Date(token.createdAt.getTime() + app.config.API_TOKEN_MAX_DAYS * 86_400_000));
      if (token && expiresAt && expiresAt <= now) throw unauthorized('API 令牌已过期，请在“我的账户”中重新创建。');
      const user = token?.owner[0];
      if (!user || user.disabled) throw unauthorized('API 令牌无效或已被撤销。');
      request.user = toCurrentUser(user);
      request.authVia = 'token';
      // Record use at most once a minute, and only if no other request did meanwhile (the filter makes
      // concurrent requests write once): a write per request would cost more than it tells.
      const minuteAgo = new Date(now.getTime() - 60_000);
      if (!token.lastUsedAt || token.lastUsedAt <= minuteAgo) {
        await ApiToken.updateOne(
          { _id: token._id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: minuteAgo } }] },
          { $set: { lastUsedAt: now } },
        );
      }
      return;
    }
    const userId = request.session?.get('userId') as string | undefined;
    if (!userId) return;
    // The session store read the user with the session (one round trip); another store leaves it to us.
    const read = request.session.get('sessionUser');
    const user = read === undefined ? await User.findById(userId).lean() : read;
    if (!user || user.disabled) {
      await request.session.destroy();
      return;
    }
    request.user = toCurrentUser(user);
    request.authVia = 'session';
  });

  const authorize = (access: Access) =>
    async function authorizeRequest(request: FastifyRequest, reply: FastifyReply) {
      // A cross-site page can only POST (PUT/PATCH/DELETE need a CORS preflight we never grant), and only
      // as a form or text: so a cookie-authenticated API POST must be JSON or carry the CSRF token.
      if (request.method === 'POST' && request.authVia === 'session' && wantsJson(request)) {
        const type = request.headers['content-type'] ?? '';
        if (!type.startsWith('application/json')) await new Promise<void>((resolve, reject) =>
          app.csrfProtection(request, reply, (err?: Error) => (err ? reject(err) : resolve())));
      }
      if (access === 'public') return;
      if (!request.user) {
        if (wantsJson(request)) throw unauthorized();
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      if (access !== 'user' && !access.includes(request.user.role)) throw forbidden();
    };

  // A logged-in person's forms carry a token tied to their session; a guest's (the login form) one tied to
  // a cookie, so that merely viewing a page never stores a session (src/web/session.ts).
  const formCsrf = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.authVia !== 'session') return app.guestCsrfProtection(request);
    await new Promise<void>((resolve, reject) => app.csrfProtection(request, reply, (err?: Error) => (err ? reject(err) : resolve())));
  };

  app.addHook('onRoute', (route: RouteOptions) => {
    const declared = route.config?.access;
    if (!declared && pluginRoutes.some((re) => re.test(route.url))) return;
    if (!declared) throw new Error(`Route ${String(route.method)} ${route.url} declares no config.access`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') app.routeTable.push({ method, url: route.url, access: declared });
    }
    const guards: Array<(req: FastifyRequest, reply: FastifyReply) => Promise<unknown> | void> = [authorize(declared)];
    const isFormPost = !methods.every((m) => SAFE_METHODS.has(m)) && !route.url.startsWith('/api/');
    if (isFormPost) guards.push(formCsrf);
    // preValidation: a caller without the right is refused before their input is even looked at.
    const existing = route.preValidation ? (Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation]) : [];
    route.preValidation = [...guards, ...existing] as never;
  });
}, { name: 'access' });

export { toCurrentUser };

/** The roles that run the platform: 主办方 (organizers) and 系统管理员 (admins). */
export const STAFF_ROLES = ['organizer', 'admin'] as const;
export const isStaff = (user: Pick<CurrentUser, 'role'> | null | undefined) => user?.role === 'organizer' || user?.role === 'admin';
/**
 * The caller of a route whose access rule demands a login ('user' or roles): the access hook has already
 * refused anyone else, so this only turns that guarantee into a type.
 */
export function requireUser(request: FastifyRequest): CurrentUser {
  if (!request.user) throw unauthorized();
  return request.user;
}

/** Who did something, as histories and follow-up steps record it. */
export const actorOf = (user: CurrentUser) => ({ id: user.id, name: user.name, role: user.role });

