/**
 * Several Meilisearch servers (MEILI_HOST=a,b): every server gets every change through its own delivery
 * state; one stops and returns mid-run and is caught up; searches keep answering from the other meanwhile
 * and never from a server still catching up; one server is rebuilt (`reindex --server`) while the other
 * serves; a server added later is built before it is searched. Real Meilisearch processes of its own.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { createMeili } from '../../src/infra/meili.js';
import { startEmbedded, type EmbeddedServers } from '../../src/infra/embedded.js';
import { markProducts } from '../../src/search/outbox.js';
import { checkIndex } from '../../src/search/reindex.js';
import { baseEnv, spawnNode } from '../infra/proc.js';
import { buildTestApp, freePort, isolationName, testServers } from '../helper.js';
import { addProduct, addVendor, searchApi } from './fixtures.js';

interface Tap { teardown(fn: () => unknown): void }

// One master key for all servers, as MEILI_MASTER_KEY is one: written where the launcher reads its key.
// Starts, stops and restarts real Meilisearch processes: 76 s on an idle CI machine, past tap's 120 s under load.
t.setTimeout(300_000);
const KEY = randomBytes(24).toString('hex');
const prefix = 'multi_';
const indexUid = `${prefix}products`;

/** A Meilisearch process of this test's own, which the test can stop and start again on the same data. */
async function meiliServer(t: Tap) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gx-multi-meili-'));
  fs.writeFileSync(path.join(dataDir, 'meili-master-key'), `${KEY}\n`);
  const port = await freePort();
  const launch = () => startEmbedded({ dataDir, mongoPort: 0, meiliPort: port, spawnMongo: false, spawnMeili: true });
  let running: EmbeddedServers | undefined = await launch();
  const url = `http://127.0.0.1:${port}`;
  const server = {
    url,
    client: createMeili(url, KEY),
    async stop() { await running?.stop(); running = undefined; },
    /** Its data is lost (a new disk): everything but the key and the log goes. */
    wipe: () => fs.rmSync(path.join(dataDir, 'meili'), { recursive: true, force: true }),
    async start() { running = await launch(); },
    /** Product names on this server alone for a query, sorted. */
    async names(q: string) {
      const res = await this.client.index<{ name: string }>(indexUid).search(q, { limit: 50 });
      return res.hits.map((h) => h.name).sort();
    },
    /** Searches this server has answered (Meilisearch logs each HTTP request). */
    searches: () => (fs.readFileSync(path.join(dataDir, 'meilisearch.log'), 'utf8').match(new RegExp(`/indexes/${indexUid}/search`, 'g')) ?? []).length,
  };
  t.teardown(async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return server;
}

const appOn = (t: Tap, database: string, servers: Array<{ url: string; client: ReturnType<typeof createMeili> }>): Promise<FastifyInstance> =>
  buildTestApp(t, { MEILI_HOST: servers.map((s) => s.url).join(','), MEILI_MASTER_KEY: KEY, MEILI_INDEX_PREFIX: prefix }, {
    database, meili: servers.map((s) => s.client), background: false,
  });

interface Health { status: string; down?: string[]; servers?: Array<{ url: string; status: string; pending?: number }> }
const health = async (app: FastifyInstance) => {
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  return { code: res.statusCode, body: res.json() as Health };
};
const stateOf = (h: Health, url: string) => h.servers?.find((s) => s.url === url);

t.test('MEILI_HOST lists several servers: each is named once, without a trailing slash', async (t) => {
  const config = loadConfig({ MEILI_HOST: 'http://a.example:7700/, http://b.example:7700', MEILI_MASTER_KEY: 'k'.repeat(20) });
  t.same(config.MEILI_HOST, ['http://a.example:7700', 'http://b.example:7700']);
  t.throws(() => loadConfig({ MEILI_HOST: 'http://a.example:7700,http://a.example:7700/', MEILI_MASTER_KEY: 'k'.repeat(20) }), /MEILI_HOST.*重复/, 'a server listed twice is refused');
  t.throws(() => loadConfig({ MEILI_HOST: 'http://a.example:7700,b.example', MEILI_MASTER_KEY: 'k'.repeat(20) }), /MEILI_HOST.*b\.example/, 'a bad entry is named');
});

