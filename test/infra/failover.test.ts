/**
 * A three-member replica set loses its primary in the middle of the writes that matter: an import, a
 * schedule save and concurrent follow-up moves. Each is done twice: the primary steps down (a planned
 * election), and the primary is killed with SIGKILL (a crash: whatever it had not replicated is rolled
 * back when it comes back). Every job finishes, nothing is lost or written twice, the killed member
 * rejoins with everything, and the search index is in step afterwards (`check-index` as an operator runs
 * it). Real mongod processes (test/infra/replica-set.ts).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { connectMongo } from '../../src/infra/db.js';
import { createMeili } from '../../src/infra/meili.js';
import { checkIndex } from '../../src/search/reindex.js';
import { isolationName, testServers } from '../helper.js';
import { startReplicaSet } from './replica-set.js';
import { baseEnv, removeDir, repoRoot, spawnNode, tmpDir } from './proc.js';
import { product, staffSession, vendor } from '../imports/fixtures.js';
import { createEvent, eventWorld, registerAll, wish, doubleBookings, api, savedSchedule } from '../events/support.js';
import { followUpWorld, move } from '../followups/fixtures.js';
import { followUpModels } from '../../src/followups/model.js';

const cliJs = path.join(repoRoot, 'dist/cli.js');
if (!fs.existsSync(cliJs)) throw new Error('dist/ is missing: run the tests with `npm test`, which builds it first');

// Six failovers, three of them with a member restarted and taking its place back: more than tap's default.
t.setTimeout(300_000);

const rs = await startReplicaSet();
t.teardown(() => rs.stop());
const conn = await connectMongo(rs.uri, isolationName());
const { meiliHost, meiliKey } = testServers();
const prefix = `${isolationName()}_rs_`;
const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent-test-data', MEILI_INDEX_PREFIX: prefix, LOGIN_RATE_LIMIT: '1000', LOGIN_ACCOUNT_RATE_LIMIT: '1000' });
const meili = createMeili(meiliHost, meiliKey);
const app = await buildApp({ config: { ...config, sessionSecret: 'x'.repeat(40) }, conn, meili, background: false });
await app.ready();
t.teardown(async () => {
  await app.close();
  await meili.deleteIndexIfExists(app.searchSync.indexUid).catch(() => {});
  await conn.close();
});

/** Repeats a request a person would repeat after a 503 (“请稍后重试”), until it is answered. */
async function untilAnswered<T extends { statusCode: number }>(send: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    const res = await send();
    if (res.statusCode !== 503 || i >= 60) return res;
    await sleep(500);
  }
}

/** The worlds are made once (buyer organizations' names are unique) and shared by both variants. */
const once = <T>(make: () => Promise<T>) => {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
};
const eventPeople = once(() => eventWorld(app, { vendors: 6, buyers: 6 }));
const followUpPeople = once(() => followUpWorld(app));

/**
 * Arms a kill -9 of the current primary for the moment the app sends its n-th `method` on `collection`
 * (whose arguments pass `where`), or with `end` the moment that operation has been answered: the next
 * command of a transaction is then its commit. The signal is sent synchronously, before the driver goes on.
 */
async function killPrimaryOn(collection: string, method: string, n: number, opts: { when?: 'start' | 'end'; where?: (args: unknown[]) => boolean } = {}) {
  const primary = await rs.primary();
  let seen = 0;
  let killed: Promise<number> | undefined;
  const chosen = new Set<string>();
  type Op = { _id?: unknown; collectionName?: string; method?: string; params?: unknown[] };
  // Only a starting operation carries its arguments: its id tells which ending one it was.
  const onStart = (op: Op) => {
    if (killed || op.collectionName !== collection || op.method !== method) return;
    if (opts.where && !opts.where(op.params ?? [])) return;
    if (++seen !== n) return;
    if (opts.when === 'end') chosen.add(String(op._id));
    else killed = rs.kill(primary);
  };
  const onEnd = (op: Op) => {
    if (!killed && chosen.has(String(op._id))) killed = rs.kill(primary);
  };
  conn.on('operation-start', onStart);
  conn.on('operation-end', onEnd);
  return {
    /** The killed member's port once the kill happened (and the process is gone), else undefined. */
    async killed() {
      conn.off('operation-start', onStart);
      conn.off('operation-end', onEnd);
      return killed ? await killed : undefined;
    },
  };
}

