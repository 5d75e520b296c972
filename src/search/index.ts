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
import fp from 'fastify-plugin';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLoop, watchCollection, type Loop, type Watch } from '../infra/background.js';
import { productsIndexName } from './settings.js';
import { createSearchSync, type SearchSync } from './sync.js';
import { createSearchService, type SearchService } from './service.js';
import { queryVocabulary } from './query-vocabulary.js';
import searchRoutes from './routes.js';
import directoryPages from './pages.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The outbox worker; `app.searchSync.drain()` delivers everything pending now. */
    searchSync: SearchSync;
    /** Queries the products index: `app.productSearch.search(query)`, `app.productSearch.suggest(q)`. */
    productSearch: SearchService;
  }
}

export default fp(async (app) => {
  const indexUid = productsIndexName(app.config.MEILI_INDEX_PREFIX);
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  const sync = createSearchSync({ models: app.models, meili: app.meili, indexUid, clock: app.clock, log: app.log });
  app.decorate('searchSync', sync);
  app.decorate('productSearch', createSearchService({ meili: app.meili, indexUid, clock: app.clock, policy, vocabulary: () => queryVocabulary(app.models), models: app.models }));

  let loop: Loop | undefined;
  let marks: Watch | undefined;
  app.addHook('onReady', async () => {
    try {
      await sync.ensureReady();
    } catch (err) {
      app.log.warn({ err, index: indexUid }, '暂时无法设置搜索索引（Meilisearch 不可用？），平台照常启动，稍后自动重试');
    }
    if (app.runsBackground) {
      loop = startLoop({
        name: 'search-sync',
        // The change stream below wakes the loop the moment a mark commits; the poll is the fallback.
        intervalMs: app.config.SEARCH_SYNC_POLL_MS,
        // A full batch means there may be more: go again at once.
        round: async () => (await sync.round()).claimed >= sync.batchSize,
        // The worker logs an outage once, not every 200 ms.
        log: { error: (obj, msg) => app.log.debug(obj, msg) },
      });
      const wake = loop.wake;
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
    await loop?.stop();
  });

  await app.register(searchRoutes);
  await app.register(directoryPages);
}, { name: 'search' });
