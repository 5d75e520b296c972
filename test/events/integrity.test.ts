/**
 * What must hold once the event is under way: recorded outcomes are history (never moved or erased by a
 * run), amounts belong to signings, a declined follow-up does not block an outcome, inputs changed while a
 * run computes make its save fail, read-only leaders do not see events, drafts stay out of reports.
 */
import t, { type Test } from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { api, createEvent, eventWorld, registerAll, savedSchedule, wish } from './support.js';

async function published(t: Test) {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, {}, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  for (let i = 0; i < 3; i++) await wish(app, org, id, buyerIds[i], vendorIds[i], 'must');
  await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' });
  const meetings = (await savedSchedule(app, org, id)).meetings;
  return { app, w, org, id, vendorIds, buyerIds, meetings, of: (b: number) => meetings.find((m) => m.buyer === buyerIds[b])! };
}

t.test('a meeting with an outcome is history: no run moves or erases it', async (t) => {
  const { app, org, id, vendorIds, buyerIds, of } = await published(t);
  const m = of(0);
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m.id}/outcome`, { outcome: 'signed', amountYuan: 300000 });
  const moves = await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, { allowMoves: true });
  t.equal(moves.statusCode, 409, 'moves are not allowed once outcomes are recorded');
  t.match(moves.json().message, /登记了结果/);

  // A "no" after the meeting happened does not erase it on the next run.
  await wish(app, org, id, vendorIds[0], buyerIds[0], 'no');
  const run = await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  t.equal(run.statusCode, 200, run.body);
  const after = await app.models.EventMeeting.findById(m.id).lean();
  t.match(after, { slot: m.slot, table: m.table, outcome: 'signed' }, 'the meeting and its outcome are kept');
  const kept = (await savedSchedule(app, org, id)).meetings.find((x) => x.id === m.id) as { amountYuan?: number } | undefined;
  t.equal(kept?.amountYuan, 300000, 'with the amount of its signing');
});

t.test('with moves allowed a moved meeting keeps its id, so calendars update it', async (t) => {
  const { app, org, id, vendorIds, buyerIds, meetings } = await published(t);
  // The vendor of meeting 0 can no longer attend its slot… only through the organizer moving it first;
  // instead a must from another buyer at a full table pushes the optimizer to rearrange.
  await wish(app, org, id, buyerIds[1], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[2], vendorIds[0], 'must');
  const run = await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, { allowMoves: true });
  t.equal(run.statusCode, 200);
  const after = (await savedSchedule(app, org, id)).meetings;
  for (const m of meetings) {
    const same = after.find((x) => x.buyer === m.buyer && x.vendor === m.vendor);
    t.ok(same, 'every published pair still meets');
    t.equal(same!.id, m.id, 'under the same id, moved or not');
  }
});

t.test('a signing entered at the event is final, as every signing; a declined follow-up does not block an outcome', async (t) => {
  const { app, w, org, id, of } = await published(t);
  const m = of(1);
  const signed = await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m.id}/outcome`, { outcome: 'signed', amountYuan: 900000 });
  t.equal(signed.json().meeting.amountYuan, 900000, 'the meeting shows the amount of its signing');
  const corrected = await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m.id}/outcome`, { outcome: 'intent' });
  t.equal(corrected.statusCode, 409, 'the signing is in the follow-up record: it cannot be taken back from the event');
  t.match(corrected.json().message, /签约是最终结果/);
  const d = (await api(app, org, 'GET', `/api/v1/events/${id}/dashboard`)).json().dashboard;
  t.match(d.total, { signed: 1, amountYuan: 900000 });

  const m2 = of(2);
  const organizer = await app.models.User.findById(w.users.organizer.id).lean();
  await app.followUps.advance({ id: w.users.organizer.id, email: organizer!.email, name: organizer!.name, role: 'organizer' }, String(w.demands[2]._id), String(w.vendors[2]._id), { to: 'declined', reason: '价格不合适' });
  const held = await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m2.id}/outcome`, { outcome: 'held' });
  t.equal(held.statusCode, 200, 'the meeting outcome is recorded');
  t.equal((await app.models.FollowUp.findOne({ demand: w.demands[2]._id, vendor: w.vendors[2]._id }).lean())?.status, 'declined', 'the declined follow-up stays as it is');
});

