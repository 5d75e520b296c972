/** Cookies, server-side sessions in MongoDB, and CSRF tokens kept in the session. */
import fp from 'fastify-plugin';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fastifyCsrf from '@fastify/csrf-protection';
import { MongoSessionStore } from '../accounts/session-store.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    flash?: Array<{ kind: string; text: string }>;
  }
}

export const SESSION_COOKIE = 'gx.sid';

export default fp(async (app) => {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: app.config.sessionSecret,
    cookieName: SESSION_COOKIE,
    store: new MongoSessionStore(app.models.Session),
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: app.config.COOKIE_SECURE,
      path: '/',
      maxAge: 12 * 60 * 60 * 1000,
    },
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
});