/** `npm run cli -- check-index` against the replica set, as an operator runs it: exit code and report. */
async function checkIndexCli(): Promise<{ code: number | string; out: string }> {
  const dataDir = tmpDir('failover-cli');
  try {
    const cli = spawnNode(cliJs, ['check-index'], baseEnv({
      DATA_DIR: dataDir,
      MONGODB_URI: rs.uri.replace('/?', `/${isolationName()}?`),
      MEILI_HOST: meiliHost,
      MEILI_MASTER_KEY: meiliKey,
      MEILI_INDEX_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    }));
    const code = await cli.exitWithin(60_000);
    await cli.kill();
    return { code, out: `${cli.stdout()}${cli.stderr()}` };
  } finally {
    removeDir(dataDir);
  }
}

/** How many documents one member holds, asked directly (a secondary answers too). */
async function countOn(port: number, collection: string, filter: Record<string, unknown>): Promise<number> {
  const client = new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    return await client.db(isolationName()).collection(collection).countDocuments(filter);
  } finally {
    await client.close().catch(() => {});
  }
}

/** Runs the import worker rounds until the job ends (a round cut short by a failover is simply repeated). */
async function workUntilEnded(jobNow: () => Promise<{ status: string; failure?: string } | null>) {
  for (let round = 0; round < 200; round++) {
    await app.imports.runPending('rs-worker').catch(() => { /* a round cut short by the failover */ });
    const job = await jobNow();
    if (job && (job.status === 'done' || job.status === 'failed')) return job;
    await sleep(300);
  }
  return null;
}

/** Polls a member until it holds `expected` (a restarted secondary may still be applying the last writes). */
async function settlesAt(count: () => Promise<number>, expected: number): Promise<number> {
  let n = -1;
  for (const until = Date.now() + 30_000; Date.now() < until; await sleep(250)) {
    n = await count().catch(() => -1);
    if (n === expected) break;
  }
  return n;
}

t.test('the platform connects as a failover needs: writes wait for a majority, and are retried', async (t) => {
  // What makes the rest hold: an acknowledged write is on two members, so no election can roll it back, and
  // a write cut off by one is repeated once on the new primary (without being applied twice).
  const options = conn.getClient().options;
  t.equal(options.writeConcern?.w, 'majority', 'w: majority (transactions commit with it too)');
  t.equal(options.retryWrites, true, 'retryable writes');
  t.equal(options.retryReads, true, 'retryable reads');
});

t.test('an import survives its primary stepping down mid-file: every row once', async (t) => {
  const { cookie } = await staffSession(app);
  const vendors = Array.from({ length: 20 }, (_, i) => vendor(900 + i));
  const products = Array.from({ length: 3000 }, (_, i) => product(900 + (i % 20), `RS-${i}`));
  const res = await untilAnswered(() => app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload: { vendors, products, publish: true } }));
  t.equal(res.statusCode, 202, res.body);
  const jobId = res.json().jobId as string;
  const jobNow = async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie } });
    return r.statusCode === 200 ? (r.json() as { status: string; processed?: number; failure?: string }) : null;
  };
  // The worker runs while the primary steps down once it has written something.
  const worker = workUntilEnded(jobNow);
  // Three elections, each once the import has written more since the last one.
  let elections = 0;
  let seen = 0;
  for (let i = 0; i < 1200 && elections < 3; i++) {
    const job = await jobNow();
    if (job?.status === 'done' || job?.status === 'failed') break;
    if (job && (job.processed ?? 0) > seen) {
      seen = job.processed ?? 0;
      await rs.stepDown(1);
      elections++;
    } else await sleep(50);
  }
  t.ok(elections > 0, `the primary stepped down while the import was writing (${elections} times)`);
  const job = await worker;
  t.equal(job?.status, 'done', `the job finished (${job?.failure ?? ''})`);
  t.equal(await app.models.Product.countDocuments({ model: /^RS-/ }), 3000, 'every product is there');
  const dupes = await app.models.Product.aggregate([{ $match: { model: /^RS-/ } }, { $group: { _id: { v: '$vendor', m: '$model' }, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }]);
  t.equal(dupes.length, 0, 'none twice');
  await app.searchSync.drain(120_000);
  const check = await checkIndex(app.models, meili, prefix, app.clock());
  t.ok(check.inStep, `check-index: the search index is in step (${check.missing.length} missing, ${check.extra.length} extra, ${check.outdated.length} outdated)`);
});

t.test('a schedule save survives an election: one schedule, no double booking', async (t) => {
  const w = await eventPeople();
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, {}, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  for (const b of buyerIds) for (const v of vendorIds.slice(0, 4)) await wish(app, org, id, b, v, 'want');
  const [saved] = await Promise.all([
    untilAnswered(() => api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})),
    sleep(20).then(() => rs.stepDown()),
  ]);
  t.equal(saved.statusCode, 200, `saved after the election (${saved.body.slice(0, 200)})`);
  const meetings = await app.models.EventMeeting.find({ event: id }).lean();
  t.ok(meetings.length > 0, `${meetings.length} meetings saved`);
  t.same(await doubleBookings(app, id), [], 'no participant, table or slot is booked twice');
  const pairs = new Set(meetings.map((m) => `${m.buyer}:${m.vendor}`));
  t.equal(pairs.size, meetings.length, 'no pair is scheduled twice');
});

