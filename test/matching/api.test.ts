/** The matching API on the sample data: who may see which matches and opportunities, and what they say. */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { seedSampleIndex } from '../../bench/relevance.js';

const cjk = /\p{Script=Han}/u;

t.test('demand matches: best first, one per vendor, reasons in Chinese; buyers see only their own; vendors are refused', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  await seedSampleIndex(app);
  const demand = await app.models.Demand.findOne({ title: '公共视频监控前端设备更新（第一批1000路）' }).lean();
  t.ok(demand, 'sample demand exists');
  const org = String(demand!.buyerOrg);
  const otherOrg = await app.models.BuyerOrg.findOne({ _id: { $ne: demand!.buyerOrg } }).lean();

  const organizer = await createUser(app, 'organizer');
  const cookie = await login(app, organizer.email, organizer.password);
  const res = await app.inject({ method: 'GET', url: `/api/v1/demands/${String(demand!._id)}/matches?limit=5`, headers: { cookie } });
  t.equal(res.statusCode, 200);
  const { matches } = res.json() as { matches: Array<{ vendor: { id: string; creditCode: string; district?: string }; products: unknown[]; score: number; reasons: Array<{ factor: string; text: string }> }> };
  t.ok(matches.length > 0 && matches.length <= 5, 'at most the limit');
  t.equal(new Set(matches.map((m) => m.vendor.id)).size, matches.length, 'one entry per vendor');
  t.ok(matches.every((m, i) => i === 0 || matches[i - 1].score >= m.score), 'best first');
  t.equal(matches[0].vendor.district, '滨江区', 'a Binjiang camera maker leads');
  t.ok(matches.every((m) => m.reasons.some((r) => r.factor === 'required' && r.text.includes('3C'))), 'the required 3C certification is stated');
  t.ok(matches.every((m) => m.reasons.every((r) => cjk.test(r.text))));

  const buyer = await createUser(app, 'buyer', { buyerOrg: org });
  const own = await app.inject({ method: 'GET', url: `/api/v1/demands/${String(demand!._id)}/matches`, headers: { cookie: await login(app, buyer.email, buyer.password) } });
  t.equal(own.statusCode, 200, 'the buyer sees its own demand');
  const stranger = await createUser(app, 'buyer', { buyerOrg: otherOrg!._id });
  const other = await app.inject({ method: 'GET', url: `/api/v1/demands/${String(demand!._id)}/matches`, headers: { cookie: await login(app, stranger.email, stranger.password) } });
  t.equal(other.statusCode, 404, "another organization's demand is not found");
  const vendorUser = await createUser(app, 'vendor', { vendor: matches[0].vendor.id });
  const asVendor = await app.inject({ method: 'GET', url: `/api/v1/demands/${String(demand!._id)}/matches`, headers: { cookie: await login(app, vendorUser.email, vendorUser.password) } });
  t.equal(asVendor.statusCode, 403);

  const bad = await app.inject({ method: 'GET', url: `/api/v1/demands/${String(demand!._id)}/matches?limit=abc`, headers: { cookie } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, cjk);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/demands/000000000000000000000000/matches', headers: { cookie } })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/demands/nonsense/matches', headers: { cookie } })).statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/demands/${String(demand!._id)}/matches` })).statusCode, 401);

  // A required certification nobody holds leaves no match rather than a wrong one.
  t.same(await app.matching.matchDemand({ title: '网络摄像机', requiredCertifications: ['medical-device-registration'] }), []);
});

t.test('opportunities: a vendor sees open demands that fit its products, with reasons; others are refused', async (t) => {
  const now = new Date('2026-09-01T00:00:00Z');
  const app = await buildTestApp(t, {}, { background: false, clock: () => now });
  await seedSampleIndex(app);
  const vendor = await app.models.Vendor.findOne({ creditCode: '91330108MA2GXJ138R' }).lean(); // 鸣川梯联: elevators
  const vendorId = String(vendor!._id);
  // A past deadline and a closed demand never show.
  await app.models.Demand.updateOne({ title: '老旧住宅电梯报废更新及大修改造' }, { $set: { deadline: new Date('2026-08-01') } });
  await app.models.Demand.updateOne({ title: '老旧小区电动自行车入梯识别加装' }, { $set: { status: 'closed' } });

  const user = await createUser(app, 'vendor', { vendor: vendorId });
  const cookie = await login(app, user.email, user.password);
  const res = await app.inject({ method: 'GET', url: `/api/v1/vendors/${vendorId}/opportunities`, headers: { cookie } });
  t.equal(res.statusCode, 200);
  const list = res.json().opportunities as Array<{ demand: { title: string; buyer: { name: string } }; score: number; reasons: Array<{ text: string }>; products: unknown[] }>;
  const titles = list.map((o) => o.demand.title);
  t.ok(titles.slice(0, 2).includes('既有住宅加装电梯（2025-2027年度）'), `the elevator demand is among the first: ${titles.join('；')}`);
  t.notOk(titles.includes('水质、空气自动站设备更新'), 'a demand unrelated to its products is not offered');
  t.notOk(titles.includes('老旧住宅电梯报废更新及大修改造'), 'past deadline: not shown');
  t.notOk(titles.includes('老旧小区电动自行车入梯识别加装'), 'closed: not shown');
  t.ok(list.every((o, i) => i === 0 || list[i - 1].score >= o.score), 'best first');
  t.ok(list.every((o) => o.products.length > 0 && o.reasons.some((r) => r.text === '滨江区本地企业') && o.demand.buyer.name));
  t.notOk(JSON.stringify(list).includes('privateNotes'), 'no private notes');
  const other = await app.models.Vendor.findOne({ _id: { $ne: vendor!._id } }).lean();
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/vendors/${String(other!._id)}/opportunities`, headers: { cookie } })).statusCode, 404, "another vendor's feed does not exist for it");
  const buyer = await createUser(app, 'buyer');
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/vendors/${vendorId}/opportunities`, headers: { cookie: await login(app, buyer.email, buyer.password) } })).statusCode, 403);
  const admin = await createUser(app, 'admin');
  const adminCookie = await login(app, admin.email, admin.password);
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/vendors/${vendorId}/opportunities?limit=2`, headers: { cookie: adminCookie } })).json().opportunities.length, 2);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/vendors/000000000000000000000000/opportunities', headers: { cookie: adminCookie } })).statusCode, 404);
  // Only open demands: one already in talks (对接中) leaves the feed, as the API description says.
  const talking = titles[1];
  await app.models.Demand.updateOne({ title: talking }, { $set: { status: 'in_progress' } });
  const again = (await app.inject({ method: 'GET', url: `/api/v1/vendors/${vendorId}/opportunities`, headers: { cookie } })).json().opportunities as Array<{ demand: { title: string } }>;
  t.notOk(again.some((o) => o.demand.title === talking), `对接中 is not offered: ${talking}`);

});

t.test("a demand's word is matched as a whole word, not as the beginning of a longer one", async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  await seedSampleIndex(app);
  const matches = await app.matching.matchDemand({ title: 'CT' }, { limit: 100 });
  const names = matches.flatMap((m) => m.products.map((p) => p.name));
  t.ok(names.some((n) => n.includes('CT')), 'a CT scanner is matched');
  // Words in these begin with CT (pinyin initials: 常态化 → cth…), which says nothing about a CT demand.
  const unrelated = names.filter((n) => /录播|加装电梯|充电柜/.test(n));
  t.same(unrelated, [], 'no recording system, added lift or charging cabinet');
});
