/** The events API (docs/api.md): the organizer's flow, bad input, phases and each role's rights. */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { api, cjk, createEvent, doubleBookings, eventWorld, registerAll, savedSchedule, slotGrid, wish } from './support.js';

t.test('the contract flow: create, register, wish, schedule, read it back; a veto is never scheduled', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app);
  const org = w.cookies.organizer;
  const id = await createEvent(app, org);
  const event = (await api(app, org, 'GET', `/api/v1/events/${id}`)).json().event;
  t.equal(event.phase, 'draft', 'a new event is a draft');
  t.equal(event.slots.length, 6);
  t.equal(event.tables, 3);

  const { vendorIds: [v1, v2, v3], buyerIds: [b1, b2, b3] } = await registerAll(app, org, id, w, [2, 1, 1]);
  await wish(app, org, id, b1, v1, 'must');
  await wish(app, org, id, b1, v2, 'want');
  await wish(app, org, id, v1, b2, 'must');
  await wish(app, org, id, b2, v2, 'must');
  await wish(app, org, id, b3, v3, 'want');
  await wish(app, org, id, v3, b3, 'no'); // a veto beats the buyer's want

  const run = await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  t.equal(run.statusCode, 200, run.body);
  const result = run.json();
  t.equal(result.meetings.length, 4, 'every wished pair but the vetoed one is placed');
  t.same(result.unscheduled.map((u: { buyer: string; vendor: string; reason: string }) => [u.buyer, u.vendor, u.reason]), [[b3, v3, 'veto']]);
  t.equal(result.changes.added.length, 4);

  const saved = await savedSchedule(app, org, id);
  t.equal(saved.meetings.length, 4, 'the schedule is saved');
  t.notOk(saved.meetings.some((m) => m.buyer === b3 && m.vendor === v3), 'the vetoed pair has no meeting');
  t.same(saved.unscheduled.map((u) => u.reason), ['veto']);
  t.same(await doubleBookings(app, id), [], 'no double-booking');
  for (const m of saved.meetings) {
    t.ok(m.slot >= 0 && m.slot < 6 && m.table >= 1 && m.table <= 3, 'inside the grid');
  }
  t.equal((await api(app, org, 'GET', `/api/v1/events/${id}`)).json().event.phase, 'scheduling', 'generating moves the event to scheduling');

  // Running again without changes keeps everything where it is.
  const again = (await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).json();
  t.same(again.changes.added, [], 'no new meetings');
  t.same(again.changes.removed, []);
  t.same((await savedSchedule(app, org, id)).meetings.map((m) => m.id).sort(), saved.meetings.map((m) => m.id).sort(), 'the same saved meetings');
  void v2;
});