t.test('concurrent follow-up moves across an election: each move recorded once', async (t) => {
  const w = await followUpPeople();
  const demands = [w.demand];
  for (let i = 0; i < 5; i++) {
    demands.push(await app.models.Demand.create({ title: `选举期间的需求${i}`, field: 'security', quantity: 10, unit: '台', buyerOrg: w.orgA._id, status: 'open' }));
  }
  const moves = demands.flatMap((d) => [w.v1Id, w.v2Id].map((vendorId) => ({ demandId: String(d._id), vendorId })));
  const [answers] = await Promise.all([
    Promise.all(moves.map((m) => untilAnswered(() => move(app, w.cookies.buyerA, m.demandId, { vendorId: m.vendorId, to: 'contacted', note: '选举期间' })))),
    sleep(30).then(() => rs.stepDown()),
  ]);
  for (const a of answers) t.ok(a.statusCode === 200 || a.statusCode === 409, `answered ${a.statusCode}`);
  const { FollowUp } = followUpModels(app.conn);
  const docs = await FollowUp.find({ demand: { $in: demands.map((d) => d._id) } }).lean();
  t.equal(docs.length, moves.length, 'one follow-up per (demand, vendor)');
  t.ok(docs.every((d) => d.status === 'contacted'), 'each moved');
  t.ok(docs.every((d) => d.steps.length === 1), 'each move recorded once, not twice');
});

// ---- The same three, the primary killed (kill -9) instead of stepping down ----

t.test('an import survives its primary being killed mid-batch: every row once, the member rejoins, check-index in step', async (t) => {
  await rs.settle();
  const { cookie } = await staffSession(app);
  const vendors = Array.from({ length: 10 }, (_, i) => vendor(940 + i));
  const products = Array.from({ length: 1500 }, (_, i) => product(940 + (i % 10), `RK-${i}`));
  const res = await untilAnswered(() => app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload: { vendors, products, publish: true } }));
  t.equal(res.statusCode, 202, res.body);
  const jobId = res.json().jobId as string;
  const jobNow = async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie } });
    return r.statusCode === 200 ? (r.json() as { status: string; processed?: number; created?: number; failure?: string }) : null;
  };
  // The primary dies as the third of the four batches commits: the batch's last write inside its
  // transaction (the job's counts and cursor) has been answered, and the commit goes to a dead server.
  const advances = (args: unknown[]) => (args[1] as { $inc?: { processed?: number } } | undefined)?.$inc?.processed !== undefined;
  const kill = await killPrimaryOn(app.imports.ImportJob.collection.name, 'updateOne', 3, { when: 'end', where: advances });
  const job = await workUntilEnded(jobNow);
  const killed = await kill.killed();
  t.ok(killed, 'the primary was killed while the import was committing a batch');
  if (!killed) return;
  t.teardown(() => rs.restart(killed)); // whatever fails below, the next test starts with the whole set
  t.equal(job?.status, 'done', `the job finished (${job?.failure ?? ''})`);
  t.equal((await jobNow())?.created, 1510, 'the job reports 10 vendors and 1500 products created: no batch counted twice');
  t.equal(await app.models.Product.countDocuments({ model: /^RK-/ }), 1500, 'every product is there');
  const dupes = await app.models.Product.aggregate([{ $match: { model: /^RK-/ } }, { $group: { _id: { v: '$vendor', m: '$model' }, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }]);
  t.equal(dupes.length, 0, 'none twice');

  // The killed member comes back on its own files: it rolls back what only it had, catches up, rejoins.
  await rs.restart(killed);
  t.equal(await settlesAt(() => countOn(killed, app.models.Product.collection.name, { model: /^RK-/ }), 1500), 1500, 'the restarted member holds every product, once');

  await app.searchSync.drain(120_000);
  const check = await checkIndexCli();
  t.equal(check.code, 0, `npm run cli -- check-index exits 0 (${check.out.trim()})`);
  t.match(check.out, /结论：索引与 MongoDB 一致/, 'and says the index is in step');
});

