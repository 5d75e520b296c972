/**
 * Each vendor's published products counted per (field, category), kept on the vendor (`publishedCounts`)
 * so 统计报表 reads ~2,000 vendors instead of grouping 100,000 products and joining every vendor back.
 * The counts are derived: every product write recomputes its vendors' counts from their products in the
 * same transaction (two writers of one vendor's products conflict on the vendor and one retries), and
 * rebuildPublishedCounts() derives them all again from the products (idempotent; startup and
 * `npm run cli -- rebuild-reports`). A vendor's own changes (status, place, confirmation) need nothing:
 * the report reads them from the same document.
 */
import type { ClientSession, Types } from 'mongoose';
import type { Models } from '../infra/models.js';

export interface PublishedCount { f: string; c: string; n: number }

const BATCH = 500;

/** Rewrites the counts of these vendors from their products; pass the product write's session. */
export async function refreshPublishedCounts(models: Pick<Models, 'Vendor' | 'Product'>, vendorIds: Types.ObjectId[], session?: ClientSession): Promise<void> {
  const ids = [...new Map(vendorIds.map((id) => [String(id), id])).values()];
  if (!ids.length) return;
  const rows = await models.Product.aggregate<{ _id: { v: Types.ObjectId; f: string; c: string }; n: number }>([
    { $match: { status: 'published', vendor: { $in: ids } } },
    { $group: { _id: { v: '$vendor', f: '$field', c: '$category' }, n: { $sum: 1 } } },
  ]).session(session ?? null);
  const counts = new Map<string, PublishedCount[]>(ids.map((id) => [String(id), []]));
  for (const r of rows) counts.get(String(r._id.v))?.push({ f: r._id.f, c: r._id.c, n: r.n });
  // Stored in a fixed order, so the same products always give the same document.
  const order = (a: PublishedCount, b: PublishedCount) => (a.f < b.f ? -1 : a.f > b.f ? 1 : a.c < b.c ? -1 : a.c > b.c ? 1 : 0);
  // Through the driver: a derived field is no edit of the vendor (its updatedAt stays).
  await models.Vendor.collection.bulkWrite(
    ids.map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { publishedCounts: counts.get(String(_id))!.sort(order) } } } })),
    { session, ordered: false },
  );
}

/** Derives every vendor's counts again from the products, a batch of vendors per transaction. Returns the vendors done. */
export async function rebuildPublishedCounts(models: Pick<Models, 'Vendor' | 'Product'>): Promise<number> {
  const ids = (await models.Vendor.find({}, { _id: 1 }).sort({ _id: 1 }).lean()).map((v) => v._id as Types.ObjectId);
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    await models.Vendor.db.transaction((session) => refreshPublishedCounts(models, batch, session));
  }
  return ids.length;
}