t.test('bad input is a Chinese 400 and writes nothing', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app);
  const org = w.cookies.organizer;
  const bad = async (url: string, payload: unknown, path?: string) => {
    const res = await api(app, org, 'POST', url, payload);
    t.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload).slice(0, 80)} → 400`);
    t.match(res.json().message, cjk);
    if (path) t.ok(res.json().details?.some((d: { path: string; message: string }) => d.path.startsWith(path) && cjk.test(d.message)), `details name ${path}`);
  };
  const slots = slotGrid(4);
  await bad('/api/v1/events', { title: '', tables: 3, slots }, 'title');
  await bad('/api/v1/events', { title: '对接会', tables: 0, slots }, 'tables');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots: [] }, 'slots');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots: [slots[1], slots[0]] }, 'slots');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots: [{ start: slots[0].end, end: slots[0].start }] }, 'slots');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots: [{ start: 'tomorrow', end: slots[0].end }] }, 'slots');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots, field: 'cooking' }, 'field');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots, $where: '1' });
  await bad('/api/v1/events', { title: { $gt: '' }, tables: 3, slots }, 'title');
  await bad('/api/v1/events', { title: '对接会', tables: 3, slots, registrationDeadline: '2027-03-19T00:00:00+08:00' }, 'registrationDeadline');
  t.equal(await app.models.Event.countDocuments(), 0, 'no event was written');

  const id = await createEvent(app, org, {}, 4, 2);
  await bad(`/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: '91330108MA00000000' }, 'vendorCreditCode');
  await bad(`/api/v1/events/${id}/participants`, { kind: 'vendor' }, 'vendorCreditCode');
  await bad(`/api/v1/events/${id}/participants`, { kind: 'guest' }, 'kind');
  await bad(`/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: w.vendors[0].creditCode, unavailableSlots: [4] }, 'unavailableSlots');
  await bad(`/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: w.vendors[0].creditCode, representatives: 0 }, 'representatives');
  await bad(`/api/v1/events/${id}/participants`, { kind: 'buyer', buyer: { name: '某单位', type: 'agency', level: 'village', province: '浙江省' } }, 'buyer.level');
  await bad(`/api/v1/events/${id}/participants`, { kind: 'buyer', buyer: { name: w.orgs[0].name, type: 'agency', level: 'province', province: '浙江省' }, demands: [String(w.demands[1]._id)] }, 'demands');
  t.equal(await app.models.EventParticipant.countDocuments(), 0, 'no participant was written');
  const draftVendor = await api(app, org, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: w.draftVendor.creditCode });
  t.equal(draftVendor.statusCode, 409, 'a vendor not on the approved list cannot take part');
  t.match(draftVendor.json().message, /推介清单/);

  const { vendorIds: [v1, v2], buyerIds: [b1] } = await registerAll(app, org, id, w);
  const twice = await api(app, org, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: w.vendors[0].creditCode });
  t.equal(twice.statusCode, 409, 'a company registers once');
  await bad(`/api/v1/events/${id}/preferences`, { from: v1, to: v2, level: 'must' }, 'to');
  await bad(`/api/v1/events/${id}/preferences`, { from: b1, to: v1, level: 'maybe' }, 'level');
  await bad(`/api/v1/events/${id}/preferences`, { from: b1, to: 'x', level: 'must' }, 'to');
  t.equal(await app.models.EventPreference.countDocuments(), 0, 'no wish was written');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/preferences`, { from: b1, to: '000000000000000000000000', level: 'must' })).statusCode, 404);

  await wish(app, org, id, b1, v1, 'must');
  await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  const [m] = (await savedSchedule(app, org, id)).meetings;
  const move = async (payload: unknown) => api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m.id}/move`, payload);
  t.equal((await move({ slot: 9, table: 1 })).statusCode, 400, 'a slot outside the grid');
  t.equal((await move({ slot: 0, table: 3 })).statusCode, 400, 'a table outside the grid');
  t.equal((await move({ slot: -1, table: 1 })).statusCode, 400);
  t.equal((await move({ slot: 'a', table: 1 })).statusCode, 400);
  const grid = await api(app, org, 'PUT', `/api/v1/events/${id}`, { tables: 5 });
  t.equal(grid.statusCode, 409, 'the grid cannot change under saved meetings');
  t.equal((await api(app, org, 'GET', `/api/v1/events/${id}`)).json().event.tables, 2);
  t.same((await savedSchedule(app, org, id)).meetings.find((x) => x.id === m.id), m, 'the meeting did not move');
  t.equal((await api(app, org, 'GET', '/api/v1/events/nonsense')).statusCode, 400);
  t.equal((await api(app, org, 'GET', '/api/v1/events/000000000000000000000000')).statusCode, 404);
});

