/**
 * Quality against the exact optimum: the same instances solved as a MIP by HiGHS. The scheduler must reach
 * at least 98% of the optimal total weight on every one of them.
 */
import t from 'tap';
import { schedule } from '../../src/events/scheduler/schedule.js';
import { solveMip, toLp } from '../../bench/mip.js';
import { generateInstance } from '../../bench/generate-instance.js';

t.test('the MIP finds the obvious optimum of a tiny instance', async (t) => {
  const inst = {
    slots: 1, tables: 1,
    participants: [{ id: 'b1', side: 'buyer' as const }, { id: 'b2', side: 'buyer' as const }, { id: 'v1', side: 'vendor' as const }],
    wishes: [{ from: 'b1', to: 'v1', level: 'want' as const }, { from: 'b2', to: 'v1', level: 'must' as const }],
  };
  const r = await solveMip(inst);
  t.ok(r.optimal);
  t.equal(r.weight, 40, 'one table, one slot: the must wins');
  t.match(toLp(inst).lp, /tables0: /);
});

t.test('at least 98% of the optimal weight on 30 random small and medium instances', async (t) => {
  let min = Infinity;
  let sum = 0;
  let solved = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const medium = seed > 20;
    const inst = generateInstance(medium
      ? { vendors: 14 + (seed % 6), buyers: 40, wishes: 200 + seed * 2, slots: 6, tables: 20, maxCapacity: 4, unavailableRate: 0.3, seed }
      : { vendors: 4 + (seed % 6), buyers: 6 + (seed % 9), wishes: 20 + seed * 3, slots: 3 + (seed % 5), tables: 2 + (seed % 5), seed });
    const mip = await solveMip(inst, 30);
    if (!mip.optimal) continue;
    const ours = schedule(inst).stats.totalWeight;
    t.ok(ours <= mip.weight, `seed ${seed}: never above the optimum (${ours} ≤ ${mip.weight})`);
    const ratio = mip.weight === 0 ? 1 : ours / mip.weight;
    t.ok(ratio >= 0.98, `seed ${seed}: ${ours} / ${mip.weight} = ${ratio.toFixed(4)}`);
    min = Math.min(min, ratio);
    sum += ratio;
    solved++;
  }
  t.ok(solved >= 28, `HiGHS proved ${solved} of 30 optima`);
  t.comment(`optimality ratio: min ${min.toFixed(4)}, mean ${(sum / solved).toFixed(4)} over ${solved} instances`);
});
