/**
 * The report's derived data (vendors' published-product counts, follow-ups' furthest stage, monthly step
 * counts) is kept by the writes themselves. Property: after any random sequence of changes made through
 * the services — products created, submitted, published, archived, restored, re-categorised; vendors
 * approved, suspended, moved, confirming; follow-ups moved on, declined, reopened, signed (with amounts) —
 * over 14 months of a simulated clock, the report read from the derived data equals the report computed
 * from the records, figure for figure, with every filter; and a rebuild derives the same data again.
 */
import t from 'tap';
import { Types } from 'mongoose';
import { buildTestApp, createUser } from '../helper.js';
import { overview } from '../../src/reports/service.js';
import { rebuildReportAggregates } from '../../src/reports/rebuild.js';
import { rebuildDemandFunnels } from '../../src/followups/index.js';
import { seed } from '../../src/seeding/index.js';
import { ReportQuery } from '../../src/reports/schemas.js';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { seededRandom } from '../../src/infra/seeded-random.js';
import type { CurrentUser } from '../../src/accounts/index.js';
import type { MoveTarget } from '../../src/followups/state.js';
import { importJson, product as importProduct, staffSession, vendor as importVendor } from '../imports/fixtures.js';

const DAY = 86_400_000;
// Hundreds of writes through the services and two reports per filter per case: minutes on a busy machine.
t.setTimeout(400_000);
let now = new Date('2025-03-01T04:00:00Z');
const app = await buildTestApp(t, {}, { clock: () => now, background: false });
const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
const deps = { models: app.models, clock: () => now, policy };

const u = await createUser(app, 'organizer');
const staff: CurrentUser = { id: u.id, email: u.email, name: '主办方', role: 'organizer' };
const credit = (n: number) => {
  const prefix = `91330108MA3R${String(n).padStart(5, '0')}`;
  return prefix + creditCodeCheckChar(prefix);
};
const places = [
  { province: '浙江省', city: '杭州市', district: '滨江区' }, { province: '浙江省', city: '杭州市', district: '西湖区' },
  { province: '浙江省', city: '宁波市' }, { province: '上海市', city: '上海市' },
];
const categories = [['security', 'video-surveillance'], ['security', 'video-analytics'], ['industry', 'machine-tool'], ['medical', 'medical-imaging']] as const;
const orgs = await app.models.BuyerOrg.insertMany([
  { name: '报表派生测试区单位', type: 'school', level: 'district', province: '浙江省', city: '杭州市', district: '滨江区' },
  { name: '报表派生测试市单位', type: 'hospital', level: 'city', province: '浙江省', city: '宁波市' },
  { name: '报表派生测试省单位', type: 'agency', level: 'province', province: '浙江省', city: '杭州市' },
]);

const vendors: Array<{ id: string; code: string }> = [];
const products: string[] = [];
const demands: string[] = [];
let serial = 0;