t.test('a schedule save survives its primary being killed as it commits: one schedule, as shown, no double booking', async (t) => {
  await rs.settle();
  const w = await eventPeople();
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, { title: '主节点宕机演练对接会' }, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  for (const b of buyerIds) for (const v of vendorIds.slice(0, 4)) await wish(app, org, id, b, v, 'want');
  // The meetings are written; the next command of the save's transaction is its commit — the primary dies.
  const kill = await killPrimaryOn(app.models.EventMeeting.collection.name, 'insertMany', 1, { when: 'end' });
  let sends = 0;
  const saved = await untilAnswered(() => {
    sends++;
    return api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  });
  const killed = await kill.killed();
  t.ok(killed, 'the primary was killed while the schedule was being saved');
  if (!killed) return;
  t.teardown(() => rs.restart(killed)); // whatever fails below, the next test starts with the whole set
  t.equal(saved.statusCode, 200, `saved after the failover (${saved.body.slice(0, 200)})`);
  const key = (m: { buyer: string; vendor: string; slot: number; table: number }) => `${m.buyer}|${m.vendor}|${m.slot}|${m.table}`;
  const answered = (saved.json() as { meetings: Array<{ buyer: string; vendor: string; slot: number; table: number }> }).meetings.map(key).sort();
  const shown = await savedSchedule(app, org, id);
  t.ok(answered.length > 0, `${answered.length} meetings in the answer`);
  t.same(shown.meetings.map(key).sort(), answered, 'the schedule the organizer now sees is the one the save answered with');
  t.same(await doubleBookings(app, id), [], 'no participant, table or slot is booked twice');
  const event = await app.models.Event.findById(id).lean();
  const runs = (event?.log ?? []).filter((l) => l.action === 'schedule').length;
  t.ok(runs >= 1 && runs <= sends, `the log shows the run ${runs} time(s) for ${sends} request(s) sent: not twice for one`);

  await rs.restart(killed);
  const onKilled = () => countOn(killed, app.models.EventMeeting.collection.name, { event: new mongoose.Types.ObjectId(id) });
  t.equal(await settlesAt(onKilled, answered.length), answered.length, 'the restarted member holds the same schedule');
});

t.test('concurrent follow-up moves across a killed primary: each move recorded once, each vendor told once', async (t) => {
  await rs.settle();
  const w = await followUpPeople();
  const demands: Array<{ _id: mongoose.Types.ObjectId }> = [];
  for (let i = 0; i < 6; i++) {
    demands.push(await app.models.Demand.create({ title: `主节点宕机期间的需求${i}`, field: 'security', quantity: 10, unit: '台', buyerOrg: w.orgA._id, status: 'open' }));
  }
  const moves = demands.flatMap((d) => [w.v1Id, w.v2Id].map((vendorId) => ({ demandId: String(d._id), vendorId })));
  // The primary dies as the fourth of the twelve moves writes its follow-up; the others are in flight around it.
  const { FollowUp } = followUpModels(app.conn);
  const kill = await killPrimaryOn(FollowUp.collection.name, 'insertOne', 4);
  const answers = await Promise.all(moves.map((m) => untilAnswered(() => move(app, w.cookies.buyerA, m.demandId, { vendorId: m.vendorId, to: 'contacted', note: '主节点宕机期间' }))));
  const killed = await kill.killed();
  t.ok(killed, 'the primary was killed while the moves were being written');
  if (!killed) return;
  t.teardown(() => rs.restart(killed)); // whatever fails below, the next test starts with the whole set
  for (const a of answers) t.ok(a.statusCode === 200 || a.statusCode === 409, `answered ${a.statusCode}`);
  const docs = await FollowUp.find({ demand: { $in: demands.map((d) => d._id) } }).lean();
  t.equal(docs.length, moves.length, 'one follow-up per (demand, vendor)');
  t.ok(docs.every((d) => d.status === 'contacted'), 'each moved');
  t.ok(docs.every((d) => d.steps.length === 1), 'each move recorded once, not twice');
  // What each vendor reads in its inbox: one notice per demand, none twice.
  await app.notifications.drain();
  for (const cookie of [w.cookies.vendor1, w.cookies.vendor2]) {
    const inbox = await app.inject({ method: 'GET', url: '/api/v1/notifications?pageSize=50', headers: { cookie } });
    const titles = (inbox.json() as { notifications: Array<{ title: string }> }).notifications.map((n) => n.title).filter((s) => s.includes('主节点宕机期间的需求'));
    t.equal(titles.length, demands.length, `the vendor is told of each of the ${demands.length} moves`);
    t.equal(new Set(titles).size, titles.length, 'and of none twice');
  }

  await rs.restart(killed);
  const onKilled = () => countOn(killed, FollowUp.collection.name, { demand: { $in: demands.map((d) => d._id) }, 'steps.1': { $exists: false } });
  t.equal(await settlesAt(onKilled, moves.length), moves.length, 'the restarted member holds every follow-up with its one step');
});
