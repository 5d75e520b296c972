/**
 * The search outbox: MongoDB is the source of truth, and every write that can change what search shows
 * marks the affected products here, in the same transaction as the write. The sync worker
 * (src/search/sync.ts) delivers each mark to Meilisearch by reading the product's committed state, so
 * nothing uncommitted is ever indexed and nothing is lost while Meilisearch is down. With several
 * Meilisearch servers a mark records which servers hold its version (`delivered`) and goes once all do.
 */
import type { ClientSession, Types } from 'mongoose';
import type { Models } from '../infra/models.js';

/** Marks products for (re)indexing; pass the write's session so the mark commits with it. */
export async function markProducts(models: Models, productIds: Types.ObjectId[], session?: ClientSession): Promise<void> {
  if (!productIds.length) return;
  const now = new Date();
  await models.SearchOutbox.bulkWrite(
    productIds.map((_id) => ({
      updateOne: { filter: { _id }, update: { $inc: { version: 1 }, $set: { markedAt: now, delivered: [] } }, upsert: true },
    })),
    { session, ordered: false },
  );
}

/** A vendor change (name, region, status, freshness, certifications) changes every one of its products. */
export async function markVendorProducts(models: Models, vendorId: Types.ObjectId, session?: ClientSession): Promise<void> {
  const ids = await models.Product.find({ vendor: vendorId }, { _id: 1 }).session(session ?? null).lean();
  await markProducts(models, ids.map((p) => p._id), session);
}

/**
 * Queues products again for one server only (after that server's rebuild): the others already hold them.
 * `others` are the keys of the other configured servers.
 */
export async function markProductsFor(models: Models, productIds: Types.ObjectId[], key: string, others: string[]): Promise<void> {
  if (!productIds.length) return;
  const { SearchOutbox } = models;
  await SearchOutbox.updateMany({ _id: { $in: productIds } }, { $pull: { delivered: key } });
  const existing = new Set((await SearchOutbox.find({ _id: { $in: productIds } }, { _id: 1 }).lean()).map((m) => String(m._id)));
  const missing = productIds.filter((id) => !existing.has(String(id)));
  if (!missing.length) return;
  const now = new Date();
  try {
    await SearchOutbox.insertMany(missing.map((_id) => ({ _id, version: 0, markedAt: now, delivered: others, servers: {} })), { ordered: false });
  } catch (err) {
    // A write marked the product meanwhile: its new mark is for every server, this one included.
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}
