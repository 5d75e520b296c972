/**
 * The slot grid an organizer types on the new-event form (src/events/grid.ts): examples, the parsing of
 * times and breaks, and properties over random inputs (fast-check): slots never overlap, never touch a
 * break, lie within the day in Beijing time, come in order, have the asked length and count.
 */
import t from 'tap';
import fc from 'fast-check';
import { beijingDay, beijingInstant, beijingMinutes, buildSlotGrid, parseBreaks, parseTimeOfDay, type Break } from '../../src/events/grid.js';
import { eventFromForm } from '../../src/events/forms.js';

const hm = (d: Date) => {
  const m = beijingMinutes(d);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

t.test('a morning of 20-minute slots skips the tea break and lunch', async (t) => {
  const breaks = parseBreaks('10:30-10:45, 12:00-13:30');
  t.ok(breaks.ok);
  const grid = buildSlotGrid({ date: '2027-03-18', firstStart: 9 * 60, slotMinutes: 20, count: 12, breaks: breaks.ok ? breaks.breaks : [] });
  t.ok(grid.ok);
  if (!grid.ok) return;
  t.same(grid.slots.map((s) => `${hm(s.start)}-${hm(s.end)}`), [
    '09:00-09:20', '09:20-09:40', '09:40-10:00', '10:00-10:20',
    // 10:20-10:40 would run into the 10:30 break: it starts when the break ends.
    '10:45-11:05', '11:05-11:25', '11:25-11:45',
    // 11:45-12:05 would run into lunch.
    '13:30-13:50', '13:50-14:10', '14:10-14:30', '14:30-14:50', '14:50-15:10',
  ]);
  t.equal(grid.slots[0].start.toISOString(), '2027-03-18T01:00:00.000Z', '09:00 in Beijing is 01:00 UTC');
  t.equal(beijingDay(grid.slots[11].end), '2027-03-18');
});

t.test('slots that do not fit in the day are refused with the field to blame', async (t) => {
  const grid = buildSlotGrid({ date: '2027-03-18', firstStart: 22 * 60, slotMinutes: 30, count: 5, breaks: [] });
  t.equal(grid.ok, false);
  if (!grid.ok) {
    t.equal(grid.path, 'slotCount');
    t.match(grid.message, /放不下 5 个 30 分钟的时段（只能放 4 个）/);
  }
  t.match(buildSlotGrid({ date: '2027-02-30', firstStart: 540, slotMinutes: 20, count: 1, breaks: [] }), { ok: false, path: 'date' });
  t.match(buildSlotGrid({ date: '2027-03-18', firstStart: 540, slotMinutes: 0, count: 1, breaks: [] }), { ok: false, path: 'slotMinutes' });
  t.match(buildSlotGrid({ date: '2027-03-18', firstStart: 540, slotMinutes: 20, count: 0, breaks: [] }), { ok: false, path: 'slotCount' });
  // A break that runs to midnight leaves no room after it.
  t.match(buildSlotGrid({ date: '2027-03-18', firstStart: 540, slotMinutes: 60, count: 3, breaks: [{ start: 600, end: 1440 }] }), { ok: false, path: 'slotCount' });
});

t.test('times and breaks as people type them', async (t) => {
  t.equal(parseTimeOfDay('9:00'), 540);
  t.equal(parseTimeOfDay('09:30'), 570);
  t.equal(parseTimeOfDay('13：30'), 810, 'full-width colon');
  t.equal(parseTimeOfDay('9点30'), 570);
  t.equal(parseTimeOfDay('14'), 840);
  t.equal(parseTimeOfDay('25:00'), null);
  t.equal(parseTimeOfDay('9:75'), null);
  t.equal(parseTimeOfDay('上午'), null);
  t.same(parseBreaks(''), { ok: true, breaks: [] });
  t.same(parseBreaks('12:00-13:30，10:30～10:45'), { ok: true, breaks: [{ start: 630, end: 645 }, { start: 720, end: 810 }] }, 'Chinese separators, sorted');
  t.same(parseBreaks('12:00 至 13:00；15:00—15:15'), { ok: true, breaks: [{ start: 720, end: 780 }, { start: 900, end: 915 }] });
  const bad = parseBreaks('10:30-10:45, 午饭');
  t.equal(bad.ok, false);
  if (!bad.ok) t.match(bad.message, /“午饭”不是有效的休息时间，应写成 10:30-10:45/);
  const backwards = parseBreaks('13:30-12:00');
  if (!backwards.ok) t.match(backwards.message, /结束应晚于开始/);
  else t.fail('a backwards break is refused');
});

const breakArb = fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 180 })).map(([start, len]): Break => ({ start, end: Math.min(1440, start + len) }));
const inputArb = fc.record({
  date: fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  firstStart: fc.integer({ min: 0, max: 1439 }),
  slotMinutes: fc.integer({ min: 1, max: 240 }),
  count: fc.integer({ min: 1, max: 96 }),
  breaks: fc.array(breakArb, { maxLength: 6 }),
});

