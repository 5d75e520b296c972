import type { SessionStore } from '@fastify/session';
import type { Session as FastifySession } from 'fastify';
import type { Models } from '../infra/models.js';
import type { Role } from './model.js';

type Callback = (err?: unknown) => void;
type GetCallback = (err: unknown, session?: FastifySession | null) => void;

const DAY = 24 * 60 * 60 * 1000;

/** The session's user as read together with the session: what the access hook needs, nothing more. */
export interface SessionUser { _id: unknown; email: string; name: string; role: Role; vendor?: unknown; buyerOrg?: unknown; disabled?: boolean }

declare module 'fastify' {
  interface Session {
    /**
     * The session's user, read in the same round trip as the session (null: no such user any more). Never
     * stored: set() leaves it out, so every request sees the user as MongoDB has it now.
     */
    sessionUser?: SessionUser | null;
  }
}

interface StoredWithUser { data: Record<string, unknown>; expiresAt: Date; user: SessionUser[] }

/** @fastify/session store on MongoDB, so every app instance sees every session and logout is real. */
export class MongoSessionStore implements SessionStore {
  constructor(private readonly Session: Models['Session'], private readonly User: Models['User']) {}

  set(sessionId: string, session: FastifySession, callback: Callback): void {
    const expiresAt = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + DAY);
    const data = JSON.parse(JSON.stringify(session)) as Record<string, unknown>;
    delete data.sessionUser;
    const userId = typeof data.userId === 'string' ? data.userId : undefined;
    this.Session.updateOne({ _id: sessionId }, { $set: { data, userId, expiresAt } }, { upsert: true }).then(
      () => callback(),
      callback,
    );
  }

  /**
   * The session and, in the same round trip, its user: a signed-in request costs one read, not two. Nothing
   * is kept between requests, so a logout, a disabled account or a changed role counts on the next request.
   */
  get(sessionId: string, callback: GetCallback): void {
    this.Session.aggregate<StoredWithUser>([
      { $match: { _id: sessionId } },
      { $limit: 1 },
      // userId is the user's id as text; a malformed one finds nobody.
      { $addFields: { uid: { $convert: { input: { $ifNull: ['$userId', '$data.userId'] }, to: 'objectId', onError: null, onNull: null } } } },
      { $lookup: { from: this.User.collection.collectionName, localField: 'uid', foreignField: '_id', as: 'user' } },
      { $project: { data: 1, expiresAt: 1, 'user._id': 1, 'user.email': 1, 'user.name': 1, 'user.role': 1, 'user.vendor': 1, 'user.buyerOrg': 1, 'user.disabled': 1 } },
    ]).then((docs) => {
      const doc = docs[0];
      if (!doc || !(doc.expiresAt > new Date())) return callback(null, null);
      const data = doc.data as unknown as FastifySession;
      callback(null, typeof data.userId === 'string' ? { ...data, sessionUser: doc.user[0] ?? null } as FastifySession : data);
    }, callback);
  }

  destroy(sessionId: string, callback: Callback): void {
    this.Session.deleteOne({ _id: sessionId }).then(() => callback(), callback);
  }
}