t.test('phases move one step at a time; participants register and wish only while open', async (t) => {
  let now = new Date('2027-03-01T00:00:00+08:00');
  const app = await buildTestApp(t, {}, { background: false, clock: () => now });
  const w = await eventWorld(app);
  const { organizer: org, vendorUser, otherVendorUser, buyerUser, draftVendorUser, otherBuyerUser } = w.cookies;
  const id = await createEvent(app, org, { registrationDeadline: '2027-03-10T18:00:00+08:00', preferenceDeadline: '2027-03-15T18:00:00+08:00' });
  const phase = (to: string, cookie = org) => api(app, cookie, 'POST', `/api/v1/events/${id}/phase`, { to });

  // A draft is the organizers' alone.
  t.equal((await api(app, vendorUser, 'GET', `/api/v1/events/${id}`)).statusCode, 404, 'a draft is not shown to vendors');
  t.notOk((await api(app, buyerUser, 'GET', '/api/v1/events')).json().events.length, 'nor listed');
  t.equal((await api(app, vendorUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor' })).statusCode, 404);
  t.equal((await phase('scheduling')).statusCode, 409, 'no skipping phases');
  t.equal((await phase('registration', vendorUser)).statusCode, 403, 'a vendor cannot move phases');
  t.equal((await phase('registration')).statusCode, 200);

  // Self-registration: pending until approved; own company only; approved list only.
  const mine = await api(app, vendorUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', representatives: 2, unavailableSlots: [5] });
  t.equal(mine.statusCode, 201, mine.body);
  t.equal(mine.json().status, 'pending');
  const v1 = mine.json().participantId;
  t.equal((await api(app, otherVendorUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: w.vendors[2].creditCode })).statusCode, 403, 'not for another company');
  t.equal((await api(app, draftVendorUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor' })).statusCode, 409, 'not before being listed');
  t.equal((await api(app, vendorUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'buyer' })).statusCode, 403, 'a vendor is not a buyer');
  const buyerReg = await api(app, buyerUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'buyer', demands: [String(w.demands[0]._id)] });
  t.equal(buyerReg.statusCode, 201, buyerReg.body);
  const b1 = buyerReg.json().participantId;
  const foreignDemand = await api(app, otherBuyerUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'buyer', demands: [String(w.demands[0]._id)] });
  t.equal(foreignDemand.statusCode, 400, "another organization's demand cannot be brought");

  // Participants see approved participants and themselves; contacts stay private.
  const seen = (await api(app, otherBuyerUser, 'GET', `/api/v1/events/${id}/participants`)).json().participants;
  t.same(seen, [], 'pending registrations are not shown to others');
  t.equal((await api(app, vendorUser, 'POST', `/api/v1/events/${id}/participants/${v1}/review`, { decision: 'approve' })).statusCode, 403, 'a vendor cannot approve itself');
  const noReason = await api(app, org, 'POST', `/api/v1/events/${id}/participants/${b1}/review`, { decision: 'reject' });
  t.equal(noReason.statusCode, 400, 'a rejection needs a reason');
  for (const p of [v1, b1]) t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/participants/${p}/review`, { decision: 'approve' })).statusCode, 200);
  const list = (await api(app, otherBuyerUser, 'GET', `/api/v1/events/${id}/participants`)).json().participants;
  t.same(list.map((p: { id: string }) => p.id).sort(), [v1, b1].sort());
  t.notOk(list.some((p: { contactPhone?: string }) => p.contactPhone !== undefined), 'no contacts of others');

  // Wishes: a participant sets its own, not another's.
  t.equal((await api(app, vendorUser, 'POST', `/api/v1/events/${id}/preferences`, { from: v1, to: b1, level: 'must' })).statusCode, 201);
  t.equal((await api(app, otherVendorUser, 'POST', `/api/v1/events/${id}/preferences`, { from: v1, to: b1, level: 'no' })).statusCode, 403, 'not for another company');
  t.equal((await api(app, buyerUser, 'POST', `/api/v1/events/${id}/preferences`, { from: b1, to: v1, level: 'no' })).statusCode, 201);
  const buyerView = (await api(app, vendorUser, 'GET', `/api/v1/events/${id}/preferences`)).json().preferences;
  t.same(buyerView.map((p: { level: string }) => p.level), ['must'], "the vendor does not learn of the buyer's veto");

  // Registration closes at its deadline; wishes at theirs.
  now = new Date('2027-03-11T00:00:00+08:00');
  const late = await api(app, otherVendorUser, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor' });
  t.equal(late.statusCode, 409, 'registration closed');
  t.match(late.json().message, /截止/);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: w.vendors[1].creditCode })).statusCode, 201, 'organizers may still add late participants');
  t.equal((await phase('preferences')).statusCode, 200);
  t.equal((await api(app, buyerUser, 'POST', `/api/v1/events/${id}/preferences`, { from: b1, to: v1, level: 'want' })).statusCode, 201, 'wishes still open');
  now = new Date('2027-03-16T00:00:00+08:00');
  t.equal((await api(app, buyerUser, 'POST', `/api/v1/events/${id}/preferences`, { from: b1, to: v1, level: 'must' })).statusCode, 409, 'wishes closed');
  t.equal((await api(app, buyerUser, 'PUT', `/api/v1/events/${id}/participants/${b1}`, { unavailableSlots: [0] })).statusCode, 409, 'registration details locked');

  // Scheduling, publishing, finishing; no way back after publishing.
  t.equal((await phase('published')).statusCode, 409, 'publishing needs a schedule first');
  t.equal((await phase('scheduling')).statusCode, 200);
  t.equal((await phase('published')).statusCode, 409, 'no meetings yet');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 200);
  t.equal((await api(app, vendorUser, 'GET', `/api/v1/events/${id}/schedule`)).statusCode, 403, 'the full schedule is for organizers');
  const before = (await api(app, vendorUser, 'GET', `/api/v1/events/${id}/participants/${v1}/agenda`)).json();
  t.same(before, { published: false, meetings: [] }, 'no agenda before publishing');
  t.equal((await phase('published')).statusCode, 200);
  const after = (await api(app, vendorUser, 'GET', `/api/v1/events/${id}/participants/${v1}/agenda`)).json();
  t.equal(after.published, true);
  t.equal((await api(app, otherVendorUser, 'GET', `/api/v1/events/${id}/participants/${v1}/agenda`)).statusCode, 404, "another company's agenda is not found");
  t.equal((await phase('scheduling')).statusCode, 409, 'no way back from published');
  t.equal((await phase('finished')).statusCode, 200);
  t.equal((await phase('published')).statusCode, 409, 'finished is final');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 409, 'no schedule runs after the event');
  const log = (await app.models.Event.findById(id).lean())!.log.filter((l) => l.action === 'phase').map((l) => `${l.from}→${l.to}`);
  t.same(log, ['draft→registration', 'registration→preferences', 'preferences→scheduling', 'scheduling→published', 'published→finished'], 'every phase change is logged');
});

t.test('a re-run keeps published meetings where they are and reports exactly what changed', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, {}, 4, 2);
  const { vendorIds: [v1, v2, v3], buyerIds: [b1, b2, b3] } = await registerAll(app, org, id, w);
  await wish(app, org, id, b1, v1, 'want');
  await wish(app, org, id, b2, v2, 'want');
  await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' });
  const published = (await savedSchedule(app, org, id)).meetings;
  t.ok(published.every((m) => m.published), 'publishing marks every meeting');

  // New wishes arrive, including a must that would prefer the published slots: nothing published moves.
  await wish(app, org, id, b3, v3, 'must');
  await wish(app, org, id, b1, v2, 'must');
  await wish(app, org, id, b2, v1, 'must');
  const run = (await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).json();
  t.same(run.changes.moved, [], 'nothing moved');
  t.same(run.changes.removed, [], 'nothing removed');
  t.equal(run.changes.kept.length, published.length, 'every published meeting kept');
  const after = (await savedSchedule(app, org, id)).meetings;
  for (const m of published) {
    const same = after.find((x) => x.id === m.id);
    t.ok(same && same.slot === m.slot && same.table === m.table, 'published meeting still in its slot and at its table');
  }
  t.equal(after.length, published.length + run.changes.added.length, 'added meetings are the only new ones');
  t.ok(after.filter((m) => !published.some((p) => p.id === m.id)).every((m) => m.published), 'new meetings of a published schedule are published at once');
  t.same(await doubleBookings(app, id), []);

  // A veto after publishing removes that meeting, with the reason.
  const target = after.find((m) => m.buyer === b1 && m.vendor === v1)!;
  await wish(app, org, id, v1, b1, 'no');
  const vetoRun = (await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).json();
  t.same(vetoRun.changes.removed.map((r: { meeting: { buyer: string; vendor: string }; reason: string }) => [r.meeting.buyer, r.meeting.vendor, r.reason]), [[b1, v1, 'veto']]);
  t.notOk((await savedSchedule(app, org, id)).meetings.some((m) => m.id === target.id), 'the vetoed meeting is gone');
  // Participants whose agenda changed are told.
  const told = await app.models.NotificationOutbox.countDocuments({ kind: 'event-agenda-change' });
  t.ok(told > 0, 'changes after publishing are notified');
});

t.test('manual adjustments: move, add, cancel respect every hard rule and survive a re-run', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, {}, 3, 2);
  const { vendorIds: [v1, v2], buyerIds: [b1, b2, b3] } = await registerAll(app, org, id, w, [2, 1]);
  await api(app, org, 'PUT', `/api/v1/events/${id}/participants/${b3}`, { unavailableSlots: [2] });
  const add = (buyer: string, vendor: string, slot: number, table: number) => api(app, org, 'POST', `/api/v1/events/${id}/meetings`, { buyer, vendor, slot, table });

  const first = await add(b1, v1, 0, 1);
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.json().meeting.pinned, true, 'a hand-placed meeting is pinned');
  t.equal((await add(b1, v2, 0, 2)).statusCode, 409, 'a buyer holds one meeting per slot');
  t.equal((await add(b2, v2, 0, 1)).statusCode, 409, 'a table holds one meeting per slot');
  t.equal((await add(b1, v1, 1, 1)).statusCode, 409, 'a pair meets once');
  t.equal((await add(b2, v1, 0, 2)).statusCode, 201, 'a vendor with two representatives holds two meetings at once');
  const third = await add(b3, v1, 0, 2);
  t.equal(third.statusCode, 409);
  t.equal((await add(b3, v1, 2, 1)).statusCode, 409, 'an unavailable slot is respected');
  t.match((await add(b3, v1, 2, 1)).json().message, /无法参加/);
  await wish(app, org, id, b3, v2, 'no');
  const vetoed = await add(b3, v2, 1, 1);
  t.equal(vetoed.statusCode, 409, 'a vetoed pair is never placed, even by hand');
  t.match(vetoed.json().message, /不与对方洽谈/);
  t.equal((await add(v1, b1, 1, 1)).statusCode, 400, 'buyer and vendor the wrong way round are refused');

  const meeting = first.json().meeting;
  const moved = await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${meeting.id}/move`, { slot: 1, table: 2 });
  t.equal(moved.statusCode, 200, moved.body);
  t.match(moved.json().meeting, { slot: 1, table: 2 });
  await wish(app, org, id, b2, v2, 'must');
  const run = (await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).json();
  t.ok(run.changes.kept.some((m: { buyer: string; vendor: string; slot: number; table: number }) => m.buyer === b1 && m.vendor === v1 && m.slot === 1 && m.table === 2), 'the hand-placed meeting stays put on a re-run');
  t.same(await doubleBookings(app, id), []);
  const cancel = await api(app, org, 'DELETE', `/api/v1/events/${id}/meetings/${meeting.id}`);
  t.equal(cancel.statusCode, 204);
  t.notOk((await savedSchedule(app, org, id)).meetings.some((m) => m.id === meeting.id));
  t.equal((await api(app, org, 'DELETE', `/api/v1/events/${id}/meetings/${meeting.id}`)).statusCode, 404);
  t.equal((await api(app, w.cookies.vendorUser, 'POST', `/api/v1/events/${id}/meetings`, { buyer: b1, vendor: v1, slot: 2, table: 1 })).statusCode, 403, 'vendors cannot place meetings');
  const log = (await app.models.Event.findById(id).lean())!.log.map((l) => l.action);
  t.same(log.filter((a) => ['add', 'move', 'cancel'].includes(a)), ['add', 'add', 'move', 'cancel'], 'every manual change is logged');
});

t.test('the sample 安防专场 of a first start schedules cleanly', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { seed } = await import('../../src/seeding/index.js');
  const { SAMPLE_EVENT_ID } = await import('../../src/events/seed.js');
  await seed(app.models, true);
  const organizer = await createUser(app, 'organizer');
  const cookie = await login(app, organizer.email, organizer.password);
  const id = String(SAMPLE_EVENT_ID);
  const run = await api(app, cookie, 'POST', `/api/v1/events/${id}/schedule`, {});
  t.equal(run.statusCode, 200, run.body);
  const { meetings, unscheduled, stats } = run.json();
  t.ok(meetings.length >= 15, `${meetings.length} meetings`);
  t.equal(stats.wishedWithoutMeeting, 0, 'everyone with a wish gets a meeting');
  t.ok(unscheduled.every((u: { reason: string }) => ['veto', 'no-common-slot', 'capacity'].includes(u.reason)));
  t.same(await doubleBookings(app, id), []);
});
