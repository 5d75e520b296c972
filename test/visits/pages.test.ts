/**
 * The visit pages as people use them (app.inject with login cookies and CSRF tokens, no JavaScript):
 * the organizer creates a visit from the form (a clashing route shows the message, nothing written),
 * opens registration; a buyer registers with its demand; the organizer approves, checks in by typed code
 * and records an outcome; the buyer reads its itinerary with the code; the host vendor sees the visit.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { getPage, postForm, textOf } from '../suppliers/pages-support.js';
import { eventWorld } from './support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
const w = await eventWorld(app, { vendors: 2, buyers: 2 });
const org = w.cookies.organizer;

const form = (extra: Record<string, string> = {}) => ({
  kind: 'site', title: '智慧校园安防现场考察', date: '2027-05-12', field: 'security', capacity: '10', meetingPoint: '区政府东门',
  s0_vendor: String(w.vendors[0]._id), s0_place: '滨江第一中学', s0_address: '滨江区江汉路 1 号', s0_start: '09:00', s0_end: '10:00', s0_shows: '校园视频监控',
  s1_vendor: String(w.vendors[1]._id), s1_place: '滨江区人民医院', s1_address: '滨江区江南大道 2 号', s1_start: '10:20', s1_end: '11:00', s1_travel: '',
  ...extra,
});

t.test('the organizer flow through the pages', async (t) => {
  const page = await getPage(app, '/organizer/visits/new', org);
  t.equal(page.statusCode, 200);
  t.match(page.body, /第 1 站/);
  t.equal((await getPage(app, '/organizer/visits/new', w.cookies.buyerUser)).statusCode, 403);

  const clash = await postForm(app, '/organizer/visits/new', org, form());
  t.equal(clash.statusCode, 400);
  t.match(textOf(clash.body), /第 1 站“.*（滨江第一中学）”10:00 结束，第 2 站“.*（滨江区人民医院）”10:20 开始，中间只有 20 分钟，不足路程所需的 30 分钟/);
  t.match(clash.body, /value="滨江区人民医院"/, 'what was typed is kept');
  const bad = await postForm(app, '/organizer/visits/new', org, form({ title: '', s0_start: '九点' }));
  t.equal(bad.statusCode, 400);
  t.match(textOf(bad.body), /请填写名称/);
  t.match(textOf(bad.body), /开始时间应为“时:分”/);
  t.equal(await app.models.Visit.countDocuments(), 0, 'nothing written');

  const created = await postForm(app, '/organizer/visits/new', org, form({ s1_travel: '15' }));
  t.equal(created.statusCode, 303, created.body);
  const id = created.headers.location!.split('/').pop()!;
  const visit = (await app.models.Visit.findById(id).lean())!;
  t.equal(visit.kind, 'site');
  t.equal(visit.stops.length, 2);
  t.equal(visit.stops[1].travelMinutes, 15);
  t.equal(visit.startsAt.toISOString(), '2027-05-12T01:00:00.000Z');
  t.equal((await postForm(app, `/organizer/visits/${id}/phase`, org, { to: 'registration' })).statusCode, 303);

  // The buyer registers with its demand.
  const list = await getPage(app, '/visits', w.cookies.buyerUser);
  t.equal(list.statusCode, 200);
  t.match(textOf(list.body), /智慧校园安防现场考察/);
  const show = await getPage(app, `/visits/${id}`, w.cookies.buyerUser);
  t.match(show.body, new RegExp(`name="demands" value="${String(w.demands[0]._id)}"`));
  const badReg = await postForm(app, `/visits/${id}/register`, w.cookies.buyerUser, { people: '0' });
  t.equal(badReg.statusCode, 400);
  t.equal(await app.models.VisitRegistration.countDocuments(), 0);
  const reg = await postForm(app, `/visits/${id}/register`, w.cookies.buyerUser, { demands: [String(w.demands[0]._id)], people: '3', officials: '区教育局 王局长' });
  t.equal(reg.statusCode, 303, reg.body);
  const r = (await app.models.VisitRegistration.findOne({ visit: id }).lean())!;
  t.equal(r.status, 'pending');
  t.equal(r.people, 3);

  // The organizer approves, checks in by typed code and records an outcome.
  const control = await getPage(app, `/organizer/visits/${id}`, org);
  t.equal(control.statusCode, 200);
  t.match(textOf(control.body), /待审核/);
  t.equal((await postForm(app, `/organizer/visits/${id}/registrations/${String(r._id)}/review`, w.cookies.buyerUser, { decision: 'approve' })).statusCode, 403);
  t.equal((await postForm(app, `/organizer/visits/${id}/registrations/${String(r._id)}/review`, org, { decision: 'approve' })).statusCode, 303);
  const code = (await app.models.VisitRegistration.findById(r._id).lean())!.checkInCode!;
  const wrong = await postForm(app, `/organizer/visits/${id}/check-in`, org, { code: 'ABCD-ABCD-ABCD-ABCD' });
  t.equal(wrong.statusCode, 404);
  t.match(textOf(wrong.body), /未找到该签到码/);
  const checked = await postForm(app, `/organizer/visits/${id}/check-in`, org, { code: code.toLowerCase() });
  t.equal(checked.statusCode, 303);
  t.equal(checked.headers.location, `/organizer/visits/${id}/check-in`, 'back to the check-in page');
  const checkInPage = await getPage(app, `/organizer/visits/${id}/check-in`, org);
  t.match(textOf(checkInPage.body), /已到 1 \/ 应到 1/);
  t.match(checkInPage.body, new RegExp(`data-endpoint="/api/v1/visits/${id}/check-in"`), 'the scanner posts to the visit\'s check-in');
  t.equal((await getPage(app, `/organizer/visits/${id}/check-in`, w.cookies.buyerUser)).statusCode, 403);
  const badges = await getPage(app, `/organizer/visits/${id}/badges`, org);
  t.equal(badges.statusCode, 200);
  t.match(textOf(badges.body), /名牌（1 张）/);
  t.equal((await getPage(app, `/organizer/visits/${id}/badges`, w.cookies.buyerUser)).statusCode, 403);
  t.equal((await app.models.VisitRegistration.findById(r._id).lean())!.checkIn, 'arrived');
  const out = await postForm(app, `/organizer/visits/${id}/stops/0/outcomes`, org, { registration: String(r._id), outcome: 'intent', demand: String(w.demands[0]._id), amountYuan: '' });
  t.equal(out.statusCode, 303, out.body);
  t.equal((await app.models.FollowUp.findOne({ demand: w.demands[0]._id, vendor: w.vendors[0]._id }).lean())!.status, 'intent');
  const badOut = await postForm(app, `/organizer/visits/${id}/stops/0/outcomes`, org, { registration: String(r._id), outcome: 'visited', amountYuan: '100' });
  t.equal(badOut.statusCode, 400);
  t.match(textOf(badOut.body), /只有签约时才能填写金额/);

  // The buyer's itinerary shows the code; another buyer cannot read it.
  const itinerary = await getPage(app, `/visits/${id}/itinerary/${String(r._id)}`, w.cookies.buyerUser);
  t.equal(itinerary.statusCode, 200);
  t.match(itinerary.body, new RegExp(code.replace(/(.{4})(?=.)/g, '$1-')));
  t.match(itinerary.body, /itinerary\.ics/);
  t.equal((await getPage(app, `/visits/${id}/itinerary/${String(r._id)}`, w.cookies.otherBuyerUser)).statusCode, 404);

  // The host vendor sees the visit to its company.
  const host = await getPage(app, '/vendor/visits', w.cookies.vendorUser);
  t.equal(host.statusCode, 200);
  t.match(textOf(host.body), /智慧校园安防现场考察.*滨江第一中学/);
  const edit = await getPage(app, `/organizer/visits/${id}/edit`, org);
  t.match(edit.body, /value="滨江第一中学"/);
});
