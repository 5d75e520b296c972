/**
 * Several Meilisearch servers (MEILI_HOST lists them). Every server holds the whole products index and gets
 * every change through its own delivery state in the outbox (sync.ts); searches go to the servers that
 * answer, have been built and are caught up, in turn.
 *
 * What lives where: which servers exist and whether each was built is in MongoDB (`search_servers`), what
 * each still lacks is in the outbox. Whether a server answers is probed, and each process keeps the
 * answer (with the outbox counts) for `cacheMs` (1.5 s) so a busy instance probes each server at most
 * that often; a search that fails on a server is retried on the next one at once and the server counts as
 * down until the next probe. The turn counter is per process: instances need not agree on it.
 */
import { createHash } from 'node:crypto';
import { MeilisearchRequestError, type Meilisearch } from 'meilisearch';
import type { Models } from '../infra/models.js';
import { meiliAnswers, type MeiliReader } from '../infra/meili.js';

export interface SearchServer {
  /** As configured, without a trailing slash. */
  url: string;
  /** A field-name-safe key for the URL, the same on every instance: the delivery state is filed under it. */
  key: string;
  client: Meilisearch;
}

export const serverKey = (url: string) => `s${createHash('sha256').update(url.replace(/\/+$/, '')).digest('hex').slice(0, 12)}`;

export function searchServer(client: Meilisearch): SearchServer {
  const url = client.config.host.replace(/\/+$/, '');
  return { url, key: serverKey(url), client };
}

/**
 * Records a server the first time it is seen. The deployment's first server counts as built (the outbox
 * fills it, as with one server); a later one only if its index already holds documents (it was in use
 * before this record existed). Otherwise it waits for a build (the sync worker or `reindex --server`).
 */
export async function registerServer(models: Models, server: SearchServer, indexUid: string): Promise<boolean> {
  const { SearchServer: Servers } = models;
  if (await Servers.exists({ _id: server.key })) return false;
  let built = !(await Servers.exists({ builtAt: { $ne: null } }));
  if (!built) {
    try {
      built = (await server.client.index(indexUid).getStats()).numberOfDocuments > 0;
    } catch {
      built = false;
    }
  }
  const now = new Date();
  await Servers.updateOne(
    { _id: server.key },
    { $setOnInsert: { url: server.url, registeredAt: now, builtAt: built ? now : null } },
    { upsert: true },
  ).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err;
  });
  return true;
}

/** Its index is gone (a wiped disk): out of the searches until built again. */
export async function markUnbuilt(models: Models, server: SearchServer): Promise<void> {
  await models.SearchServer.updateOne({ _id: server.key }, { $set: { builtAt: null } });
}

export async function markBuilt(models: Models, server: SearchServer): Promise<void> {
  await models.SearchServer.updateOne(
    { _id: server.key },
    { $set: { url: server.url, builtAt: new Date() }, $setOnInsert: { registeredAt: new Date() } },
    { upsert: true },
  );
}

export interface ServerStatus {
  url: string;
  key: string;
  /** Answered its health probe. */
  up: boolean;
  /**
   * Its index was built (see registerServer) and still holds documents when another server's does (a
   * server that came back with its data lost is not searched).
   */
  built: boolean;
  /** Marks it has not received yet. */
  pending: number;
  /** Caught up: nothing it lacks is older than the lag allowed, has failed on it, or is on another server for a while already. */
  caughtUp: boolean;
}

export interface PoolOptions {
  servers: SearchServer[];
  models: Models;
  indexUid: string;
  /** Undelivered marks younger than this do not make a server count as behind (default 10 s). */
  lagMs?: number;
  /** ...unless another server has had them for this long (default 2 s). */
  peerLagMs?: number;
  /** How long a process trusts its last look at the servers (default 1.5 s). */
  cacheMs?: number;
  probeTimeoutMs?: number;
}

