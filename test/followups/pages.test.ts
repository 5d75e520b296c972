/** The vendor's opportunity feed on the sample data, and the follow-up buttons' form posts. */
import t from 'tap';
import { buildTestApp, createUser, csrfFrom, login } from '../helper.js';
import { seedSampleData } from '../../src/seeding/index.js';
import { followUpModels } from '../../src/followups/model.js';
import { addVendor } from '../search/fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
await seedSampleData(app.models);
await app.searchSync.drain();
const { FollowUp } = followUpModels(app.conn);

const vendorLogin = await app.models.User.findOne({ email: 'vendor@example.com' }).lean();
const vendorId = String(vendorLogin!.vendor);
const cookie = await login(app, 'vendor@example.com', 'vendor2026');
const form = (c: string, url: string, fields: Record<string, string>) => app.inject({
  method: 'POST', url, headers: { cookie: c, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
});

t.test('the feed lists the open demands ranked for this vendor, with reasons, buyer and buttons', async (t) => {
  const expected = await app.matching.opportunitiesFor(vendorId, { limit: 30 });
  t.ok(expected.length > 0, 'the sample vendor has opportunities');
  const res = await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie } });
  t.equal(res.statusCode, 200);
  t.match(res.body, /aria-current="page">商机</, 'the navigation marks 商机');
  const titles = [...res.body.matchAll(/<h2><a href="\/demands\/[0-9a-f]{24}">([^<]+)<\/a><\/h2>/g)].map((m) => m[1]);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');
  t.same(titles, expected.map((o) => esc(o.demand.title)), 'in the engine’s order');
  const top = expected[0];
  t.match(res.body, `匹配度 ${Math.round(top.score * 100)}%`);
  t.match(res.body, esc(top.demand.buyer.name));
  for (const reason of top.reasons.filter((r) => r.text)) t.match(res.body, esc(reason.text), `reason shown: ${reason.text}`);
  t.match(res.body, new RegExp(`action="/demands/${top.demand.id}/follow-up/${vendorId}"`));
  for (const label of ['已联系', '有意向', '不合适']) t.match(res.body, `>${label}</button>`);
  t.notMatch(res.body, />已签约<\/button>/, 'a vendor has no 签约 button');
});

t.test('有意向 from the feed: recorded with the match snapshot, back to the feed with a message', async (t) => {
  const [top] = await app.matching.opportunitiesFor(vendorId, { limit: 30 });
  const csrf = csrfFrom((await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie } })).body);
  const url = `/demands/${top.demand.id}/follow-up/${vendorId}`;

  const noReason = await form(cookie, url, { _csrf: csrf, to: 'declined', from: 'none', back: '/vendor/opportunities' });
  t.equal(noReason.statusCode, 303);
  t.equal(noReason.headers.location, '/vendor/opportunities');
  t.equal(await FollowUp.countDocuments({}), 0, 'declining without a reason writes nothing');
  t.match((await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie } })).body, /请填写不合适的原因/);

  const res = await form(cookie, url, { _csrf: csrf, to: 'intent', from: 'none', back: `/vendor/opportunities#op-${top.demand.id}` });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/vendor/opportunities#op-${top.demand.id}`);
  const saved = await FollowUp.findOne({ demand: top.demand.id, vendor: vendorId }).lean();
  t.equal(saved?.status, 'intent');
  t.equal(saved?.steps[0].by?.name, vendorLogin!.name);
  t.ok(typeof saved?.score === 'number' && saved.score > 0, 'the match score is kept with the first step');
  t.ok((saved?.reasons?.length ?? 0) > 0, 'and its reasons');

  const page = await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie } });
  t.match(page.body, /已将对接标记为“有意向”/);
  t.match(page.body, /fu-badge fu-intent">有意向</);

  const stale = await form(cookie, url, { _csrf: csrf, to: 'contacted', from: 'none' });
  t.equal(stale.headers.location, `/demands/${top.demand.id}`, 'without a back field, back to the demand page');
  t.equal((await FollowUp.findOne({ demand: top.demand.id, vendor: vendorId }).lean())?.steps.length, 1, 'a stale form changes nothing');

  const evil = await form(cookie, url, { _csrf: csrf, to: 'declined', reason: '产能不足', back: 'https://evil.example/' });
  t.equal(evil.headers.location, `/demands/${top.demand.id}`, 'no redirect off the site');
  t.equal((await FollowUp.findOne({ demand: top.demand.id, vendor: vendorId }).lean())?.status, 'declined');

  const other = await app.models.Vendor.findOne({ _id: { $ne: vendorId }, status: 'approved' }).lean();
  const foreign = await form(cookie, `/demands/${top.demand.id}/follow-up/${String(other!._id)}`, { _csrf: csrf, to: 'intent' });
  t.equal(foreign.statusCode, 404, 'a vendor cannot act for another vendor');
  const noCsrf = await form(cookie, url, { to: 'intent' });
  t.equal(noCsrf.statusCode, 403);
});

t.test('a buyer signs from a form post; the follow-up partial shows the steps', async (t) => {
  const buyer = await app.models.User.findOne({ email: 'buyer@example.com' }).lean();
  const demand = await app.models.Demand.findOne({ buyerOrg: buyer!.buyerOrg, status: 'open' }).lean();
  const buyerCookie = await login(app, 'buyer@example.com', 'buyer2026');
  const csrf = csrfFrom((await app.inject({ method: 'GET', url: '/inbox', headers: { cookie: buyerCookie } })).body);
  const url = `/demands/${String(demand!._id)}/follow-up/${vendorId}`;
  const res = await form(buyerCookie, url, { _csrf: csrf, to: 'signed', amountYuan: '356000', note: '<b>合同</b>' });
  t.equal(res.statusCode, 303);
  const saved = await FollowUp.findOne({ demand: demand!._id, vendor: vendorId }).lean();
  t.match(saved, { status: 'signed', amountYuan: 356000 });
  const bad = await form(buyerCookie, url, { _csrf: csrf, to: 'intent', amountYuan: 'abc' });
  t.equal(bad.statusCode, 303, 'bad input comes back as a message, not an error page');

  // The partial as a demand page would render it for this row.
  const html = await app.view('partials/followup.hbs', {
    demandId: String(demand!._id), vendorId, from: 'signed', allowed: [],
    followUp: { status: 'signed', statusName: '已签约', amountYuan: 356000, steps: [{ at: saved!.steps[0].at, by: saved!.steps[0].by, actionName: '已签约', amountYuan: 356000, note: '<b>合同</b>', source: 'platform' }] },
  });
  t.match(html, /已签约/);
  t.match(html, /356,000 元/);
  t.match(html, /&lt;b&gt;合同&lt;\/b&gt;/, 'notes are escaped');
  t.notMatch(html, /<form/, 'no buttons on a signed follow-up');
});

t.test('empty and unlinked feeds explain how to get matched', async (t) => {
  const lonely = await addVendor(app, { name: '尚无产品的企业' });
  const user = await createUser(app, 'vendor', { vendor: lonely._id });
  const res = await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie: await login(app, user.email, user.password) } });
  t.equal(res.statusCode, 200);
  t.match(res.body, /暂时没有与本企业匹配的需求/);
  t.match(res.body, /发布产品/);
  const unlinked = await createUser(app, 'vendor');
  const res2 = await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie: await login(app, unlinked.email, unlinked.password) } });
  t.match(res2.body, /尚未关联企业/);
  const buyer = await createUser(app, 'buyer');
  t.equal((await app.inject({ method: 'GET', url: '/vendor/opportunities', headers: { cookie: await login(app, buyer.email, buyer.password) } })).statusCode, 403);
});
