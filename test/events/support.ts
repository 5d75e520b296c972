/** A small 安防专场 world for event tests: an organizer, approved vendors, buyer organizations with demands, their users. */
import type { FastifyInstance } from 'fastify';
import { addVendor } from '../search/fixtures.js';
import { createUser, login } from '../helper.js';

export const cjk = /\p{Script=Han}/u;

/** n slots of 20 minutes from 09:00 Beijing time on 2027-03-18, with a break after the third. */
export function slotGrid(n: number) {
  const slots = [];
  let t = Date.parse('2027-03-18T09:00:00+08:00');
  for (let i = 0; i < n; i++) {
    if (i === 3) t += 15 * 60_000;
    slots.push({ start: new Date(t).toISOString(), end: new Date(t + 20 * 60_000).toISOString() });
    t += 20 * 60_000;
  }
  return slots;
}

export async function eventWorld(app: FastifyInstance, options: { vendors?: number; buyers?: number } = {}) {
  const vendorCount = options.vendors ?? 3;
  const buyerCount = options.buyers ?? 3;
  const vendors = [];
  for (let i = 0; i < vendorCount; i++) vendors.push(await addVendor(app, { name: `滨江安防企业${i + 1}有限公司` }));
  const draftVendor = await addVendor(app, { name: '尚未入选的企业有限公司', status: 'submitted' });
  const levels = ['province', 'city', 'district'] as const;
  const orgs = [];
  const demands = [];
  for (let i = 0; i < buyerCount; i++) {
    const org = await app.models.BuyerOrg.create({ name: `采购单位${i + 1}`, type: 'agency', level: levels[i % 3], province: '浙江省', city: '杭州市' });
    orgs.push(org);
    demands.push(await app.models.Demand.create({ title: `视频监控更新${i + 1}`, field: 'security', quantity: 100, unit: '路', buyerOrg: org._id, status: 'open' }));
  }
  const organizer = await createUser(app, 'organizer', { name: '主办方王主任' });
  const organizer2 = await createUser(app, 'organizer', { name: '主办方李科长' });
  const vendorUser = await createUser(app, 'vendor', { vendor: vendors[0]._id });
  const otherVendorUser = await createUser(app, 'vendor', { vendor: vendors[1]._id });
  const draftVendorUser = await createUser(app, 'vendor', { vendor: draftVendor._id });
  const buyerUser = await createUser(app, 'buyer', { buyerOrg: orgs[0]._id });
  const otherBuyerUser = await createUser(app, 'buyer', { buyerOrg: orgs[1]._id });
  const admin = await createUser(app, 'admin');
  const users = { organizer, organizer2, vendorUser, otherVendorUser, draftVendorUser, buyerUser, otherBuyerUser, admin };
  const cookies = Object.fromEntries(
    await Promise.all(Object.entries(users).map(async ([k, u]) => [k, await login(app, u.email, u.password)] as const)),
  ) as Record<keyof typeof users, string>;
  return { vendors, draftVendor, orgs, demands, users, cookies };
}

export type EventWorld = Awaited<ReturnType<typeof eventWorld>>;

export function api(app: FastifyInstance, cookie: string | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

export async function createEvent(app: FastifyInstance, cookie: string, extra: Record<string, unknown> = {}, slots = 6, tables = 3): Promise<string> {
  const res = await api(app, cookie, 'POST', '/api/v1/events', { title: '滨江区安防产业供需对接会', theme: '安防专场', venue: '滨江区会展中心', tables, slots: slotGrid(slots), ...extra });
  if (res.statusCode !== 201) throw new Error(`create event failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** Registers every vendor and buyer of the world through the organizer (approved at once); returns participant ids. */
export async function registerAll(app: FastifyInstance, cookie: string, id: string, w: EventWorld, reps: number[] = []) {
  const vendorIds: string[] = [];
  const buyerIds: string[] = [];
  for (const [i, v] of w.vendors.entries()) {
    const res = await api(app, cookie, 'POST', `/api/v1/events/${id}/participants`, { kind: 'vendor', vendorCreditCode: v.creditCode, representatives: reps[i] ?? 1 });
    if (res.statusCode !== 201) throw new Error(`vendor registration failed: ${res.body}`);
    vendorIds.push((res.json() as { participantId: string }).participantId);
  }
  for (const [i, org] of w.orgs.entries()) {
    const res = await api(app, cookie, 'POST', `/api/v1/events/${id}/participants`, {
      kind: 'buyer', buyer: { name: org.name, type: org.type, level: org.level, province: org.province }, demands: [String(w.demands[i]._id)],
    });
    if (res.statusCode !== 201) throw new Error(`buyer registration failed: ${res.body}`);
    buyerIds.push((res.json() as { participantId: string }).participantId);
  }
  return { vendorIds, buyerIds };
}

export async function wish(app: FastifyInstance, cookie: string, id: string, from: string, to: string, level: string) {
  const res = await api(app, cookie, 'POST', `/api/v1/events/${id}/preferences`, { from, to, level });
  if (res.statusCode !== 201) throw new Error(`preference failed: ${res.statusCode} ${res.body}`);
}

interface SavedMeeting { id: string; buyer: string; vendor: string; slot: number; table: number; outcome: string | null; published: boolean; pinned: boolean }

export async function savedSchedule(app: FastifyInstance, cookie: string, id: string) {
  const res = await api(app, cookie, 'GET', `/api/v1/events/${id}/schedule`);
  if (res.statusCode !== 200) throw new Error(`schedule failed: ${res.statusCode} ${res.body}`);
  return res.json() as { meetings: SavedMeeting[]; unscheduled: Array<{ buyer: string; vendor: string; reason: string }>; stats: Record<string, number> };
}

/** The hard constraints, checked on what MongoDB holds. */
export async function doubleBookings(app: FastifyInstance, id: string): Promise<string[]> {
  const meetings = await app.models.EventMeeting.find({ event: id }).lean();
  const participants = await app.models.EventParticipant.find({ event: id }).lean();
  const reps = new Map(participants.map((p) => [String(p._id), p.representatives ?? 1]));
  const problems: string[] = [];
  const count = new Map<string, number>();
  const bump = (key: string) => count.set(key, (count.get(key) ?? 0) + 1);
  for (const m of meetings) {
    bump(`table|${m.slot}|${m.table}`);
    bump(`buyer|${String(m.buyer)}|${m.slot}`);
    bump(`vendor|${String(m.vendor)}|${m.slot}`);
    bump(`pair|${String(m.buyer)}|${String(m.vendor)}`);
  }
  for (const [key, n] of count) {
    const [kind, who] = key.split('|');
    const limit = kind === 'vendor' ? reps.get(who) ?? 1 : 1;
    if (n > limit) problems.push(`${key} × ${n}`);
  }
  return problems;
}
