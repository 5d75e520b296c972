/**
 * Cookies, server-side sessions in MongoDB, and CSRF tokens: kept in the session for logged-in people; for
 * guests (the login form) derived from a random cookie, so an anonymous page view never stores a session.
 */
import fp from 'fastify-plugin';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fastifyCsrf from '@fastify/csrf-protection';
import { MongoSessionStore } from '../accounts/index.js';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    /** When the session's expiry was last pushed forward (see the renewal hook). */
    renewedAt?: number;
    flash?: Array<{ kind: string; text: string }>;
  }
  interface FastifyReply {
    /** The CSRF token for a guest's form: HMAC of the guest cookie (set here when missing). */
    generateGuestCsrf(): string;
  }
  interface FastifyInstance {
    /** Refuses (403) a guest's form post whose token does not match its cookie. */
    guestCsrfProtection(request: FastifyRequest): Promise<void>;
  }
}

export const GUEST_CSRF_COOKIE = 'gx.csrf';
const GUEST_VALUE = /^[A-Za-z0-9_-]{32}$/;

export const SESSION_COOKIE = 'gx.sid';
const SESSION_MS = 12 * 60 * 60 * 1000;
/** A session's 12 hours restart from the latest use, renewed at most this often (one write, not one per request). */
export const SESSION_RENEW_MS = 10 * 60 * 1000;

export default fp(async (app) => {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: app.config.sessionSecret,
    cookieName: SESSION_COOKIE,
    store: new MongoSessionStore(app.models.Session, app.models.User),
    saveUninitialized: false,
    // Not the plugin's rolling: that writes the session to MongoDB on every request. See the renewal below.
    rolling: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: app.config.COOKIE_SECURE,
      path: '/',
      maxAge: SESSION_MS,
    },
  });
  // Sliding expiry: a signed-in session used again more than SESSION_RENEW_MS after its last renewal gets
  // its 12 hours back. Marking it (renewedAt) makes the plugin save it and send the cookie's new expiry.
  app.addHook('onRequest', async (request) => {
    const session = request.session;
    if (!session?.get('userId')) return;
    // A session read from the store has its stored expiry as `originalExpires` (`expires` is recomputed).
    const cookie = session.cookie as typeof session.cookie & { originalExpires?: Date };
    const expires = cookie.originalExpires ?? cookie.expires;
    if (!expires) return;
    const now = Date.now();
    if (new Date(expires).getTime() - now < SESSION_MS - SESSION_RENEW_MS) {
      session.touch();
      session.set('renewedAt', now);
    }
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });

  const mac = (value: string) => createHmac('sha256', app.config.sessionSecret).update(`guest-csrf:${value}`).digest('base64url');
  app.decorateReply('generateGuestCsrf', function (this: FastifyReply) {
    let value = this.request.cookies[GUEST_CSRF_COOKIE];
    if (!value || !GUEST_VALUE.test(value)) {
      value = randomBytes(24).toString('base64url');
      this.setCookie(GUEST_CSRF_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: app.config.COOKIE_SECURE, path: '/', maxAge: 12 * 60 * 60 });
    }
    return mac(value);
  });
  app.decorate('guestCsrfProtection', async (request: FastifyRequest) => {
    const value = request.cookies[GUEST_CSRF_COOKIE];
    const body = request.body as Record<string, unknown> | undefined;
    const sent = body?._csrf ?? request.headers['csrf-token'] ?? request.headers['x-csrf-token'];
    const expected = value && GUEST_VALUE.test(value) ? Buffer.from(mac(value)) : null;
    const given = typeof sent === 'string' ? Buffer.from(sent) : null;
    if (!expected || !given || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(403, 'FORBIDDEN', '表单已过期或来源不明，请刷新页面后重新提交。');
    }
  });
});
