/** The pure ranking function: properties over thousands of random cases, and the Chinese reasons. */
import t from 'tap';
import fc from 'fast-check';
import { capacityOf, countedFactors, freshnessOfCandidate, leadTimeOf, localityOf, priceOf, rankCandidates, type Candidate, type RankDemand } from '../../src/matching/ranking.js';
import { defaultWeights, factors, weightsFrom, type Weights } from '../../src/matching/weights.js';
import { ndcgAt } from '../../bench/relevance.js';

const DAY = 86_400_000;
const now = new Date('2026-06-01T00:00:00Z');
const certs = ['ccc', 'iso9001', 'energy-grade-1', 'zhejiang-made', 'first-set-provincial', 'first-set-municipal', 'specialized-new', 'little-giant', 'standard-leader', 'green-product'];
const places = [
  { province: '浙江省', city: '杭州市', district: '滨江区' },
  { province: '浙江省', city: '杭州市', district: '萧山区' },
  { province: '浙江省', city: '宁波市', district: '北仑区' },
  { province: '江苏省', city: '苏州市', district: '吴中区' },
];
const categories = ['video-surveillance', 'access-control', 'elevator'];
const fieldOf = (c: string) => (c === 'elevator' ? 'construction' : 'security');
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const candidateArb = fc.record({
  p: fc.integer({ min: 0, max: 40 }),
  v: fc.integer({ min: 0, max: 9 }),
  category: fc.constantFrom(...categories),
  certifications: fc.subarray(certs),
  priceMin: maybe(fc.integer({ min: 100, max: 100_000 })),
  spread: fc.integer({ min: 0, max: 50_000 }),
  capacityPerMonth: maybe(fc.integer({ min: 1, max: 10_000 })),
  leadTimeDays: maybe(fc.integer({ min: 1, max: 200 })),
  ageDays: maybe(fc.integer({ min: 0, max: 119 })),
  rankingScore: fc.double({ min: 0, max: 1, noNaN: true }),
}).map((r): Candidate => {
  const place = places[r.v % places.length];
  return {
    productId: `p${String(r.p).padStart(3, '0')}`,
    name: `产品${r.p}`,
    model: `M-${r.p}`,
    category: r.category,
    field: fieldOf(r.category),
    certifications: r.certifications,
    vendorId: `v${r.v}`,
    vendorName: `企业${r.v}`,
    vendorCreditCode: `CODE${r.v}`,
    ...place,
    priceMin: r.priceMin,
    priceMax: r.priceMin == null ? null : r.priceMin + r.spread,
    capacityPerMonth: r.capacityPerMonth,
    leadTimeDays: r.leadTimeDays,
    confirmedAt: r.ageDays == null ? null : now.getTime() - r.ageDays * DAY,
    freshness: r.ageDays != null && r.ageDays > 90 ? 'stale' : 'current',
    rankingScore: r.rankingScore,
  };
});

// A product appears once in the candidates (retrieval merges its hits), always with the same vendor.
const candidatesArb = fc.array(candidateArb, { maxLength: 40 }).map((cs) => {
  const seen = new Set<string>();
  const vendor = new Map<string, Candidate>();
  return cs.filter((c) => (seen.has(c.productId) ? false : (seen.add(c.productId), true))).map((c) => {
    const first = vendor.get(c.vendorId);
    if (!first) { vendor.set(c.vendorId, c); return c; }
    return { ...c, vendorName: first.vendorName, vendorCreditCode: first.vendorCreditCode, province: first.province, city: first.city, district: first.district };
  });
});

const demandArb = fc.record({
  title: fc.constant('公共视频监控前端设备更新'),
  category: maybe(fc.constantFrom(...categories)),
  quantity: maybe(fc.integer({ min: 1, max: 5000 })),
  unit: maybe(fc.constantFrom('台', '套', '路')),
  budgetYuan: maybe(fc.integer({ min: 1000, max: 50_000_000 })),
  requiredCertifications: fc.subarray(certs, { maxLength: 2 }),
  preferredCertifications: fc.subarray(certs, { maxLength: 3 }),
  deadlineDays: maybe(fc.integer({ min: -10, max: 400 })),
}).map(({ deadlineDays, ...d }): RankDemand => ({
  ...d,
  field: d.category ? fieldOf(d.category) : null,
  deadline: deadlineDays == null ? null : new Date(now.getTime() + deadlineDays * DAY),
}));

