/**
 * The two triggers on the sample data: (a) vendors that match a newly opened demand well hear of it (run
 * by the outbox worker, once per vendor); (b) a buyer hears when a vendor expresses interest.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { seedSampleData } from '../../src/seeding/index.js';
import { notificationModels } from '../../src/notifications/model.js';

// Between the sample demand's best matches and its weaker ones (see the scores comment in the output).
const THRESHOLD = 0.8;
const app = await buildTestApp(t, { MATCH_NOTIFY_THRESHOLD: String(THRESHOLD) }, { background: false });
await seedSampleData(app.models);
await app.searchSync.drain();
const { Notification, NotificationOutbox } = notificationModels(app.conn);

// Every approved sample vendor gets a login, so every match has someone to tell.
const vendors = await app.models.Vendor.find({ status: 'approved' }, { _id: 1 }).lean();
const vendorUsers = new Map<string, string>();
for (const v of vendors) {
  const existing = await app.models.User.findOne({ vendor: v._id }).lean();
  vendorUsers.set(String(v._id), existing ? String(existing._id) : (await createUser(app, 'vendor', { vendor: v._id })).id);
}

const demand = await app.models.Demand.findOne({ title: '中小学“午休躺睡”课桌椅更新采购' }).lean();
const demandId = String(demand!._id);

t.test('(a) a vendor that matches a new demand well hears of it; the others do not', async (t) => {
  const matches = await app.matching.matchDemandById(demandId, { limit: 20 });
  t.comment(`scores: ${matches.map((m) => m.score.toFixed(2)).join(' ')}`);
  const expected = matches.filter((m) => m.score >= THRESHOLD).map((m) => m.vendor.id);
  const below = matches.filter((m) => m.score < THRESHOLD).map((m) => m.vendor.id);
  t.ok(expected.length > 0, 'some vendors match well');
  t.ok(below.length > 0, 'and some only weakly (else the threshold below is not exercised)');

  await app.notifications.enqueueMatchAlert(demandId);
  t.equal(await Notification.countDocuments({ kind: 'demand.match' }), 0, 'matching waits for the worker');
  await app.notifications.drain();
  const told = await Notification.find({ kind: 'demand.match' }).lean();
  const toldVendors = new Set(told.map((n) => [...vendorUsers].find(([, u]) => u === String(n.user))?.[0]));
  t.same([...toldVendors].sort(), [...expected].sort(), 'exactly the vendors at or above the threshold');
  for (const id of below) t.notOk(toldVendors.has(id), 'a weak match is not told');
  const first = told.find((n) => String(n.user) === vendorUsers.get(expected[0]))!;
  t.match(first.title, /新需求与贵公司匹配：中小学“午休躺睡”课桌椅更新采购/);
  t.match(first.body, /杭州市滨江区教育局.*匹配度 \d+%/);
  t.equal(first.link, `/demands/${demandId}`);

  await app.notifications.enqueueMatchAlert(demandId);
  await app.notifications.drain();
  t.equal(await Notification.countDocuments({ kind: 'demand.match' }), told.length, 'a vendor hears of a demand once');
});

t.test('(a) a demand closed before the worker runs alerts no one', async (t) => {
  const other = await app.models.Demand.findOne({ _id: { $ne: demand!._id }, status: 'open' }).lean();
  await app.models.Demand.updateOne({ _id: other!._id }, { $set: { status: 'closed' } });
  const before = await Notification.countDocuments({});
  const id = await app.notifications.enqueueMatchAlert(String(other!._id));
  await app.notifications.drain();
  t.equal(await Notification.countDocuments({}), before);
  t.equal((await NotificationOutbox.findById(id).lean())?.status, 'done');
});

t.test('(b) a vendor saying 已联系 or 有意向 tells the buyer organization', async (t) => {
  const org = await app.models.BuyerOrg.findById(demand!.buyerOrg).lean();
  const buyers = [
    await createUser(app, 'buyer', { buyerOrg: org!._id }),
    await createUser(app, 'buyer', { buyerOrg: org!._id }),
  ];
  const otherOrg = await app.models.BuyerOrg.findOne({ _id: { $ne: org!._id } }).lean();
  const outsider = await createUser(app, 'buyer', { buyerOrg: otherOrg!._id });
  const [vendorId, vendorUserId] = [...vendorUsers][0];
  const actor = await createUser(app, 'vendor', { vendor: vendorId });
  const cookie = await login(app, actor.email, actor.password);
  const res = await app.inject({ method: 'POST', url: `/api/v1/demands/${demandId}/follow-ups`, headers: { cookie }, payload: { vendorId, to: 'contacted' } });
  t.equal(res.statusCode, 200, res.body);
  await app.notifications.drain();
  for (const b of buyers) {
    const mine = await Notification.find({ user: b.id, kind: 'followup.interest' }).lean();
    t.equal(mine.length, 1, 'each user of the buyer organization is told');
    t.match(mine[0].title, /已与贵单位联系/);
  }
  t.equal(await Notification.countDocuments({ user: outsider.id }), 0, 'another organization is not');
  t.equal(await Notification.countDocuments({ user: vendorUserId, kind: 'followup.interest' }), 0, 'nor the vendor itself');

  await app.inject({ method: 'POST', url: `/api/v1/demands/${demandId}/follow-ups`, headers: { cookie }, payload: { vendorId, to: 'intent' } });
  await app.notifications.drain();
  const latest = await Notification.find({ user: buyers[0].id, kind: 'followup.interest' }).sort({ createdAt: -1, _id: -1 }).lean();
  t.equal(latest.length, 2);
  t.ok(latest.some((n) => /表示有意向/.test(n.title)));
});
