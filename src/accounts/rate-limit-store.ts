import type { Models } from '../infra/models.js';

type IncrCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * Counts one more hit on counter `id` in its fixed window of `timeWindow` ms (a new window starts when the
 * old one is over) and returns the count and the ms left in the window. Atomic on MongoDB 4.0.
 */
export async function countInWindow(RateLimit: Models['RateLimit'], id: string, timeWindow: number, now = new Date()) {
  const fresh = { count: 1, windowStart: now, expiresAt: new Date(now.getTime() + timeWindow) };
  // Start a new window when the old one is over; otherwise count within it.
  const restarted = await RateLimit.findOneAndUpdate(
    { _id: id, windowStart: { $lte: new Date(now.getTime() - timeWindow) } },
    { $set: fresh },
    { new: true },
  ).lean();
  const doc =
    restarted ??
    (await RateLimit.findOneAndUpdate(
      { _id: id },
      { $inc: { count: 1 }, $setOnInsert: { windowStart: now, expiresAt: fresh.expiresAt } },
      { upsert: true, new: true },
    )
      .lean()
      .catch(async (err: { code?: number }) => {
        // Two first requests raced on the upsert: the loser simply counts again.
        if (err.code === 11000) return RateLimit.findOneAndUpdate({ _id: id }, { $inc: { count: 1 } }, { new: true }).lean();
        throw err;
      }));
  const ttl = Math.max(0, doc!.windowStart.getTime() + timeWindow - now.getTime());
  return { current: doc!.count, ttl };
}

/**
 * A @fastify/rate-limit store on MongoDB: the counters are shared by every app instance, so a login
 * limit cannot be dodged by hitting another instance behind the load balancer.
 */
export function mongoRateLimitStore(RateLimit: Models['RateLimit']) {
  return class MongoRateLimitStore {
    private readonly prefix: string;
    // @fastify/rate-limit constructs the store with its options; child() passes a per-route key prefix.
    constructor(_options?: unknown, prefix = '') {
      this.prefix = prefix;
    }

    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      void countInWindow(RateLimit, `${this.prefix}${key}`, timeWindow).then(
        (res) => callback(null, res),
        (err: Error) => callback(err),
      );
    }

    child(routeOptions: object) {
      const route = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
      return new MongoRateLimitStore(undefined, `${route?.method ?? ''}${route?.url ?? ''}:`);
    }
  };
}
