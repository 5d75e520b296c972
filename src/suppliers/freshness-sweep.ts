/**
 * Keeps each vendor's stored freshness (current → stale → hidden) in step with the clock, so search can
 * filter and rank on it. One instance sweeps at a time (a lease in MongoDB); a changed vendor gets a
 * change-log entry and its products are marked for re-indexing, in one transaction.
 */
import type { FastifyInstance } from 'fastify';
import { acquireLease, startLoop } from '../infra/background.js';
import { markVendorProducts } from '../search/outbox.js';
import { freshnessOf } from './freshness.js';
import { recordChange } from './history.js';

/** Brings every vendor's freshness up to date with app.clock(); returns how many changed. */
export async function sweepFreshness(app: FastifyInstance): Promise<number> {
  const { Vendor } = app.models;
  const now = app.clock();
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  let changed = 0;
  const cursor = Vendor.find({}, { confirmedAt: 1, freshness: 1 }).lean().cursor();
  for await (const vendor of cursor) {
    const freshness = freshnessOf(vendor.confirmedAt, now, policy);
    if (freshness === vendor.freshness) continue;
    await app.conn.transaction(async (session) => {
      // Only if nobody confirmed in between (a confirmation sets freshness itself).
      const res = await Vendor.updateOne({ _id: vendor._id, freshness: vendor.freshness, confirmedAt: vendor.confirmedAt ?? null }, { $set: { freshness } }, { session });
      if (res.modifiedCount === 0) return;
      await recordChange(app.models, {
        entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'freshness', actor: { id: 'system', name: '系统' },
        changes: [{ field: 'freshness', before: vendor.freshness, after: freshness }],
      }, session, now);
      await markVendorProducts(app.models, vendor._id, session);
      changed++;
    });
  }
  return changed;
}

export function startFreshnessSweep(app: FastifyInstance, intervalMs = 60_000) {
  return startLoop({
    name: 'freshness-sweep',
    intervalMs,
    log: app.log,
    round: async () => {
      if (await acquireLease(app.models.Lease, 'freshness-sweep', intervalMs * 2)) await sweepFreshness(app);
    },
  });
}
