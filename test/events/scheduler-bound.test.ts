/**
 * The proven upper bound on a schedule's weight (src/events/scheduler/bound.ts), which the bench reports
 * the province-size schedules against: never below the exact optimum (HiGHS), exact when nobody is
 * unavailable, and the scheduler never above it.
 */
import t from 'tap';
import fc from 'fast-check';
import { schedule, upperBound, type Instance } from '../../src/events/scheduler/index.js';
import { solveMip } from '../../bench/mip.js';
import { generateInstance } from '../../bench/generate-instance.js';

const buyer = (id: string, unavailable: number[] = []) => ({ id, side: 'buyer' as const, unavailable });
const vendor = (id: string, capacity = 1, unavailable: number[] = []) => ({ id, side: 'vendor' as const, capacity, unavailable });

t.test('worked examples: tables, representatives and absences limit the bound as they limit the schedule', async (t) => {
  const oneTable: Instance = {
    slots: 1, tables: 1, participants: [buyer('b1'), buyer('b2'), vendor('v1', 2)],
    wishes: [{ from: 'b1', to: 'v1', level: 'must' }, { from: 'b2', to: 'v1', level: 'must' }],
  };
  t.equal(upperBound(oneTable).weight, 40, 'one slot with one table: one meeting');
  t.equal(upperBound({ ...oneTable, tables: 3 }).weight, 80, 'two representatives, three tables: both meet');
  t.equal(upperBound({ ...oneTable, tables: 3, participants: [buyer('b1'), buyer('b2'), vendor('v1', 1)] }).weight, 40, 'one representative: one meeting');
  const apart: Instance = {
    slots: 2, tables: 5, participants: [buyer('b1', [0]), vendor('v1', 1, [1]), buyer('b2')],
    wishes: [{ from: 'b1', to: 'v1', level: 'must' }, { from: 'b2', to: 'v1', level: 'want' }, { from: 'v1', to: 'b2', level: 'want' }],
  };
  t.equal(upperBound(apart).weight, 22, 'a pair with no common slot adds nothing');
  t.equal(upperBound({ ...apart, wishes: [...apart.wishes!, { from: 'b2', to: 'v1', level: 'no' }] }).weight, 0, 'a vetoed pair adds nothing');
});

t.test('never below the exact optimum, and equal to it when nobody is unavailable (90 instances)', async (t) => {
  let exactChecked = 0;
  let below = 0;
  for (let seed = 1; seed <= 90; seed++) {
    const absences = seed % 3 !== 0;
    const inst = generateInstance(seed % 2
      ? { vendors: 4 + (seed % 7), buyers: 6 + (seed % 10), wishes: 20 + (seed % 20) * 3, slots: 2 + (seed % 5), tables: 1 + (seed % 6), unavailableRate: absences ? 0.25 : 0, seed }
      : { vendors: 12 + (seed % 6), buyers: 30, wishes: 150 + seed, slots: 5, tables: 10 + (seed % 10), maxCapacity: 4, unavailableRate: absences ? 0.3 : 0, seed });
    const mip = await solveMip(inst, 30);
    if (!mip.optimal) continue;
    const bound = upperBound(inst).weight;
    t.ok(bound >= mip.weight, `seed ${seed}: bound ${bound} ≥ optimum ${mip.weight}`);
    t.ok(schedule(inst).stats.totalWeight <= bound, `seed ${seed}: the scheduler stays under the bound`);
    if (!absences) {
      t.equal(bound, mip.weight, `seed ${seed}: nobody unavailable, the bound is the optimum`);
      exactChecked++;
    } else if (bound > mip.weight) below++;
  }
  t.ok(exactChecked >= 25, `${exactChecked} instances without absences compared for equality`);
  t.comment(`with absences the bound was above the optimum on ${below} instances`);
});

/** Random small instances with published meetings (fixed, or movable), duplicate and contradicting wishes. */
const instanceArb = fc
  .record({
    slots: fc.integer({ min: 1, max: 5 }),
    tables: fc.integer({ min: 1, max: 4 }),
    vendors: fc.array(fc.record({ capacity: fc.integer({ min: 1, max: 3 }), unavailable: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }) }), { minLength: 1, maxLength: 4 }),
    buyers: fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }), { minLength: 1, maxLength: 6 }),
    wishes: fc.array(fc.record({ v: fc.nat(), b: fc.nat(), fromBuyer: fc.boolean(), level: fc.constantFrom('must', 'want', 'want', 'no') }), { maxLength: 24 }),
    published: fc.array(fc.record({ v: fc.nat(), b: fc.nat(), slot: fc.nat(5), table: fc.integer({ min: 1, max: 4 }) }), { maxLength: 4 }),
    allowMoves: fc.boolean(),
  })
  .map((r): Instance => {
    const vendors = r.vendors.map((v, k) => vendor(`v${k}`, v.capacity, v.unavailable));
    const buyers = r.buyers.map((unavailable, k) => buyer(`b${k}`, unavailable));
    const vid = (n: number) => vendors[n % vendors.length].id;
    const bid = (n: number) => buyers[n % buyers.length].id;
    return {
      slots: r.slots, tables: r.tables, participants: [...vendors, ...buyers], allowMoves: r.allowMoves,
      wishes: r.wishes.map((w) => (w.fromBuyer ? { from: bid(w.b), to: vid(w.v), level: w.level } : { from: vid(w.v), to: bid(w.b), level: w.level })),
      published: r.published.map((p) => ({ buyer: bid(p.b), vendor: vid(p.v), slot: p.slot, table: p.table })),
    };
  });

t.test('with published meetings too: never below the exact optimum nor the schedule (400 random instances)', async (t) => {
  let solved = 0;
  await fc.assert(fc.asyncProperty(instanceArb, async (inst) => {
    const bound = upperBound(inst).weight;
    const ours = schedule(inst).stats.totalWeight;
    if (ours > bound) throw new Error(`schedule ${ours} above bound ${bound}`);
    const mip = await solveMip(inst, 10);
    if (!mip.optimal) return;
    solved++;
    if (mip.weight > bound) throw new Error(`optimum ${mip.weight} above bound ${bound}`);
  }), { numRuns: 400, seed: 20261201 });
  t.ok(solved >= 390, `HiGHS proved ${solved} of 400 optima`);
});
