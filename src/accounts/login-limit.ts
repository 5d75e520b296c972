/**
 * Login attempts per account: whatever address they come from, at most LOGIN_ACCOUNT_RATE_LIMIT failed
 * attempts per normalized email in LOGIN_ACCOUNT_WINDOW_MINUTES (the per-address limit is
 * @fastify/rate-limit's, on the routes). The counter lives in MongoDB with the other rate-limit counters,
 * keyed by a hash of the email, and exists whether or not the account does, so the answer reveals nothing.
 *
 * An attempt is counted before the password is checked (so parallel guesses cannot overshoot the limit)
 * and given back when it succeeds: a person who logs in often is never locked out by their own logins.
 */
import { createHash } from 'node:crypto';
import type { Models } from '../infra/models.js';
import { AppError } from '../web/errors.js';
import { countInWindow } from './rate-limit-store.js';

export const normalizeEmail = (email: string) => email.normalize('NFKC').trim().toLowerCase();

export class LoginLimitedError extends AppError {
  constructor(public retryAfterSeconds: number) {
    super(429, 'TOO_MANY_REQUESTS', `登录尝试过多，请于 ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} 分钟后再试。`);
  }
}

export function loginLimit(RateLimit: Models['RateLimit'], max: number, windowMinutes: number) {
  const windowMs = windowMinutes * 60_000;
  const keyOf = (email: string) => `login-account:${createHash('sha256').update(normalizeEmail(email)).digest('hex')}`;
  return {
    /** Counts an attempt; throws LoginLimitedError (429) when the account is over its limit. */
    async begin(email: string): Promise<void> {
      const { current, ttl } = await countInWindow(RateLimit, keyOf(email), windowMs);
      if (current > max) throw new LoginLimitedError(Math.ceil(ttl / 1000));
    },
    /** A successful login does not count against the account. */
    async succeeded(email: string): Promise<void> {
      await RateLimit.updateOne({ _id: keyOf(email), count: { $gt: 0 } }, { $inc: { count: -1 } });
    },
  };
}
export type LoginLimit = ReturnType<typeof loginLimit>;