/** One random change through the services; a refused move (409 and the like) is part of the game. */
async function step(rand: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const r = rand();
  if (r < 0.08 || vendors.length < 2) {
    const n = ++serial;
    const v = await app.suppliers.createVendor(staff, { name: `派生测试企业${n}有限公司`, creditCode: credit(n), ...pick(places), fields: ['security'], certifications: [], contact: {}, qualifications: [] } as never);
    await app.suppliers.submitVendor(staff, String(v._id));
    if (rand() < 0.8) await app.suppliers.approveVendor(staff, String(v._id));
    vendors.push({ id: String(v._id), code: v.creditCode });
  } else if (r < 0.25) {
    const v = pick(vendors);
    const [field, category] = pick(categories);
    void field;
    const p = await app.suppliers.createProduct(staff, { vendorCreditCode: v.code, name: `派生测试产品${++serial}`, model: `D-${serial}`, category, certifications: [], specs: [] } as never);
    products.push(String(p._id));
    if (rand() < 0.8) {
      await app.suppliers.submitProduct(staff, String(p._id));
      if (rand() < 0.8) await app.suppliers.publishProduct(staff, String(p._id));
    }
  } else if (r < 0.4 && products.length) {
    const id = pick(products);
    const action = pick(['archive', 'restore', 'submit', 'publish', 'recategorise'] as const);
    if (action === 'recategorise') {
      const p = await app.models.Product.findById(id).lean();
      const [, category] = pick(categories);
      await app.suppliers.updateProduct(staff, id, { vendorCreditCode: p!.vendorCreditCode, name: p!.name, model: p!.model, category, certifications: [], specs: [] } as never);
    } else {
      await ({ archive: app.suppliers.archiveProduct, restore: app.suppliers.restoreProduct, submit: app.suppliers.submitProduct, publish: app.suppliers.publishProduct })[action](staff, id);
    }
  } else if (r < 0.5) {
    const v = pick(vendors);
    const action = pick(['suspend', 'approve', 'move', 'confirm'] as const);
    if (action === 'suspend') await app.suppliers.suspendVendor(staff, v.id, '测试暂停');
    else if (action === 'approve') await app.suppliers.approveVendor(staff, v.id);
    else if (action === 'confirm') await app.suppliers.confirmListings(staff, v.id);
    else {
      const current = await app.models.Vendor.findById(v.id).lean();
      await app.suppliers.updateVendor(staff, v.id, { name: current!.name, creditCode: v.code, ...pick(places), fields: ['security'], certifications: [], contact: {}, qualifications: [] } as never);
    }
  } else if (r < 0.58 || !demands.length) {
    const d = await app.models.Demand.create({ title: `派生测试需求${++serial}`, description: '', field: pick(categories)[0], buyerOrg: pick(orgs)._id, status: 'open', budgetYuan: Math.round(rand() * 100) * 1000, createdAt: now, updatedAt: now });
    demands.push(String(d._id));
  } else {
    const to = pick(['contacted', 'contacted', 'intent', 'signed', 'declined', 'reopen'] as MoveTarget[]);
    // Whole yuan, half and quarter yuan: amounts whose sums are exact in binary, whatever the order.
    const amountYuan = to === 'signed' && rand() < 0.8 ? Math.round(rand() * 400_000) / 4 : undefined;
    await app.followUps.advance(staff, pick(demands), pick(vendors).id, { to, ...(to === 'declined' || to === 'reopen' ? { reason: '测试原因' } : {}), ...(amountYuan !== undefined ? { amountYuan } : {}) });
  }
}

const queries = (): Array<Record<string, string>> => {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return [
    {}, { field: 'security' }, { region: '杭州市' }, { region: '省外' }, { region: '滨江区', field: 'industry' },
    { from: day(now.getTime() - 200 * DAY) }, { from: day(now.getTime() - 300 * DAY), to: day(now.getTime() - 30 * DAY), field: 'security' },
  ];
};

/** What the derived data holds, for comparing with a rebuild. */
async function derived() {
  const counts = await app.models.Vendor.find({}, { publishedCounts: 1 }).sort({ _id: 1 }).lean();
  const stages = await app.models.FollowUp.find({}, { stage: 1 }).sort({ _id: 1 }).lean();
  const months = await app.models.FollowUpMonth.find({}).sort({ _id: 1 }).lean();
  const funnels = await app.models.FollowUpDemand.find({}).sort({ _id: 1 }).lean();
  return JSON.parse(JSON.stringify({ counts, stages, months, funnels })) as unknown;
}

const CASES = 16;
const STEPS = 30;
t.test('random changes through the services: the report from the derived data equals the one from the records', { timeout: 400_000 }, async (t) => {
  for (let c = 1; c <= CASES; c++) {
    const rand = seededRandom(7_000 + c);
    let refused = 0;
    for (let i = 0; i < STEPS; i++) {
      now = new Date(now.getTime() + Math.floor(rand() * 40) * 3_600_000);
      try { await step(rand); } catch (err) {
        if (!(err as { statusCode?: number }).statusCode) throw err;
        refused++;
      }
    }
    for (const q of queries()) {
      const query = ReportQuery.parse(q);
      const [fast, scratch] = await Promise.all([overview(deps, query), overview(deps, query, { fromScratch: true })]);
      t.same(fast, scratch, `case ${c} (seed ${7_000 + c}, ${refused} refused moves): ${JSON.stringify(q)}`);
    }
    if (c % 4 === 0) {
      // Rebuilding derives exactly what the writes kept.
      const kept = await derived();
      await rebuildReportAggregates(app.models);
      t.same(await derived(), kept, `case ${c}: a rebuild derives what the writes kept`);
    }
  }
});

