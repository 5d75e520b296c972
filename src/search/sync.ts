/**
 * The outbox worker: delivers search marks (src/search/outbox.ts) to Meilisearch. Each round claims a
 * batch of marks (a claim is a lock with an expiry and an owner, taken per document atomically, so several
 * app instances never deliver the same mark at once and a crashed worker's claim lapses), reads the
 * products' committed state from MongoDB, replaces or deletes them in Meilisearch, waits for the task to
 * succeed, and only then records the marks whose version did not move meanwhile as delivered. A failure
 * keeps the marks (attempts, lastError) and backs off.
 *
 * One worker per Meilisearch server: each claims, delivers and records for its own server only (the
 * `servers.<key>` and `delivered` fields of a mark), so a server that is down holds back nobody else and
 * is caught up from its own state when it returns. A mark goes once every configured server has it.
 */
import { randomUUID } from 'node:crypto';
import type { Meilisearch } from 'meilisearch';
import type { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { acquireLease, instanceId } from '../infra/background.js';
import { buildDocuments } from './document-builder.js';
import { isSearchable, type ProductDocument, type ProductLike, type VendorLike } from './document.js';
import { ensureSettings, indexExists } from './settings.js';
import { markBuilt, markUnbuilt, registerServer, searchServer, type SearchServer } from './servers.js';
import { reindex } from './reindex.js';
import { waitForTask } from './tasks.js';

export interface SyncOptions {
  models: Models;
  /** The server this worker delivers to. */
  meili: Meilisearch;
  /** Keys of every configured server (servers.ts serverKey); a mark goes once all have it. Default: this one. */
  serverKeys?: string[];
  indexUid: string;
  clock: () => Date;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Marks per round. */
  batchSize?: number;
  /** How long a claim holds before another worker may take the mark over. */
  claimMs?: number;
  /** Meilisearch task timeout. */
  taskTimeoutMs?: number;
  /** Build this server's index from MongoDB when it was never built (a server added later); default true. */
  autoBuild?: boolean;
  /** MEILI_INDEX_PREFIX, for the build. */
  prefix?: string;
}

export interface RoundResult {
  claimed: number;
  indexed: number;
  deleted: number;
  /** Marks cleared (delivered and not re-marked meanwhile). */
  cleared: number;
}

/** Marks per round. Meilisearch indexes one large batch much faster than several small ones (measured: 5000 → 2.3× 1000). */
export const SYNC_BATCH = 5000;
const MAX_BACKOFF_MS = 30_000;
/** Batches one round may pipeline before it returns (the loop goes again at once if there is more). */
const PIPELINE_BATCHES = 10;
const RECHECK_MS = 60_000;

/** Loads products and their vendors and splits them into documents to index and ids to delete. */
export async function documentsFor(models: Models, ids: Types.ObjectId[], now: Date): Promise<{ docs: ProductDocument[]; deletions: string[] }> {
  const products = (await models.Product.find({ _id: { $in: ids } }).lean()) as unknown as ProductLike[];
  const vendorIds = [...new Set(products.map((p) => String(p.vendor)))];
  const vendors = new Map(
    ((await models.Vendor.find({ _id: { $in: vendorIds } }).lean()) as unknown as VendorLike[]).map((v) => [String(v._id), v]),
  );
  const found = new Set(products.map((p) => String(p._id)));
  const deletions = ids.map(String).filter((id) => !found.has(id));
  const pairs: Array<[ProductLike, VendorLike]> = [];
  for (const product of products) {
    const vendor = vendors.get(String(product.vendor));
    if (vendor && isSearchable(product, vendor)) pairs.push([product, vendor]);
    else deletions.push(String(product._id));
  }
  const docs = await buildDocuments(pairs, now);
  return { docs, deletions };
}

export function createSearchSync(options: SyncOptions) {
  const { models, meili, indexUid, clock, log } = options;
  const { SearchOutbox } = models;
  const server: SearchServer = searchServer(meili);
  const { key } = server;
  const serverKeys = options.serverKeys ?? [key];
  const others = serverKeys.filter((k) => k !== key);
  const field = (name: 'until' | 'owner' | 'attempts' | 'lastError') => `servers.${key}.${name}`;
  const batchSize = options.batchSize ?? SYNC_BATCH;
  const claimMs = options.claimMs ?? 60_000;
  const taskTimeoutMs = options.taskTimeoutMs ?? 60_000;
  let settingsReady = false;
  let built = false;
  let checkedAt = Date.now();
  let failing = false;

  async function ensureReady() {
    if (settingsReady) return;
    const missing = !(await indexExists(meili, indexUid));
    const changed = await ensureSettings(meili, indexUid);
    const isNew = await registerServer(models, server, indexUid);
    if (missing && !isNew && others.length) {
      // A server known before has lost its index (a wiped disk): build it again before it is searched.
      await markUnbuilt(models, server);
      built = false;
      log.warn({ server: server.url }, `搜索服务器 ${server.url} 的索引丢失，暂不参与搜索，正在从 MongoDB 重建`);
    }
    settingsReady = true;
    if (changed.length) log.info({ index: indexUid, server: server.url }, `已更新搜索索引设置：${changed.join('、')}`);
  }

  /**
   * A server added to a running deployment starts empty: build its index from MongoDB (one instance at a
   * time, under a lease), then let it into the rotation. Searches use the other servers meanwhile.
   */
  async function buildIfNeeded() {
    if (built || options.autoBuild === false) return;
    if (await models.SearchServer.exists({ _id: key, builtAt: { $ne: null } })) {
      built = true;
      return;
    }
    if (!(await acquireLease(models.Lease, `search-build:${key}`, 30 * 60_000))) return;
    log.info({ server: server.url }, `搜索服务器 ${server.url} 尚无完整索引，正在从 MongoDB 重建`);
    const result = await reindex(models, meili, options.prefix ?? '', clock(), { key, others });
    await markBuilt(models, server);
    built = true;
    // Done: another instance may build it again at once should it lose its data later.
    await models.Lease.updateOne({ _id: `search-build:${key}`, owner: instanceId }, { $set: { until: new Date(0) } });
    log.info({ server: server.url, documents: result.documents }, `搜索服务器 ${server.url} 的索引已建好（${result.documents} 个产品），开始分担搜索`);
  }

  async function waitOk(enqueued: { taskUid: number }) {
    const task = await waitForTask(meili, enqueued.taskUid, taskTimeoutMs);
    if (task.status !== 'succeeded') throw new Error(`Meilisearch 任务 ${task.uid} ${task.status}：${task.error?.message ?? ''}`);
  }

  const empty = (): RoundResult => ({ claimed: 0, indexed: 0, deleted: 0, cleared: 0 });

  interface Claim { owner: string; marks: Array<{ _id: Types.ObjectId; version: number; attempts: number }> }

  /** Claims up to a batch of this server's undelivered marks; null when there are none. */
  async function claimBatch(force: boolean): Promise<Claim | null> {
    const wallNow = new Date();
    const free = [{ [field('until')]: null }, { [field('until')]: { $lt: wallNow } }, ...(force ? [{ [field('owner')]: null }] : [])];
    const mine = { delivered: { $ne: key }, $or: free };
    const candidates = await SearchOutbox.find(mine, { _id: 1 }).sort({ markedAt: 1 }).limit(batchSize).lean();
    if (!candidates.length) return null;
    const owner = `${instanceId}:${randomUUID()}`;
    const until = new Date(wallNow.getTime() + claimMs);
    // Each document is claimed atomically: a mark another worker took in the meantime no longer matches.
    await SearchOutbox.updateMany({ _id: { $in: candidates.map((c) => c._id) }, ...mine }, { $set: { [field('until')]: until, [field('owner')]: owner } });
    const marks = (await SearchOutbox.find({ [field('owner')]: owner }, { _id: 1, version: 1, servers: 1 }).lean())
      .map((m) => ({ _id: m._id as Types.ObjectId, version: m.version, attempts: Number((m.servers as Record<string, { attempts?: number }> | undefined)?.[key]?.attempts ?? 0) }));
    return marks.length ? { owner, marks } : null;
  }

  /**
   * Builds a claimed batch's documents and hands them to Meilisearch. Returns, without waiting for
   * Meilisearch to index them, a function that waits for the tasks and records the delivery.
   */
  async function send(now: Date, { owner, marks }: Claim): Promise<() => Promise<RoundResult>> {
    await ensureReady();
    await buildIfNeeded();
    const { docs, deletions } = await documentsFor(models, marks.map((m) => m._id), now);
    const index = meili.index<ProductDocument>(indexUid);
    const tasks = [
      ...(docs.length ? [index.addDocuments(docs, { primaryKey: 'id' })] : []),
      ...(deletions.length ? [index.deleteDocuments(deletions)] : []),
    ];
    const enqueued = await Promise.all(tasks);
    return async () => {
      for (const task of enqueued) await waitOk(task);
      // Only marks unchanged since the claim are done here; a newer version goes again next round.
      const result = await SearchOutbox.bulkWrite(
        marks.map((m) => ({
          updateOne: {
            filter: { _id: m._id, version: m.version, [field('owner')]: owner },
            update: { $addToSet: { delivered: key }, $unset: { [`servers.${key}`]: 1 } },
          },
        })),
        { ordered: false },
      );
      await SearchOutbox.updateMany({ [field('owner')]: owner }, { $unset: { [`servers.${key}`]: 1 } });
      // The last server to receive a mark removes it (a re-mark empties `delivered`, so it stays).
      await SearchOutbox.deleteMany({ _id: { $in: marks.map((m) => m._id) }, delivered: { $all: serverKeys } });
      return { claimed: marks.length, indexed: docs.length, deleted: deletions.length, cleared: result.modifiedCount ?? 0 };
    };
  }

  /** A failed delivery keeps its marks: they back off, and the outage is logged once. */
  async function backOff({ owner, marks }: Claim, err: unknown) {
    settingsReady = false;
    const attempts = Math.max(...marks.map((m) => m.attempts)) + 1;
    const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempts, 10));
    await SearchOutbox.updateMany(
      { [field('owner')]: owner },
      {
        $set: { [field('until')]: new Date(Date.now() + backoff), [field('owner')]: null, [field('lastError')]: String((err as Error).message).slice(0, 500) },
        $inc: { [field('attempts')]: 1 },
      },
    );
    if (!failing) {
      failing = true;
      log.warn({ err, index: indexUid, server: server.url, pending: marks.length }, `搜索索引同步失败（Meilisearch ${server.url} 不可用？），写入已保存，恢复后自动补发`);
    }
  }

  /**
   * One delivery round: up to PIPELINE_BATCHES batches, pipelined. The next batch is claimed, built and
   * sent while Meilisearch indexes the one before, so Meilisearch never waits for the app (a bulk import
   * took ~30% longer when each batch waited for the last). A batch is recorded as delivered only once its
   * own task succeeded. `force` also takes marks that are backing off after an error (not those another
   * worker holds): tests and the CLI use it to deliver everything now.
   */
  async function round(force = false): Promise<RoundResult> {
    // Now and then look again even when idle: a server that lost its data is noticed without a write.
    if (Date.now() - checkedAt > RECHECK_MS) {
      checkedAt = Date.now();
      settingsReady = false;
    }
    if (!built || !settingsReady) {
      try {
        await ensureReady();
        await buildIfNeeded();
      } catch (err) {
        // Unreachable: the delivery below fails too and records it on the marks; anything else is worth a line.
        if (settingsReady) log.warn({ err, server: server.url }, `搜索服务器 ${server.url} 的索引重建失败，稍后重试`);
      }
    }
    const now = clock();
    const total = empty();
    const add = (r: RoundResult) => { for (const k of Object.keys(total) as (keyof RoundResult)[]) total[k] += r[k]; };
    // Batches sent, oldest first, each settling itself: recorded as delivered, or backed off on failure.
    const inFlight: Array<Promise<RoundResult>> = [];
    let failure: unknown;
    for (let n = 0; n < PIPELINE_BATCHES && failure === undefined; n++) {
      const claim = await claimBatch(force);
      if (!claim) break;
      try {
        const record = await send(now, claim);
        const recorded = record().catch(async (err: unknown) => {
          await backOff(claim, err);
          throw err;
        });
        recorded.catch(() => { /* awaited below */ });
        inFlight.push(recorded);
      } catch (err) {
        await backOff(claim, err);
        failure = err;
      }
      // One batch indexing and one queued behind it: wait for the older before claiming another.
      if (inFlight.length >= 2) await inFlight.shift()!.then(add, (err: unknown) => { failure ??= err; });
    }
    for (const recorded of inFlight) await recorded.then(add, (err: unknown) => { failure ??= err; });
    if (failure !== undefined) throw failure;
    if (!total.claimed) {
      // Marks every server has but nobody removed (a worker stopped between the two writes).
      await SearchOutbox.deleteMany({ delivered: { $all: serverKeys } });
    } else if (failing) {
      failing = false;
      log.info({ index: indexUid, server: server.url }, `搜索索引同步已恢复（${server.url}）`);
    }
    return total;
  }

  /** Marks this server has not received yet. */
  const pending = () => SearchOutbox.countDocuments({ delivered: { $ne: key } });

  return {
    indexUid,
    batchSize,
    server,
    round,
    ensureReady: async () => {
      settingsReady = false;
      await ensureReady();
    },
    pending,
    /**
     * Delivers everything pending for this server now, waiting for marks other workers hold; throws if
     * Meilisearch fails or nothing moves for `timeoutMs`. Progress, not a fixed deadline: Meilisearch runs
     * tasks one at a time across all indexes, so another worker's delivery may wait behind unrelated work.
     */
    async drain(timeoutMs = 30_000): Promise<RoundResult> {
      const total = empty();
      let deadline = Date.now() + timeoutMs;
      let lastPending = Number.POSITIVE_INFINITY;
      for (;;) {
        const r = await round(true);
        for (const k of Object.keys(total) as (keyof RoundResult)[]) total[k] += r[k];
        if (r.claimed) continue;
        const left = await pending();
        if (!left) return total;
        if (left < lastPending) {
          lastPending = left;
          deadline = Date.now() + timeoutMs;
        }
        if (Date.now() > deadline) throw new Error('搜索同步未能在限定时间内完成');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export type ServerSync = ReturnType<typeof createSearchSync>;

/**
 * The workers of all configured servers as one: `round` and `drain` run each server's and fail if any
 * failed (after all have run); `forServer(url)` is one server's worker.
 */
export function combineSyncs(workers: ServerSync[]) {
  const all = async <T>(fn: (w: ServerSync) => Promise<T>): Promise<T[]> => {
    const settled = await Promise.allSettled(workers.map(fn));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
  };
  const sum = (results: RoundResult[]): RoundResult => results.reduce(
    (a, r) => ({ claimed: a.claimed + r.claimed, indexed: a.indexed + r.indexed, deleted: a.deleted + r.deleted, cleared: a.cleared + r.cleared }),
    { claimed: 0, indexed: 0, deleted: 0, cleared: 0 },
  );
  return {
    indexUid: workers[0].indexUid,
    batchSize: workers[0].batchSize,
    workers,
    forServer: (url: string) => workers.find((w) => w.server.url === url.trim().replace(/\/+$/, '')),
    round: async (force = false) => sum(await all((w) => w.round(force))),
    drain: async (timeoutMs?: number) => sum(await all((w) => w.drain(timeoutMs))),
    ensureReady: async () => { await all((w) => w.ensureReady()); },
    /** Marks some server has not received yet. */
    pending: () => workers[0] ? Promise.all(workers.map((w) => w.pending())).then((n) => Math.max(...n)) : Promise.resolve(0),
  };
}

export type SearchSync = ReturnType<typeof combineSyncs>;
