/** First-start seeding: complete, never duplicated, and off when SEED_SAMPLE_DATA=false. */
import t from 'tap';
import { createModels } from '../../src/infra/models.js';
import { connectMongo } from '../../src/infra/db.js';
import { seed, sampleLogins } from '../../src/seeding/index.js';
import { checkRoute } from '../../src/visits/index.js';
import { isolationName, testServers } from '../helper.js';

async function freshModels(t: { teardown(fn: () => unknown): void }, suffix: string) {
  const conn = await connectMongo(testServers().mongoUri, `${isolationName()}_${suffix}`);
  const models = createModels(conn);
  await Promise.all(Object.values(models).map((m) => m.init()));
  t.teardown(async () => {
    await conn.dropDatabase();
    await conn.close();
  });
  return models;
}

const counts = async (m: ReturnType<typeof createModels>) => ({
  vendors: await m.Vendor.countDocuments(),
  products: await m.Product.countDocuments(),
  buyers: await m.BuyerOrg.countDocuments(),
  demands: await m.Demand.countDocuments(),
  users: await m.User.countDocuments(),
  events: await m.Event.countDocuments(),
  participants: await m.EventParticipant.countDocuments(),
  wishes: await m.EventPreference.countDocuments(),
  visits: await m.Visit.countDocuments(),
  visitRegistrations: await m.VisitRegistration.countDocuments(),
  taxonomy: await m.Taxonomy.countDocuments(),
});

t.test('sample data loads once: a second start (even two at once) duplicates nothing', async (t) => {
  const models = await freshModels(t, 'a');
  const first = await seed(models, true);
  const vendorOfLogin = (await models.User.findOne({ email: 'vendor@example.com' }).lean())?.vendor;
  const buyerOrgOfLogin = (await models.User.findOne({ email: 'buyer@example.com' }).lean())?.buyerOrg;
  t.equal(first.logins.length, 5, 'one sample login per role');
  const after1 = await counts(models);
  t.ok(after1.vendors >= 60 && after1.products >= 400 && after1.demands >= 20, JSON.stringify(after1));
  t.equal(after1.users, sampleLogins.length);
  t.equal(after1.taxonomy, 3);
  t.equal(after1.events, 1, 'one sample 安防专场');
  t.ok(after1.participants >= 15 && after1.wishes >= 15, 'with registered vendors and buyers and their wishes');
  const event = await models.Event.findOne().lean();
  t.equal(event?.theme, '安防专场');
  t.equal(event?.phase, 'registration', 'open for registration and wishes, ready to schedule');
  const buyers = await models.EventParticipant.find({ event: event?._id, kind: 'buyer' }).lean();
  t.ok(buyers.length >= 4 && buyers.every((b) => b.demands.length > 0 && b.status === 'approved'), 'buyers bring their security demands');

  // One 企业调研 and one 现场考察, open for registration, their stops at sample Binjiang vendors, a route that holds.
  const visits = await models.Visit.find().sort({ startsAt: 1 }).lean();
  t.same(visits.map((v) => v.kind), ['survey', 'site']);
  t.ok(visits.every((v) => v.phase === 'registration' && v.startsAt > new Date()), 'both ahead, open for registration');
  for (const v of visits) {
    t.same(checkRoute(v.stops.map((s) => ({ name: s.vendorName, start: s.start, end: s.end, travelMinutes: s.travelMinutes ?? undefined }))), [], `${v.title}: the route holds`);
    const hosts = await models.Vendor.find({ _id: { $in: v.stops.map((s) => s.vendor) } }).lean();
    t.ok(v.stops.length >= 2 && hosts.length === v.stops.length && hosts.every((h) => h.district === '滨江区' && h.status === 'approved'), `${v.title}: hosted by approved Binjiang vendors`);
    const regs = await models.VisitRegistration.find({ visit: v._id }).lean();
    const approved = regs.filter((r) => r.status === 'approved');
    t.equal(v.approved, approved.length, 'the approved count matches the registrations');
    t.ok(approved.length >= 1 && approved.every((r) => /^[A-Z2-7]{16}$/.test(r.checkInCode ?? '') && r.demands.length > 0), 'approved buyers have codes and bring demands');
  }
  t.ok(visits[1].stops.some((s) => /医院/.test(s.place ?? '')) && visits[1].stops.some((s) => /小学|学校/.test(s.place ?? '')), 'the site visit goes where equipment runs: a hospital, a school');
  t.ok(await models.Visit.exists({ 'stops.vendor': vendorOfLogin }), 'the sample vendor login hosts a stop');
  t.ok(await models.VisitRegistration.exists({ buyerOrg: buyerOrgOfLogin, status: 'approved' }), 'the sample buyer login is registered and approved');

  await Promise.all([seed(models, true), seed(models, true)]);
  t.same(await counts(models), after1, 'nothing duplicated');

  const vendorUser = await models.User.findOne({ role: 'vendor' }).lean();
  const buyerUser = await models.User.findOne({ role: 'buyer' }).lean();
  const vendor = await models.Vendor.findById(vendorUser?.vendor).lean();
  t.equal(vendor?.district, '滨江区', 'the sample vendor login works for a Binjiang company');
  t.ok(await models.BuyerOrg.exists({ _id: buyerUser?.buyerOrg }), 'the sample buyer login belongs to an organization');
  t.ok(await models.Product.countDocuments({ vendor: vendor?._id }) > 0, 'that company has products');

  await models.Vendor.deleteOne({ _id: vendor?._id });
  await seed(models, true);
  t.equal(await models.Vendor.countDocuments(), after1.vendors - 1, 'a deleted sample vendor does not come back on restart');
});

t.test('SEED_SAMPLE_DATA=false loads the taxonomy only', async (t) => {
  const models = await freshModels(t, 'b');
  const result = await seed(models, false);
  t.same(result.logins, []);
  t.same(await counts(models), { vendors: 0, products: 0, buyers: 0, demands: 0, users: 0, events: 0, participants: 0, wishes: 0, visits: 0, visitRegistrations: 0, taxonomy: 3 });
  const fields = await models.Taxonomy.findById('fields').lean();
  t.equal((fields?.value as unknown[]).length, 8, 'all eight fields');
});
