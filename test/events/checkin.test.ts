/**
 * Check-in by code on real MongoDB: codes are given on approval (and lazily to participants approved
 * before), unguessable and unique per event; the agenda shows a participant its own code only; a scan is
 * idempotent and atomic (twenty concurrent scans of one code count once); a code of another event is a
 * Chinese 404 and changes nothing. The publish preview lists per participant the new, moved and
 * cancelled meetings against what it was last told.
 */
import t from 'tap';
import { base32, formatCode, newCheckInCode, normalizeCode } from '../../src/events/checkin.js';
import { announcementDiff } from '../../src/events/announce.js';
import { api, createEvent, registerAll } from './support.js';
import { codeOf, publishedEvent } from './day-support.js';

const cjk = /\p{Script=Han}/u;

t.test('codes: 80 random bits in base32, typed back with spaces, dashes or small letters', async (t) => {
  t.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI', 'RFC 4648 test vector');
  const codes = new Set(Array.from({ length: 2000 }, newCheckInCode));
  t.equal(codes.size, 2000, 'no repeats');
  for (const c of codes) if (!/^[A-Z2-7]{16}$/.test(c)) t.fail(`bad code ${c}`);
  const c = newCheckInCode();
  t.equal(normalizeCode(` ${formatCode(c).toLowerCase()} `), c, 'the printed form reads back');
});