// Weights below 1e-6 become 0: subnormal weights underflow to a zero score, which no configuration means.
const weightsArb = fc.record(Object.fromEntries(factors.map((f) => [f, fc.double({ min: 0, max: 2, noNaN: true }).map((w) => (w < 1e-6 ? 0 : w))])) as Record<keyof Weights, fc.Arbitrary<number>>);
const opts = (weights: Weights = defaultWeights) => ({ now, weights, freshnessDays: 90 });
const shuffled = <T>(xs: readonly T[], seed: number) => {
  const out = [...xs];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};
const runs = { numRuns: 2000 };

t.test('required certifications are never violated; one entry per vendor; at most 3 of its own products', async (t) => {
  fc.assert(fc.property(candidatesArb, demandArb, weightsArb, (cs, demand, weights) => {
    const results = rankCandidates(cs, demand, opts(weights));
    const byId = new Map(cs.map((c) => [c.productId, c]));
    const vendors = results.map((r) => r.vendor.id);
    if (new Set(vendors).size !== vendors.length) return false;
    return results.every((r) => r.products.length >= 1 && r.products.length <= 3 && r.products.every((p) => {
      const c = byId.get(p.productId)!;
      return c.vendorId === r.vendor.id && (demand.requiredCertifications ?? []).every((code) => c.certifications.includes(code));
    }));
  }), runs);
  t.pass('held over 2000 random cases');
});

t.test('deterministic: the same input, in any order, gives the same output; scores in [0, 1], sorted, ties by credit code', async (t) => {
  fc.assert(fc.property(candidatesArb, demandArb, weightsArb, fc.integer(), (cs, demand, weights, seed) => {
    const a = rankCandidates(cs, demand, opts(weights));
    const b = rankCandidates(shuffled(cs, seed), demand, opts(weights));
    if (JSON.stringify(a) !== JSON.stringify(b)) return false;
    return a.every((r, i) => r.score >= 0 && r.score <= 1 && (i === 0 || a[i - 1].score > r.score || (a[i - 1].score === r.score && a[i - 1].vendor.creditCode < r.vendor.creditCode)));
  }), runs);
  t.pass('held over 2000 random cases');
});

t.test('a reason for every factor that counted, none for factors without data or weight; score is their weighted mean', async (t) => {
  fc.assert(fc.property(candidatesArb, demandArb, weightsArb, (cs, demand, weights) => {
    const counted = countedFactors(demand, weights);
    return rankCandidates(cs, demand, opts(weights)).every((r) => {
      const same = JSON.stringify(r.reasons.map((x) => x.factor)) === JSON.stringify(counted);
      const texts = r.reasons.every((x) => /\p{Script=Han}/u.test(x.text) && x.value >= 0 && x.value <= 1);
      const w = r.reasons.reduce((s, x) => s + x.weight, 0);
      const mean = w > 0 ? r.reasons.reduce((s, x) => s + x.weight * x.value, 0) / w : 0;
      return same && texts && Math.abs(mean - r.score) < 0.002;
    });
  }), runs);
  t.notOk(countedFactors({ title: 'x' }, defaultWeights).includes('price'), 'no budget: price does not count');
  t.notOk(countedFactors({ title: 'x', quantity: 5 }, { ...defaultWeights, capacity: 0 }).includes('capacity'), 'zero weight: does not count');
});

// Stated for vendors with one candidate product each: a vendor's score is the best of its products', and a
// weight change may make another of its products the best one, which only raises that vendor further.
const singleProductArb = candidatesArb.map((cs) => {
  const seen = new Set<string>();
  return cs.filter((c) => (seen.has(c.vendorId) ? false : (seen.add(c.vendorId), true)));
});

t.test('monotonicity: raising the weight of a factor on which A beats B never lets B overtake A', async (t) => {
  fc.assert(fc.property(singleProductArb, demandArb, weightsArb, fc.constantFrom(...factors), fc.double({ min: 0.01, max: 5, noNaN: true }), (cs, demand, weights, factor, extra) => {
    const before = rankCandidates(cs, demand, opts(weights));
    const after = rankCandidates(cs, demand, opts({ ...weights, [factor]: weights[factor] + extra }));
    const pos = new Map(after.map((r) => [r.vendor.id, r]));
    for (let i = 0; i < before.length; i++) {
      for (let j = i + 1; j < before.length; j++) {
        const a = before[i];
        const b = before[j];
        const va = a.reasons.find((x) => x.factor === factor)?.value;
        const vb = b.reasons.find((x) => x.factor === factor)?.value;
        if (va === undefined || vb === undefined || va < vb) continue;
        const a2 = pos.get(a.vendor.id);
        const b2 = pos.get(b.vendor.id);
        // Rounding to 4 decimals may turn a strict lead into a tie; a tie is not an overtake.
        if (a2 && b2 && b2.score > a2.score + 1e-4) return false;
      }
    }
    return true;
  }), runs);
  t.pass('held over 2000 random cases');
});

