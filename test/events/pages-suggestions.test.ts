/**
 * Suggestions on the wishes page, from the matching engine over the sample data (real Meilisearch): a
 * buyer sees the registered vendors that fit its demand with the reasons, and 加入意向 sets a 希望见 wish
 * marked as coming from a suggestion; the vendor sees the buyer suggested from its side.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { seedSampleData } from '../../src/seeding/index.js';
import { getPage, postForm, textOf } from '../suppliers/pages-support.js';
import { session } from '../demands/support.js';
import { createEventFromForm } from './pages-support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
await seedSampleData(app.models);
await app.searchSync.drain();

const organizer = await session(app, 'organizer');
const bureau = (await app.models.BuyerOrg.findOne({ name: '杭州市滨江区教育局' }).lean())!;
const buyer = await session(app, 'buyer', { buyerOrg: bureau._id });

t.test('the buyer sees suggested vendors with reasons and accepts one into its wishes', async (t) => {
  const demandRes = await app.inject({
    method: 'POST', url: '/api/v1/demands', headers: { cookie: buyer.cookie },
    payload: { title: '校园视频监控摄像机更新', description: '校门口和操场的老旧摄像头换成高清网络摄像机，要能夜视，带录像存储。', category: 'video-surveillance', quantity: 300, unit: '路', status: 'open' },
  });
  t.equal(demandRes.statusCode, 201);
  const demandId = demandRes.json().id as string;
  const matches = await app.matching.matchDemandById(demandId, { limit: 20 });
  t.ok(matches.length >= 2, `the demand has matches (${matches.length})`);
  const [best, second] = matches;
  const unrelated = (await app.models.Vendor.findOne({ status: 'approved', _id: { $nin: matches.map((m) => m.vendor.id) } }).lean())!;

  const eventId = await createEventFromForm(app, organizer.cookie);
  await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'registration' });
  for (const v of [best.vendor, second.vendor, { creditCode: unrelated.creditCode }]) {
    const res = await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: v.creditCode, representatives: '1' });
    t.equal(res.statusCode, 303);
  }
  const reg = await postForm(app, `/events/${eventId}/register`, buyer.cookie, { demands: [demandId] });
  t.equal(reg.statusCode, 303);
  const buyerP = (await app.models.EventParticipant.findOne({ event: eventId, kind: 'buyer' }).lean())!;
  await postForm(app, `/organizer/events/${eventId}/participants/${String(buyerP._id)}/review`, organizer.cookie, { decision: 'approve' });

  const page = await getPage(app, `/events/${eventId}/wishes`, buyer.cookie);
  t.equal(page.statusCode, 200);
  const suggestions = page.body.slice(page.body.indexOf('id="suggestions"'), page.body.indexOf('id="all"'));
  const text = textOf(suggestions);
  t.match(text, best.vendor.name, 'the best match is suggested');
  t.match(text, second.vendor.name);
  t.notOk(text.includes(unrelated.name), 'a registered vendor that does not fit is not suggested');
  t.match(text, /依据需求：校园视频监控摄像机更新/);
  for (const r of best.reasons.filter((x) => x.text)) t.ok(text.includes(r.text), `reason shown: ${r.text}`);
  t.match(text, /匹配度 \d+%/);

  const bestP = (await app.models.EventParticipant.findOne({ event: eventId, vendor: best.vendor.id }).lean())!;
  const accept = await postForm(app, `/events/${eventId}/wishes`, buyer.cookie, { to: String(bestP._id), level: 'want', source: 'suggestion' });
  t.equal(accept.statusCode, 303);
  const wish = (await app.models.EventPreference.findOne({ event: eventId, from: buyerP._id, to: bestP._id }).lean())!;
  t.same([wish.level, wish.source], ['want', 'suggestion']);
  const afterPage = (await getPage(app, `/events/${eventId}/wishes`, buyer.cookie)).body;
  const after = textOf(afterPage);
  t.match(after, /来自推荐/);
  const suggestedNow = textOf(afterPage.slice(afterPage.indexOf('id="suggestions"'), afterPage.indexOf('id="all"')));
  t.notOk(suggestedNow.includes(best.vendor.name), 'a vendor already wished for is no longer suggested');
  t.match(suggestedNow, second.vendor.name, 'the others still are');
  // A veto takes a vendor out of the suggestions too.
  const secondP = (await app.models.EventParticipant.findOne({ event: eventId, vendor: second.vendor.id }).lean())!;
  t.equal((await postForm(app, `/events/${eventId}/wishes`, buyer.cookie, { to: String(secondP._id), level: 'no' })).statusCode, 303);
  const vetoed = (await getPage(app, `/events/${eventId}/wishes`, buyer.cookie)).body;
  t.notOk(textOf(vetoed.slice(vetoed.indexOf('id="suggestions"'), vetoed.indexOf('id="all"'))).includes(second.vendor.name), 'nor a vetoed one');

  // The vendor's side: the buyer whose demand it fits, with the same reasons.
  const vendorUser = await session(app, 'vendor', { vendor: best.vendor.id });
  const vendorPage = textOf((await getPage(app, `/events/${eventId}/wishes`, vendorUser.cookie)).body);
  t.match(vendorPage, /平台推荐 杭州市滨江区教育局/);
  t.match(vendorPage, /对方希望见/, 'it sees the buyer wants to meet it');
});
