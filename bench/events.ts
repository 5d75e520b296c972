/**
 * A schedule run through the API at the realistic event size: POST /api/v1/events/:id/schedule reads the
 * participants and 4,000 wishes, runs the scheduler and saves every meeting in one MongoDB transaction.
 * Compared in the same run with the pure scheduler on the same instance (the "raw engine" here), then a
 * re-run after 200 late wishes with the schedule published (keeps every published meeting).
 */
import { Types } from 'mongoose';
import type { Models } from '../src/infra/models.js';
import { generateInstance } from './generate-instance.js';
import { schedule } from '../src/events/scheduler/schedule.js';

type Row = (what: string, platform: string, raw?: string, ratio?: string) => void;

export async function benchEventRun(opts: { base: string; auth: Record<string, string>; models: Models; row: Row }): Promise<void> {
  const { base, auth, models, row } = opts;
  const { Event, EventParticipant, EventPreference, EventMeeting, Vendor, BuyerOrg } = models;
  const size = { vendors: 300, buyers: 500, wishes: 4000, slots: 24, tables: 150, seed: 7 };
  const inst = generateInstance(size);
  process.stderr.write('对接会排期（经 API，含读取与保存）…\n');
  const slots = Array.from({ length: size.slots }, (_, i) => {
    const start = Date.parse('2027-05-20T08:30:00+08:00') + i * 20 * 60_000 + (i >= 12 ? 60 * 60_000 : 0);
    return { start: new Date(start).toISOString(), end: new Date(start + 20 * 60_000).toISOString() };
  });
  const json = { ...auth, 'content-type': 'application/json' };
  const created = await fetch(`${base}/api/v1/events`, { method: 'POST', headers: json, body: JSON.stringify({ title: '基准测试对接会', theme: '安防专场', tables: size.tables, slots }) });
  if (created.status !== 201) throw new Error(`event refused: ${created.status} ${await created.text()}`);
  const eventId = new Types.ObjectId((await created.json() as { id: string }).id);

  // Companies and registrations written directly (registration is not what is measured).
  const vendorDocs = await Vendor.insertMany(inst.participants.filter((p) => p.side === 'vendor').map((p, k) => ({
    name: `基准供应商${k}`, creditCode: `BENCH${String(k).padStart(13, '0')}`, province: '浙江省', city: '杭州市', district: '滨江区', fields: ['security'], status: 'approved',
  })));
  const orgDocs = await BuyerOrg.insertMany(inst.participants.filter((p) => p.side === 'buyer').map((_, k) => ({ name: `基准采购单位${k}`, type: 'agency', level: (['province', 'city', 'district'] as const)[k % 3], province: '浙江省' })));
  let v = 0;
  let b = 0;
  const participantDocs = await EventParticipant.insertMany(inst.participants.map((p) => (p.side === 'vendor'
    ? { event: eventId, kind: 'vendor', vendor: vendorDocs[v]._id, name: vendorDocs[v++].name, representatives: p.capacity ?? 1, unavailableSlots: p.unavailable ?? [], status: 'approved' }
    : { event: eventId, kind: 'buyer', buyerOrg: orgDocs[b]._id, name: orgDocs[b++].name, representatives: 1, unavailableSlots: p.unavailable ?? [], status: 'approved' })));
  const idOf = new Map(inst.participants.map((p, i) => [p.id, participantDocs[i]._id]));
  const unique = new Map((inst.wishes ?? []).map((w) => [`${w.from}|${w.to}`, w]));
  await EventPreference.insertMany([...unique.values()].map((w) => ({ event: eventId, from: idOf.get(w.from), to: idOf.get(w.to), level: w.level })));

  const run = async () => {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/events/${String(eventId)}/schedule`, { method: 'POST', headers: json, body: '{}' });
    if (res.status !== 200) throw new Error(`schedule refused: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const body = await res.json() as { meetings: unknown[]; changes: { kept: unknown[]; added: unknown[]; moved: unknown[]; removed: unknown[] } };
    return { ms: performance.now() - t0, body };
  };
  const t0 = performance.now();
  // The same instance the API sees (one wish per ordered pair, as the unique index keeps them).
  const pure = schedule({ ...inst, wishes: [...unique.values()] });
  const pureMs = performance.now() - t0;
  const first = await run();
  const saved = await EventMeeting.countDocuments({ event: eventId });
  row('排期经 API（300 供应商、500 采购方、4000 条意向；读取、计算、事务内保存）', `${(first.ms / 1000).toFixed(2)} 秒`, `${(pureMs / 1000).toFixed(2)} 秒（纯排期）`,
    `${(first.ms / pureMs).toFixed(2)}×；保存 ${saved} 场（纯排期 ${pure.meetings.length} 场）`);

  // Publish, then 200 late wishes: the re-run keeps every published meeting.
  await fetch(`${base}/api/v1/events/${String(eventId)}/phase`, { method: 'POST', headers: json, body: JSON.stringify({ to: 'published' }) });
  const late = generateInstance({ ...size, wishes: 200, seed: 99 }).wishes ?? [];
  for (const w of late) {
    await EventPreference.updateOne({ event: eventId, from: idOf.get(w.from), to: idOf.get(w.to) }, { $setOnInsert: { level: w.level === 'no' ? 'want' : w.level } }, { upsert: true });
  }
  const second = await run();
  const c = second.body.changes;
  row('发布后追加 200 条意向再排期（经 API）', `${(second.ms / 1000).toFixed(2)} 秒`, '', `保留 ${c.kept.length}、新增 ${c.added.length}、调整 ${c.moved.length}、取消 ${c.removed.length}`);
  await Event.deleteOne({ _id: eventId });
}
