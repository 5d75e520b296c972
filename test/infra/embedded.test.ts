/**
 * The embedded launcher as a person running `npm start` meets it: a real mongod (replica set) and a real
 * meilisearch come up on 127.0.0.1 with their data in DATA_DIR, keep it across restarts, refuse to share
 * a data directory, explain a taken port or a wrong binary, and report a crash.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import mongoose from 'mongoose';
import { EmbeddedError, lockPath, startEmbedded, type EmbeddedOptions, type EmbeddedServers, type LockInfo } from '../../src/infra/embedded.js';
import { after, baseEnv, commandLineOf, freePort, isAlive, killQuietly, occupyPort, portIsFree, removeDir, repoRoot, spawnNode, tmpDir, waitUntil } from './proc.js';

t.setTimeout(600_000);

interface Tap {
  teardown(fn: () => unknown): void;
}

async function ports() {
  return { mongoPort: await freePort(), meiliPort: await freePort() };
}

function freshDir(t: Tap, name: string): string {
  const dir = tmpDir(name);
  t.teardown(() => removeDir(dir));
  return dir;
}

/** Starts the pair and makes sure it is stopped when the test ends, whatever happens in between. */
async function start(t: Tap, options: EmbeddedOptions): Promise<EmbeddedServers> {
  const servers = await startEmbedded(options);
  t.teardown(() => servers.stop());
  return servers;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the start to be refused, but it succeeded');
}

async function withMongo<T>(uri: string, fn: (client: mongoose.mongo.MongoClient) => Promise<T>): Promise<T> {
  const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 15_000 });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close();
  }
}

