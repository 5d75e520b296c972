/**
 * The outbox worker: delivers search marks (src/search/outbox.ts) to Meilisearch. Each round claims a
 * batch of marks (a claim is a lock with an expiry and an owner, taken per document atomically, so several
 * app instances never deliver the same mark at once and a crashed worker's claim lapses), reads the
 * products' committed state from MongoDB, replaces or deletes them in Meilisearch, waits for the task to
 * succeed, and only then deletes the marks whose version did not move meanwhile. A failure keeps the marks
 * (attempts, lastError) and backs off.
 */
import { randomUUID } from 'node:crypto';
import type { Meilisearch } from 'meilisearch';
import type { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { instanceId } from '../infra/background.js';
import { buildDocument, isSearchable, type ProductDocument, type ProductLike, type VendorLike } from './document.js';
import { ensureSettings } from './settings.js';

export interface SyncOptions {
  models: Models;
  meili: Meilisearch;
  indexUid: string;
  clock: () => Date;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Marks per round. */
  batchSize?: number;
  /** How long a claim holds before another worker may take the mark over. */
  claimMs?: number;
  /** Meilisearch task timeout. */
  taskTimeoutMs?: number;
}

export interface RoundResult {
  claimed: number;
  indexed: number;
  deleted: number;
  /** Marks cleared (delivered and not re-marked meanwhile). */
  cleared: number;
}

const MAX_BACKOFF_MS = 30_000;

/** Loads products and their vendors and splits them into documents to index and ids to delete. */
export async function documentsFor(models: Models, ids: Types.ObjectId[], now: Date): Promise<{ docs: ProductDocument[]; deletions: string[] }> {
  const products = (await models.Product.find({ _id: { $in: ids } }).lean()) as unknown as ProductLike[];
  const vendorIds = [...new Set(products.map((p) => String(p.vendor)))];
  const vendors = new Map(
    ((await models.Vendor.find({ _id: { $in: vendorIds } }).lean()) as unknown as VendorLike[]).map((v) => [String(v._id), v]),
  );
  const found = new Set(products.map((p) => String(p._id)));
  const docs: ProductDocument[] = [];
  const deletions = ids.map(String).filter((id) => !found.has(id));
  for (const [i, product] of products.entries()) {
    // Building a document costs ~0.25 ms (jieba, pinyin): yield now and then so requests are not held up.
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    const vendor = vendors.get(String(product.vendor));
    if (vendor && isSearchable(product, vendor)) docs.push(buildDocument(product, vendor, now));
    else deletions.push(String(product._id));
  }
  return { docs, deletions };
}

export function createSearchSync(options: SyncOptions) {
  const { models, meili, indexUid, clock, log } = options;
  const { SearchOutbox } = models;
  // Meilisearch indexes one large batch much faster than several small ones (measured: 5000 → 2.3× 1000).
  const batchSize = options.batchSize ?? 5000;
  const claimMs = options.claimMs ?? 60_000;
  const taskTimeoutMs = options.taskTimeoutMs ?? 60_000;
  let settingsReady = false;
  let failing = false;

  async function ensureReady() {
    if (settingsReady) return;
    const changed = await ensureSettings(meili, indexUid);
    settingsReady = true;
    if (changed.length) log.info({ index: indexUid, changed }, `已更新搜索索引设置：${changed.join('、')}`);
  }

  async function waitOk(promise: ReturnType<ReturnType<Meilisearch['index']>['addDocuments']>) {
    const task = await promise.waitTask({ timeout: taskTimeoutMs, interval: 20 });
    if (task.status !== 'succeeded') throw new Error(`Meilisearch 任务 ${task.uid} ${task.status}：${task.error?.message ?? ''}`);
  }

  /**
   * One delivery round. `force` also takes marks that are backing off after an error (not those another
   * worker holds): tests and the CLI use it to deliver everything now.
   */
  async function round(force = false): Promise<RoundResult> {
    const now = clock();
    const wallNow = new Date();
    const free = [{ lockedUntil: null }, { lockedUntil: { $lt: wallNow } }, ...(force ? [{ owner: null }] : [])];
    const candidates = await SearchOutbox.find({ $or: free }, { _id: 1 }).sort({ markedAt: 1 }).limit(batchSize).lean();
    if (!candidates.length) return { claimed: 0, indexed: 0, deleted: 0, cleared: 0 };
    const owner = `${instanceId}:${randomUUID()}`;
    const until = new Date(wallNow.getTime() + claimMs);
    // Each document is claimed atomically: a mark another worker took in the meantime no longer matches.
    await SearchOutbox.updateMany({ _id: { $in: candidates.map((c) => c._id) }, $or: free }, { $set: { lockedUntil: until, owner } });
    const claimed = await SearchOutbox.find({ owner }, { _id: 1, version: 1, attempts: 1 }).lean();
    if (!claimed.length) return { claimed: 0, indexed: 0, deleted: 0, cleared: 0 };

    try {
      await ensureReady();
      const { docs, deletions } = await documentsFor(models, claimed.map((m) => m._id as Types.ObjectId), now);
      const index = meili.index<ProductDocument>(indexUid);
      if (docs.length) await waitOk(index.addDocuments(docs, { primaryKey: 'id' }));
      if (deletions.length) await waitOk(index.deleteDocuments(deletions));
      // Only marks unchanged since the claim are done; a newer version goes again next round.
      const result = await SearchOutbox.bulkWrite(
        claimed.map((m) => ({ deleteOne: { filter: { _id: m._id, version: m.version, owner } } })),
        { ordered: false },
      );
      await SearchOutbox.updateMany({ owner }, { $set: { lockedUntil: null, owner: null, attempts: 0 }, $unset: { lastError: 1 } });
      if (failing) {
        failing = false;
        log.info({ index: indexUid }, '搜索索引同步已恢复');
      }
      return { claimed: claimed.length, indexed: docs.length, deleted: deletions.length, cleared: result.deletedCount ?? 0 };
    } catch (err) {
      settingsReady = false;
      const attempts = Math.max(...claimed.map((m) => m.attempts ?? 0)) + 1;
      const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempts, 10));
      await SearchOutbox.updateMany(
        { owner },
        { $set: { lockedUntil: new Date(Date.now() + backoff), owner: null, lastError: String((err as Error).message).slice(0, 500) }, $inc: { attempts: 1 } },
      );
      if (!failing) {
        failing = true;
        log.warn({ err, index: indexUid, pending: claimed.length }, '搜索索引同步失败（Meilisearch 不可用？），写入已保存，恢复后自动补发');
      }
      throw err;
    }
  }

  return {
    indexUid,
    batchSize,
    round,
    ensureReady: async () => {
      settingsReady = false;
      await ensureReady();
    },
    /** Marks not yet delivered. */
    pending: () => SearchOutbox.countDocuments({}),
    /**
     * Delivers everything pending now, waiting for marks other workers hold; throws if Meilisearch fails
     * or the outbox makes no progress for `timeoutMs`. Progress, not a fixed deadline: Meilisearch runs
     * tasks one at a time across all indexes, so another worker's delivery may wait behind unrelated work.
     */
    async drain(timeoutMs = 30_000): Promise<RoundResult> {
      const total: RoundResult = { claimed: 0, indexed: 0, deleted: 0, cleared: 0 };
      let deadline = Date.now() + timeoutMs;
      let lastPending = Number.POSITIVE_INFINITY;
      for (;;) {
        const r = await round(true);
        for (const key of Object.keys(total) as (keyof RoundResult)[]) total[key] += r[key];
        if (r.claimed) continue;
        const pending = await SearchOutbox.countDocuments({});
        if (!pending) return total;
        if (pending < lastPending) {
          lastPending = pending;
          deadline = Date.now() + timeoutMs;
        }
        if (Date.now() > deadline) throw new Error('搜索同步未能在限定时间内完成');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export type SearchSync = ReturnType<typeof createSearchSync>;