t.test('deadline: a vendor that cannot deliver in time ranks below an otherwise identical one that can', async (t) => {
  fc.assert(fc.property(candidateArb, fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 3 }), (base, daysLeft, lateBy, place) => {
    const onTime: Candidate = { ...base, ...places[place], productId: 'p-on-time', vendorId: 'v-on-time', vendorCreditCode: 'Z-on-time', leadTimeDays: daysLeft, rankingScore: 0.8 };
    const late: Candidate = { ...onTime, productId: 'p-late', vendorId: 'v-late', vendorCreditCode: 'A-late', leadTimeDays: daysLeft + lateBy };
    const demand: RankDemand = { title: '摄像机', deadline: new Date(now.getTime() + (daysLeft + 0.5) * DAY) };
    const order = rankCandidates([late, onTime], demand, opts()).map((r) => r.vendor.id);
    const lateReason = rankCandidates([late], demand, opts())[0].reasons.find((r) => r.factor === 'leadTime')?.text ?? '';
    return order[0] === 'v-on-time' && order[1] === 'v-late' && lateReason.includes('晚于需求截止日期');
  }), { numRuns: 500 });
  t.pass('held over 500 random cases');
});

t.test('the text reason says how the demand\'s words were read', async (t) => {
  const c: Candidate = {
    productId: 'p1', name: '智慧消防监测终端', model: 'F-1', category: 'fire-safety', field: 'security', certifications: [], vendorId: 'v1',
    vendorName: '杭州甲', vendorCreditCode: 'C1', province: '浙江省', city: '杭州市', district: '滨江区', rankingScore: 0.9,
  };
  const [r] = rankCandidates([c], { title: '小区要装消访监测终端', corrections: [{ from: '消访', to: '消防', kind: 'slip' }] }, opts());
  t.match(r.reasons.find((x) => x.factor === 'text')?.text, /已将“消访”按“消防”理解/);
});

t.test('locality: with everything else equal, 滨江区 > rest of 杭州市 > rest of 浙江省 > elsewhere', async (t) => {
  const base: Omit<Candidate, 'vendorId' | 'vendorName' | 'vendorCreditCode' | 'productId' | 'province' | 'city' | 'district'> = {
    name: '网络摄像机', model: 'X', category: 'video-surveillance', field: 'security', certifications: ['ccc'],
    priceMin: 500, priceMax: 900, capacityPerMonth: 1000, leadTimeDays: 10, confirmedAt: now.getTime() - 5 * DAY, freshness: 'current', rankingScore: 0.8,
  };
  // Credit codes chosen so that the tie-break alone would give the reverse order.
  const cs = places.map((p, i) => ({ ...base, ...p, productId: `p${i}`, vendorId: `v${i}`, vendorName: `企业${i}`, vendorCreditCode: `Z${9 - i}` }));
  fc.assert(fc.property(fc.integer(), (seed) => {
    const order = rankCandidates(shuffled(cs, seed), { title: '摄像机', quantity: 100, budgetYuan: 100_000 }, opts()).map((r) => r.vendor.district);
    return JSON.stringify(order) === JSON.stringify(['滨江区', '萧山区', '北仑区', '吴中区']);
  }), { numRuns: 200 });
  t.equal(localityOf(places[0]).text, '滨江区本地企业');
  t.equal(localityOf(places[1]).text, '杭州市企业（萧山区）');
  t.equal(localityOf(places[2]).text, '浙江省内企业（宁波市）');
  t.equal(localityOf({ province: '上海市', city: '上海市', district: '浦东新区' }).text, '省外企业（上海市）');
});

