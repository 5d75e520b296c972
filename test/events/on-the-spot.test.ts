/**
 * 现场约谈 on real MongoDB: a participant asks on the day for an extra meeting; organizers see the cells
 * where both are free and place it with one click; two organizers placing different requests into the
 * same cell at once never double-book (the unique indexes decide); a declined request says why; the
 * agenda's revision moves so open agenda pages update. freeCells (pure) is checked on random events.
 */
import t from 'tap';
import fc from 'fast-check';
import { freeCells, type CellMeeting } from '../../src/events/free-cells.js';
import { api } from './support.js';
import { publishedEvent } from './day-support.js';

const cjk = /\p{Script=Han}/u;

t.test('freeCells: every cell offered is free for both and for the table; every free future slot is offered', async () => {
  const now = new Date('2027-03-18T02:00:00Z');
  const arb = fc.record({
    slotCount: fc.integer({ min: 1, max: 8 }),
    tables: fc.integer({ min: 1, max: 4 }),
    startOffsets: fc.array(fc.integer({ min: -3, max: 5 }), { minLength: 8, maxLength: 8 }),
    seats: fc.integer({ min: 1, max: 3 }),
    unavailableB: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }),
    unavailableV: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }),
    wanted: fc.array(fc.record({ buyer: fc.constantFrom('b', 'x', 'y'), vendor: fc.constantFrom('v', 'w'), slot: fc.integer({ min: 0, max: 7 }), table: fc.integer({ min: 1, max: 4 }) }), { maxLength: 20 }),
  });
  fc.assert(fc.property(arb, (c) => {
    const slots = Array.from({ length: c.slotCount }, (_, i) => ({ start: new Date(now.getTime() + c.startOffsets[i] * 3_600_000 + i * 60_000) }));
    // A consistent schedule: drop wanted meetings that would clash with earlier ones.
    const meetings: CellMeeting[] = [];
    for (const m of c.wanted) {
      if (m.slot >= c.slotCount || m.table > c.tables) continue;
      const inSlot = meetings.filter((x) => x.slot === m.slot);
      if (inSlot.some((x) => x.table === m.table || x.buyer === m.buyer)) continue;
      if (inSlot.filter((x) => x.vendor === m.vendor).length >= (m.vendor === 'v' ? c.seats : 1)) continue;
      meetings.push(m);
    }
    const cells = freeCells({ slots, tables: c.tables }, { id: 'b', unavailableSlots: c.unavailableB }, { id: 'v', unavailableSlots: c.unavailableV, representatives: c.seats }, meetings, now);
    const offered = new Map(cells.map((cell) => [cell.slot, cell.table]));
    for (let slot = 0; slot < c.slotCount; slot++) {
      const inSlot = meetings.filter((m) => m.slot === slot);
      const possible = slots[slot].start > now && !c.unavailableB.includes(slot) && !c.unavailableV.includes(slot)
        && !inSlot.some((m) => m.buyer === 'b') && inSlot.filter((m) => m.vendor === 'v').length < c.seats
        && inSlot.length < c.tables;
      if (possible !== offered.has(slot)) return false;
      const table = offered.get(slot);
      if (table !== undefined) {
        if (table < 1 || table > c.tables || inSlot.some((m) => m.table === table)) return false;
        // The lowest free table.
        for (let lower = 1; lower < table; lower++) if (!inSlot.some((m) => m.table === lower)) return false;
      }
    }
    return cells.length === offered.size;
  }), { numRuns: 1500 });
});