export function createSearchPool(options: PoolOptions) {
  const { servers, models } = options;
  const lagMs = options.lagMs ?? 10_000;
  const peerLagMs = options.peerLagMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 1_500;
  const probeTimeoutMs = options.probeTimeoutMs ?? 1_000;
  const keys = servers.map((s) => s.key);
  let cached: { at: number; statuses: Promise<ServerStatus[]> } | undefined;
  let turn = 0;

  async function look(): Promise<ServerStatus[]> {
    const now = Date.now();
    const [records, answers] = await Promise.all([
      models.SearchServer.find({ _id: { $in: keys } }).lean(),
      Promise.all(servers.map((s) => meiliAnswers(s.client, probeTimeoutMs))),
    ]);
    const built = new Set(records.filter((r) => r.builtAt).map((r) => r._id));
    // Documents per server that answered (a missing index holds none); null: could not tell.
    const documents = await Promise.all(servers.map((s, i) => (!answers[i] ? null : s.client.index(options.indexUid).getStats().then(
      (stats) => stats.numberOfDocuments,
      (err: { cause?: { code?: string } }) => (err.cause?.code === 'index_not_found' ? 0 : null),
    ))));
    const someHold = documents.some((n) => (n ?? 0) > 0);
    return Promise.all(servers.map(async (s, i) => {
      const others = keys.filter((k) => k !== s.key);
      const [pending, behind] = await Promise.all([
        models.SearchOutbox.countDocuments({ delivered: { $ne: s.key } }),
        models.SearchOutbox.exists({
          delivered: { $ne: s.key },
          $or: [
            { markedAt: { $lt: new Date(now - lagMs) } },
            { [`servers.${s.key}.attempts`]: { $gte: 1 } },
            ...(others.length ? [{ delivered: { $in: others }, markedAt: { $lt: new Date(now - peerLagMs) } }] : []),
          ],
        }),
      ]);
      const emptied = someHold && documents[i] === 0;
      return { url: s.url, key: s.key, up: answers[i], built: built.has(s.key) && !emptied, pending, caughtUp: !behind };
    }));
  }

  /** Every server's state, at most `cacheMs` old (`fresh`: looked at now). */
  async function status(fresh = false): Promise<ServerStatus[]> {
    if (fresh || !cached || Date.now() - cached.at > cacheMs) {
      const statuses = look();
      cached = { at: Date.now(), statuses };
      // A failed look (MongoDB away) is not kept.
      statuses.catch(() => { if (cached?.statuses === statuses) cached = undefined; });
    }
    return cached.statuses;
  }

  /** Forgets that a server answered, until the next look. */
  function sawFail(key: string) {
    const current = cached;
    if (!current) return;
    current.statuses = current.statuses.then((list) => list.map((s) => (s.key === key ? { ...s, up: false } : s)));
  }

  /**
   * The order to try servers in: the usable ones (up, built, caught up) taking turns, then those up and
   * built but behind (stale beats nothing), then the built ones that did not answer (the error says so).
   */
  async function order(): Promise<SearchServer[]> {
    if (servers.length === 1) return servers;
    // MongoDB cannot be asked (the search itself needs no MongoDB): the configured order, taking turns.
    const list = await status().catch(() => null);
    if (!list) {
      const start = turn++ % servers.length;
      return [...servers.slice(start), ...servers.slice(0, start)];
    }
    const rank = (s: ServerStatus) => (!s.built ? 3 : s.up && s.caughtUp ? 0 : s.up ? 1 : 2);
    const usable = list.filter((s) => rank(s) === 0);
    const start = usable.length ? turn++ % usable.length : 0;
    const rotated = [...usable.slice(start), ...usable.slice(0, start)];
    const rest = list.filter((s) => rank(s) === 1 || rank(s) === 2).sort((a, b) => rank(a) - rank(b));
    // No built server at all (cannot happen once one was registered): try them all rather than nothing.
    const chosen = [...rotated, ...rest];
    const byKey = new Map(servers.map((s) => [s.key, s]));
    return (chosen.length ? chosen : list).map((s) => byKey.get(s.key)!);
  }

  /** Runs a read on one server; a server that cannot be reached hands over to the next. */
  async function read<T>(fn: (client: Meilisearch) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const server of await order()) {
      try {
        return await fn(server.client);
      } catch (err) {
        if (!(err instanceof MeilisearchRequestError)) throw err;
        lastError = err;
        sawFail(server.key);
      }
    }
    throw lastError;
  }

  const pool: MeiliReader & { servers: SearchServer[]; keys: string[]; status: typeof status; byUrl(url: string): SearchServer | undefined } = {
    servers,
    keys,
    status,
    read,
    byUrl: (url) => servers.find((s) => s.url === url.trim().replace(/\/+$/, '')),
  };
  return pool;
}

export type SearchPool = ReturnType<typeof createSearchPool>;
