/**
 * `npm start` and `npm run cli` as processes, the way a person or a service manager runs them: the server
 * comes up, says where, serves Chinese pages, stops cleanly on SIGTERM; a bad PORT or a taken port ends
 * it with a message instead of a hang; with no servers configured it runs its own embedded pair and leaves
 * nothing behind; the CLI creates accounts, also against a running embedded platform.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { testServers } from '../helper.js';
import { lockPath, type LockInfo } from '../../src/infra/embedded.js';
import { baseEnv, freePort, isAlive, killQuietly, occupyPort, portIsFree, removeDir, repoRoot, spawnNode, tmpDir, waitUntil, type Spawned } from './proc.js';

t.setTimeout(600_000);

const serverJs = path.join(repoRoot, 'dist/server.js');
const cliJs = path.join(repoRoot, 'dist/cli.js');
if (!fs.existsSync(serverJs) || !fs.existsSync(cliJs)) {
  throw new Error('dist/ is missing: run the tests with `npm test`, which builds it first');
}

interface Tap {
  teardown(fn: () => unknown): void;
}

function freshDir(t: Tap, name: string): string {
  const dir = tmpDir(name);
  t.teardown(() => removeDir(dir));
  return dir;
}

/**
 * The test run's MongoDB and Meilisearch with a database and an index prefix of their own, as the
 * environment of a spawned server or CLI; both are removed when the test ends.
 */