t.test('the reasons read as a buyer would write them', async (t) => {
  t.equal(capacityOf(500, 300, '台').text, '月产能 500 台，满足需求 300 台');
  t.equal(capacityOf(200, 300, '台').text, '月产能 200 台，不足需求 300 台的七成');
  t.equal(capacityOf(null, 300, '台').text, '未填报月产能');
  t.equal(leadTimeOf(15, new Date(now.getTime() + 40 * DAY), now).text, '交货期 15 天，距截止日期还有 40 天');
  t.equal(leadTimeOf(60, new Date(now.getTime() + 40 * DAY), now).value, 0, 'late is late');
  t.equal(leadTimeOf(60, new Date(now.getTime() + 40 * DAY), now).text, '交货期 60 天，晚于需求截止日期（距截止仅 40 天）');
  t.equal(priceOf(600, 900, 750_000, 300, '台').text, '报价 600–900 元/台，需求预算约 2,500 元/台，在预算内');
  t.equal(priceOf(3000, 5000, 750_000, 300, '台').text, '报价 3,000–5,000 元/台，需求预算约 2,500 元/台，超出预算');
  t.equal(freshnessOfCandidate({ confirmedAt: now.getTime() - 3 * DAY, freshness: 'current' }, now, 90).text, '信息已于 30 天内确认');
  t.equal(freshnessOfCandidate({ confirmedAt: now.getTime() - 100 * DAY, freshness: 'stale' }, now, 90).text, '信息待更新（超过 90 天未确认）');

  const c: Candidate = {
    productId: 'p1', name: '电梯专用AI摄像机', model: 'A', category: 'video-surveillance', field: 'security',
    certifications: ['ccc', 'energy-grade-1', 'zhejiang-made', 'first-set-provincial', 'little-giant', 'standard-leader'], vendorId: 'v1', vendorName: '杭州澜视', vendorCreditCode: 'C1',
    province: '浙江省', city: '杭州市', district: '滨江区', priceMin: 600, priceMax: 900, capacityPerMonth: 500, leadTimeDays: 15,
    confirmedAt: now.getTime() - DAY, freshness: 'current', rankingScore: 1,
  };
  const [r] = rankCandidates([c], {
    title: '电梯AI摄像机', category: 'video-surveillance', field: 'security', quantity: 300, budgetYuan: 750_000,
    requiredCertifications: ['energy-grade-1'], preferredCertifications: ['zhejiang-made'], deadline: new Date(now.getTime() + 40 * DAY),
  }, opts());
  const text = Object.fromEntries(r.reasons.map((x) => [x.factor, x.text]));
  t.equal(text.required, '具备必需的一级能效认证');
  t.equal(text.preferred, '具备优选认证：品字标“浙江制造”');
  t.match(text.distinction, '省级首台（套）产品');
  t.equal(text.text, '属于“视频监控前端设备”，与需求“电梯AI摄像机”高度相关（匹配产品：电梯专用AI摄像机）');
  t.equal(r.score, 1, 'the perfect candidate scores 1');
  t.same(rankCandidates([{ ...c, certifications: ['ccc'] }], { title: 'x', requiredCertifications: ['energy-grade-1'] }, opts()), [], 'a candidate lacking a required certification is dropped');
});

t.test('weights come from MATCH_WEIGHTS, validated', async (t) => {
  t.same(weightsFrom(undefined), defaultWeights);
  t.equal(weightsFrom('{"locality":0.5}').locality, 0.5);
  t.equal(weightsFrom('{"locality":0.5}').text, defaultWeights.text, 'unnamed factors keep their default');
  t.throws(() => weightsFrom('{"locality":-1}'), /MATCH_WEIGHTS/);
  t.throws(() => weightsFrom('{"nearby":1}'), /MATCH_WEIGHTS/);
  t.throws(() => weightsFrom('not json'), /MATCH_WEIGHTS/);
});

t.test('nDCG@10 on a hand-computed example', async (t) => {
  // Judged: A=3, B=2, C=1. Ranked: B, X (0), A. DCG = 3/log2(2) + 0 + 7/log2(4) = 3 + 3.5 = 6.5.
  // Ideal: A, B, C = 7 + 3/log2(3) + 1/log2(4) = 7 + 1.8928 + 0.5 = 9.3928. nDCG = 0.69202.
  t.ok(Math.abs(ndcgAt(['B', 'X', 'A'], { A: 3, B: 2, C: 1 }) - 6.5 / (7 + 3 / Math.log2(3) + 0.5)) < 1e-12);
  t.equal(Number(ndcgAt(['B', 'X', 'A'], { A: 3, B: 2, C: 1 }).toFixed(4)), 0.692);
  t.equal(ndcgAt(['A', 'B', 'C'], { A: 3, B: 2, C: 1 }), 1);
  t.equal(ndcgAt([], { A: 3 }), 0);
  t.equal(ndcgAt(['A', 'A', 'B'], { A: 3, B: 2 }), 1, 'a repeated id counts once');
  t.equal(ndcgAt(['X', 'Y', 'Z', 'W', 'V', 'U', 'T', 'S', 'R', 'Q', 'A'], { A: 3 }), 0, 'beyond rank 10 does not count');
});