t.test('changing wishes or participants moves the revision a schedule run saves against', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  const revision = async () => (await app.models.Event.findById(id).lean())!.revision;
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['a wish', () => wish(app, org, id, buyerIds[0], vendorIds[0], 'must')],
    ['a veto', () => wish(app, org, id, vendorIds[1], buyerIds[1], 'no')],
    ['a cleared wish', () => api(app, org, 'DELETE', `/api/v1/events/${id}/preferences?from=${buyerIds[0]}&to=${vendorIds[0]}`)],
    ['unavailable slots', () => api(app, org, 'PUT', `/api/v1/events/${id}/participants/${buyerIds[0]}`, { unavailableSlots: [1] })],
    ['a rejection', () => api(app, org, 'POST', `/api/v1/events/${id}/participants/${buyerIds[1]}/review`, { decision: 'reject', reason: '重复报名' })],
    ['a withdrawal', () => api(app, org, 'POST', `/api/v1/events/${id}/participants/${vendorIds[1]}/withdraw`, {})],
  ];
  for (const [what, step] of steps) {
    const before = await revision();
    await step();
    t.ok((await revision()) > before, `${what} moves the revision`);
  }
});

t.test('draft demands cannot be brought to an event; read-only leaders see no events; drafts stay out of reports', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org);
  const draft = await app.models.Demand.create({ title: '尚未发布的需求', field: 'security', buyerOrg: w.orgs[0]._id, status: 'draft' });
  const orgsBefore = await app.models.BuyerOrg.countDocuments();
  const res = await api(app, org, 'POST', `/api/v1/events/${id}/participants`, { kind: 'buyer', buyer: { name: w.orgs[0].name, type: 'agency', level: 'province', province: '浙江省' }, demands: [String(draft._id)] });
  t.equal(res.statusCode, 400, 'a draft demand is refused');
  const newOrg = await api(app, org, 'POST', `/api/v1/events/${id}/participants`, { kind: 'buyer', buyer: { name: '新来的采购单位', type: 'school', level: 'city', province: '浙江省' }, demands: [String(draft._id)] });
  t.equal(newOrg.statusCode, 400);
  t.equal(await app.models.BuyerOrg.countDocuments(), orgsBefore, 'a refused registration leaves no new organization behind');

  const leader = await createUser(app, 'leader');
  const cookie = await login(app, leader.email, leader.password);
  await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'registration' });
  t.equal((await api(app, cookie, 'GET', '/api/v1/events')).statusCode, 403, 'no event list for a leader');
  t.equal((await api(app, cookie, 'GET', `/api/v1/events/${id}/participants`)).statusCode, 403, 'nor its participants');
  t.equal((await api(app, cookie, 'GET', '/events')).statusCode, 403);
  t.equal((await api(app, cookie, 'GET', `/api/v1/demands/${String(w.demands[0]._id)}/follow-ups`)).statusCode, 404, "nor a demand's follow-up records");
  t.equal((await api(app, cookie, 'GET', '/api/v1/reports/overview')).statusCode, 200, 'the report is theirs');

  const draftEvent = await createEvent(app, org, { title: '保密筹备中的对接会' });
  const report = await api(app, org, 'GET', '/api/v1/reports/overview');
  const rows = report.json().sections.find((s: { id: string }) => s.id === 'events').tables[0].rows.map((r: unknown[]) => r[0]);
  t.ok(rows.includes('滨江区安防产业供需对接会'), 'an event open for registration is reported');
  t.notOk(rows.includes('保密筹备中的对接会'), 'a draft is not');
  void draftEvent;
});
