import type { SessionStore } from '@fastify/session';
import type { Session as FastifySession } from 'fastify';
import type { Models } from '../infra/models.js';

type Callback = (err?: unknown) => void;
type GetCallback = (err: unknown, session?: FastifySession | null) => void;

const DAY = 24 * 60 * 60 * 1000;

/** @fastify/session store on MongoDB, so every app instance sees every session and logout is real. */
export class MongoSessionStore implements SessionStore {
  constructor(private readonly Session: Models['Session']) {}

  set(sessionId: string, session: FastifySession, callback: Callback): void {
    const expiresAt = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + DAY);
    const data = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
    const userId = typeof data.userId === 'string' ? data.userId : undefined;
    this.Session.updateOne({ _id: sessionId }, { $set: { data, userId, expiresAt } }, { upsert: true }).then(
      () => callback(),
      callback,
    );
  }

  get(sessionId: string, callback: GetCallback): void {
    this.Session.findById(sessionId)
      .lean()
      .then((doc) => callback(null, doc && doc.expiresAt > new Date() ? (doc.data as FastifySession) : null), callback);
  }

  destroy(sessionId: string, callback: Callback): void {
    this.Session.deleteOne({ _id: sessionId }).then(() => callback(), callback);
  }
}