t.test('approved participants get a code; the agenda shows it to the participant and organizers only', async (t) => {
  const { app, w, org, id, buyerIds, vendorIds } = await publishedEvent(t);
  const all = await app.models.EventParticipant.find({ event: id }).lean();
  t.equal(all.filter((p) => p.checkInCode).length, 6, 'every approved participant has a code');
  t.equal(new Set(all.map((p) => p.checkInCode)).size, 6, 'codes differ');

  const own = await api(app, w.cookies.buyerUser, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda`);
  t.equal(own.statusCode, 200);
  const code = (own.json() as { checkInCode: string }).checkInCode;
  t.equal(code, all.find((p) => String(p._id) === buyerIds[0])!.checkInCode, 'the participant reads its own code');
  t.equal(await codeOf(app, org, id, buyerIds[0]), code, 'organizers read it too');
  const other = await api(app, w.cookies.otherBuyerUser, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda`);
  t.equal(other.statusCode, 404, 'another company does not see the agenda nor the code');
  t.notOk(other.body.includes(code));

  // A participant approved before codes existed gets one the first time its agenda is read.
  await app.models.EventParticipant.updateOne({ _id: vendorIds[0] }, { $unset: { checkInCode: 1 } });
  const lazy = await codeOf(app, org, id, vendorIds[0]);
  t.match(lazy, /^[A-Z2-7]{16}$/);
  t.equal(await codeOf(app, w.cookies.vendorUser, id, vendorIds[0]), lazy, 'and keeps it');

  // A pending self-registration has no code until approved.
  const draft = await createEvent(app, org);
  await api(app, org, 'POST', `/api/v1/events/${draft}/phase`, { to: 'registration' });
  const reg = await api(app, w.cookies.otherVendorUser, 'POST', `/api/v1/events/${draft}/participants`, { kind: 'vendor' });
  t.equal(reg.statusCode, 201, reg.body);
  const pid = (reg.json() as { participantId: string }).participantId;
  t.notOk((await app.models.EventParticipant.findById(pid).lean())!.checkInCode, 'pending: no code');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${draft}/participants/${pid}/review`, { decision: 'approve' })).statusCode, 200);
  t.match((await app.models.EventParticipant.findById(pid).lean())!.checkInCode, /^[A-Z2-7]{16}$/, 'approved: a code');
});

t.test('a scan marks arrival once, answers the running count, and a code of another event is a 404', async (t) => {
  const { app, w, org, id, buyerIds } = await publishedEvent(t);
  const code = await codeOf(app, org, id, buyerIds[0]);

  const first = await api(app, org, 'POST', `/api/v1/events/${id}/check-in`, { code: formatCode(code).toLowerCase() });
  t.equal(first.statusCode, 200, first.body);
  t.match(first.json(), { participant: { id: buyerIds[0], name: '采购单位1' }, firstScan: true, first: true, arrived: 1, expected: 6 });
  const again = await api(app, org, 'POST', `/api/v1/events/${id}/check-in`, { code });
  t.match(again.json(), { firstScan: false, first: false, arrived: 1, expected: 6 }, 'a second scan counts nothing');
  t.equal(again.json().checkInAt, first.json().checkInAt, 'the first arrival time stays');
  const scans = await app.models.AuditEntry.find({ action: 'event.check-in', 'target.id': id }).lean();
  t.equal(scans.length, 2, 'each scan is in the audit trail, under the event');
  t.ok(scans.every((e) => e.description === '扫码签到'), 'described as 扫码签到');

  // Another event with the same companies: its codes do not open this one.
  const other = await createEvent(app, org, { title: '另一场对接会' });
  await registerAll(app, org, other, w);
  const foreign = (await app.models.EventParticipant.findOne({ event: other, kind: 'buyer' }).lean())!.checkInCode!;
  const before = await app.models.EventParticipant.find({ event: { $in: [id, other] } }).lean();
  for (const bad of [foreign, 'AAAAAAAAAAAAAAAA', 'x', '; DROP']) {
    const res = await api(app, org, 'POST', `/api/v1/events/${id}/check-in`, { code: bad });
    t.equal(res.statusCode, 404, `code ${bad} → 404`);
    t.match(res.json().message, cjk, 'in Chinese');
  }
  t.same(await app.models.EventParticipant.find({ event: { $in: [id, other] } }).lean(), before, 'nothing changed');

  const vendor = await api(app, w.cookies.vendorUser, 'POST', `/api/v1/events/${id}/check-in`, { code });
  t.equal(vendor.statusCode, 403, 'only organizers check people in');
  const objectCode = await api(app, org, 'POST', `/api/v1/events/${id}/check-in`, { code: { $ne: null } });
  t.equal(objectCode.statusCode, 400, 'an operator object is not a code');
});

t.test('twenty concurrent scans of one code count once', async (t) => {
  const { app, org, id, vendorIds } = await publishedEvent(t);
  const code = await codeOf(app, org, id, vendorIds[1]);
  const answers = await Promise.all(Array.from({ length: 20 }, () => api(app, org, 'POST', `/api/v1/events/${id}/check-in`, { code })));
  t.ok(answers.every((r) => r.statusCode === 200), 'all answered');
  t.equal(answers.filter((r) => r.json().firstScan).length, 1, 'exactly one first scan');
  t.equal(await app.models.EventParticipant.countDocuments({ event: id, checkIn: 'arrived' }), 1);
  t.ok(answers.every((r) => r.json().arrived === 1));
});

t.test('check-in waits for the published schedule', async (t) => {
  const { app, org, id, buyerIds } = await publishedEvent(t, { publish: false });
  const code = (await app.models.EventParticipant.findById(buyerIds[0]).lean())!.checkInCode!;
  const res = await api(app, org, 'POST', `/api/v1/events/${id}/check-in`, { code });
  t.equal(res.statusCode, 409);
  t.match(res.json().message, /日程发布后才能签到/);
});

t.test('the publish preview lists per participant what is new, moved and cancelled', async (t) => {
  const { app, org, id, meetings, buyerIds, vendorIds } = await publishedEvent(t, { publish: false });
  const first = await api(app, org, 'GET', `/api/v1/events/${id}/publish-preview`);
  t.equal(first.statusCode, 200);
  const body = first.json() as { firstPublication: boolean; participants: Array<{ id: string; added: unknown[]; moved: unknown[]; cancelled: unknown[] }> };
  t.ok(body.firstPublication);
  for (const m of meetings) {
    for (const pid of [m.buyer, m.vendor]) t.ok(body.participants.find((p) => p.id === pid)?.added.length, `${pid} hears of its meeting`);
  }
  t.ok(body.participants.every((p) => p.moved.length === 0 && p.cancelled.length === 0), 'nothing moved or cancelled before the first publication');

  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' })).statusCode, 200);
  const after = (await api(app, org, 'GET', `/api/v1/events/${id}/publish-preview`)).json() as { participants: unknown[] };
  t.same(after.participants, [], 'once published, nobody has anything new');

  // By hand after publishing: move one meeting, cancel another, add a third.
  const m0 = meetings.find((m) => m.buyer === buyerIds[0] && m.vendor === vendorIds[0])!;
  const free = await freeCell(app, id, m0);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m0.id}/move`, free)).statusCode, 200);
  const m1 = meetings.find((m) => m.buyer === buyerIds[2])!;
  t.equal((await api(app, org, 'DELETE', `/api/v1/events/${id}/meetings/${m1.id}`)).statusCode, 204);
  const preview = (await api(app, org, 'GET', `/api/v1/events/${id}/publish-preview`)).json() as { revision: number; participants: Array<{ id: string; added: unknown[]; moved: Array<{ from: { slot: number }; to: { slot: number } }>; cancelled: unknown[] }> };
  const of = (pid: string) => preview.participants.find((p) => p.id === pid);
  t.equal(of(buyerIds[0])?.moved.length, 1, 'the buyer hears of the move');
  t.equal(of(vendorIds[0])?.moved[0].to.slot, free.slot, 'so does the vendor, with the new slot');
  t.equal(of(buyerIds[2])?.cancelled.length, 1, 'the cancelled meeting is named');
  t.equal(of(m1.vendor)?.cancelled.length, 1);
  t.notOk(of(buyerIds[1]), 'someone whose meetings did not change is not told');

  const stale = await api(app, org, 'POST', `/api/v1/events/${id}/announce`, { revision: preview.revision - 1 });
  t.equal(stale.statusCode, 409, 'a preview older than the schedule cannot be confirmed');
  const told = await api(app, org, 'POST', `/api/v1/events/${id}/announce`, { revision: preview.revision });
  t.equal(told.statusCode, 200, told.body);
  t.equal(told.json().told, preview.participants.length);
  t.equal(await app.models.AuditEntry.countDocuments({ action: 'event.announce', 'target.id': id }), 1, 'the announcement is audited once (not the refused stale one)');
  const inbox = await app.models.NotificationOutbox.find({ kind: 'event-agenda-change' }).lean();
  t.ok(inbox.some((n) => /调整 1 场/.test(String(n.body))), 'the message says what changed');
  t.same(((await api(app, org, 'GET', `/api/v1/events/${id}/publish-preview`)).json() as { participants: unknown[] }).participants, [], 'told: nothing left to tell');
});

