/**
 * The sample 企业调研 and 现场考察 of a first start, beside the sample 安防专场: a survey of three Binjiang
 * security companies (the sample vendor login's among them) and a site visit to a hospital, a community
 * health centre and a school where sample vendors' equipment runs, both open for registration, with
 * sample buyers registered (some approved, with their check-in codes, the sample buyer login's among them).
 * Keyed by fixed ids and the registrations' unique index, so it is inserted once however many instances
 * start together; only sample companies take part.
 */
import { Types } from 'mongoose';
import type { Models } from '../infra/models.js';
import { createBuyerService } from '../buyers/index.js';
import { newCheckInCode } from '../events/index.js';
import { checkRoute, parseHhmm } from './route.js';

export const SAMPLE_SURVEY_ID = new Types.ObjectId('65a000000000000000000b01');
export const SAMPLE_SITE_ID = new Types.ObjectId('65a000000000000000000b02');
const DAY = 86_400_000;
const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000 || Boolean((err as { writeErrors?: unknown[] }).writeErrors?.length);

interface SampleStop { creditCode: string; place?: string; address: string; start: string; end: string; travelMinutes?: number; shows: string }
interface SampleVisit {
  _id: Types.ObjectId; kind: 'survey' | 'site'; title: string; inDays: number; field: string; capacity: number;
  meetingPoint: string; description: string; stops: SampleStop[];
  /** Sample buyers (by name) registered, approved or waiting. */
  registrations: Array<{ buyer: string; approved: boolean; people: number; officials?: string; contactName: string }>;
}

export const sampleVisits: SampleVisit[] = [
  {
    _id: SAMPLE_SURVEY_ID, kind: 'survey', title: '滨江区安防企业调研：视频监控与存储', inDays: 10, field: 'security', capacity: 12,
    meetingPoint: '滨江区政府东门（江汉路 1515 号），8:45 集合乘车',
    description: '区经信局带队，陪同公安、视频资源运营等采购单位走访三家滨江安防企业，看产线、展厅和已交付项目，了解视频监控前端更新和存储扩容的可选方案与交付能力。',
    stops: [
      { creditCode: '91330108MA2BAT5T3J', address: '浙江省杭州市滨江区西兴街道物联网街 388 号 3 幢', start: '09:30', end: '10:30', shows: '视频监控前端设备产线与出厂检测' },
      { creditCode: '913301087583996335', address: '浙江省杭州市滨江区长河街道江南大道 3588 号 12 层', start: '11:00', end: '12:00', shows: '卡口球机与视频结构化分析演示' },
      { creditCode: '91330108MA2H5NC290', address: '浙江省杭州市滨江区长河街道聚才路 500 号 4 幢', start: '14:00', end: '15:00', shows: '视频图像云存储机房与扩容方案' },
    ],
    registrations: [
      { buyer: '杭州市公安局滨江区分局', approved: true, people: 3, officials: '区经信局 王主任', contactName: '周警官' },
      { buyer: '杭州市公共视频资源运营中心', approved: false, people: 2, contactName: '孙工' },
    ],
  },
  {
    _id: SAMPLE_SITE_ID, kind: 'site', title: '医院与校园设备更新现场考察', inDays: 17, field: 'medical', capacity: 15,
    meetingPoint: '杭州市江澜医院门诊楼大厅，8:50 集合',
    description: '到滨江区内已投用供应商设备的医院、社区卫生服务中心和学校，看设备实际运行情况，听使用单位讲运维体会，供计划更新同类设备的采购单位参考。',
    stops: [
      { creditCode: '91330108MA2AN4PEX8', place: '杭州市江澜医院影像科', address: '杭州市江澜医院门诊楼二楼影像科', start: '09:00', end: '10:00', shows: 'DR 与彩超设备运行情况、影像调阅与运维记录' },
      { creditCode: '913301086691110522', place: '浦沿街道社区卫生服务中心', address: '浙江省杭州市滨江区浦沿街道社区卫生服务中心', start: '10:40', end: '11:30', travelMinutes: 40, shows: '融合通信对讲与安防消防联动系统' },
      { creditCode: '91330108630619713H', place: '滨江区一所小学的智慧教室', address: '滨江区浦沿街道（集合后统一前往）', start: '14:00', end: '15:00', shows: '智慧教室设备与午休躺睡课桌椅使用情况' },
    ],
    registrations: [
      { buyer: '杭州市滨江区教育局', approved: true, people: 2, contactName: '陈老师' },
      { buyer: '浙江省卫生健康信息中心', approved: true, people: 2, contactName: '吴主任' },
      { buyer: '杭州市滨江区疾病预防控制中心', approved: false, people: 1, contactName: '郑科长' },
    ],
  },
];

