/** The route checker (pure): unit cases and properties over many random routes. */
import t from 'tap';
import fc from 'fast-check';
import { checkRoute, DEFAULT_TRAVEL_MINUTES, hhmm, parseHhmm, type RouteStop } from '../../src/visits/route.js';

const cjk = /\p{Script=Han}/u;
const stop = (name: string, start: string, end: string, travelMinutes?: number): RouteStop => ({ name, start: parseHhmm(start)!, end: parseHhmm(end)!, travelMinutes });

t.test('unit cases', async (t) => {
  t.same(parseHhmm('09:05'), 545);
  t.same(parseHhmm('9：05'), 545, 'a full-width colon is read too');
  t.equal(parseHhmm('24:00'), undefined);
  t.equal(hhmm(545), '09:05');
  t.same(checkRoute([stop('甲公司', '09:00', '10:00'), stop('乙医院', '10:30', '11:30')]), [], 'exactly the default 30 minutes is enough');
  const overlap = checkRoute([stop('甲公司', '09:00', '10:00'), stop('乙医院', '09:45', '11:00')]);
  t.equal(overlap.length, 1);
  t.equal(overlap[0].kind, 'overlap');
  t.match(overlap[0].message, /第 2 站“乙医院”.*第 1 站“甲公司”.*重叠/);
  const travel = checkRoute([stop('甲公司', '09:00', '10:00'), stop('乙学校', '10:20', '11:00')]);
  t.equal(travel[0].kind, 'travel');
  t.match(travel[0].message, /只有 20 分钟，不足路程所需的 30 分钟/);
  t.same(checkRoute([stop('甲公司', '09:00', '10:00'), stop('乙学校', '10:10', '11:00', 10)]), [], 'a stop may say its way is shorter');
  t.equal(checkRoute([stop('甲公司', '09:00', '10:00'), stop('乙学校', '10:40', '11:00', 60)])[0].kind, 'travel', '…or longer');
  t.equal(checkRoute([stop('甲公司', '10:00', '09:00')])[0].kind, 'empty');
  const unordered = checkRoute([stop('丙卡口', '14:00', '15:00'), stop('甲公司', '09:00', '10:00')]);
  t.same(unordered, [], 'stops given out of order are checked in time order');
  const nested = checkRoute([stop('甲', '09:00', '12:00'), stop('乙', '09:30', '09:40'), stop('丙', '10:30', '11:00')]);
  t.ok(nested.some((p) => p.stop === 2 && p.other === 0 && p.kind === 'overlap'), 'a stop inside a long earlier one two places back is found');
});

const routeArb = fc.array(
  fc.record({
    start: fc.integer({ min: 0, max: 23 * 60 }),
    length: fc.integer({ min: -30, max: 240 }),
    travel: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
  }),
  { minLength: 0, maxLength: 8 },
).map((list) => list.map((s, i): RouteStop => ({ name: `企业${i + 1}`, start: s.start, end: Math.min(s.start + s.length, 24 * 60 - 1), travelMinutes: s.travel })));

t.test('property: a route is accepted exactly when, in time order, every stop has length and enough time after the previous one', async (t) => {
  fc.assert(fc.property(routeArb, (stops) => {
    const problems = checkRoute(stops);
    const order = stops.map((_, i) => i).sort((a, b) => stops[a].start - stops[b].start || stops[a].end - stops[b].end || a - b);
    let feasible = stops.every((s) => s.end > s.start);
    for (let k = 1; k < order.length; k++) {
      const a = stops[order[k - 1]];
      const b = stops[order[k]];
      if (b.start - a.end < (b.travelMinutes ?? DEFAULT_TRAVEL_MINUTES)) feasible = false;
    }
    return (problems.length === 0) === feasible;
  }), { numRuns: 2000 });
  t.pass('2000 random routes');
});

t.test('property: an accepted route has no two stops overlapping; every overlapping pair is refused naming both stops', async (t) => {
  fc.assert(fc.property(routeArb, (stops) => {
    const problems = checkRoute(stops);
    for (let i = 0; i < stops.length; i++) {
      for (let j = 0; j < stops.length; j++) {
        if (i === j || stops[i].end <= stops[i].start || stops[j].end <= stops[j].start) continue;
        const overlap = stops[i].start < stops[j].end && stops[j].start < stops[i].end;
        if (!overlap) continue;
        if (problems.length === 0) return false;
        const named = problems.some((p) => (p.stop === i && p.other === j) || (p.stop === j && p.other === i));
        if (!named) return false;
      }
    }
    return problems.every((p) => cjk.test(p.message) && p.message.includes(`第 ${p.stop + 1} 站“${stops[p.stop].name}”`) && (p.other === undefined || p.message.includes(`第 ${p.other + 1} 站`)));
  }), { numRuns: 2000 });
  t.pass('2000 random routes');
});

t.test('property: a route built with enough travel time is always accepted', async (t) => {
  const built = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 90 }), length: fc.integer({ min: 1, max: 120 }), extra: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 8 });
  fc.assert(fc.property(built, (list) => {
    let t0 = 8 * 60;
    const stops: RouteStop[] = list.map((s, i) => {
      const start = t0 + (i === 0 ? 0 : s.gap + s.extra);
      const r = { name: `站${i}`, start, end: start + s.length, travelMinutes: i === 0 ? undefined : s.gap };
      t0 = r.end;
      return r;
    });
    return checkRoute(stops).length === 0;
  }), { numRuns: 1000 });
  t.pass('1000 feasible routes');
});
