/**
 * A three-member replica set loses its primary in the middle of the writes that matter: an import, a
 * schedule save and concurrent follow-up moves. Every job finishes, nothing is lost or written twice, and
 * the search index is in step afterwards. Real mongod processes (test/infra/replica-set.ts).
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { connectMongo } from '../../src/infra/db.js';
import { createMeili } from '../../src/infra/meili.js';
import { checkIndex } from '../../src/search/reindex.js';
import { isolationName, testServers } from '../helper.js';
import { startReplicaSet } from './replica-set.js';
import { product, staffSession, vendor } from '../imports/fixtures.js';
import { createEvent, eventWorld, registerAll, wish, doubleBookings, api } from '../events/support.js';
import { followUpWorld, move } from '../followups/fixtures.js';
import { followUpModels } from '../../src/followups/model.js';

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
  let stepped = false;
  const worker = (async () => {
    for (let round = 0; round < 200; round++) {
      await app.imports.runPending('rs-worker').catch(() => { /* a round cut short by the election */ });
      const job = await jobNow();
      if (job && (job.status === 'done' || job.status === 'failed')) return job;
      await sleep(300);
    }
    return null;
  })();
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
  stepped = elections > 0;
  t.ok(stepped, `the primary stepped down while the import was writing (${elections} times)`);
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
  const w = await eventWorld(app, { vendors: 6, buyers: 6 });
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
  const w = await followUpWorld(app);
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