t.test('announcementDiff (pure): a pair is new, moved or cancelled for both its sides', async (t) => {
  const m = (buyer: string, vendor: string, slot: number, table: number) => ({ buyer, vendor, slot, table });
  const diff = announcementDiff([m('b1', 'v1', 0, 1), m('b2', 'v1', 1, 1)], [m('b1', 'v1', 2, 1), m('b3', 'v2', 0, 2)]);
  t.same(diff.get('b1')?.moved, [{ from: m('b1', 'v1', 0, 1), to: m('b1', 'v1', 2, 1) }]);
  t.same(diff.get('v1')?.cancelled, [m('b2', 'v1', 1, 1)]);
  t.equal(diff.get('v1')?.moved.length, 1);
  t.same(diff.get('b3')?.added, [m('b3', 'v2', 0, 2)]);
  t.same(announcementDiff([m('a', 'b', 0, 1)], [m('a', 'b', 0, 1)]).size, 0, 'unchanged: nobody');
});

async function freeCell(app: Awaited<ReturnType<typeof publishedEvent>>['app'], id: string, m: { buyer: string; vendor: string; slot: number }) {
  const all = await app.models.EventMeeting.find({ event: id }).lean();
  for (let slot = 0; slot < 6; slot++) {
    if (slot === m.slot) continue;
    if (all.some((x) => x.slot === slot && (String(x.buyer) === m.buyer || String(x.vendor) === m.vendor))) continue;
    for (let table = 1; table <= 3; table++) if (!all.some((x) => x.slot === slot && x.table === table)) return { slot, table };
  }
  throw new Error('no free cell');
}