t.test('two servers: one stops and returns, searches go on, it is caught up; one is rebuilt while the other serves', async (t) => {
  const a = await meiliServer(t);
  const b = await meiliServer(t);
  const dbName = `${isolationName()}_multi`;
  const app = await appOn(t, dbName, [a, b]);
  const sync = app.searchSync;

  const vendor = await addVendor(app, { name: '杭州双机测试科技有限公司' });
  const first = await addProduct(app, vendor, { name: '双机测试网络摄像机', model: 'SJ-1', category: 'video-surveillance' });
  await sync.drain();
  t.same(await a.names('网络摄像机'), ['双机测试网络摄像机'], 'the first server holds the product');
  t.same(await b.names('网络摄像机'), ['双机测试网络摄像机'], 'so does the second');
  t.equal(await app.models.SearchOutbox.countDocuments(), 0, 'a mark goes once both servers have it');
  let h = await health(app);
  t.equal(h.code, 200);
  t.equal(h.body.status, 'ok');
  t.same(h.body.servers, [{ url: a.url, status: 'ok', pending: 0 }, { url: b.url, status: 'ok', pending: 0 }], '/healthz lists both servers');

  const before = [a.searches(), b.searches()];
  for (let i = 0; i < 8; i++) t.equal((await searchApi(app, { q: '网络摄像机' })).total, 1);
  t.ok(a.searches() > before[0] && b.searches() > before[1], `searches are spread over both servers (${a.searches() - before[0]} and ${b.searches() - before[1]})`);

  // The second server stops; writes go on.
  await b.stop();
  await app.models.Product.updateOne({ _id: first._id }, { $set: { name: '停机期间改名的网络摄像机' } });
  await markProducts(app.models, [first._id]);
  await addProduct(app, vendor, { name: '停机期间新增的网络摄像机', model: 'SJ-2', category: 'video-surveillance' });
  await t.rejects(sync.forServer(b.url)!.round(true), 'delivery to the stopped server fails');
  await sync.forServer(a.url)!.drain();
  const current = ['停机期间新增的网络摄像机', '停机期间改名的网络摄像机'].sort();
  t.same(await a.names('网络摄像机'), current, 'the running server has both changes');
  t.equal(await app.models.SearchOutbox.countDocuments(), 2, 'both changes wait in the outbox for the stopped server');
  for (let i = 0; i < 6; i++) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/search?q=网络摄像机' });
    t.equal(res.statusCode, 200, `search ${i + 1} answers while a server is down`);
    t.same((res.json() as { hits: Array<{ name: string }> }).hits.map((x) => x.name).sort(), current, 'with the latest changes');
  }
  h = await health(app);
  t.equal(h.code, 200, 'the instance stays healthy: search still works');
  t.equal(h.body.status, 'degraded');
  t.same(stateOf(h.body, b.url), { url: b.url, status: 'down', pending: 2 }, 'the stopped server is named with what it lacks');
  t.equal(stateOf(h.body, a.url)?.status, 'ok');

  // It returns, still without the changes: searches keep away from it until it has them.
  await b.start();
  t.same(await b.names('网络摄像机'), ['双机测试网络摄像机'], 'the returning server still has the old state');
  h = await health(app);
  t.same(stateOf(h.body, b.url), { url: b.url, status: 'behind', pending: 2 }, 'it answers but is behind');
  for (let i = 0; i < 6; i++) t.same((await searchApi(app, { q: '网络摄像机' })).hits.map((x) => x.name).sort(), current, 'no search is answered from the server still behind');
  await sync.forServer(b.url)!.drain();
  t.same(await b.names('网络摄像机'), current, 'edits made while it was down reached it after it returned');
  t.equal(await app.models.SearchOutbox.countDocuments(), 0, 'and the outbox is empty');
  h = await health(app);
  t.same(h.body, { status: 'ok', servers: [{ url: a.url, status: 'ok', pending: 0 }, { url: b.url, status: 'ok', pending: 0 }] });
  const back = b.searches();
  for (let i = 0; i < 6; i++) await searchApi(app, { q: '网络摄像机' });
  t.ok(b.searches() > back, 'once caught up it answers searches again');

  // Rebuild the second server from the command line while searches go on.
  const mongo = new URL(testServers().mongoUri);
  mongo.pathname = `/${dbName}`;
  const env = baseEnv({
    MONGODB_URI: mongo.toString(), MEILI_HOST: `${a.url},${b.url}`, MEILI_MASTER_KEY: KEY, MEILI_INDEX_PREFIX: prefix,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'gx-multi-cli-')), LOG_LEVEL: 'warn',
  });
  const swapsOn = async (s: typeof a) => (await s.client.tasks.getTasks({ types: ['indexSwap'], limit: 100 })).results.length;
  const swapsBefore = [await swapsOn(a), await swapsOn(b)];
  const cli = spawnNode('dist/cli.js', ['reindex', '--server', `${b.url}/`], env);
  const answers: number[] = [];
  let exited: number | string = 'timeout';
  while (exited === 'timeout') {
    answers.push((await searchApi(app, { q: '网络摄像机' })).total);
    exited = await cli.exitWithin(100);
  }
  t.equal(exited, 0, `reindex --server exits 0: ${cli.stderr()}`);
  t.match(cli.stdout(), new RegExp(`${b.url}：已重建索引 ${indexUid}：2 个产品`), 'it says which server it rebuilt');
  t.notOk(cli.stdout().includes(a.url), 'and only that one');
  t.ok(answers.length > 0 && answers.every((n) => n === 2), `searches answered ${answers.length} times during the rebuild, always complete`);
  t.equal(await swapsOn(b), swapsBefore[1] + 1, 'the named server got a fresh index');
  t.equal(await swapsOn(a), swapsBefore[0], 'the other was left alone');
  t.ok((await checkIndex(app.models, b.client, prefix, new Date())).inStep, 'the rebuilt server is in step with MongoDB');

  const unknown = spawnNode('dist/cli.js', ['reindex', '--server', 'http://127.0.0.1:1'], env);
  t.equal(await unknown.exitWithin(60_000), 1, 'a server not in MEILI_HOST is refused');
  t.match(unknown.stderr(), /不在 MEILI_HOST 中.*已配置的搜索服务器/, 'naming the configured ones');
  fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
});