t.test('asking: on the day only, for oneself, the other side, once per pair', async (t) => {
  const { app, w, org, id, buyerIds, vendorIds } = await publishedEvent(t, { publish: false });
  const early = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/events/${id}/participants/${buyerIds[0]}/meeting-requests`, { to: vendorIds[2] });
  t.equal(early.statusCode, 409, 'not before the schedule is published');
  t.match(early.json().message, /日程发布后/);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' })).statusCode, 200);

  const ask = (cookie: string, from: string, body: unknown) => api(app, cookie, 'POST', `/api/v1/events/${id}/participants/${from}/meeting-requests`, body);
  const first = await ask(w.cookies.buyerUser, buyerIds[0], { to: vendorIds[2], note: '想看一下人脸识别门禁' });
  t.equal(first.statusCode, 201, first.body);
  const again = await ask(w.cookies.buyerUser, buyerIds[0], { to: vendorIds[2] });
  t.equal(again.statusCode, 409, 'one open request per pair');
  t.match(again.json().message, /已有一条待安排/);
  const met = await ask(w.cookies.buyerUser, buyerIds[0], { to: vendorIds[0] });
  t.equal(met.statusCode, 409, 'a pair that already meets');
  const sameSide = await ask(w.cookies.buyerUser, buyerIds[0], { to: buyerIds[1] });
  t.equal(sameSide.statusCode, 400, 'buyer with buyer');
  t.match(sameSide.json().message, cjk);
  const notMine = await ask(w.cookies.otherBuyerUser, buyerIds[0], { to: vendorIds[1] });
  t.equal(notMine.statusCode, 404, 'another company cannot ask for this participant');
  const operator = await ask(w.cookies.buyerUser, buyerIds[0], { to: { $ne: null } });
  t.equal(operator.statusCode, 400, 'an operator object is not an id');
  t.equal(await app.models.EventMeetingRequest.countDocuments({ event: id }), 1, 'only the one good request was stored');
  const listByVendor = await api(app, w.cookies.vendorUser, 'GET', `/api/v1/events/${id}/meeting-requests`);
  t.equal(listByVendor.statusCode, 403, 'only organizers see the open requests');
  // Organizers ask on a participant's behalf (a request made at the desk).
  t.equal((await ask(org, vendorIds[1], { to: buyerIds[2] })).statusCode, 201);
});

t.test('placing: one click per free cell; two organizers on one cell book it once; declined with a reason', async (t) => {
  const { app, w, org, id, buyerIds, vendorIds } = await publishedEvent(t);
  const org2 = w.cookies.organizer2;
  const ask = (from: string, to: string) => api(app, org, 'POST', `/api/v1/events/${id}/participants/${from}/meeting-requests`, { to });
  const a = (await ask(buyerIds[0], vendorIds[2])).json().id as string;
  const b = (await ask(buyerIds[2], vendorIds[1])).json().id as string;
  const c = (await ask(buyerIds[1], vendorIds[2])).json().id as string;
  const revisionBefore = (await api(app, w.cookies.buyerUser, 'GET', `/api/v1/events/${id}/revision`)).json().revision as number;

  type Listed = { requests: Array<{ id: string; cells: Array<{ slot: number; table: number }>; buyer: { name: string } }> };
  const listed = (await api(app, org, 'GET', `/api/v1/events/${id}/meeting-requests`)).json() as Listed;
  t.equal(listed.requests.length, 3);
  const cellsOf = (rid: string) => listed.requests.find((r) => r.id === rid)!.cells;
  t.ok(cellsOf(a).length > 0 && cellsOf(b).length > 0, 'free cells offered');
  const shared = cellsOf(a).find((x) => cellsOf(b).some((y) => y.slot === x.slot && y.table === x.table));
  t.ok(shared, 'a cell free for both requests');

  const [ra, rb] = await Promise.all([
    api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${a}/place`, shared),
    api(app, org2, 'POST', `/api/v1/events/${id}/meeting-requests/${b}/place`, shared),
  ]);
  t.same([ra.statusCode, rb.statusCode].sort(), [200, 409], 'one placement wins, the other is a 409');
  t.match((ra.statusCode === 409 ? ra : rb).json().message, cjk);
  t.equal(await app.models.EventMeeting.countDocuments({ event: id, slot: shared!.slot, table: shared!.table }), 1, 'one meeting in the cell');
  const loser = ra.statusCode === 409 ? a : b;
  t.equal((await app.models.EventMeetingRequest.findById(loser).lean())!.status, 'open', 'the losing request stays open');

  // The loser is placed in a cell offered now; placing a placed request again is refused.
  const fresh = (await api(app, org, 'GET', `/api/v1/events/${id}/meeting-requests`)).json() as Listed;
  const cell = fresh.requests.find((r) => r.id === loser)!.cells[0];
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${loser}/place`, cell)).statusCode, 200);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${loser}/place`, cell)).statusCode, 409);

  // Declining needs a reason; the asker sees it on its agenda page.
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${c}/decline`, {})).statusCode, 400);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${c}/decline`, { reason: '该供应商下午已无代表在场' })).statusCode, 200);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${c}/decline`, { reason: '再次' })).statusCode, 409);

  // The buyer's agenda has the new meeting; the revision moved; both sides were told; the trail has it.
  const agenda = (await api(app, w.cookies.buyerUser, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda`)).json() as { meetings: Array<{ vendor: string }> };
  t.ok(agenda.meetings.some((m) => m.vendor === vendorIds[2]), 'the placed meeting is on the buyer\'s agenda');
  const revisionAfter = (await api(app, w.cookies.buyerUser, 'GET', `/api/v1/events/${id}/revision`)).json().revision as number;
  t.ok(revisionAfter > revisionBefore, 'the revision moved (open agenda pages refresh)');
  t.ok(await app.models.NotificationOutbox.exists({ title: /现场约谈已安排/ }), 'the participants are told');
  t.equal(await app.models.AuditEntry.countDocuments({ action: 'event.meeting-request.place', 'target.id': id }), 2, 'two placements audited (not the refused ones)');
  t.equal((await api(app, org, 'GET', `/api/v1/events/${id}/meeting-requests`)).json().requests.length, 0, 'nothing left open');
});

