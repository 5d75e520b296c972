/** Follow-up through the API: role rules, the state machine, exact history, concurrent moves. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { followUpModels } from '../../src/followups/model.js';
import { notificationModels } from '../../src/notifications/model.js';
import { followUpWorld, move } from './fixtures.js';

const cjk = /[\u4e00-\u9fff]/;
let now = new Date('2026-03-02T01:00:00.000Z');
const app = await buildTestApp(t, {}, { clock: () => now, background: false });
const w = await followUpWorld(app);
const { FollowUp } = followUpModels(app.conn);
const { NotificationOutbox } = notificationModels(app.conn);
const steps = async (vendorId: string) =>
  (await FollowUp.findOne({ demand: w.demand._id, vendor: vendorId }).lean())?.steps ?? [];
const outboxCount = () => NotificationOutbox.countDocuments({});

t.test('a vendor says 有意向 for itself; the step records who and when; the buyer is told', async (t) => {
  const res = await move(app, w.cookies.vendor1, w.demandId, { vendorId: w.v1Id, to: 'intent', note: '可提供样机' });
  t.equal(res.statusCode, 200, res.body);
  const view = res.json();
  t.match(view, { demandId: w.demandId, vendorId: w.v1Id, status: 'intent', statusName: '有意向' });
  t.same(view.steps.map((s: { by: unknown }) => s.by), [{ id: w.users.vendor1.id, name: '供应商甲', role: 'vendor' }]);
  t.equal(view.steps[0].at, '2026-03-02T01:00:00.000Z', 'the platform clock, not the wall clock');
  t.equal(view.steps[0].note, '可提供样机');
  const queued = await NotificationOutbox.findOne({ kind: 'followup.interest' }).lean();
  t.equal(String(queued?.recipients?.buyerOrgId), String(w.orgA._id), 'queued for the buyer organization');
  t.match(queued?.title, /滨江安防科技有限公司.*有意向/);
});

t.test('what a vendor may not do', async (t) => {
  const before = await outboxCount();
  const sign = await move(app, w.cookies.vendor1, w.demandId, { vendorId: w.v1Id, to: 'signed' });
  t.equal(sign.statusCode, 403, 'a vendor cannot sign');
  t.match(sign.json(), { error: 'FORBIDDEN', message: cjk });
  const other = await move(app, w.cookies.vendor1, w.demandId, { vendorId: w.v2Id, to: 'contacted' });
  t.equal(other.statusCode, 404, 'acting for another vendor: it does not exist for them');
  const draft = await move(app, w.cookies.vendor1, String(w.draft._id), { vendorId: w.v1Id, to: 'contacted' });
  t.equal(draft.statusCode, 404, 'a draft demand is invisible to vendors');
  const back = await move(app, w.cookies.vendor1, w.demandId, { vendorId: w.v1Id, to: 'contacted' });
  t.equal(back.statusCode, 409, 'no going back from 有意向 to 已联系');
  t.match(back.json().message, /有意向/);
  t.equal((await steps(w.v1Id)).length, 1, 'nothing was written');
  t.equal(await outboxCount(), before, 'and nobody was notified');
});

t.test('a buyer moves only its own organization’s demands', async (t) => {
  const foreign = await move(app, w.cookies.buyerB, w.demandId, { vendorId: w.v1Id, to: 'signed' });
  t.equal(foreign.statusCode, 404, "another organization's demand does not exist for them");
  now = new Date('2026-03-05T02:30:00.000Z');
  const signed = await move(app, w.cookies.buyerA, w.demandId, { vendorId: w.v1Id, to: 'signed', amountYuan: 1280000, note: '合同已签' });
  t.equal(signed.statusCode, 200, signed.body);
  t.match(signed.json(), { status: 'signed', statusName: '已签约', amountYuan: 1280000 });
  const after = await move(app, w.cookies.organizer, w.demandId, { vendorId: w.v1Id, to: 'declined', reason: '误操作' });
  t.equal(after.statusCode, 409, 'signed is final, even for an organizer');
  const update = await NotificationOutbox.findOne({ kind: 'followup.update' }).lean();
  t.equal(String(update?.recipients?.vendorId), w.v1Id, "the vendor hears of the buyer's move");
});

t.test('declining needs a reason; an organizer may reopen, a buyer may not', async (t) => {
  t.equal((await app.models.Demand.findById(w.demand._id).lean())?.status, 'in_progress', 'the signing above put the demand in 对接中');
  // Vendor 2 has no follow-up yet, so it acts only on an open demand: open it again for this test.
  await app.models.Demand.updateOne({ _id: w.demand._id }, { $set: { status: 'open' } });
  const noReason = await move(app, w.cookies.vendor2, w.demandId, { vendorId: w.v2Id, to: 'declined' });
  t.equal(noReason.statusCode, 400);
  t.match(noReason.json().details, [{ path: 'reason', message: cjk }]);
  const amount = await move(app, w.cookies.buyerA, w.demandId, { vendorId: w.v2Id, to: 'intent', amountYuan: 5 });
  t.equal(amount.statusCode, 400, 'an amount only goes with signing');
  const operator = await move(app, w.cookies.vendor2, w.demandId, { vendorId: { $ne: '' }, to: 'declined', reason: 'x' });
  t.equal(operator.statusCode, 400, 'operator-shaped ids are a validation error');
  t.equal(await FollowUp.countDocuments({ vendor: w.v2._id }), 0, 'nothing half-written');

  now = new Date('2026-03-06T08:00:00.000Z');
  const declined = await move(app, w.cookies.vendor2, w.demandId, { vendorId: w.v2Id, to: 'declined', reason: '产能不足' });
  t.equal(declined.statusCode, 200);
  t.match(declined.json(), { status: 'declined', declineReason: '产能不足' });
  t.equal((await move(app, w.cookies.buyerA, w.demandId, { vendorId: w.v2Id, to: 'reopen', reason: '重新洽谈' })).statusCode, 403);
  now = new Date('2026-03-07T08:00:00.000Z');
  const reopened = await move(app, w.cookies.organizer, w.demandId, { vendorId: w.v2Id, to: 'reopen', reason: '供应商扩产后重新洽谈' });
  t.equal(reopened.statusCode, 200, reopened.body);
  t.equal(reopened.json().status, 'contacted');
  t.equal(reopened.json().declineReason, undefined, 'the current reason goes; the step keeps it');
  t.same(reopened.json().steps.map((s: { action: string; from: string | null; reason?: string; by: { name: string }; at: string }) => [s.action, s.from, s.reason, s.by.name, s.at]), [
    ['declined', null, '产能不足', '供应商乙', '2026-03-06T08:00:00.000Z'],
    ['reopen', 'declined', '供应商扩产后重新洽谈', '主办方王主任', '2026-03-07T08:00:00.000Z'],
  ]);
});

t.test('the history is exact and visible to the people entitled to it', async (t) => {
  const asBuyer = await app.inject({ method: 'GET', url: `/api/v1/demands/${w.demandId}/follow-ups`, headers: { cookie: w.cookies.buyerA } });
  t.equal(asBuyer.statusCode, 200);
  const v1 = asBuyer.json().followUps.find((f: { vendorId: string }) => f.vendorId === w.v1Id);
  t.same(v1.steps.map((s: { status: string; by: { name: string; role: string }; at: string; amountYuan?: number }) => [s.status, s.by.name, s.by.role, s.at, s.amountYuan]), [
    ['intent', '供应商甲', 'vendor', '2026-03-02T01:00:00.000Z', undefined],
    ['signed', '采购方甲', 'buyer', '2026-03-05T02:30:00.000Z', 1280000],
  ]);
  t.equal(v1.vendorName, '滨江安防科技有限公司');
  const asVendor2 = await app.inject({ method: 'GET', url: `/api/v1/demands/${w.demandId}/follow-ups`, headers: { cookie: w.cookies.vendor2 } });
  t.same(asVendor2.json().followUps.map((f: { vendorId: string }) => f.vendorId), [w.v2Id], 'a vendor sees only its own');
  const asBuyerB = await app.inject({ method: 'GET', url: `/api/v1/demands/${w.demandId}/follow-ups`, headers: { cookie: w.cookies.buyerB } });
  t.equal(asBuyerB.statusCode, 404);

  const all = await app.inject({ method: 'GET', url: '/api/v1/follow-ups?status=signed', headers: { cookie: w.cookies.organizer } });
  t.same(all.json().followUps.map((f: { vendorId: string; demandTitle: string }) => [f.vendorId, f.demandTitle]), [[w.v1Id, '教学楼视频监控系统更新']]);
  const byVendor = await app.inject({ method: 'GET', url: `/api/v1/follow-ups?vendor=${w.v2Id}`, headers: { cookie: w.cookies.admin } });
  t.equal(byVendor.json().total, 1);
  const own = await app.inject({ method: 'GET', url: '/api/v1/follow-ups', headers: { cookie: w.cookies.vendor2 } });
  t.same(own.json().followUps.map((f: { vendorId: string }) => f.vendorId), [w.v2Id]);
  const snoop = await app.inject({ method: 'GET', url: `/api/v1/follow-ups?vendor=${w.v1Id}`, headers: { cookie: w.cookies.vendor2 } });
  t.equal(snoop.statusCode, 404, "a vendor cannot list another vendor's follow-ups");
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/follow-ups', headers: { cookie: w.cookies.buyerA } })).statusCode, 403);
  const bad = await app.inject({ method: 'GET', url: '/api/v1/follow-ups?status=won', headers: { cookie: w.cookies.organizer } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, cjk);
});

t.test('two moves at once: exactly one applies, the other is told', async (t) => {
  for (let round = 0; round < 4; round++) {
    const { addVendor } = await import('../search/fixtures.js');
    const vendor = await addVendor(app, { name: `并发测试企业${round}` });
    const id = String(vendor._id);
    // The same first move from the buyer and an organizer at the same moment.
    const results = await Promise.all([
      move(app, w.cookies.buyerA, w.demandId, { vendorId: id, to: 'contacted' }),
      move(app, w.cookies.organizer, w.demandId, { vendorId: id, to: 'contacted' }),
    ]);
    t.same(results.map((r) => r.statusCode).sort(), [200, 409], `first move, round ${round}`);
    t.equal((await steps(id)).length, 1, 'one step recorded');
    // Two different moves from the same state: the one that lands second sees a changed state.
    const second = await Promise.all([
      move(app, w.cookies.buyerA, w.demandId, { vendorId: id, to: 'intent', from: 'contacted' }),
      move(app, w.cookies.buyerA2, w.demandId, { vendorId: id, to: 'declined', reason: '预算不足', from: 'contacted' }),
    ]);
    t.same(second.map((r) => r.statusCode).sort(), [200, 409], `second move, round ${round}`);
    const after = await steps(id);
    t.equal(after.length, 2, 'exactly one more step');
    const loser = second.find((r) => r.statusCode === 409)!;
    t.match(loser.json().message, /刷新/);
  }
});

t.test('a vendor cannot act on a demand it cannot read: no follow-up, no notice, nothing revealed', async (t) => {
  const hidden = await app.models.Demand.create({ title: '已进入对接的需求', description: '仅对接中的供应商可见', field: 'security', buyerOrg: w.orgA._id, status: 'in_progress' });
  const demandId = String(hidden._id);
  const before = await outboxCount();
  const read = await app.inject({ method: 'GET', url: `/api/v1/demands/${demandId}`, headers: { cookie: w.cookies.vendor2 } });
  t.equal(read.statusCode, 404, 'the vendor cannot read it');
  const res = await move(app, w.cookies.vendor2, demandId, { vendorId: w.v2Id, to: 'intent', note: '我们也能做' });
  t.equal(res.statusCode, 404, 'so it cannot follow it up either');
  t.notMatch(res.body, /已进入对接的需求|仅对接中/, 'the answer reveals nothing of the demand');
  t.equal(await FollowUp.countDocuments({ demand: hidden._id }), 0, 'no follow-up was written');
  t.equal(await outboxCount(), before, 'and the buyer was not notified');
  const page = await app.inject({ method: 'POST', url: `/demands/${demandId}/follow-up/${w.v2Id}`, headers: { cookie: w.cookies.vendor2 }, payload: { to: 'intent' } });
  t.ok(page.statusCode >= 400 && page.statusCode < 500, `the page form is refused too (${page.statusCode})`);
  t.equal(await FollowUp.countDocuments({ demand: hidden._id }), 0);

  // A vendor already in talks keeps working on it.
  await FollowUp.create({ demand: hidden._id, vendor: w.v1._id, buyerOrg: w.orgA._id, status: 'contacted', steps: [{ status: 'contacted', action: 'contacted', by: { id: w.users.buyerA.id, name: '采购方甲', role: 'buyer' }, at: now }], createdAt: now, updatedAt: now });
  const ongoing = await move(app, w.cookies.vendor1, demandId, { vendorId: w.v1Id, to: 'intent' });
  t.equal(ongoing.statusCode, 200, 'a vendor in the follow-up may move it on');
});