function externalEnv(t: Tap, name: string, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const { mongoUri, meiliHost, meiliKey } = testServers();
  const isolation = `t_${name}_${process.pid}`;
  const uri = new URL(mongoUri);
  uri.pathname = `/${isolation}`;
  t.teardown(async () => {
    // Best effort: a teardown that throws would skip the ones after it.
    const client = new mongoose.mongo.MongoClient(uri.toString(), { serverSelectionTimeoutMS: 10_000 });
    await client.connect().then(() => client.db().dropDatabase()).catch(() => {});
    await client.close().catch(() => {});
    const headers = { authorization: `Bearer ${meiliKey}` };
    const list = await fetch(`${meiliHost}/indexes?limit=1000`, { headers }).then((r) => r.json() as Promise<{ results?: Array<{ uid: string }> }>).catch(() => ({ results: [] }));
    for (const { uid } of list.results ?? []) {
      if (uid.startsWith(`${isolation}_`)) await fetch(`${meiliHost}/indexes/${uid}`, { method: 'DELETE', headers }).catch(() => {});
    }
  });
  return baseEnv({
    DATA_DIR: dataDir,
    MONGODB_URI: uri.toString(),
    MEILI_HOST: meiliHost,
    MEILI_MASTER_KEY: meiliKey,
    MEILI_INDEX_PREFIX: `${isolation}_`,
    SESSION_SECRET: 'server-process-test-secret-'.padEnd(40, 'x'),
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

function start(t: Tap, env: Record<string, string>): Spawned {
  const server = spawnNode(serverJs, [], env);
  t.teardown(() => server.kill());
  return server;
}

async function get(url: string): Promise<{ status: number; type: string; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  } catch {
    return undefined; // not listening yet
  }
}

/** Polls /healthz until it answers 200; fails at once (with the process's output) if the server exits. */
async function healthy(server: Spawned, base: string, timeoutMs: number) {
  return waitUntil(`${base}/healthz to answer 200`, timeoutMs, async () => {
    if (server.proc.exitCode !== null || server.proc.signalCode !== null) {
      throw new Error(`the server exited (${server.proc.exitCode ?? server.proc.signalCode}) before it was healthy:\n${server.stdout()}\n${server.stderr()}`);
    }
    const res = await get(`${base}/healthz`);
    return res?.status === 200 ? res : undefined;
  }, 250);
}

function runCli(args: string[], env: Record<string, string>): Spawned {
  return spawnNode(cliJs, args, env);
}

t.test('with MONGODB_URI and MEILI_HOST set: serves, prints its URL, stops on SIGTERM with code 0', async (t) => {
  const dataDir = freshDir(t, 'serverproc');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = start(t, externalEnv(t, 'serverproc', dataDir, { PORT: String(port) }));

  const health = await healthy(server, base, 60_000);
  t.same(JSON.parse(health.body), { status: 'ok' }, '/healthz says ok');

  const banner = await waitUntil('the start banner', 30_000, () => server.stdout().includes(base) && server.stdout());
  t.match(banner, `供需对接平台已启动：${base}`, 'the banner gives the URL to open');
  t.match(banner, 'admin@example.com', 'and the sample login (sample data is on by default)');

  const home = await get(`${base}/`);
  t.equal(home?.status, 200, 'the home page is served');
  t.match(home?.type, 'text/html', 'as HTML');
  t.match(home?.body, 'lang="zh-CN"', 'in Chinese');
  t.match(home?.body, '供需对接平台');

  t.notOk(fs.existsSync(lockPath(dataDir)), 'no embedded servers were started for configured ones');

  server.proc.kill('SIGTERM');
  t.equal(await server.exitWithin(45_000), 0, 'SIGTERM stops it with exit code 0');
  t.ok(await portIsFree(port), 'the port is released');
  t.notMatch(server.stderr(), /Error|启动失败/, 'nothing went wrong on the way');
});

t.test('PORT=abc ends the start at once with code 2 and a message naming PORT', async (t) => {
  const dataDir = freshDir(t, 'serverproc-badport');
  const server = start(t, externalEnv(t, 'serverproc_badport', dataDir, { PORT: 'abc' }));
  t.equal(await server.exitWithin(30_000), 2, 'exit code 2 (configuration error)');
  t.match(server.stderr() + server.stdout(), 'PORT', 'the message names PORT');
  t.match(server.stderr(), '启动失败', 'in Chinese');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'nothing was spawned');
});

t.test('a port already taken ends the start with a message naming the port, never a hang', async (t) => {
  const dataDir = freshDir(t, 'serverproc-taken');
  const taken = await occupyPort();
  t.teardown(taken.release);
  const server = start(t, externalEnv(t, 'serverproc_taken', dataDir, { PORT: String(taken.port) }));
  const code = await server.exitWithin(60_000);
  t.not(code, 'timeout', 'the process ends by itself');
  t.not(code, 0, 'with a failure exit code');
  t.match(server.stderr(), String(taken.port), 'the message names the port');
  t.match(server.stderr(), 'PORT', 'and the setting that changes it');
});

t.test('the CLI creates a user, and refuses the same e-mail twice in Chinese', async (t) => {
  const dataDir = freshDir(t, 'cliproc');
  const env = externalEnv(t, 'cliproc', dataDir);
  const args = ['create-user', '--email', 'x@y.cn', '--password', 'abcdefgh12', '--role', 'admin'];

  const first = runCli(args, env);
  t.teardown(() => first.kill());
  t.equal(await first.exitWithin(90_000), 0, 'exit code 0');
  t.match(first.stdout().trim(), /^[0-9a-f]{24}$/, 'prints the new account id, and only that');

  const again = runCli(args, env);
  t.teardown(() => again.kill());
  const code = await again.exitWithin(90_000);
  t.not(code, 0, 'the same e-mail again fails');
  t.not(code, 'timeout');
  t.match(again.stderr(), '已被注册', 'saying the address is already registered');
  t.equal(again.stdout().trim(), '', 'and prints no id');

  const bad = runCli(['create-user', '--email', 'z@y.cn', '--password', 'abc', '--role', 'admin'], env);
  t.teardown(() => bad.kill());
  t.not(await bad.exitWithin(90_000), 0, 'a too short password fails');
  t.match(bad.stderr(), /--password：.*[\u4e00-\u9fff]/, 'with a Chinese message naming --password');
});

t.test('with nothing configured: embedded servers, the CLI beside it, a clean stop leaving nothing behind', async (t) => {
  const dataDir = freshDir(t, 'serverproc-embedded');
  const port = await freePort();
  const mongoPort = await freePort();
  const meiliPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = baseEnv({
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_MONGO_PORT: String(mongoPort),
    EMBEDDED_MEILI_PORT: String(meiliPort),
    SEED_SAMPLE_DATA: 'false',
    LOG_LEVEL: 'warn',
  });
  const server = start(t, env);
  // Never leave a database behind, whatever fails below.
  let children: number[] = [];
  t.teardown(() => killQuietly(children));

  const health = await healthy(server, base, 180_000);
  t.same(JSON.parse(health.body), { status: 'ok' }, '/healthz says ok with the embedded servers');
  const lock = JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
  children = lock.childPids;
  t.equal(lock.pid, server.proc.pid, 'the server owns DATA_DIR/embedded.lock.json');
  t.equal(children.length, 2, 'it runs a mongod and a meilisearch');
  t.ok(children.every(isAlive), 'both alive');
  t.same([lock.mongoPort, lock.meiliPort], [mongoPort, meiliPort], 'on the ports EMBEDDED_*_PORT named');

  const banner = await waitUntil('the start banner', 30_000, () => server.stdout().includes(base) && server.stdout());
  t.match(banner, base, 'the banner gives the URL');
  t.match(banner, dataDir, 'and the data directory');
  t.match(banner, 'create-user', 'and, without sample data, how to create an account');
  t.notMatch(banner, 'admin@example.com', 'no sample login with SEED_SAMPLE_DATA=false');

  // The CLI with the same environment talks to the running platform's servers instead of starting others.
  const cliEnv = baseEnv({ DATA_DIR: dataDir, EMBEDDED_MONGO_PORT: String(mongoPort), EMBEDDED_MEILI_PORT: String(meiliPort) });
  const cli = runCli(['create-user', '--email', 'ops@binjiang.cn', '--password', 'abcdefgh12', '--role', 'admin'], cliEnv);
  t.teardown(() => cli.kill());
  t.equal(await cli.exitWithin(90_000), 0, 'the CLI succeeds while the platform runs');
  t.match(cli.stdout().trim(), /^[0-9a-f]{24}$/, 'and prints the id');
  t.same((JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo).childPids, children, 'no second pair was started');
  t.ok(children.every(isAlive), 'and the platform\'s servers still run');
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@binjiang.cn', password: 'abcdefgh12' }),
    signal: AbortSignal.timeout(10_000),
  });
  t.equal(login.status, 200, 'the account the CLI created logs in to the running platform');

  server.proc.kill('SIGTERM');
  // mongod 4.0 spends up to ~10 s trying to step down as primary on SIGTERM; allow for that.
  t.equal(await server.exitWithin(60_000), 0, 'SIGTERM stops it with exit code 0');
  t.ok(children.every((pid) => !isAlive(pid)), 'no mongod or meilisearch survives it');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'the lock is removed');
  t.ok(await portIsFree(port) && await portIsFree(mongoPort) && await portIsFree(meiliPort), 'all three ports are free again');

  // With the platform stopped, the CLI starts the embedded servers itself, on the data the platform kept.
  const later = runCli(['create-user', '--email', 'ops@binjiang.cn', '--password', 'abcdefgh12', '--role', 'admin'], cliEnv);
  t.teardown(() => later.kill());
  t.equal(await later.exitWithin(120_000), 3, 'the account is still there after the stop: a conflict (exit code 3)');
  t.match(later.stderr(), '已被注册', 'reported in Chinese');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'the CLI stops the servers it started');
  t.ok(await portIsFree(mongoPort) && await portIsFree(meiliPort), 'and releases their ports');
});

// Signal handlers are installed before anything is spawned, so a signal during the start stops the children.

t.test('SIGTERM while the embedded servers are still starting stops them too', async (t) => {
  const dataDir = freshDir(t, 'serverproc-early-term');
  const env = baseEnv({
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    EMBEDDED_MONGO_PORT: String(await freePort()),
    EMBEDDED_MEILI_PORT: String(await freePort()),
    SEED_SAMPLE_DATA: 'false',
    LOG_LEVEL: 'warn',
  });
  const server = start(t, env);
  // The children exist as soon as the lock lists them, well before they are ready.
  const children = await waitUntil('the embedded servers to be spawned', 60_000, () => {
    try {
      const pids = (JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo).childPids;
      return pids.length === 2 && pids;
    } catch {
      return undefined;
    }
  }, 20);
  t.teardown(() => killQuietly(children));

  server.proc.kill('SIGTERM');
  const code = await server.exitWithin(60_000);
  t.not(code, 'timeout', 'the platform ends');
  t.type(code, 'number', 'by itself, after cleaning up (not killed by the signal)');
  t.ok(children.every((pid) => !isAlive(pid)), 'no mongod or meilisearch survives it');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'and the lock is removed');
});