t.test('pages: the agenda offers the form and shows the outcome; the organizer page places with one click', async (t) => {
  const { app, w, org, id, buyerIds, vendorIds } = await publishedEvent(t);
  const agendaUrl = `/events/${id}/agenda/${buyerIds[0]}`;
  const page = await app.inject({ method: 'GET', url: agendaUrl, headers: { cookie: w.cookies.buyerUser } });
  t.equal(page.statusCode, 200);
  t.match(page.body, /现场约谈/);
  t.match(page.body, /data-revision-url="\/api\/v1\/events\/[0-9a-f]{24}\/revision"/, 'the page watches the revision');
  t.match(page.body, new RegExp(`<option value="${vendorIds[2]}">`), 'a vendor it has no meeting with is offered');
  t.notMatch(page.body, new RegExp(`<option value="${vendorIds[0]}">`), 'one it already meets is not');

  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const post = await app.inject({
    method: 'POST', url: `${agendaUrl}/requests`, headers: { cookie: w.cookies.buyerUser, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf, to: vendorIds[2], note: '' }).toString(),
  });
  t.equal(post.statusCode, 303);
  t.equal(post.headers.location, `${agendaUrl}#spot`);
  const after = await app.inject({ method: 'GET', url: agendaUrl, headers: { cookie: w.cookies.buyerUser } });
  t.match(after.body, /约谈申请已提交/);
  t.match(after.body, /待安排/);

  const list = await app.inject({ method: 'GET', url: `/organizer/events/${id}/requests`, headers: { cookie: org } });
  t.equal(list.statusCode, 200);
  t.match(list.body, /采购单位1 × 滨江安防企业3有限公司/);
  const form = /action="(\/organizer\/events\/[0-9a-f]+\/requests\/[0-9a-f]+\/place)"[\s\S]*?name="_csrf" value="([^"]+)"[\s\S]*?name="slot" value="(\d+)"[\s\S]*?name="table" value="(\d+)"/.exec(list.body)!;
  const placed = await app.inject({
    method: 'POST', url: form[1], headers: { cookie: org, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: form[2], slot: form[3], table: form[4] }).toString(),
  });
  t.equal(placed.statusCode, 303);
  const done = await app.inject({ method: 'GET', url: agendaUrl, headers: { cookie: w.cookies.buyerUser } });
  t.match(done.body, /已安排/);
  t.match(done.body, /滨江安防企业3有限公司/, 'the meeting is on the agenda');
  const vendorPage = await app.inject({ method: 'GET', url: `/organizer/events/${id}/requests`, headers: { cookie: w.cookies.vendorUser } });
  t.equal(vendorPage.statusCode, 403, 'vendors do not see the organizer page');
});
