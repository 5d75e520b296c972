/** Freshness and certificate expiry are pure functions of the clock: checked on many random cases. */
import t from 'tap';
import fc from 'fast-check';
import { diffFields } from '../../src/suppliers/history.js';
import { effectiveCertifications, freshnessDeadlines, freshnessOf } from '../../src/suppliers/freshness.js';

const DAY = 86_400_000;
const policyArb = fc.record({ days: fc.integer({ min: 1, max: 400 }), graceDays: fc.integer({ min: 0, max: 200 }) });
const dateArb = fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true });

t.test('freshness never improves as time passes, and matches its deadlines', async (t) => {
  const order = { current: 0, stale: 1, hidden: 2 };
  fc.assert(fc.property(policyArb, dateArb, fc.integer({ min: 0, max: 800 }), fc.integer({ min: 0, max: 800 }), (policy, confirmed, a, b) => {
    const [early, late] = [Math.min(a, b), Math.max(a, b)];
    const at = (days: number) => freshnessOf(confirmed, new Date(confirmed.getTime() + days * DAY), policy);
    if (order[at(early)] > order[at(late)]) return false;
    const { staleAt, hiddenAt } = freshnessDeadlines(confirmed, policy);
    const now = new Date(confirmed.getTime() + early * DAY);
    const expected = now <= staleAt ? 'current' : now <= hiddenAt ? 'stale' : 'hidden';
    return at(early) === expected;
  }), { numRuns: 2000 });
  t.equal(freshnessOf(null, new Date(), { days: 90, graceDays: 30 }), 'hidden', 'never confirmed: not shown');
  t.equal(freshnessOf(new Date('2026-01-01'), new Date('2026-04-01'), { days: 90, graceDays: 30 }), 'current', 'exactly 90 days: still current');
  t.equal(freshnessOf(new Date('2026-01-01'), new Date('2026-04-02'), { days: 90, graceDays: 30 }), 'stale');
});

t.test('an expired certificate stops counting; a valid one keeps the code; codes without certificates count', async (t) => {
  const now = new Date('2026-06-01');
  t.same(effectiveCertifications(['ccc', 'iso9001', 'zhejiang-made'], [
    { certification: 'iso9001', expiresAt: new Date('2026-05-31') },
    { certification: 'zhejiang-made', expiresAt: new Date('2027-01-01') },
  ], now), ['ccc', 'zhejiang-made']);
  t.same(effectiveCertifications(['iso9001'], [
    { certification: 'iso9001', expiresAt: new Date('2025-01-01') },
    { certification: 'iso9001', expiresAt: new Date('2028-01-01') },
  ], now), ['iso9001'], 'renewed certificate counts');
  fc.assert(fc.property(fc.uniqueArray(fc.constantFrom<string>('a', 'b', 'c', 'd', 'e')), fc.array(fc.record({ certification: fc.constantFrom<string>('a', 'b', 'c'), expiresAt: dateArb })), dateArb, (codes, quals, at) => {
    const result = effectiveCertifications(codes, quals, at);
    return result.every((c) => codes.includes(c)) &&
      result.every((c) => !quals.some((q) => q.certification === c) || quals.some((q) => q.certification === c && q.expiresAt >= at));
  }), { numRuns: 1000 });
});

t.test('the change log records exactly the fields that differ', async (t) => {
  t.same(diffFields({ a: 1, b: [1, 2], c: 'x', d: new Date('2026-01-01') }, { a: 1, b: [1, 3], c: undefined, d: new Date('2026-01-01') }, ['a', 'b', 'c', 'd']), [
    { field: 'b', before: [1, 2], after: [1, 3] },
    { field: 'c', before: 'x', after: null },
  ]);
});
