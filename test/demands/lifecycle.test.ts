/** Lifecycle: draft → open → in progress → closed, every step in the history; deadlines close demands by themselves. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { api, binjiangBureau, demandBody, orgOf, session } from './support.js';

let now = new Date('2027-03-01T02:00:00Z');
const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false, clock: () => now });
const org = (await orgOf(app, binjiangBureau))!;
const buyer = await session(app, 'buyer', { buyerOrg: org._id });
const organizer = await session(app, 'organizer');
const vendor = await session(app, 'vendor');

t.test('draft → open → in progress → closed (fulfilled), each step recorded with who, when, from, to', async (t) => {
  const b = api(app, buyer.cookie);
  const id = (await b.post('/api/v1/demands', demandBody({ title: '教室照明改造', status: 'draft' }))).json().id;
  t.equal((await b.post(`/api/v1/demands/${id}/start`)).statusCode, 409, 'a draft cannot start');

  now = new Date('2027-03-02T02:00:00Z');
  const opened = await b.post(`/api/v1/demands/${id}/open`);
  t.equal(opened.statusCode, 200);
  t.equal(opened.json().demand.status, 'open');

  now = new Date('2027-03-05T02:00:00Z');
  const started = await api(app, organizer.cookie).post(`/api/v1/demands/${id}/start`);
  t.equal(started.json().demand.status, 'in_progress');

  const noReason = await b.post(`/api/v1/demands/${id}/close`, { closedAs: 'fulfilled' });
  t.equal(noReason.statusCode, 400);
  t.match(noReason.json().details, [{ path: 'reason', message: /关闭原因/ }]);
  const badAs = await b.post(`/api/v1/demands/${id}/close`, { closedAs: 'expired', reason: '想让它过期' });
  t.equal(badAs.statusCode, 400, 'expired is for the system only');
  t.equal((await app.models.Demand.findById(id).lean())!.status, 'in_progress', 'a refused close changes nothing');

  now = new Date('2027-04-01T02:00:00Z');
  const closed = await b.post(`/api/v1/demands/${id}/close`, { closedAs: 'fulfilled', reason: '已与两家本地企业签约' });
  t.equal(closed.statusCode, 200);
  t.match(closed.json().demand, { status: 'closed', closedAs: 'fulfilled', closeReason: '已与两家本地企业签约', closedAt: '2027-04-01T02:00:00.000Z' });
  t.match(closed.json().demand.history, [
    { action: 'create', to: 'draft', by: { id: buyer.id, role: 'buyer' }, at: '2027-03-01T02:00:00.000Z' },
    { action: 'open', from: 'draft', to: 'open', by: { id: buyer.id }, at: '2027-03-02T02:00:00.000Z' },
    { action: 'start', from: 'open', to: 'in_progress', by: { id: organizer.id, role: 'organizer' }, at: '2027-03-05T02:00:00.000Z' },
    { action: 'close', from: 'in_progress', to: 'closed', closedAs: 'fulfilled', reason: '已与两家本地企业签约', at: '2027-04-01T02:00:00.000Z' },
  ]);
  t.equal(closed.json().demand.history.length, 4, 'refused attempts leave no trace');

  t.equal((await b.post(`/api/v1/demands/${id}/open`)).statusCode, 409, 'a closed demand stays closed');
  const edit = await b.put(`/api/v1/demands/${id}`, demandBody({ title: '教室照明改造', quantity: 1 }));
  t.equal(edit.statusCode, 409);
  t.match(edit.json().message, /已关闭/);
});

t.test('a draft can be cancelled but not fulfilled; vendors cannot move demands', async (t) => {
  const b = api(app, buyer.cookie);
  const id = (await b.post('/api/v1/demands', demandBody({ title: '草稿取消测试', status: 'draft' }))).json().id;
  t.equal((await b.post(`/api/v1/demands/${id}/close`, { closedAs: 'fulfilled', reason: '弄错了' })).statusCode, 409);
  t.equal((await api(app, vendor.cookie).post(`/api/v1/demands/${id}/close`, { closedAs: 'cancelled', reason: '供应商想关' })).statusCode, 403);
  const res = await b.post(`/api/v1/demands/${id}/close`, { closedAs: 'cancelled', reason: '预算取消' });
  t.match(res.json().demand, { status: 'closed', closedAs: 'cancelled' });
});

t.test('open and in-progress demands past their deadline close themselves; the rest are left alone', async (t) => {
  now = new Date('2027-05-01T02:00:00Z');
  const b = api(app, buyer.cookie);
  const mk = async (title: string, deadline: string, extra: Record<string, unknown> = {}) =>
    (await b.post('/api/v1/demands', demandBody({ title, deadline, ...extra }))).json().id as string;
  const soon = await mk('五月底截止', '2027-05-31');
  const later = await mk('年底截止', '2027-12-31');
  const started = await mk('已在对接', '2027-05-31');
  await b.post(`/api/v1/demands/${started}/start`);
  const draft = await mk('草稿不过期', '2027-05-31', { status: 'draft' });
  const noDeadline = await mk('没有截止日期', '', {});

  now = new Date('2027-05-31T15:00:00Z'); // 23:00 on 31 May in Beijing: still that day
  t.equal(await app.demands.sweepExpired(), 0, 'the deadline day counts in full');

  now = new Date('2027-05-31T16:00:01Z'); // 1 June, 00:00:01 in Beijing
  t.equal(await app.demands.sweepExpired(), 2);
  for (const [id, from] of [[soon, 'open'], [started, 'in_progress']] as const) {
    const d = (await api(app, buyer.cookie).get(`/api/v1/demands/${id}`)).json().demand;
    t.match(d, { status: 'closed', closedAs: 'expired', closedAt: '2027-05-31T16:00:01.000Z' });
    t.match(d.history.at(-1), { action: 'expire', from, to: 'closed', by: { id: 'system', name: '系统' }, at: '2027-05-31T16:00:01.000Z', closedAs: 'expired' });
  }
  for (const id of [later, draft, noDeadline]) {
    t.not((await app.models.Demand.findById(id).lean())!.status, 'closed', 'not past its deadline, a draft, or without one');
  }
  t.equal(await app.demands.sweepExpired(), 0, 'a second sweep finds nothing more');
  const expired = await app.models.Demand.findById(soon).lean();
  t.equal(expired!.history.filter((h) => h.action === 'expire').length, 1, 'and records nothing twice');

  const reopen = await b.post(`/api/v1/demands/${draft}/open`);
  t.equal(reopen.statusCode, 409, 'a draft whose deadline has passed cannot be opened');
  t.match(reopen.json().message, /截止日期已过/);
});

t.test('a demand that becomes open queues a match alert for the vendors that fit it, once, in the same write', async (t) => {
  now = new Date('2027-06-01T02:00:00Z');
  const Outbox = app.conn.models.NotificationOutbox;
  t.ok(Outbox, 'the notifications outbox exists');
  const alertsFor = (id: string) => Outbox.countDocuments({ type: 'match-alert', demand: id });
  const b = api(app, buyer.cookie);
  const draft = (await b.post('/api/v1/demands', demandBody({ title: '提醒测试草稿', status: 'draft' }))).json().id;
  t.equal(await alertsFor(draft), 0, 'a draft alerts nobody');
  await b.post(`/api/v1/demands/${draft}/open`);
  t.equal(await alertsFor(draft), 1, 'opening it does');
  const direct = (await b.post('/api/v1/demands', demandBody({ title: '提醒测试直接发布' }))).json().id;
  t.equal(await alertsFor(direct), 1, 'so does posting it open');
  await b.post(`/api/v1/demands/${direct}/start`);
  t.equal(await alertsFor(direct), 1, 'later steps do not alert again');
});
