/**
 * The search outbox: MongoDB is the source of truth, and every write that can change what search shows
 * marks the affected products here, in the same transaction as the write. The sync worker
 * (src/search/sync.ts) delivers each mark to Meilisearch by reading the product's committed state, so
 * nothing uncommitted is ever indexed and nothing is lost while Meilisearch is down.
 */
import type { ClientSession, Types } from 'mongoose';
import type { Models } from '../infra/models.js';

/** Marks products for (re)indexing; pass the write's session so the mark commits with it. */
export async function markProducts(models: Models, productIds: Types.ObjectId[], session?: ClientSession): Promise<void> {
  if (!productIds.length) return;
  const now = new Date();
  await models.SearchOutbox.bulkWrite(
    productIds.map((_id) => ({
      updateOne: { filter: { _id }, update: { $inc: { version: 1 }, $set: { markedAt: now } }, upsert: true },
    })),
    { session, ordered: false },
  );
}

/** A vendor change (name, region, status, freshness, certifications) changes every one of its products. */
export async function markVendorProducts(models: Models, vendorId: Types.ObjectId, session?: ClientSession): Promise<void> {
  const ids = await models.Product.find({ vendor: vendorId }, { _id: 1 }).session(session ?? null).lean();
  await markProducts(models, ids.map((p) => p._id), session);
}