function meili(host: string, key: string | undefined, urlPath: string, init: RequestInit = {}) {
  return fetch(`${host}${urlPath}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    signal: AbortSignal.timeout(10_000),
  });
}

async function meiliTask(host: string, key: string, res: Response): Promise<void> {
  const { taskUid } = (await res.json()) as { taskUid: number };
  const status = await waitUntil(`Meilisearch task ${taskUid}`, 30_000, async () => {
    const task = (await (await meili(host, key, `/tasks/${taskUid}`)).json()) as { status: string };
    return ['succeeded', 'failed', 'canceled'].includes(task.status) ? task.status : undefined;
  });
  if (status !== 'succeeded') throw new Error(`Meilisearch task ${taskUid} ${status}`);
}

function readLock(dataDir: string): LockInfo {
  return JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
}

function childPid(lock: LockInfo, binary: 'mongod' | 'meilisearch'): number {
  const pid = lock.childPids.find((p) => commandLineOf(p).split(' ')[0].endsWith(binary));
  if (!pid) throw new Error(`no ${binary} among ${JSON.stringify(lock.childPids)}`);
  return pid;
}

t.test('a fresh data directory gets a replica-set MongoDB and a keyed Meilisearch on 127.0.0.1', async (t) => {
  const dataDir = freshDir(t, 'embedded-fresh');
  const crashes: string[] = [];
  const servers = await start(t, { dataDir, ...(await ports()), onCrash: (m) => crashes.push(m) });

  t.match(servers.mongoUri, /^mongodb:\/\/127\.0\.0\.1:\d+\//, 'MongoDB is bound to 127.0.0.1');
  t.match(servers.meiliHost, /^http:\/\/127\.0\.0\.1:\d+$/, 'Meilisearch is bound to 127.0.0.1');

  await withMongo(servers.mongoUri!, async (client) => {
    const admin = client.db('admin');
    t.match(await admin.command({ ping: 1 }), { ok: 1 }, 'MongoDB answers a ping');
    const hello = await admin.command({ isMaster: 1 });
    t.equal(hello.setName, 'rs0', 'MongoDB runs as the replica set rs0');
    t.equal(hello.ismaster, true, 'and is its primary, ready for writes');

    // Transactions are why it is a replica set: they must work on the embedded server.
    const coll = client.db('embedded_test').collection('tx');
    await coll.insertOne({ _id: 'seed' as never });
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: 'in-tx' as never }, { session });
      });
    } finally {
      await session.endSession();
    }
    t.equal(await coll.countDocuments(), 2, 'a transaction commits');
  });

  const health = await meili(servers.meiliHost!, undefined, '/health');
  t.equal(health.status, 200, 'Meilisearch answers /health');
  t.equal((await meili(servers.meiliHost!, servers.meiliKey, '/indexes')).status, 200, 'the generated key opens Meilisearch');
  t.equal((await meili(servers.meiliHost!, undefined, '/indexes')).status, 401, 'Meilisearch refuses requests without the key');
  t.equal((await meili(servers.meiliHost!, 'wrong-key-0123456789', '/indexes')).status, 403, 'and with a wrong key');

  const keyFile = path.join(dataDir, 'meili-master-key');
  t.equal(fs.readFileSync(keyFile, 'utf8').trim(), servers.meiliKey, 'the key is kept in DATA_DIR/meili-master-key');
  t.ok((servers.meiliKey ?? '').length >= 16, 'the key is long enough for Meilisearch');
  t.equal(fs.statSync(keyFile).mode & 0o077, 0, 'only the owner can read the key file');

  const lock = readLock(dataDir);
  t.equal(lock.pid, process.pid, 'the lock names the process that owns the servers');
  t.equal(lock.childPids.length, 2, 'and both children');
  t.ok(lock.childPids.every(isAlive), 'which are running');

  await servers.stop();
  t.notOk(fs.existsSync(lockPath(dataDir)), 'stop() removes the lock');
  t.ok(lock.childPids.every((pid) => !isAlive(pid)), 'stop() leaves no mongod or meilisearch running');
  t.ok(await portIsFree(Number(new URL(servers.meiliHost!).port)), 'the Meilisearch port is free again');
  t.same(crashes, [], 'an orderly stop is not reported as a crash');
});

t.test('data and the key survive a stop and a restart', async (t) => {
  const dataDir = freshDir(t, 'embedded-restart');
  const options = { dataDir, ...(await ports()) };
  const first = await startEmbedded(options);
  let firstStopped = false;
  t.teardown(() => (firstStopped ? undefined : first.stop()));
  await withMongo(first.mongoUri!, (client) =>
    client.db('gongxu').collection('restart_check').insertOne({ name: '数控机床', n: 42 }),
  );
  await meiliTask(first.meiliHost!, first.meiliKey!, await meili(first.meiliHost!, first.meiliKey, '/indexes', {
    method: 'POST',
    body: JSON.stringify({ uid: 'restart_check', primaryKey: 'id' }),
  }));
  await meiliTask(first.meiliHost!, first.meiliKey!, await meili(first.meiliHost!, first.meiliKey, '/indexes/restart_check/documents', {
    method: 'POST',
    body: JSON.stringify([{ id: 1, name: '数控机床' }]),
  }));
  await first.stop();
  firstStopped = true;

  const second = await start(t, options);
  t.equal(second.meiliKey, first.meiliKey, 'the second start reuses the key from DATA_DIR');
  const doc = await withMongo(second.mongoUri!, async (client) => {
    t.equal((await client.db('admin').command({ isMaster: 1 })).ismaster, true, 'MongoDB is primary again after the restart');
    return client.db('gongxu').collection('restart_check').findOne({ n: 42 });
  });
  t.equal(doc?.name, '数控机床', 'a document written before the stop is read after the restart');
  const res = await meili(second.meiliHost!, second.meiliKey, '/indexes/restart_check/documents/1');
  t.equal(res.status, 200, 'a Meilisearch document written before the stop is found after the restart');
  t.match(await res.json(), { id: 1, name: '数控机床' });
});

t.test('a second start on a data directory in use is refused and leaves the first running', async (t) => {
  const dataDir = freshDir(t, 'embedded-twice');
  const first = await start(t, { dataDir, ...(await ports()) });
  const lockBefore = fs.readFileSync(lockPath(dataDir), 'utf8');

  const err = await rejection(startEmbedded({ dataDir, ...(await ports()) }));
  t.ok(err instanceof EmbeddedError, 'refused with an explanation, not a crash');
  t.match(err.message, dataDir, 'the message names the data directory');
  t.match(err.message, String(process.pid), 'and the process that uses it');
  t.match(err.message, 'DATA_DIR', 'and says which setting to change');

  t.equal(fs.readFileSync(lockPath(dataDir), 'utf8'), lockBefore, 'the running instance keeps its lock');
  t.ok(readLock(dataDir).childPids.every(isAlive), 'its mongod and meilisearch still run');
  await withMongo(first.mongoUri!, async (client) => {
    t.match(await client.db('admin').command({ ping: 1 }), { ok: 1 }, 'its MongoDB still answers');
  });
  t.equal((await meili(first.meiliHost!, first.meiliKey, '/indexes')).status, 200, 'its Meilisearch still answers with its key');
});

t.test('a taken MongoDB port is refused with a message naming the port', async (t) => {
  const dataDir = freshDir(t, 'embedded-mongoport');
  const taken = await occupyPort();
  t.teardown(taken.release);
  const meiliPort = await freePort();
  const err = await rejection(startEmbedded({ dataDir, mongoPort: taken.port, meiliPort }));
  t.ok(err instanceof EmbeddedError);
  t.match(err.message, String(taken.port), 'the message names the port');
  t.match(err.message, 'EMBEDDED_MONGO_PORT', 'and the setting that moves it');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'no lock is left behind, so the next start is not blocked');
  t.ok(await portIsFree(meiliPort), 'no Meilisearch is left running');
});

// A failed start must end its readiness polls too (they used to reject unhandled and could reach the next
// mongod on the port).

t.test('a taken Meilisearch port is refused and the MongoDB already started is stopped', async (t) => {
  const dataDir = freshDir(t, 'embedded-meiliport');
  const taken = await occupyPort();
  t.teardown(taken.release);
  const mongoPort = await freePort();
  const err = await rejection(startEmbedded({ dataDir, mongoPort, meiliPort: taken.port }));
  t.ok(err instanceof EmbeddedError);
  t.match(err.message, String(taken.port), 'the message names the port');
  t.match(err.message, 'EMBEDDED_MEILI_PORT', 'and the setting that moves it');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'no lock is left behind');
  t.ok(await waitUntil('the MongoDB port to be released', 20_000, () => portIsFree(mongoPort)), 'no mongod is left running');

  await taken.release();
  const servers = await start(t, { dataDir, mongoPort, meiliPort: taken.port });
  t.equal((await meili(servers.meiliHost!, servers.meiliKey, '/indexes')).status, 200, 'once the port is free, the same data directory starts');
});

t.test('a MONGOD_BIN or MEILI_BIN that does not exist is refused naming the variable', async (t) => {
  const dataDir = freshDir(t, 'embedded-nobin');
  const missing = path.join(dataDir, 'no-such-dir', 'mongod');
  const mongoErr = await rejection(startEmbedded({ dataDir, ...(await ports()), mongodBin: missing }));
  t.ok(mongoErr instanceof EmbeddedError);
  t.match(mongoErr.message, 'MONGOD_BIN', 'the message names MONGOD_BIN');
  t.match(mongoErr.message, missing, 'and the path that was tried');

  const meiliErr = await rejection(startEmbedded({ dataDir, ...(await ports()), meiliBin: missing }));
  t.ok(meiliErr instanceof EmbeddedError);
  t.match(meiliErr.message, 'MEILI_BIN', 'the message names MEILI_BIN');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'no lock is left behind');
});

t.test('a binary that exits at once fails the start promptly with its own error text', async (t) => {
  const dataDir = freshDir(t, 'embedded-badbin');
  const fake = path.join(dataDir, 'fake-mongod');
  // Written without the run bit, as an npm tarball may deliver a binary: the launcher must add it.
  fs.writeFileSync(fake, '#!/bin/sh\necho "fake mongod: cannot open dbpath" >&2\nexit 3\n', { mode: 0o644 });
  const { mongoPort, meiliPort } = await ports();
  const began = Date.now();
  // Only MongoDB: a Meilisearch still starting when MongoDB fails would hit the bug noted above.
  const err = await rejection(startEmbedded({ dataDir, mongoPort, meiliPort, mongodBin: fake, spawnMeili: false }));
  t.ok(err instanceof EmbeddedError);
  t.match(err.message, 'MongoDB', 'the message says which server failed');
  t.match(err.message, '退出码 3', 'with its exit code');
  t.match(err.message, 'fake mongod: cannot open dbpath', 'and what the binary printed');
  t.ok(Date.now() - began < 45_000, 'without waiting for the readiness deadline');
  t.notOk(fs.existsSync(lockPath(dataDir)), 'no lock is left behind');
});

t.test('a mongod killed after start is reported through onCrash', async (t) => {
  const dataDir = freshDir(t, 'embedded-crash');
  let reported: (message: string) => void = () => {};
  const crash = new Promise<string>((resolve) => (reported = resolve));
  const crashes: string[] = [];
  await start(t, {
    dataDir,
    ...(await ports()),
    onCrash: (message) => {
      crashes.push(message);
      reported(message);
    },
  });
  const mongod = childPid(readLock(dataDir), 'mongod');
  process.kill(mongod, 'SIGKILL');
  const message = await Promise.race([crash, after(30_000, '(no report within 30 s)')]);
  t.match(message, 'MongoDB', 'the report names MongoDB');
  t.match(message, '意外退出', 'and says it stopped unexpectedly');
  t.match(message, dataDir, 'and where its logs are');
  t.equal(crashes.length, 1, 'reported once');
});

t.test('servers orphaned by a killed platform process are cleaned up by the next start', async (t) => {
  const dist = path.join(repoRoot, 'dist/infra/embedded.js');
  if (!fs.existsSync(dist)) throw new Error('dist/ is missing: run the tests with `npm test`, which builds it first');
  const dataDir = freshDir(t, 'embedded-orphans');
  const options = { dataDir, ...(await ports()) };
  const script = path.join(dataDir, 'owner.mjs');
  fs.writeFileSync(
    script,
    `import { startEmbedded } from ${JSON.stringify(pathToFileURL(dist).href)};\n` +
      `const s = await startEmbedded(${JSON.stringify(options)});\n` +
      `process.stdout.write('READY ' + JSON.stringify({ mongoUri: s.mongoUri }) + '\\n');\n` +
      `setInterval(() => {}, 60000);\n`,
  );
  const owner = spawnNode(script, [], baseEnv({}));
  t.teardown(() => owner.kill());
  const mongoUri = await waitUntil('the owner process to start its servers', 120_000, async () => {
    if (owner.proc.exitCode !== null) throw new Error(`owner exited: ${owner.stderr()}`);
    const line = /READY (.*)\n/.exec(owner.stdout());
    return line ? (JSON.parse(line[1]) as { mongoUri: string }).mongoUri : undefined;
  });
  const orphans = readLock(dataDir).childPids;
  // A last resort, should the launcher not clean up: never leave these behind after the test.
  t.teardown(() => killQuietly(orphans));

  owner.proc.kill('SIGKILL'); // kill -9, the OOM killer: no chance to stop the children
  await owner.exited;
  t.ok(orphans.every(isAlive), 'the children outlive their killed owner (precondition)');
  await withMongo(mongoUri, (client) => client.db('gongxu').collection('orphan_check').insertOne({ kept: true }));

  const servers = await start(t, options);
  t.ok(orphans.every((pid) => !isAlive(pid)), 'the orphaned mongod and meilisearch were stopped');
  t.notSame(readLock(dataDir).childPids.sort(), [...orphans].sort(), 'fresh children own the data directory now');
  const kept = await withMongo(servers.mongoUri!, (client) => client.db('gongxu').collection('orphan_check').findOne({ kept: true }));
  t.ok(kept, 'data written to the orphaned mongod is still there');
});
