/**
 * Rebuilding and checking the products index from MongoDB, the source of truth.
 * - reindex: builds `<prefix>products_<timestamp>` with the same settings, swaps it with the live index
 *   (search keeps answering from the old one until the swap), then deletes the old one. Changes committed
 *   while it ran are marked again afterwards, so nothing delivered to the old index meanwhile is lost.
 *   With several servers it rebuilds the one it is given (`target`: its key and the others', so only that
 *   server is sent the changes again); the others keep serving and receiving changes throughout.
 * - checkIndex: which documents are missing, extra or out of date (by content hash).
 */
import type { Meilisearch } from 'meilisearch';
import { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { markProducts, markProductsFor } from './outbox.js';
import { buildDocuments } from './document-builder.js';
import { isSearchable, type ProductDocument, type ProductLike, type VendorLike } from './document.js';
import { ensureSettings, productsIndexName } from './settings.js';
import { waitForTask } from './tasks.js';

const BATCH = 2000;

/** Every document that should be in the index now, as id → document, read batch by batch. */
async function* expectedDocuments(models: Models, now: Date): AsyncGenerator<ProductDocument[]> {
  const vendors = new Map(
    ((await models.Vendor.find({ status: 'approved', freshness: { $ne: 'hidden' } }).lean()) as unknown as VendorLike[]).map((v) => [String(v._id), v]),
  );
  const cursor = models.Product.find({ status: 'published', vendor: { $in: [...vendors.values()].map((v) => v._id) } }).lean().cursor({ batchSize: BATCH });
  // Built like the sync's (document-builder.ts): the text keys of each batch in the worker thread, so a
  // rebuild inside the app (a search server added later) does not hold up its requests.
  let batch: Array<[ProductLike, VendorLike]> = [];
  for await (const raw of cursor) {
    const product = raw as unknown as ProductLike;
    const vendor = vendors.get(String(product.vendor));
    if (!vendor || !isSearchable(product, vendor)) continue;
    batch.push([product, vendor]);
    if (batch.length >= BATCH) {
      yield await buildDocuments(batch, now);
      batch = [];
    }
  }
  if (batch.length) yield await buildDocuments(batch, now);
}

async function waitOk(meili: Meilisearch, task: Promise<{ taskUid: number }>, what: string) {
  const done = await waitForTask(meili, (await task).taskUid, 600_000);
  if (done.status !== 'succeeded') throw new Error(`${what}失败（任务 ${done.uid}）：${done.error?.message ?? done.status}`);
}

export interface ReindexResult { index: string; documents: number; remarked: number; ms: number }

export async function reindex(
  models: Models,
  meili: Meilisearch,
  prefix: string,
  now: Date,
  target?: { key: string; others: string[] },
): Promise<ReindexResult> {
  const started = Date.now();
  const live = productsIndexName(prefix);
  const fresh = `${live}_${started}`;
  // Changes committed from here on may reach the old index only: they are marked again after the swap.
  const since = new Date(started - 5000);
  await ensureSettings(meili, fresh);
  const index = meili.index<ProductDocument>(fresh);
  let documents = 0;
  const tasks: Array<ReturnType<typeof index.addDocuments>> = [];
  for await (const batch of expectedDocuments(models, now)) {
    tasks.push(index.addDocuments(batch, { primaryKey: 'id' }));
    documents += batch.length;
  }
  for (const task of tasks) await waitOk(meili, task, '写入新索引');
  await ensureSettings(meili, live);
  await waitOk(meili, meili.swapIndexes([{ indexes: [live, fresh], rename: false }]), '切换索引');
  await waitOk(meili, meili.deleteIndex(fresh), '删除旧索引');

  const vendorIds = (await models.Vendor.find({ updatedAt: { $gte: since } }, { _id: 1 }).lean()).map((v) => v._id);
  const changed = await models.Product.find({ $or: [{ updatedAt: { $gte: since } }, { vendor: { $in: vendorIds } }] }, { _id: 1 }).lean();
  const ids = changed.map((p) => p._id);
  await (target ? markProductsFor(models, ids, target.key, target.others) : markProducts(models, ids));
  return { index: live, documents, remarked: changed.length, ms: Date.now() - started };
}

export interface CheckResult {
  index: string;
  expected: number;
  indexed: number;
  missing: string[];
  extra: string[];
  outdated: string[];
  inStep: boolean;
}

export async function checkIndex(models: Models, meili: Meilisearch, prefix: string, now: Date): Promise<CheckResult> {
  const uid = productsIndexName(prefix);
  const expected = new Map<string, string>();
  for await (const batch of expectedDocuments(models, now)) for (const doc of batch) expected.set(doc.id, doc.hash);
  const indexed = new Map<string, string>();
  const index = meili.index<Pick<ProductDocument, 'id' | 'hash'>>(uid);
  try {
    for (let offset = 0; ; offset += 1000) {
      const page = await index.getDocuments({ fields: ['id', 'hash'], limit: 1000, offset });
      for (const doc of page.results) indexed.set(String(doc.id), doc.hash);
      if (page.results.length < 1000) break;
    }
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'index_not_found') throw err;
  }
  const missing = [...expected.keys()].filter((id) => !indexed.has(id));
  const extra = [...indexed.keys()].filter((id) => !expected.has(id));
  const outdated = [...expected].filter(([id, hash]) => indexed.has(id) && indexed.get(id) !== hash).map(([id]) => id);
  return { index: uid, expected: expected.size, indexed: indexed.size, missing, extra, outdated, inStep: !missing.length && !extra.length && !outdated.length };
}

/** Marks every differing product, so the sync worker sets it right (an extra id with no product is deleted). */
export async function fixIndex(models: Models, result: CheckResult): Promise<number> {
  const ids = [...result.missing, ...result.extra, ...result.outdated]
    .filter((id) => Types.ObjectId.isValid(id))
    .map((id) => new Types.ObjectId(id));
  await markProducts(models, ids);
  return ids.length;
}

const sample = (ids: string[]) => (ids.length ? `：${ids.slice(0, 10).join('、')}${ids.length > 10 ? ` 等 ${ids.length} 个` : ''}` : '');

/** The check as a Chinese report for the CLI. */
export function checkReport(result: CheckResult): string {
  const lines = [
    `索引 ${result.index}：MongoDB 中应可搜索的产品 ${result.expected} 个，索引中 ${result.indexed} 个。`,
    `缺失（应有而索引中没有）${result.missing.length} 个${sample(result.missing)}`,
    `多余（索引中有而不应有）${result.extra.length} 个${sample(result.extra)}`,
    `过期（内容与 MongoDB 不一致）${result.outdated.length} 个${sample(result.outdated)}`,
    result.inStep ? '结论：索引与 MongoDB 一致。' : '结论：索引与 MongoDB 不一致。可运行 `npm run cli -- check-index --fix` 补发，或 `npm run cli -- reindex` 重建。',
  ];
  return lines.join('\n');
}
