/**
 * Keeps each vendor's stored freshness (current → stale → hidden) in step with the clock, so search can
 * filter and rank on it. One instance sweeps at a time (a lease in MongoDB); a changed vendor gets a
 * change-log entry and its products are marked for re-indexing, in one transaction.
 */
import type { Connection } from 'mongoose';
import { acquireLease, startLoop } from '../infra/background.js';
import type { Models } from '../infra/models.js';
import { markVendorProducts } from '../search/index.js';
import { freshnessOf, type FreshnessPolicy } from './freshness.js';
import { recordChange } from './history.js';

export interface FreshnessSweepDeps {
  conn: Connection;
  models: Models;
  clock: () => Date;
  policy: FreshnessPolicy;
}

/** Brings every vendor's freshness up to date with the clock; returns how many changed. */
export async function sweepFreshness(deps: FreshnessSweepDeps): Promise<number> {
  const { conn, models, clock, policy } = deps;
  const { Vendor } = models;
  const now = clock();
  let changed = 0;
  const cursor = Vendor.find({}, { confirmedAt: 1, freshness: 1 }).lean().cursor();
  for await (const vendor of cursor) {
    const freshness = freshnessOf(vendor.confirmedAt, now, policy);
    if (freshness === vendor.freshness) continue;
    await conn.transaction(async (session) => {
      // Only if nobody confirmed in between (a confirmation sets freshness itself).
      const res = await Vendor.updateOne({ _id: vendor._id, freshness: vendor.freshness, confirmedAt: vendor.confirmedAt ?? null }, { $set: { freshness } }, { session });
      if (res.modifiedCount === 0) return;
      await recordChange(models, {
        entity: 'vendor', entityId: vendor._id, vendor: vendor._id, action: 'freshness', actor: { id: 'system', name: '系统' },
        changes: [{ field: 'freshness', before: vendor.freshness, after: freshness }],
      }, session, now);
      await markVendorProducts(models, vendor._id, session);
      changed++;
    });
  }
  return changed;
}

export function startFreshnessSweep(deps: FreshnessSweepDeps & { log: { error(obj: object, msg: string): void } }, intervalMs = 60_000) {
  return startLoop({
    name: 'freshness-sweep',
    intervalMs,
    log: deps.log,
    round: async () => {
      if (await acquireLease(deps.models.Lease, 'freshness-sweep', intervalMs * 2)) await sweepFreshness(deps);
    },
  });
}