async function ignoreDuplicates(write: Promise<unknown>) {
  try {
    await write;
  } catch (err) {
    if (!isDuplicate(err)) throw err;
  }
}

/** China-time date (YYYY-MM-DD) `days` after `now`. */
const dayAfter = (now: Date, days: number) => new Date(now.getTime() + days * DAY + 8 * 3_600_000).toISOString().slice(0, 10);
const instant = (date: string, minutes: number) => new Date(Date.parse(`${date}T00:00:00+08:00`) + minutes * 60_000);

export async function seedSampleVisits(models: Models, now: Date, sample: { vendorCreditCodes: string[]; buyerNames: string[] }): Promise<void> {
  const { Visit, VisitRegistration, Vendor, Demand } = models;
  const buyers = createBuyerService({ models });
  const actor = { id: 'seed', name: '示例数据', role: 'system' };
  for (const v of sampleVisits) {
    if (await Visit.exists({ _id: v._id })) continue;
    const codes = v.stops.map((s) => s.creditCode).filter((c) => sample.vendorCreditCodes.includes(c));
    const vendors = new Map((await Vendor.find({ creditCode: { $in: codes }, status: 'approved' }, { name: 1, creditCode: 1 }).lean()).map((x) => [x.creditCode, x]));
    const stops = v.stops.filter((s) => vendors.has(s.creditCode)).map((s) => ({
      vendor: vendors.get(s.creditCode)!._id, vendorName: vendors.get(s.creditCode)!.name, place: s.place ?? '', address: s.address,
      start: parseHhmm(s.start)!, end: parseHhmm(s.end)!, ...(s.travelMinutes ? { travelMinutes: s.travelMinutes } : {}), shows: s.shows,
    }));
    if (!stops.length || checkRoute(stops.map((s) => ({ name: s.vendorName, ...s }))).length) continue;
    const orgs = await buyers.byNames(v.registrations.map((r) => r.buyer).filter((name) => sample.buyerNames.includes(name)));
    const regs = v.registrations.flatMap((r) => {
      const org = orgs.find((o) => o.name === r.buyer);
      return org ? [{ ...r, org }] : [];
    });
    const approved = regs.filter((r) => r.approved).length;
    const date = dayAfter(now, v.inDays);
    await ignoreDuplicates(Visit.create({
      _id: v._id, kind: v.kind, title: v.title, date, field: v.field, description: v.description, meetingPoint: v.meetingPoint,
      capacity: Math.max(v.capacity, approved), approved, phase: 'registration', stops,
      startsAt: instant(date, Math.min(...stops.map((s) => s.start))), endsAt: instant(date, Math.max(...stops.map((s) => s.end))),
      registrationDeadline: new Date(now.getTime() + (v.inDays - 3) * DAY),
      createdBy: actor, log: [{ action: 'create', to: 'registration', by: actor, at: now, text: '示例数据' }],
    }));
    const registrations = [];
    for (const r of regs) {
      const demands = await Demand.find({ buyerOrg: r.org._id, status: 'open' }, { _id: 1 }).sort({ title: 1 }).limit(3).lean();
      registrations.push({
        visit: v._id, buyerOrg: r.org._id, name: r.org.name, demands: demands.map((d) => d._id), people: r.people, officials: r.officials ?? '',
        contactName: r.contactName, status: r.approved ? 'approved' : 'pending', ...(r.approved ? { checkInCode: newCheckInCode() } : {}), registeredBy: actor,
      });
    }
    if (registrations.length) await ignoreDuplicates(VisitRegistration.insertMany(registrations, { ordered: false }));
  }
}