t.test('property: placed slots never overlap, never intersect a break, stay in the day, in order', async (t) => {
  let placed = 0;
  fc.assert(
    fc.property(inputArb, (input) => {
      const grid = buildSlotGrid(input);
      if (!grid.ok) {
        // Refused only when they truly do not fit: the path says which field.
        return grid.path === 'slotCount';
      }
      placed++;
      const { slots } = grid;
      if (slots.length !== input.count) return false;
      const dayStart = beijingInstant(input.date, 0)!.getTime();
      const dayEnd = dayStart + 1440 * 60_000;
      let prevEnd = -Infinity;
      for (const s of slots) {
        const a = s.start.getTime();
        const b = s.end.getTime();
        if (b - a !== input.slotMinutes * 60_000) return false; // the asked length
        if (a < prevEnd) return false; // in order, no overlap
        if (a < dayStart || b > dayEnd) return false; // within the day
        if (a < dayStart + input.firstStart * 60_000) return false; // not before the first start
        for (const br of input.breaks) {
          const bs = dayStart + br.start * 60_000;
          const be = dayStart + br.end * 60_000;
          if (a < be && b > bs) return false; // never intersects a break
        }
        prevEnd = b;
      }
      return true;
    }),
    { numRuns: 3000, seed: 20271118 },
  );
  t.ok(placed > 300, `many random grids were placed (${placed} of 3000)`);
});

t.test('property: without breaks, slots are back to back from the first start', async (t) => {
  fc.assert(
    fc.property(inputArb, (input) => {
      const grid = buildSlotGrid({ ...input, breaks: [] });
      const fits = input.firstStart + input.slotMinutes * input.count <= 1440;
      if (!grid.ok) return !fits;
      return fits && grid.slots.every((s, i) => beijingMinutes(s.start) === (input.firstStart + i * input.slotMinutes) % 1440);
    }),
    { numRuns: 2000, seed: 7 },
  );
  t.pass('back to back');
});

t.test('the new-event form turns typed fields into EventInput, with inline errors', async (t) => {
  const ok = eventFromForm({
    title: '滨江区安防专场', theme: '安防专场', field: 'security', venue: '滨江会展中心', tables: '8',
    date: '2027-03-18', startTime: '09:00', slotMinutes: '20', slotCount: '6', breaks: '10:00-10:15',
    registrationDeadline: '2027-03-10T18:00', preferenceDeadline: '2027-03-15T18:00',
  });
  t.ok(ok.ok);
  if (ok.ok) {
    t.equal(ok.input.slots.length, 6);
    t.equal(ok.input.tables, 8);
    t.equal(ok.input.registrationDeadline?.toISOString(), '2027-03-10T10:00:00.000Z', 'deadlines are Beijing time');
    t.equal(hm(ok.input.slots[3].start), '10:15');
  }
  const bad = eventFromForm({ title: '', tables: '0', date: '', startTime: '早上', slotMinutes: '3', slotCount: '200', breaks: '午饭', registrationDeadline: 'x' });
  t.equal(bad.ok, false);
  if (!bad.ok) {
    t.match(bad.errors, {
      title: '请填写对接会名称', tables: '至少 1 张洽谈桌', date: '请选择对接会日期', startTime: /例如 09:00/,
      slotMinutes: /5–240/, slotCount: /1–96/, breaks: /“午饭”不是有效的休息时间/, registrationDeadline: '请选择日期和时间',
    });
  }
  const late = eventFromForm({ title: '截止太晚', tables: '3', date: '2027-03-18', startTime: '09:00', slotMinutes: '20', slotCount: '3', breaks: '', registrationDeadline: '2027-03-19T09:00' });
  t.equal(late.ok, false);
  if (!late.ok) t.equal(late.errors.registrationDeadline, '截止时间应早于第一个洽谈时段');
});