t.test('the funnel rows rebuilt a few demands per transaction equal the kept ones; a wrong or orphaned row is put right', async (t) => {
  const kept = JSON.parse(JSON.stringify(await app.models.FollowUpDemand.find({}).sort({ _id: 1 }).lean())) as Array<{ _id: string }>;
  t.ok(kept.length > 6, `${kept.length} demands have follow-ups: several batches of three`);
  // Behind the app's back: one row miscounted, and one for a demand with no follow-ups at all.
  await app.models.FollowUpDemand.collection.updateOne({ _id: new Types.ObjectId(kept[1]._id) }, { $inc: { pairs: 5 } });
  await app.models.FollowUpDemand.collection.insertOne({ _id: new Types.ObjectId(), buyerOrg: new Types.ObjectId(), pairs: 1, contacted: 0, intent: 0, signed: 0, declined: 0, amountFen: 0, amountKnown: 0 });
  const written = await rebuildDemandFunnels(app.models, 3);
  t.equal(written, kept.length, 'one row per demand with follow-ups');
  t.same(JSON.parse(JSON.stringify(await app.models.FollowUpDemand.find({}).sort({ _id: 1 }).lean())), kept, 'the same rows as the writes kept');
});

t.test('the fast report sees what was written: the scratch computation is no accident of an empty data set', async (t) => {
  const report = await overview(deps, ReportQuery.parse({}));
  const total = (id: string) => report.sections.flatMap((s) => s.tables).find((x) => x.id === id)!.rows.at(-1)!;
  t.ok(Number(total('suppliers-freshness')[2]) > 10, 'published products counted');
  t.ok(await app.models.FollowUp.countDocuments({ stage: 3 }) > 0, 'some follow-ups reached signing');
  t.ok(await app.models.FollowUpMonth.countDocuments() > 12, 'steps spread over more than 12 month × status rows');
});

t.test('data written behind the app\'s back is wrong until a rebuild, then right again', async (t) => {
  const v = await app.models.Vendor.findOne({ status: 'approved' }).lean();
  await app.models.Product.collection.insertOne({ _id: new Types.ObjectId(), vendor: v!._id, vendorCreditCode: v!.creditCode, name: '直接写入的产品', model: `RAW-${serial}`, field: 'industry', category: 'machine-tool', status: 'published', certifications: [], specs: [], images: [] });
  const before = await overview(deps, ReportQuery.parse({}));
  const scratch = await overview(deps, ReportQuery.parse({}), { fromScratch: true });
  t.notSame(before, scratch, 'the derived counts do not know of it');
  await rebuildReportAggregates(app.models);
  t.same(await overview(deps, ReportQuery.parse({})), scratch, 'after rebuild-reports they do');
});

t.test('an import keeps the counts too: publishing, then re-categorising through a second import', async (t) => {
  const { cookie } = await staffSession(app);
  const before = await overview(deps, ReportQuery.parse({}));
  const published = (r: typeof before) => Number(r.sections.flatMap((s) => s.tables).find((x) => x.id === 'suppliers-freshness')!.rows.at(-1)![2]);
  await importJson(app, cookie, { vendors: [importVendor(901), importVendor(902)], products: [importProduct(901, 'I-1'), importProduct(901, 'I-2'), importProduct(902, 'I-3')], publish: true });
  const after = await overview(deps, ReportQuery.parse({}));
  t.equal(published(after), published(before) + 3, 'the three imported products count at once');
  t.same(after, await overview(deps, ReportQuery.parse({}), { fromScratch: true }));
  await importJson(app, cookie, { products: [importProduct(901, 'I-1', { category: 'machine-tool' })] });
  for (const q of [{}, { field: 'industry' }, { field: 'security' }]) {
    t.same(await overview(deps, ReportQuery.parse(q)), await overview(deps, ReportQuery.parse(q), { fromScratch: true }), `re-categorised by import: ${JSON.stringify(q)}`);
  }
});

t.test('seeding the sample data keeps the counts too (the sample is written without the services)', async (t) => {
  await seed(app.models, true);
  const q = ReportQuery.parse({});
  t.same(await overview(deps, q), await overview(deps, q, { fromScratch: true }));
});
