/**
 * No double-booking under concurrency: two organizers moving or adding meetings at once, or a schedule
 * run racing a manual move, never leave two meetings at one table, a buyer twice in a slot, or a vendor
 * over its representatives. Requests really run concurrently (Promise.all over app.inject against one
 * MongoDB replica set); each round checks what MongoDB holds.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { api, createEvent, doubleBookings, eventWorld, registerAll, savedSchedule, wish } from './support.js';

t.test('two organizers moving two meetings onto the same table and slot: exactly one wins', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const [a, b] = [w.cookies.organizer, w.cookies.organizer2];
  const id = await createEvent(app, a, {}, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, a, id, w);
  const pairs = [[0, 0], [1, 1], [2, 2]];
  const meetingIds: string[] = [];
  for (const [k, [bi, vi]] of pairs.entries()) {
    const res = await api(app, a, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[bi], vendor: vendorIds[vi], slot: 0, table: k + 1 });
    t.equal(res.statusCode, 201);
    meetingIds.push(res.json().meeting.id);
  }
  let wins = 0;
  for (let round = 1; round < 6; round++) {
    // Both organizers aim a different meeting at the same free cell (slot round, table 1).
    const [r1, r2] = await Promise.all([
      api(app, a, 'POST', `/api/v1/events/${id}/meetings/${meetingIds[0]}/move`, { slot: round, table: 1 }),
      api(app, b, 'POST', `/api/v1/events/${id}/meetings/${meetingIds[1]}/move`, { slot: round, table: 1 }),
    ]);
    const codes = [r1.statusCode, r2.statusCode].sort();
    t.same(codes, [200, 409], `round ${round}: one move wins, the other is told (${codes.join(', ')})`);
    const loser = r1.statusCode === 409 ? r1 : r2;
    t.match(loser.json().message, /桌|时段|他人/, 'the refusal says why, in Chinese');
    const inCell = (await app.models.EventMeeting.find({ event: id, slot: round, table: 1 }).lean()).length;
    t.equal(inCell, 1, 'one meeting in the cell');
    t.same(await doubleBookings(app, id), [], 'no double-booking');
    wins++;
  }
  t.equal(wins, 5);
});

t.test('concurrent adds of one buyer into one slot, and of one pair twice: one wins each time', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 5 });
  const [a, b] = [w.cookies.organizer, w.cookies.organizer2];
  const id = await createEvent(app, a, {}, 6, 4);
  const { vendorIds, buyerIds } = await registerAll(app, a, id, w, [1, 1, 3]);
  for (let slot = 0; slot < 3; slot++) {
    const [r1, r2] = await Promise.all([
      api(app, a, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[slot], vendor: vendorIds[0], slot, table: 1 }),
      api(app, b, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[slot], vendor: vendorIds[1], slot, table: 2 }),
    ]);
    t.same([r1.statusCode, r2.statusCode].sort(), [201, 409], `slot ${slot}: the buyer gets one meeting`);
  }
  // The same pair twice at once, in different cells.
  const [p1, p2] = await Promise.all([
    api(app, a, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[0], vendor: vendorIds[2], slot: 4, table: 1 }),
    api(app, b, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[0], vendor: vendorIds[2], slot: 5, table: 1 }),
  ]);
  t.same([p1.statusCode, p2.statusCode].sort(), [201, 409], 'a pair meets once');
  // A vendor with one representative asked into one slot twice (buyers it has not met yet).
  const [s1, s2] = await Promise.all([
    api(app, a, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[3], vendor: vendorIds[0], slot: 5, table: 2 }),
    api(app, b, 'POST', `/api/v1/events/${id}/meetings`, { buyer: buyerIds[4], vendor: vendorIds[0], slot: 5, table: 3 }),
  ]);
  t.same([s1.statusCode, s2.statusCode].sort(), [201, 409], 'one representative, one meeting per slot');
  t.same(await doubleBookings(app, id), []);
});

t.test('a schedule run racing manual moves never double-books and never overwrites a move', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 4, buyers: 4 });
  const [a, b] = [w.cookies.organizer, w.cookies.organizer2];
  const id = await createEvent(app, a, {}, 5, 3);
  const { vendorIds, buyerIds } = await registerAll(app, a, id, w, [2, 1, 1, 1]);
  for (const [i, buyer] of buyerIds.entries()) {
    await wish(app, a, id, buyer, vendorIds[i], 'must');
    await wish(app, a, id, buyer, vendorIds[(i + 1) % 4], 'want');
  }
  const first = await api(app, a, 'POST', `/api/v1/events/${id}/schedule`, {});
  t.equal(first.statusCode, 200);
  let refusedRuns = 0;
  for (let round = 0; round < 8; round++) {
    const saved = (await savedSchedule(app, a, id)).meetings;
    // A free cell to move some meeting into.
    const taken = new Set(saved.map((m) => `${m.slot}|${m.table}`));
    const m = saved[round % saved.length];
    let target: { slot: number; table: number } | undefined;
    for (let slot = 0; slot < 5 && !target; slot++) {
      if (slot === m.slot || saved.some((x) => x.slot === slot && (x.buyer === m.buyer || x.vendor === m.vendor))) continue;
      for (let table = 1; table <= 3; table++) if (!taken.has(`${slot}|${table}`)) { target = { slot, table }; break; }
    }
    if (!target) continue;
    const [run, move] = await Promise.all([
      api(app, b, 'POST', `/api/v1/events/${id}/schedule`, {}),
      api(app, a, 'POST', `/api/v1/events/${id}/meetings/${m.id}/move`, target),
    ]);
    t.ok([200, 409].includes(run.statusCode), `round ${round}: the run saves or is refused (${run.statusCode})`);
    // 409: the run's arrangement, saved first, took the target place (or the run rewrote the meeting meanwhile).
    t.ok([200, 409].includes(move.statusCode), `round ${round}: the move saves or is refused (${move.statusCode})`);
    if (move.statusCode !== 200) t.match(move.json().message, /已有洽谈|刷新|他人/, 'the refusal says why');
    if (run.statusCode === 409) refusedRuns++;
    t.same(await doubleBookings(app, id), [], `round ${round}: no double-booking`);
    if (move.statusCode === 200) {
      const now = await app.models.EventMeeting.findById(m.id).lean();
      // A saved move is either still where it was put, or (when the run's transaction came after it) kept
      // there too, because a moved meeting is pinned: a run never silently undoes it.
      t.ok(now && now.slot === target.slot && now.table === target.table, `round ${round}: the move is not overwritten`);
    }
  }
  t.comment(`schedule runs refused because a move landed meanwhile: ${refusedRuns}`);
});