t.test('a server added to MEILI_HOST later, or back with its data lost, is built from MongoDB before searches use it', async (t) => {
  const a = await meiliServer(t);
  const dbName = `${isolationName()}_added`;
  const app = await appOn(t, dbName, [a]);
  const vendor = await addVendor(app, { name: '杭州扩容测试科技有限公司' });
  for (let i = 0; i < 3; i++) await addProduct(app, vendor, { name: `扩容测试网络摄像机${i}`, model: `KR-${i}`, category: 'video-surveillance' });
  await app.searchSync.drain();
  t.same(await health(app).then((x) => x.body), { status: 'ok' }, 'one server: /healthz as before');

  // Another instance starts with a second, empty server listed.
  const c = await meiliServer(t);
  const wider = await appOn(t, dbName, [a, c]);
  let h = await health(wider);
  t.equal(h.code, 200);
  t.equal(stateOf(h.body, c.url)?.status, 'unbuilt', 'the new server is not searched before it is built');
  for (let i = 0; i < 6; i++) t.equal((await searchApi(wider, { q: '扩容测试' })).total, 3, 'searches answer complete meanwhile');
  t.equal(c.searches(), 0, 'none of them from the empty server');

  await wider.searchSync.forServer(c.url)!.round(true);
  t.equal((await c.names('扩容测试')).length, 3, 'its sync worker built its index from MongoDB');
  h = await health(wider);
  t.equal(stateOf(h.body, c.url)?.status, 'ok', 'and it joins the searches');

  // It comes back from a failure with its data lost.
  await c.stop();
  const [renamed] = await wider.models.Product.find({ vendor: vendor._id }).sort({ model: 1 }).limit(1);
  await wider.models.Product.updateOne({ _id: renamed._id }, { $set: { name: '扩容测试改名的网络摄像机' } });
  await markProducts(wider.models, [renamed._id]);
  await t.rejects(wider.searchSync.forServer(c.url)!.round(true), 'delivery fails while it is down');
  await wider.searchSync.forServer(a.url)!.drain();
  c.wipe();
  await c.start();
  h = await health(wider);
  t.equal(stateOf(h.body, c.url)?.status, 'unbuilt', 'a server that lost its data is not searched');
  const quiet = c.searches();
  for (let i = 0; i < 6; i++) t.equal((await searchApi(wider, { q: '扩容测试' })).total, 3, 'searches answer complete from the other');
  t.equal(c.searches(), quiet, 'none from the emptied server');
  await wider.searchSync.forServer(c.url)!.drain();
  t.same(await c.names('扩容测试'), ['扩容测试网络摄像机1', '扩容测试网络摄像机2', '扩容测试改名的网络摄像机'].sort(), 'it was rebuilt, with the change made while it was down');
  h = await health(wider);
  t.equal(stateOf(h.body, c.url)?.status, 'ok', 'and searched again');
});
