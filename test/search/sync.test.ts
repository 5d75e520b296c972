/**
 * Keeping Meilisearch in step with MongoDB: writes succeed while Meilisearch is down and reach the index
 * once it is back; two workers deliver each mark once.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { connectMongo } from '../../src/infra/db.js';
import { createMeili } from '../../src/infra/meili.js';
import { startEmbedded, type EmbeddedServers } from '../../src/infra/embedded.js';
import { markProducts } from '../../src/search/outbox.js';
import { createSearchSync } from '../../src/search/sync.js';
import { pollInterval } from '../../src/search/tasks.js';
import type { CurrentUser } from '../../src/accounts/access.js';
import { buildTestApp, freePort, isolationName, testServers } from '../helper.js';
import { addVendor, creditCode, searchApi } from './fixtures.js';

const organizer: CurrentUser = { id: '000000000000000000000001', email: 'org@test.cn', name: '测试主办方', role: 'organizer' };
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

t.test('Meilisearch down: writes succeed, and the index converges once it is back', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gx-meili-down-'));
  const meiliPort = await freePort();
  const start = () => startEmbedded({ dataDir, mongoPort: 0, meiliPort, spawnMongo: false, spawnMeili: true });
  let meiliServer: EmbeddedServers | undefined = await start();
  const name = `${isolationName()}_down`;
  const conn = await connectMongo(testServers().mongoUri, name);
  const meili = createMeili(meiliServer.meiliHost!, meiliServer.meiliKey!);
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, MEILI_INDEX_PREFIX: 'down_' });
  const app: FastifyInstance = await buildApp({ config: { ...config, sessionSecret: 'x'.repeat(40) }, conn, meili, background: false });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await conn.dropDatabase().catch(() => {});
    await conn.close();
    await meiliServer?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const s = app.suppliers;
  const vendorInput = {
    name: '杭州断线测试科技有限公司', creditCode: creditCode(), province: '浙江省', city: '杭州市', district: '滨江区',
    fields: ['security'], certifications: [],
  };
  const vendor = await s.createVendor(organizer, vendorInput as never);
  await s.submitVendor(organizer, String(vendor._id));
  await s.approveVendor(organizer, String(vendor._id));
  const productInput = { vendorCreditCode: vendor.creditCode, name: '断线前的网络摄像机', model: 'DX-1', category: 'video-surveillance', certifications: [] };
  const product = await s.createProduct(organizer, productInput as never);
  await s.submitProduct(organizer, String(product._id));
  await s.publishProduct(organizer, String(product._id));
  await app.searchSync.drain();
  t.equal((await searchApi(app, { q: '断线前' })).total, 1, 'indexed while Meilisearch is up');

  await meiliServer.stop();
  meiliServer = undefined;
  // Writes while Meilisearch is down all succeed.
  await s.updateProduct(organizer, String(product._id), { ...productInput, name: '恢复后改名的网络摄像机' } as never);
  const second = await s.createProduct(organizer, { ...productInput, name: '停机期间新增的网络摄像机', model: 'DX-2' } as never);
  await s.submitProduct(organizer, String(second._id));
  await s.publishProduct(organizer, String(second._id));
  await t.rejects(app.searchSync.round(true), 'a delivery attempt fails while Meilisearch is down');
  const marks = await app.models.SearchOutbox.find().lean();
  t.equal(marks.length, 2, 'both changes wait in the outbox');
  const failures = marks.map((m) => Object.values((m.servers ?? {}) as Record<string, { attempts?: number; lastError?: string }>)[0]);
  t.ok(failures.every((f) => (f?.attempts ?? 0) >= 1 && f?.lastError), 'with the attempt and error recorded');
  const down = await app.inject({ method: 'GET', url: '/api/v1/search?q=摄像机' });
  t.equal(down.statusCode, 503, 'search says it is unavailable, not a 500');
  t.match(down.json().message, /暂时不可用/);
  const page = await app.inject({ method: 'GET', url: '/directory?q=摄像机' });
  t.equal(page.statusCode, 200, 'the directory page still renders');
  t.match(page.body, /搜索服务暂时不可用/);

  meiliServer = await start();
  await app.searchSync.drain();
  t.equal(await app.models.SearchOutbox.countDocuments(), 0, 'outbox empty once delivered');
  const after = await searchApi(app, { q: '网络摄像机' });
  t.same(after.hits.map((h) => h.name).sort(), ['停机期间新增的网络摄像机', '恢复后改名的网络摄像机'].sort(), 'the index converged');
  t.notOk((await searchApi(app, { q: '断线前的网络摄像机' })).hits.some((h) => h.name === '断线前的网络摄像机'), 'the old name is gone');

  // Archiving removes the listing from search.
  await s.archiveProduct(organizer, String(second._id));
  await app.searchSync.drain();
  t.same((await searchApi(app, { q: '网络摄像机' })).hits.map((h) => h.name), ['恢复后改名的网络摄像机']);
});

t.test('two workers at once deliver each mark exactly once', async (t) => {
  const { mongoUri, meiliHost, meiliKey } = testServers();
  const name = `${isolationName()}_two`;
  const conn = await connectMongo(mongoUri, name);
  const meili = createMeili(meiliHost, meiliKey);
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent', MEILI_INDEX_PREFIX: `${name}_` });
  const app = await buildApp({ config: { ...config, sessionSecret: 'x'.repeat(40) }, conn, meili, background: false });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await meili.deleteIndexIfExists(app.searchSync.indexUid);
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  });
  const vendor = await addVendor(app, { name: '杭州并发测试有限公司' });
  const docs = Array.from({ length: 300 }, (_, i) => ({
    vendor: vendor._id, vendorCreditCode: vendor.creditCode, name: `并发测试摄像机${i}`, model: `BF-${i}`,
    category: 'video-surveillance', field: 'security', status: 'published',
  }));
  const products = await app.models.Product.insertMany(docs);
  await markProducts(app.models, products.map((p) => p._id));
  const before = (await meili.tasks.getTasks({ limit: 1 })).results[0]?.uid ?? -1;

  const workers = [1, 2].map(() => createSearchSync({ models: app.models, meili, indexUid: app.searchSync.indexUid, clock: () => new Date(), log: quiet, batchSize: 25 }));
  // Both race over the same outbox; concurrently re-mark some products to exercise version checks.
  await Promise.all([
    ...workers.map((w) => w.drain()),
    markProducts(app.models, products.slice(0, 20).map((p) => p._id)),
  ]);
  await app.searchSync.drain();

  const tasks = await meili.tasks.getTasks({ indexUids: [app.searchSync.indexUid], types: ['documentAdditionOrUpdate'], limit: 1000 });
  const received = tasks.results.filter((task) => task.uid > before).reduce((n, task) => n + Number(task.details?.receivedDocuments ?? 0), 0);
  t.ok(received >= 300 && received <= 320, `each mark delivered once (300 products, 20 re-marked): ${received} documents sent`);
  t.equal(await app.models.SearchOutbox.countDocuments(), 0, 'the outbox is empty');
  const stats = await meili.index(app.searchSync.indexUid).getStats();
  t.equal(stats.numberOfDocuments, 300, 'the index holds every product once');
});

t.test('a committed change wakes the sync worker through the change stream, without waiting for the poll', async (t) => {
  // The fallback poll is set to ten minutes: only the change stream can deliver within the wait below.
  const app = await buildTestApp(t, { SEARCH_SYNC_POLL_MS: '600000' }, { background: true });
  t.teardown(() => app.meili.deleteIndexIfExists(app.searchSync.indexUid));
  const vendor = await addVendor(app, { name: '杭州变更流测试科技有限公司' });
  const [product] = await app.models.Product.insertMany([{
    vendor: vendor._id, vendorCreditCode: vendor.creditCode, name: '变更流唤醒的网络摄像机', model: 'BL-1',
    category: 'video-surveillance', field: 'security', status: 'published',
  }]);
  await markProducts(app.models, [product._id]);
  const deadline = Date.now() + 60_000;
  let total = 0;
  while (Date.now() < deadline && total === 0) {
    total = (await searchApi(app, { q: '变更流唤醒' })).total;
    if (!total) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(total, 1, 'the new product is searchable long before the ten-minute poll');

  // A later edit (a re-mark of an existing outbox entry or a new one) is delivered the same way.
  await app.models.Product.updateOne({ _id: product._id }, { $set: { name: '变更流再次唤醒的网络摄像机' } });
  await markProducts(app.models, [product._id]);
  const again = Date.now() + 60_000;
  let renamed = 0;
  while (Date.now() < again && renamed === 0) {
    renamed = (await searchApi(app, { q: '再次唤醒' })).total;
    if (!renamed) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(renamed, 1, 'the edit is searchable too');
  // The worker clears its marks just after Meilisearch confirms the task: allow it that moment.
  let left = await app.models.SearchOutbox.countDocuments();
  for (const until = Date.now() + 30_000; left && Date.now() < until; left = await app.models.SearchOutbox.countDocuments()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(left, 0, 'and the outbox is empty');
});

t.test('one round pipelines batch after batch until the outbox is empty, each recorded once its task succeeded', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  t.teardown(() => app.meili.deleteIndexIfExists(app.searchSync.indexUid));
  const vendor = await addVendor(app, { name: '杭州流水线测试科技有限公司' });
  const products = await app.models.Product.insertMany(Array.from({ length: 45 }, (_, i) => ({
    vendor: vendor._id, vendorCreditCode: vendor.creditCode, name: `流水线测试摄像机${i}`, model: `LS-${i}`,
    category: 'video-surveillance', field: 'security', status: 'published',
  })));
  await app.searchSync.drain();
  await markProducts(app.models, products.map((p) => p._id));
  const before = (await app.meili.tasks.getTasks({ limit: 1 })).results[0]?.uid ?? -1;
  const worker = createSearchSync({ models: app.models, meili: app.meili, indexUid: app.searchSync.indexUid, clock: () => new Date(), log: quiet, batchSize: 10 });
  const result = await worker.round();
  t.same({ claimed: result.claimed, indexed: result.indexed, cleared: result.cleared }, { claimed: 45, indexed: 45, cleared: 45 }, 'a single round took all five batches');
  t.equal(await app.models.SearchOutbox.countDocuments(), 0, 'and recorded every mark as delivered');
  const tasks = (await app.meili.tasks.getTasks({ indexUids: [app.searchSync.indexUid], types: ['documentAdditionOrUpdate'], limit: 100 })).results.filter((task) => task.uid > before);
  t.equal(tasks.length, 5, 'as five tasks of at most ten documents');
  t.ok(tasks.every((task) => task.status === 'succeeded' && Number(task.details?.receivedDocuments) <= 10), 'all of which succeeded');
  t.equal((await searchApi(app, { q: '流水线测试' })).total, 45, 'every product is searchable');
});

t.test('task polling starts at 20 ms and slows to at most 250 ms as a task runs (pure)', async (t) => {
  t.equal(pollInterval(0), 20, 'a new task is polled every 20 ms');
  t.equal(pollInterval(100), 20);
  t.equal(pollInterval(800), 100, 'then every eighth of the time it has run');
  t.equal(pollInterval(60_000), 250, 'never slower than 250 ms');
  for (let elapsed = 0; elapsed < 5000; elapsed += 37) {
    t.ok(pollInterval(elapsed) <= Math.max(20, elapsed / 8) && pollInterval(elapsed + 37) >= pollInterval(elapsed), `monotone and bounded at ${elapsed} ms`);
  }
});
