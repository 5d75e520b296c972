/**
 * MongoDB unreachable (stopped, or between primaries): requests get a Chinese 503 saying to retry, not a
 * 500, and /healthz names the database. Runs its own mongod, stopped mid-test.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { connectMongo } from '../../src/infra/db.js';
import { createMeili } from '../../src/infra/meili.js';
import { startEmbedded, type EmbeddedServers } from '../../src/infra/embedded.js';
import { freePort, isolationName, testServers } from '../helper.js';

t.test('MongoDB stops: a login answers 503 in Chinese, not 500; /healthz names mongodb', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gx-mongo-down-'));
  let mongo: EmbeddedServers | undefined = await startEmbedded({ dataDir, mongoPort: await freePort(), meiliPort: 0, spawnMongo: true, spawnMeili: false });
  const conn = await connectMongo(mongo.mongoUri!, isolationName());
  const { meiliHost, meiliKey } = testServers();
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, MEILI_INDEX_PREFIX: `${isolationName()}_` });
  const app = await buildApp({ config: { ...config, sessionSecret: 'x'.repeat(40) }, conn, meili: createMeili(meiliHost, meiliKey), background: false });
  await app.ready();
  t.teardown(async () => {
    await app.close().catch(() => {});
    await conn.close().catch(() => {});
    await mongo?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'healthy while MongoDB runs');

  await mongo.stop();
  mongo = undefined;
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'someone@test.cn', password: 'whatever-123' } });
  t.equal(login.statusCode, 503, 'a login while the database is away is a 503, not a 500');
  t.match(login.json().message, /数据库暂时不可用.*稍后重试/, 'saying, in Chinese, to try again');
  const page = await app.inject({ method: 'GET', url: '/login', headers: { accept: 'text/html' } });
  t.not(page.statusCode, 500, 'a page that needs no data still renders or answers a clear status');
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 503);
  t.same(health.json().down, ['mongodb'], '/healthz names the database');
});
