/**
 * The meeting scheduler: hard constraints, vetoes, reasons, re-runs and determinism as properties over
 * thousands of random small instances, plus worked examples an organizer would recognise.
 */
import t from 'tap';
import fc from 'fast-check';
import { schedule, SchedulerInputError, type Instance, type Meeting, type ScheduleResult } from '../../src/events/scheduler/index.js';
import { pairWeight, type Level } from '../../src/events/scheduler/weights.js';

const RUNS = 2500;

/** Random small instances: ids v0.., b0..; wishes may repeat, contradict, and point anywhere across sides. */
const instanceArb = fc
  .record({
    slots: fc.integer({ min: 1, max: 6 }),
    tables: fc.integer({ min: 1, max: 5 }),
    vendors: fc.array(fc.record({ capacity: fc.integer({ min: 1, max: 3 }), unavailable: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 5 }),
    buyers: fc.array(fc.record({ unavailable: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 7 }),
    wishes: fc.array(fc.record({ v: fc.nat(), b: fc.nat(), fromBuyer: fc.boolean(), level: fc.constantFrom('must', 'want', 'want', 'no') }), { maxLength: 30 }),
    published: fc.array(fc.record({ v: fc.nat(), b: fc.nat(), slot: fc.nat(7), table: fc.integer({ min: 1, max: 6 }) }), { maxLength: 6 }),
    allowMoves: fc.boolean(),
  })
  .map((r): Instance => {
    const vendors = r.vendors.map((v, k) => ({ id: `v${k}`, side: 'vendor' as const, capacity: v.capacity, unavailable: v.unavailable }));
    const buyers = r.buyers.map((b, k) => ({ id: `b${k}`, side: 'buyer' as const, capacity: 1, unavailable: b.unavailable }));
    const vid = (n: number) => vendors[n % vendors.length].id;
    const bid = (n: number) => buyers[n % buyers.length].id;
    return {
      slots: r.slots,
      tables: r.tables,
      participants: [...vendors, ...buyers],
      wishes: r.wishes.map((w) => (w.fromBuyer ? { from: bid(w.b), to: vid(w.v), level: w.level } : { from: vid(w.v), to: bid(w.b), level: w.level })),
      published: r.published.map((p) => ({ buyer: bid(p.b), vendor: vid(p.v), slot: p.slot, table: p.table })),
      allowMoves: r.allowMoves,
    };
  });

/** Both sides' strongest wish per pair, independently of the scheduler's own bookkeeping. */
function levelsOf(inst: Instance) {
  const rank: Record<Level, number> = { none: 0, want: 1, must: 2, no: 3 };
  const levels = new Map<string, { buyer: Level; vendor: Level }>();
  for (const w of inst.wishes ?? []) {
    const fromBuyer = w.from.startsWith('b');
    const key = fromBuyer ? `${w.from}|${w.to}` : `${w.to}|${w.from}`;
    const l = levels.get(key) ?? { buyer: 'none', vendor: 'none' };
    const side = fromBuyer ? 'buyer' : 'vendor';
    if (rank[w.level] > rank[l[side]]) l[side] = w.level;
    levels.set(key, l);
  }
  return levels;
}

/** Every hard constraint, checked from the instance alone. Returns the first violation, or null. */
function violation(inst: Instance, r: ScheduleResult): string | null {
  const parts = new Map(inst.participants.map((p) => [p.id, p]));
  const levels = levelsOf(inst);
  const pairs = new Set<string>();
  const perSlot = new Map<string, number>();
  const tablesUsed = new Set<string>();
  const slotCount = new Map<number, number>();
  for (const m of r.meetings) {
    const b = parts.get(m.buyer), v = parts.get(m.vendor);
    if (!b || !v || b.side !== 'buyer' || v.side !== 'vendor') return `sides ${JSON.stringify(m)}`;
    if (m.slot < 0 || m.slot >= inst.slots || m.table < 1 || m.table > inst.tables) return `outside the grid ${JSON.stringify(m)}`;
    const key = `${m.buyer}|${m.vendor}`;
    if (pairs.has(key)) return `pair twice ${key}`;
    pairs.add(key);
    const l = levels.get(key);
    if (l && (l.buyer === 'no' || l.vendor === 'no')) return `vetoed pair placed ${key}`;
    for (const p of [b, v]) {
      if ((p.unavailable ?? []).includes(m.slot)) return `unavailable slot ${p.id}@${m.slot}`;
      const k = `${p.id}@${m.slot}`;
      perSlot.set(k, (perSlot.get(k) ?? 0) + 1);
      if (perSlot.get(k)! > (p.capacity ?? 1)) return `over capacity ${k}`;
    }
    const tk = `${m.slot}#${m.table}`;
    if (tablesUsed.has(tk)) return `table twice ${tk}`;
    tablesUsed.add(tk);
    slotCount.set(m.slot, (slotCount.get(m.slot) ?? 0) + 1);
    if (slotCount.get(m.slot)! > inst.tables) return `too many meetings in slot ${m.slot}`;
  }
  // Unscheduled: exactly the wished pairs without a meeting, each with the right reason.
  const expected = new Map<string, string>();
  for (const [key, l] of levels) {
    if (pairs.has(key)) continue;
    if (!['must', 'want'].includes(l.buyer) && !['must', 'want'].includes(l.vendor)) continue;
    const [bid, vid] = key.split('|');
    const b = parts.get(bid)!, v = parts.get(vid)!;
    let common = false;
    for (let s = 0; s < inst.slots; s++) if (!(b.unavailable ?? []).includes(s) && !(v.unavailable ?? []).includes(s)) common = true;
    expected.set(key, l.buyer === 'no' || l.vendor === 'no' ? 'veto' : common ? 'capacity' : 'no-common-slot');
  }
  if (r.unscheduled.length !== expected.size) return `unscheduled ${r.unscheduled.length} ≠ ${expected.size}`;
  for (const u of r.unscheduled) {
    const want = expected.get(`${u.buyer}|${u.vendor}`);
    if (want !== u.reason) return `reason of ${u.buyer}|${u.vendor}: ${u.reason}, expected ${want}`;
  }
  // Stats agree with the meetings.
  let weight = 0;
  for (const m of r.meetings) {
    const l = levels.get(`${m.buyer}|${m.vendor}`);
    weight += l ? pairWeight(l.buyer, l.vendor) ?? 0 : 0;
  }
  if (weight !== r.stats.totalWeight || r.meetings.length !== r.stats.meetings) return 'stats';
  // Changes account for every published meeting exactly once and for every meeting of the result.
  const published = inst.published ?? [];
  const c = r.changes;
  if (c.kept.length + c.moved.length + c.removed.length !== published.length) return 'changes do not cover the published meetings';
  if (c.kept.length + c.moved.length + c.added.length !== r.meetings.length) return 'changes do not cover the result';
  const inResult = (m: Meeting) => r.meetings.some((x) => x.buyer === m.buyer && x.vendor === m.vendor && x.slot === m.slot && x.table === m.table);
  if (![...c.kept, ...c.moved.map((x) => x.to), ...c.added].every(inResult)) return 'a change names a meeting not in the result';
  for (const x of c.moved) if (x.from.buyer !== x.to.buyer || x.from.vendor !== x.to.vendor) return 'moved changes the pair';
  return null;
}

t.test('every hard constraint holds, and every unscheduled wished pair has the right reason', async (t) => {
  let meetings = 0;
  fc.assert(fc.property(instanceArb, (inst) => {
    const r = schedule(inst);
    meetings += r.meetings.length;
    const v = violation(inst, r);
    if (v) throw new Error(v);
  }), { numRuns: RUNS, seed: 20260601 });
  // The generator must produce real schedules, or the property proves nothing.
  t.ok(meetings > RUNS, `scheduled ${meetings} meetings over ${RUNS} instances`);
});

t.test('deterministic: the same instance and seed give the same schedule', async (t) => {
  fc.assert(fc.property(instanceArb, fc.nat(), (inst, seed) => {
    const a = schedule(inst, { seed });
    const b = schedule(structuredClone(inst), { seed });
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('different schedules');
  }), { numRuns: 1000, seed: 7 });
  t.pass('1000 instances scheduled twice, identical');
});

t.test('re-running without moves keeps every published meeting that is still valid, exactly where it was', async (t) => {
  let kept = 0;
  fc.assert(fc.property(instanceArb, fc.array(fc.record({ b: fc.nat(), v: fc.nat(), level: fc.constantFrom('must', 'want', 'no') }), { maxLength: 8 }), fc.nat(), (inst0, extra, blocked) => {
    const inst = { ...inst0, published: [], allowMoves: false };
    const first = schedule(inst);
    const buyers = inst.participants.filter((p) => p.side === 'buyer');
    const vendors = inst.participants.filter((p) => p.side === 'vendor');
    // After publishing: new wishes and vetoes arrive, and one buyer can no longer attend one slot.
    const lateBuyer = buyers[blocked % buyers.length];
    const lateSlot = blocked % inst.slots;
    const next: Instance = {
      ...inst,
      participants: inst.participants.map((p) => (p.id === lateBuyer.id ? { ...p, unavailable: [...(p.unavailable ?? []), lateSlot] } : p)),
      wishes: [...(inst.wishes ?? []), ...extra.map((e) => ({ from: buyers[e.b % buyers.length].id, to: vendors[e.v % vendors.length].id, level: e.level }))],
      published: first.meetings,
      allowMoves: false,
    };
    const second = schedule(next);
    const v = violation(next, second);
    if (v) throw new Error(v);
    const levels = levelsOf(next);
    for (const m of first.meetings) {
      const l = levels.get(`${m.buyer}|${m.vendor}`)!;
      const vetoed = l.buyer === 'no' || l.vendor === 'no';
      const unavailable = m.buyer === lateBuyer.id && m.slot === lateSlot;
      const same = (x: Meeting) => x.buyer === m.buyer && x.vendor === m.vendor;
      if (vetoed) {
        if (second.changes.removed.find((x) => same(x.meeting))?.reason !== 'veto') throw new Error('veto not reported');
      } else if (unavailable) {
        const gone = second.changes.removed.find((x) => same(x.meeting))?.reason ?? second.changes.moved.find((x) => same(x.from))?.reason;
        if (gone !== 'unavailable') throw new Error(`unavailable meeting reported as ${gone}`);
      } else {
        if (!second.changes.kept.some((x) => same(x) && x.slot === m.slot && x.table === m.table)) throw new Error(`published meeting not kept ${JSON.stringify(m)}`);
        kept++;
      }
    }
    if (second.changes.moved.some((x) => !x.reason)) throw new Error('moved without a reason while moves are not allowed');
  }), { numRuns: 1500, seed: 11 });
  t.ok(kept > 1000, `${kept} published meetings checked`);
});

t.test('with moves allowed, published pairs still meet (possibly elsewhere) when they can', async (t) => {
  fc.assert(fc.property(instanceArb, (inst0) => {
    const inst = { ...inst0, published: [], allowMoves: false };
    const first = schedule(inst);
    const again = schedule({ ...inst, published: first.meetings, allowMoves: true }, { seed: 99 });
    const v = violation({ ...inst, published: first.meetings }, again);
    if (v) throw new Error(v);
    // Nothing changed in the instance, so every published pair keeps a meeting.
    if (again.changes.removed.length) throw new Error(`dropped ${JSON.stringify(again.changes.removed)}`);
  }), { numRuns: 1000, seed: 5 });
  t.pass('published pairs kept under allowMoves');
});

t.test('a veto is respected even when the other side says must', async (t) => {
  const r = schedule({
    slots: 4, tables: 4,
    participants: [{ id: 'b1', side: 'buyer' }, { id: 'v1', side: 'vendor' }, { id: 'v2', side: 'vendor' }],
    wishes: [{ from: 'b1', to: 'v1', level: 'must' }, { from: 'v1', to: 'b1', level: 'no' }, { from: 'b1', to: 'v2', level: 'want' }],
  });
  t.same(r.meetings.map((m) => m.vendor), ['v2']);
  t.same(r.unscheduled, [{ buyer: 'b1', vendor: 'v1', reason: 'veto', weight: 0 }]);
  t.equal(r.stats.vetoedPairs, 1);
});

t.test('reasons: no common free slot, and capacity', async (t) => {
  const r = schedule({
    slots: 2, tables: 10,
    participants: [
      { id: 'b1', side: 'buyer', unavailable: [0] }, { id: 'b2', side: 'buyer' }, { id: 'b3', side: 'buyer' }, { id: 'b4', side: 'buyer' },
      { id: 'v1', side: 'vendor', unavailable: [1] }, { id: 'v2', side: 'vendor' },
    ],
    wishes: [
      { from: 'b1', to: 'v1', level: 'must' }, // never both free
      { from: 'b2', to: 'v2', level: 'must' }, { from: 'b3', to: 'v2', level: 'must' }, { from: 'b4', to: 'v2', level: 'want' }, // v2 has two slots
    ],
  });
  t.same(r.unscheduled, [
    { buyer: 'b1', vendor: 'v1', reason: 'no-common-slot', weight: 40 },
    { buyer: 'b4', vendor: 'v2', reason: 'capacity', weight: 12 },
  ]);
  t.equal(r.stats.meetings, 2);
});

t.test('a vendor with three representatives holds three meetings at once; tables limit a slot', async (t) => {
  const buyers = ['b1', 'b2', 'b3', 'b4'];
  const r = schedule({
    slots: 1, tables: 3,
    participants: [...buyers.map((id) => ({ id, side: 'buyer' as const })), { id: 'v1', side: 'vendor', capacity: 3 }],
    wishes: buyers.map((b, k) => ({ from: b, to: 'v1', level: k === 3 ? 'want' as const : 'must' as const })),
  });
  t.equal(r.meetings.length, 3, 'three meetings in the one slot');
  t.same(r.meetings.map((m) => m.table), [1, 2, 3]);
  t.same(r.unscheduled.map((u) => [u.buyer, u.reason]), [['b4', 'capacity']], 'the lighter wish waits');
});

t.test('a buyer\'s wishes come before a vendor\'s, and musts before wants', async (t) => {
  const r = schedule({
    slots: 1, tables: 1,
    participants: [{ id: 'b1', side: 'buyer' }, { id: 'b2', side: 'buyer' }, { id: 'b3', side: 'buyer' }, { id: 'v1', side: 'vendor' }],
    wishes: [{ from: 'v1', to: 'b1', level: 'must' }, { from: 'b2', to: 'v1', level: 'must' }, { from: 'b3', to: 'v1', level: 'want' }],
  });
  t.same(r.meetings.map((m) => m.buyer), ['b2']);
});

t.test('fairness: a buyer with one wish is not crowded out by one with many', async (t) => {
  const r = schedule({
    slots: 2, tables: 1,
    participants: [{ id: 'b1', side: 'buyer' }, { id: 'b2', side: 'buyer' }, { id: 'v1', side: 'vendor' }, { id: 'v2', side: 'vendor' }],
    wishes: [{ from: 'b1', to: 'v1', level: 'want' }, { from: 'b1', to: 'v2', level: 'want' }, { from: 'b2', to: 'v1', level: 'want' }],
  });
  t.equal(r.stats.meetings, 2);
  t.equal(r.stats.wishedWithoutMeeting, 0, 'b1, b2, v1 and v2 all meet someone');
  t.ok(r.meetings.some((m) => m.buyer === 'b2'));
});

t.test('a vendor\'s meetings are back to back, at one table', async (t) => {
  const r = schedule({
    slots: 8, tables: 6,
    participants: [{ id: 'v1', side: 'vendor' }, ...['b1', 'b2', 'b3', 'b4'].map((id) => ({ id, side: 'buyer' as const }))],
    wishes: ['b1', 'b2', 'b3', 'b4'].map((b) => ({ from: b, to: 'v1', level: 'want' as const })),
  });
  const slots = r.meetings.map((m) => m.slot).sort((a, b) => a - b);
  t.equal(slots.length, 4);
  t.equal(slots[3] - slots[0], 3, `contiguous: ${slots.join(',')}`);
  t.equal(r.stats.idleGaps, 0);
  t.equal(new Set(r.meetings.map((m) => m.table)).size, 1, 'the vendor stays at one table');
});

t.test('published meetings stay put without moves; with moves allowed they move and the change is reported', async (t) => {
  const base: Instance = {
    slots: 2, tables: 1,
    participants: [{ id: 'b1', side: 'buyer' }, { id: 'b2', side: 'buyer', unavailable: [1] }, { id: 'v1', side: 'vendor' }],
    wishes: [{ from: 'b1', to: 'v1', level: 'want' }, { from: 'b2', to: 'v1', level: 'must' }],
    published: [{ buyer: 'b1', vendor: 'v1', slot: 0, table: 1 }],
  };
  const fixed = schedule({ ...base, allowMoves: false });
  t.same(fixed.meetings, [{ buyer: 'b1', vendor: 'v1', slot: 0, table: 1 }]);
  t.same(fixed.changes, { kept: [{ buyer: 'b1', vendor: 'v1', slot: 0, table: 1 }], moved: [], removed: [], added: [] });
  t.same(fixed.unscheduled, [{ buyer: 'b2', vendor: 'v1', reason: 'capacity', weight: 40 }]);

  const moved = schedule({ ...base, allowMoves: true });
  t.same(moved.meetings, [{ buyer: 'b2', vendor: 'v1', slot: 0, table: 1 }, { buyer: 'b1', vendor: 'v1', slot: 1, table: 1 }]);
  t.same(moved.changes, {
    kept: [],
    moved: [{ from: { buyer: 'b1', vendor: 'v1', slot: 0, table: 1 }, to: { buyer: 'b1', vendor: 'v1', slot: 1, table: 1 } }],
    removed: [],
    added: [{ buyer: 'b2', vendor: 'v1', slot: 0, table: 1 }],
  });
});

t.test('published meetings that can no longer stand are removed with the reason', async (t) => {
  const r = schedule({
    slots: 3, tables: 2,
    participants: [{ id: 'b1', side: 'buyer', unavailable: [0] }, { id: 'b2', side: 'buyer' }, { id: 'b3', side: 'buyer' }, { id: 'v1', side: 'vendor' }, { id: 'v2', side: 'vendor' }],
    wishes: [{ from: 'v2', to: 'b3', level: 'no' }],
    published: [
      { buyer: 'b2', vendor: 'v1', slot: 1, table: 1 },
      { buyer: 'b9', vendor: 'v1', slot: 2, table: 1 }, // withdrawn buyer
      { buyer: 'b3', vendor: 'v2', slot: 0, table: 2 }, // vetoed since
      { buyer: 'b1', vendor: 'v2', slot: 5, table: 1 }, // slot gone
      { buyer: 'b3', vendor: 'v1', slot: 1, table: 2 }, // v1 double-booked in slot 1
      { buyer: 'b2', vendor: 'v1', slot: 1, table: 1 }, // same pair again
    ],
  });
  t.same(r.changes.kept, [{ buyer: 'b2', vendor: 'v1', slot: 1, table: 1 }]);
  t.same(r.changes.removed.map((x) => [x.meeting.buyer, x.meeting.vendor, x.reason]), [
    ['b9', 'v1', 'unknown-participant'],
    ['b3', 'v2', 'veto'],
    ['b1', 'v2', 'out-of-grid'],
    ['b3', 'v1', 'conflict'],
    ['b2', 'v1', 'duplicate'],
  ]);
  t.same(r.meetings, [{ buyer: 'b2', vendor: 'v1', slot: 1, table: 1 }], 'pairs nobody wished are not re-placed');
});

t.test('inconsistent input is refused with a clear error', async (t) => {
  const participants = [{ id: 'b1', side: 'buyer' as const }, { id: 'b2', side: 'buyer' as const }, { id: 'v1', side: 'vendor' as const }];
  t.throws(() => schedule({ slots: 2, tables: 1, participants, wishes: [{ from: 'b1', to: 'b2', level: 'want' }] }), SchedulerInputError);
  t.throws(() => schedule({ slots: 2, tables: 1, participants, wishes: [{ from: 'b1', to: 'v9', level: 'want' }] }), SchedulerInputError);
  t.throws(() => schedule({ slots: 2, tables: 1, participants: [...participants, { id: 'v1', side: 'vendor' }] }), SchedulerInputError);
  t.throws(() => schedule({ slots: 0, tables: 1, participants }), SchedulerInputError);
});
