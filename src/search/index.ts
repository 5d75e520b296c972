/**
 * Search: the products index in Meilisearch, kept in step with MongoDB through the outbox, the search
 * API and the public directory pages. Settings are ensured when the app is ready; if Meilisearch is down
 * then, the app still starts and the sync loop retries.
 */
// Pure pieces first: matching/ and suppliers/ use these at load time.
export { jiebaWords, synonymGroups } from './vocabulary.js';
export { categoryName, type ProductDocument } from './document.js';
export { productsIndexName } from './settings.js';
export { markProducts, markVendorProducts } from './outbox.js';
export { checkIndexCommand, reindexCommand } from './cli.js';
export { informativeWords, isDomainTerm, understand, describeCorrections, type Correction, type Understood, type Vocabulary } from './understand.js';
export { queryVocabulary } from './query-vocabulary.js';
export { createSearchPool, searchServer, type SearchPool, type ServerStatus } from './servers.js';
import fp from 'fastify-plugin';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoop, watchCollection, type Loop, type Watch } from '../infra/background.js';
import { productsIndexName } from './settings.js';
import { combineSyncs, createSearchSync, type SearchSync } from './sync.js';
import { createSearchService, type SearchService } from './service.js';
import { queryVocabulary } from './query-vocabulary.js';
import searchRoutes from './routes.js';
import directoryPages from './pages.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The outbox workers, one per Meilisearch server; `app.searchSync.drain()` delivers everything pending
     * now to every server, `app.searchSync.forServer(url)` is one server's worker.
     */
    searchSync: SearchSync;
    /** Queries the products index: `app.productSearch.search(query)`, `app.productSearch.suggest(q)`. */
    productSearch: SearchService;
  }
}

export default fp(async (app) => {
  const indexUid = productsIndexName(app.config.MEILI_INDEX_PREFIX);
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  const pool = app.searchServers;
  const workers = pool.servers.map((server) => createSearchSync({
    models: app.models, meili: server.client, serverKeys: pool.keys, indexUid, clock: app.clock, log: app.log, prefix: app.config.MEILI_INDEX_PREFIX,
  }));
  const sync = combineSyncs(workers);
  app.decorate('searchSync', sync);
  app.decorate('productSearch', createSearchService({ meili: pool, indexUid, clock: app.clock, policy, vocabulary: () => queryVocabulary(app.models), models: app.models }));

  let loops: Loop[] = [];
  let marks: Watch | undefined;
  app.addHook('onReady', async () => {
    for (const worker of workers) {
      try {
        await worker.ensureReady();
      } catch (err) {
        app.log.warn({ err, index: indexUid, server: worker.server.url }, `暂时无法设置搜索索引（Meilisearch ${worker.server.url} 不可用？），平台照常启动，稍后自动重试`);
      }
    }
    if (app.runsBackground) {
      // One loop per server: a server that is down backs off alone while the others keep up.
      loops = workers.map((worker) => startLoop({
        name: workers.length > 1 ? `search-sync ${worker.server.url}` : 'search-sync',
        // The change stream below wakes the loop the moment a mark commits; the poll is the fallback.
        intervalMs: app.config.SEARCH_SYNC_POLL_MS,
        // A full batch means there may be more: go again at once.
        round: async () => (await worker.round()).claimed >= worker.batchSize,
        // The worker logs an outage once, not every 200 ms.
        log: { error: (obj, msg) => app.log.debug(obj, msg) },
      }));
      const wake = () => loops.forEach((loop) => loop.wake());
      // A new mark (insert) or a re-mark (markedAt set again); not the worker's own claim and release writes.
      marks = watchCollection(
        app.models.SearchOutbox,
        { $or: [{ operationType: 'insert' }, { 'updateDescription.updatedFields.markedAt': { $exists: true } }] },
        wake,
        app.log,
      );
      // Ready means live: wait (briefly; the poll covers a slow start) until the stream is open.
      const opened = await Promise.race([marks.listening.then(() => true), sleep(5000, false, { ref: false })]);
      if (!opened) app.log.warn('搜索同步的变更流未能及时打开，暂以轮询同步');
    }
  });
  app.addHook('onClose', async () => {
    await marks?.close();
    await Promise.all(loops.map((loop) => loop.stop()));
  });

  await app.register(searchRoutes);
  await app.register(directoryPages);
}, { name: 'search' });
