/**
 * The sample 安防专场 of a first start: the sample security vendors and the buyers with security demands,
 * registered and approved, with a few wishes, open for registration and wishes three weeks ahead. Keyed by a fixed
 * id and the participants' unique indexes, so it is inserted once however many instances start together.
 */
import { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { createBuyerService } from '../buyers/index.js';

export const SAMPLE_EVENT_ID = new Types.ObjectId('65a000000000000000000a01');
const MINUTE = 60_000;
const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000 || Boolean((err as { writeErrors?: unknown[] }).writeErrors?.length);

/** Nine 20-minute slots from 09:00 Beijing time on the given day, with a 15-minute break after the fourth. */
export function sampleSlots(day: Date): Array<{ start: Date; end: Date }> {
  const ymd = new Date(day.getTime() + 8 * 60 * MINUTE).toISOString().slice(0, 10);
  let t = Date.parse(`${ymd}T09:00:00+08:00`);
  const slots = [];
  for (let i = 0; i < 9; i++) {
    if (i === 4) t += 15 * MINUTE;
    slots.push({ start: new Date(t), end: new Date(t + 20 * MINUTE) });
    t += 20 * MINUTE;
  }
  return slots;
}

async function ignoreDuplicates(write: Promise<unknown>) {
  try {
    await write;
  } catch (err) {
    if (!isDuplicate(err)) throw err;
  }
}

/** Only the sample companies take part (never real vendors or buyers of an installation that also has sample data). */
export interface SampleCompanies { vendorCreditCodes: string[]; buyerNames: string[] }

export async function seedSampleEvent(models: Models, now: Date, sample: SampleCompanies): Promise<void> {
  const { Event, EventParticipant, EventPreference, Vendor, Demand } = models;
  const buyers = createBuyerService({ models });
  if (await Event.exists({ _id: SAMPLE_EVENT_ID })) return;
  const day = new Date(now.getTime() + 21 * 24 * 60 * MINUTE);
  const slots = sampleSlots(day);
  const actor = { id: 'seed', name: '示例数据', role: 'system' };
  await ignoreDuplicates(Event.create({
    _id: SAMPLE_EVENT_ID,
    title: '滨江区安防产业设备更新供需对接会',
    theme: '安防专场',
    field: 'security',
    venue: '滨江区政府会议中心一楼多功能厅',
    description: '围绕公共安全视频监控、卡口球机、门禁与电动自行车入梯识别等更新需求，组织省、市、区采购单位与滨江区安防企业一对一洽谈。每场 20 分钟，10:20 茶歇 15 分钟。',
    tables: 8,
    slots,
    registrationDeadline: new Date(now.getTime() + 7 * 24 * 60 * MINUTE),
    preferenceDeadline: new Date(now.getTime() + 14 * 24 * 60 * MINUTE),
    phase: 'registration',
    createdBy: actor,
    log: [{ action: 'create', to: 'registration', by: actor, at: now, text: '示例数据' }],
  }));

  const vendors = await Vendor.find({ status: 'approved', fields: 'security', creditCode: { $in: sample.vendorCreditCodes } }).sort({ creditCode: 1 }).limit(14).lean();
  const sampleOrgs = await buyers.byNames(sample.buyerNames);
  const demands = await Demand.find({ field: 'security', status: 'open', buyerOrg: { $in: sampleOrgs.map((o) => o._id) } }).sort({ title: 1 }).lean();
  const orgs = (await buyers.byIds(demands.map((d) => d.buyerOrg))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await ignoreDuplicates(EventParticipant.insertMany([
    ...vendors.map((v, i) => ({
      event: SAMPLE_EVENT_ID, kind: 'vendor', vendor: v._id, name: v.name, representatives: i < 3 ? 2 : 1,
      status: 'approved', registeredBy: actor, contactName: v.contact?.name, contactPhone: v.contact?.phone,
    })),
    ...orgs.map((o, i) => ({
      event: SAMPLE_EVENT_ID, kind: 'buyer', buyerOrg: o._id, name: o.name, representatives: 1, status: 'approved', registeredBy: actor,
      demands: demands.filter((d) => String(d.buyerOrg) === String(o._id)).map((d) => d._id),
      unavailableSlots: i === 0 ? [8] : [],
    })),
  ], { ordered: false }));

  const participants = await EventParticipant.find({ event: SAMPLE_EVENT_ID }).sort({ name: 1 }).lean();
  const vs = participants.filter((p) => p.kind === 'vendor');
  const bs = participants.filter((p) => p.kind === 'buyer');
  if (vs.length === 0 || bs.length === 0) return;
  // A deterministic spread of wishes: each buyer a must and two wants, a few vendors wishing back.
  const wishes = bs.flatMap((b, i) => [
    { from: b._id, to: vs[i % vs.length]._id, level: 'must' },
    { from: b._id, to: vs[(i + 3) % vs.length]._id, level: 'want' },
    { from: b._id, to: vs[(i + 7) % vs.length]._id, level: 'want' },
  ]).concat(vs.slice(0, bs.length).map((v, j) => ({ from: v._id, to: bs[j]._id, level: j % 2 === 0 ? 'must' : 'want' })));
  const unique = new Map(wishes.map((w) => [`${String(w.from)}|${String(w.to)}`, w]));
  await ignoreDuplicates(EventPreference.insertMany([...unique.values()].map((w) => ({ ...w, event: SAMPLE_EVENT_ID, source: 'manual', setBy: actor })), { ordered: false }));
}
