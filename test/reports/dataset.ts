/**
 * A small, fully known programme for the report tests: every expected number in the tests can be
 * counted by hand from this file. Written straight to the collections (exact timestamps), including the
 * planned events collections (events, event_participants, event_meetings).
 */
import { Types } from 'mongoose';
import type { FastifyInstance } from 'fastify';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { rebuildReportAggregates } from '../../src/reports/rebuild.js';

/** 2026-06-15 12:00 China time. */
export const NOW = new Date('2026-06-15T04:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
/** Noon, China time, of a day. */
const on = (day: string) => new Date(`${day}T04:00:00Z`);
const credit = (n: number) => {
  const prefix = `91330108MA2R${String(n).padStart(5, '0')}`;
  return prefix + creditCodeCheckChar(prefix);
};

export const ids = {
  V1: new Types.ObjectId(), V2: new Types.ObjectId(), V3: new Types.ObjectId(), V4: new Types.ObjectId(), V5: new Types.ObjectId(), V6: new Types.ObjectId(),
  O1: new Types.ObjectId(), O2: new Types.ObjectId(), O3: new Types.ObjectId(), O4: new Types.ObjectId(),
  D1: new Types.ObjectId(), D2: new Types.ObjectId(), D3: new Types.ObjectId(), D4: new Types.ObjectId(), D5: new Types.ObjectId(), D6: new Types.ObjectId(), D7: new Types.ObjectId(),
  E1: new Types.ObjectId(), E2: new Types.ObjectId(), E3: new Types.ObjectId(),
};

export async function loadDataset(app: FastifyInstance): Promise<void> {
  const { Vendor, Product, BuyerOrg, Demand, FollowUp } = app.models;
  const { V1, V2, V3, V4, V5, V6, O1, O2, O3, O4, D1, D2, D3, D4, D5, D6, D7, E1, E2, E3 } = ids;
  // The signing made at the security event: one record (the follow-up), which the meeting points back to.
  const SIGNED_MEETING = new Types.ObjectId();
  const vendor = (_id: Types.ObjectId, n: number, place: object, extra: object) => ({
    _id, name: `报表测试企业${n}有限公司`, creditCode: credit(n), fields: [], certifications: [], qualifications: [], status: 'approved',
    freshness: 'current', createdAt: ago(300), updatedAt: ago(1), ...place, ...extra,
  });
  const binjiang = { province: '浙江省', city: '杭州市', district: '滨江区' };
  await Vendor.collection.insertMany([
    // current; 专精特新 whose only certificate expired yesterday does not count
    vendor(V1, 1, binjiang, { fields: ['security', 'industry'], certifications: ['high-tech', 'specialized-new'], qualifications: [{ certification: 'specialized-new', expiresAt: ago(1) }, { certification: 'high-tech' }], confirmedAt: ago(10) }),
    vendor(V2, 2, { province: '浙江省', city: '杭州市', district: '西湖区' }, { fields: ['security'], certifications: ['high-tech'], confirmedAt: ago(100) }), // stale
    vendor(V3, 3, { province: '浙江省', city: '宁波市' }, { fields: ['medical'], confirmedAt: ago(200) }), // hidden
    vendor(V4, 4, { province: '上海市', city: '上海市' }, { fields: ['industry'], certifications: ['iso9001'], confirmedAt: ago(5) }), // current, outside
    vendor(V5, 5, binjiang, { fields: ['security'], status: 'submitted', confirmedAt: ago(1) }), // not listed
    vendor(V6, 6, binjiang, { fields: ['education'] }), // never confirmed: hidden
  ] as never[]);
  let model = 0;
  const product = (v: Types.ObjectId, n: number, field: string, category: string, status = 'published') => ({
    vendor: v, vendorCreditCode: credit(n), name: `测试产品${++model}`, model: `M-${model}`, field, category, status,
    certifications: [], specs: [], images: [], createdAt: ago(50), updatedAt: ago(50),
  });
  await Product.collection.insertMany([
    product(V1, 1, 'security', 'video-surveillance'), product(V1, 1, 'security', 'video-surveillance'), product(V1, 1, 'security', 'video-analytics'),
    product(V1, 1, 'industry', 'machine-tool'), product(V1, 1, 'security', 'video-surveillance', 'draft'),
    product(V2, 2, 'security', 'video-surveillance'), product(V2, 2, 'security', 'video-surveillance'),
    product(V3, 3, 'medical', 'medical-imaging'),
    product(V4, 4, 'industry', 'machine-tool'), product(V4, 4, 'industry', 'machine-tool'), product(V4, 4, 'industry', 'machine-tool', 'archived'),
    product(V5, 5, 'security', 'video-surveillance'),
  ] as never[]);

  await BuyerOrg.collection.insertMany([
    { _id: O1, name: '浙江省测试厅', type: 'agency', level: 'province', province: '浙江省', city: '杭州市' },
    { _id: O2, name: '杭州市测试局', type: 'agency', level: 'city', province: '浙江省', city: '杭州市' },
    { _id: O3, name: '滨江区测试医院', type: 'hospital', level: 'district', province: '浙江省', city: '杭州市', district: '滨江区' },
    { _id: O4, name: '宁波市测试学校', type: 'school', level: 'city', province: '浙江省', city: '宁波市' },
  ] as never[]);
  const demand = (_id: Types.ObjectId, buyerOrg: Types.ObjectId, title: string, createdAt: Date, extra: object) => ({
    _id, buyerOrg, title, description: '', status: 'open', source: 'buyer', history: [], requiredCertifications: [], preferredCertifications: [],
    createdAt, updatedAt: createdAt, ...extra,
  });
  await Demand.collection.insertMany([
    demand(D1, O1, '视频监控更新', on('2026-01-10'), { field: 'security', budgetYuan: 100_000 }),
    demand(D2, O1, '机床更新', on('2026-02-20'), { field: 'industry', budgetYuan: 50_000, status: 'closed', closedAs: 'fulfilled' }),
    demand(D3, O2, '门禁系统', on('2026-03-05'), { field: 'security', status: 'in_progress' }),
    // 2026-04-01 01:00 in China: an April demand, though March in UTC.
    demand(D4, O3, 'CT 更新', new Date('2026-03-31T17:00:00Z'), { field: 'medical', budgetYuan: 20_000, status: 'closed', closedAs: 'expired' }),
    demand(D5, O3, '草稿需求', on('2026-04-10'), { field: 'security', status: 'draft' }),
    demand(D6, O4, '无领域需求', on('2025-12-15'), { budgetYuan: 7_000 }),
    demand(D7, O2, '课桌椅', on('2025-05-01'), { field: 'education', status: 'closed', closedAs: 'cancelled' }),
  ] as never[]);

  const by = { id: 'u1', name: '测试', role: 'organizer' };
  const step = (status: string, day: string, extra: object = {}) => ({ status, action: status, from: null, by, at: on(day), source: 'platform', ...extra });
  const followUp = (demandId: Types.ObjectId, vendorId: Types.ObjectId, buyerOrg: Types.ObjectId, steps: Array<Record<string, unknown>>, extra: object = {}) => ({
    demand: demandId, vendor: vendorId, buyerOrg, status: steps[steps.length - 1].status, steps,
    createdAt: steps[0].at, updatedAt: steps[steps.length - 1].at, ...extra,
  });
  await FollowUp.collection.insertMany([
    followUp(D1, V1, O1, [step('contacted', '2026-01-12'), step('intent', '2026-02-01'), step('signed', '2026-03-20', { amountYuan: 80_000, source: 'event', event: E1, meeting: SIGNED_MEETING })], { amountYuan: 80_000 }),
    followUp(D1, V2, O1, [step('contacted', '2026-01-15'), step('declined', '2026-01-20', { reason: '价格' })], { declineReason: '价格' }),
    followUp(D3, V1, O2, [step('intent', '2026-03-06')]),
    followUp(D3, V2, O2, [step('declined', '2026-03-07', { reason: '不符' })]),
    followUp(D4, V3, O3, [step('contacted', '2026-04-02'), step('signed', '2026-04-20')]),
    followUp(D2, V4, O1, [step('contacted', '2026-02-25'), step('declined', '2026-03-01'), { ...step('contacted', '2026-03-02'), action: 'reopen' }, step('intent', '2026-05-01')]),
  ] as never[]);

  await app.conn.collection('events').insertMany([
    { _id: E1, title: '安防专场对接会', theme: '安防', field: 'security', venue: '滨江', tables: 10, phase: 'finished', slots: [{ start: new Date('2026-03-20T01:00:00Z'), end: new Date('2026-03-20T01:30:00Z') }, { start: new Date('2026-03-20T02:00:00Z'), end: new Date('2026-03-20T02:30:00Z') }], createdAt: on('2026-02-01') },
    { _id: E2, title: '医疗设备对接会', theme: '医疗', field: 'medical', venue: '滨江', tables: 5, phase: 'registration', slots: [{ start: new Date('2026-07-01T01:00:00Z'), end: new Date('2026-07-01T01:30:00Z') }], createdAt: on('2026-06-01') },
    { _id: E3, title: '草稿对接会', theme: '综合', venue: '待定', tables: 0, phase: 'draft', slots: [], createdAt: on('2026-06-10') },
  ]);
  const P = () => new Types.ObjectId();
  await app.conn.collection('event_participants').insertMany([
    { _id: P(), event: E1, kind: 'vendor', vendor: V1, status: 'approved', checkIn: 'arrived' },
    { _id: P(), event: E1, kind: 'vendor', vendor: V2, status: 'approved', checkIn: 'no_show' },
    { _id: P(), event: E1, kind: 'vendor', vendor: V5, status: 'rejected' },
    { _id: P(), event: E1, kind: 'buyer', buyerOrg: O1, status: 'approved', checkIn: 'arrived' },
    { _id: P(), event: E1, kind: 'buyer', buyerOrg: O2, status: 'approved' },
    { _id: P(), event: E1, kind: 'buyer', buyerOrg: O4, status: 'withdrawn' },
    { _id: P(), event: E2, kind: 'vendor', vendor: V3, status: 'pending' },
    { _id: P(), event: E2, kind: 'buyer', buyerOrg: O3, status: 'approved' },
  ]);
  const meeting = (slot: number, extra: object) => ({ _id: P(), event: E1, buyer: P(), vendor: P(), vendorId: V1, buyerOrgId: O1, slot, table: slot + 1, ...extra });
  await app.conn.collection('event_meetings').insertMany([
    meeting(0, { outcome: 'held' }), meeting(1, { outcome: 'intent' }), meeting(2, { _id: SIGNED_MEETING, outcome: 'signed', demand: D1 }), meeting(3, { outcome: 'no_show' }), meeting(4, {}),
  ]);  // Written behind the app's back: the report's derived data is derived as a migration would.
  await rebuildReportAggregates(app.models);
}
