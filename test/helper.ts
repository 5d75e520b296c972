/**
 * Test support: each test file gets its own database and Meilisearch index prefix on the servers that
 * test/run.mjs started, and the app built exactly as in production (real MongoDB, real Meilisearch).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import net from 'node:net';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connectMongo } from '../src/infra/db.js';
import { createMeili } from '../src/infra/meili.js';
import type { Meilisearch } from 'meilisearch';
import { createModels } from '../src/infra/models.js';
import { hashPassword } from '../src/accounts/service.js';
import type { Role } from '../src/accounts/model.js';

interface Tap {
  teardown(fn: () => unknown): void;
}

export function testServers() {
  const mongoUri = process.env.TEST_MONGODB_URI;
  const meiliHost = process.env.TEST_MEILI_HOST;
  const meiliKey = process.env.TEST_MEILI_KEY;
  if (!mongoUri || !meiliHost || !meiliKey) {
    throw new Error('Run tests with `npm test`: it starts the MongoDB and Meilisearch the tests use.');
  }
  return { mongoUri, meiliHost, meiliKey };
}

/** A name unique to this test file and process, usable as a database name and index prefix. */
/** A TCP port free on 127.0.0.1 right now, for a server a test starts itself. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

export function isolationName(): string {
  const file = path.basename(process.argv[1] ?? 'test').replace(/\.test\.[cm]?[jt]s$/, '').replace(/[^a-z0-9]/gi, '_');
  return `t_${file.slice(0, 30)}_${process.pid}`;
}

export interface TestAppOptions {
  clock?: () => Date;
  /** false: no background loops; the test runs rounds itself. */
  background?: boolean;
  /** The database (default: one per test file), e.g. for two apps sharing one. */
  database?: string;
  /** Meilisearch clients other than the run's server (with MEILI_HOST naming them in `env`). */
  meili?: Meilisearch[];
}

export async function buildTestApp(t: Tap, env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<FastifyInstance> {
  const { mongoUri, meiliHost, meiliKey } = testServers();
  const { database, meili: servers, ...rest } = options;
  const name = database ?? isolationName();
  const conn = await connectMongo(mongoUri, name);
  const meili = servers ?? createMeili(meiliHost, meiliKey);
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent-test-data', MEILI_INDEX_PREFIX: `${name}_`, ...env });
  const app = await buildApp({ config: { ...config, sessionSecret: 'test-secret-'.padEnd(40, 'x') }, conn, meili, ...rest });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  });
  return app;
}

export async function createUser(app: FastifyInstance, role: Role, extra: Record<string, unknown> = {}) {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@test.cn`;
  const password = 'passw0rd-test';
  const user = await app.models.User.create({ email, name: `测试${role}`, role, passwordHash: await hashPassword(password), ...extra });
  return { id: String(user._id), email, password, role };
}

/** Cookie header value from a response's Set-Cookie headers. */
export function cookiesOf(res: LightMyRequestResponse): string {
  return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

export async function login(app: FastifyInstance, email: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return cookiesOf(res);
}

/** The CSRF token embedded in a rendered page's forms. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('page has no CSRF token');
  return match[1];
}

export { createModels };
