/** Pair weights: the orderings the organizers were promised, checked over every combination of wishes. */
import t from 'tap';
import { pairClass, pairWeight, wishWeights, type Level } from '../../src/events/scheduler/weights.js';

const levels: Level[] = ['none', 'want', 'must', 'no'];
const combos = levels.flatMap((buyer) => levels.map((vendor) => ({ buyer, vendor })));
const classRank = { none: 0, 'one-sided-want': 1, 'mutual-want': 2, 'one-sided-must': 3, 'mutual-must': 4 } as const;

t.test('a "no" from either side is a veto', async (t) => {
  for (const { buyer, vendor } of combos) {
    const vetoed = buyer === 'no' || vendor === 'no';
    t.equal(pairWeight(buyer, vendor) === null, vetoed, `${buyer}/${vendor}`);
    t.equal(pairClass(buyer, vendor) === 'veto', vetoed);
  }
});

t.test('mutual must > one-sided must > mutual want > one-sided want > nothing, strictly', async (t) => {
  let compared = 0;
  for (const a of combos) {
    for (const b of combos) {
      const ca = pairClass(a.buyer, a.vendor), cb = pairClass(b.buyer, b.vendor);
      if (ca === 'veto' || cb === 'veto' || classRank[ca] <= classRank[cb]) continue;
      compared++;
      t.ok(pairWeight(a.buyer, a.vendor)! > pairWeight(b.buyer, b.vendor)!, `${a.buyer}/${a.vendor} (${ca}) > ${b.buyer}/${b.vendor} (${cb})`);
    }
  }
  t.ok(compared > 20);
  t.equal(pairWeight('must', 'must'), 70);
  t.equal(pairWeight('want', 'want'), 22);
  t.equal(pairWeight('none', 'none'), 0);
});

t.test('a buyer\'s wish weighs more than the same wish from a vendor', async (t) => {
  t.ok(pairWeight('must', 'none')! > pairWeight('none', 'must')!);
  t.ok(pairWeight('want', 'none')! > pairWeight('none', 'want')!);
  t.ok(pairWeight('must', 'want')! > pairWeight('want', 'must')!);
  t.ok(wishWeights.buyer.must > wishWeights.vendor.must && wishWeights.buyer.want > wishWeights.vendor.want);
});
