/** An organizer edits a participant's registration on its behalf (unavailable slots, representatives, demands) from the pages. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { getPage, postForm } from '../suppliers/pages-support.js';
import { session } from '../demands/support.js';
import { buyerWithUser, createEventFromForm, vendorWithUser } from './pages-support.js';

t.test('the organizer opens a registration from the control page and changes it; others cannot', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
  const organizer = await session(app, 'organizer');
  const vendor = await vendorWithUser(app, '杭州代办安防科技有限公司', 201);
  const buyer = await buyerWithUser(app, '杭州市滨江区代办采购单位', 'district', ['园区视频监控更新', '门禁系统改造']);
  const id = await createEventFromForm(app, organizer.cookie);
  const register = (kind: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/api/v1/events/${id}/participants`, headers: { cookie: organizer.cookie }, payload: { kind, ...payload } });
  const v = (await register('vendor', { vendorCreditCode: vendor.vendor.creditCode })).json().participantId as string;
  const b = (await register('buyer', { buyer: { name: buyer.org.name, type: 'agency', level: 'district', province: '浙江省' }, demands: [buyer.demands[0]] })).json().participantId as string;

  const control = await getPage(app, `/organizer/events/${id}`, organizer.cookie);
  t.match(control.body, new RegExp(`href="/events/${id}\\?p=${v}">报名信息</a>`), 'the control page links to each registration');

  const page = await getPage(app, `/events/${id}?p=${v}`, organizer.cookie);
  t.equal(page.statusCode, 200);
  t.match(page.body, /修改报名信息（代 杭州代办安防科技有限公司）/);
  t.match(page.body, /name="representatives"/, 'a vendor has representatives');
  const saved = await postForm(app, `/events/${id}/participants/${v}/update`, organizer.cookie, { representatives: '3', unavailableSlots: ['0', '5'], contactName: '王经理', contactPhone: '13800000000' });
  t.equal(saved.statusCode, 303);
  t.equal(saved.headers.location, `/events/${id}?p=${v}`, 'back to the same registration');
  t.match((await app.models.EventParticipant.findById(v).lean()), { representatives: 3, unavailableSlots: [0, 5], contactName: '王经理' });

  const buyerPage = await getPage(app, `/events/${id}?p=${b}`, organizer.cookie);
  t.match(buyerPage.body, /园区视频监控更新/, "the buyer's own open demands to choose from");
  t.match(buyerPage.body, /门禁系统改造/);
  t.notMatch(buyerPage.body, /name="representatives"/, 'no representatives for a buyer');
  const both = await postForm(app, `/events/${id}/participants/${b}/update`, organizer.cookie, { demands: buyer.demands });
  t.equal(both.statusCode, 303);
  t.same((await app.models.EventParticipant.findById(b).lean())!.demands.map(String).sort(), [...buyer.demands].sort());

  const bad = await postForm(app, `/events/${id}/participants/${v}/update`, organizer.cookie, { representatives: '0' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, /至少 1 名参会代表/);
  t.equal((await app.models.EventParticipant.findById(v).lean())!.representatives, 3, 'a bad form changes nothing');

  // A vendor user cannot use ?p= to open someone else's registration: it sees its own (none) instead.
  await app.inject({ method: 'POST', url: `/api/v1/events/${id}/phase`, headers: { cookie: organizer.cookie }, payload: { to: 'registration' } });
  const other = await vendorWithUser(app, '杭州另一家安防有限公司', 202);
  const foreign = await getPage(app, `/events/${id}?p=${v}`, other.user.cookie);
  t.equal(foreign.statusCode, 200);
  t.notMatch(foreign.body, /杭州代办安防科技有限公司 的报名/);
  t.notMatch(foreign.body, /王经理/, "no one else's contact");
  const post = await postForm(app, `/events/${id}/participants/${v}/update`, other.user.cookie, { representatives: '1' });
  t.equal(post.statusCode, 404, "another company's registration is not found");
  t.equal((await app.models.EventParticipant.findById(v).lean())!.representatives, 3);
});
