/** Shared steps for the event page tests: approved vendors, buyer organizations with demands, an event from the form. */
import type { FastifyInstance } from 'fastify';
import { approvedVendor, postForm } from '../suppliers/pages-support.js';
import { orgOf, session } from '../demands/support.js';

export async function vendorWithUser(app: FastifyInstance, name: string, serial: number) {
  const vendor = (await app.models.Vendor.create(approvedVendor(name, serial))).toObject();
  const user = await session(app, 'vendor', { vendor: vendor._id, name: `${name}联系人` });
  return { vendor, user };
}

export async function buyerWithUser(app: FastifyInstance, name: string, level: 'province' | 'city' | 'district', demandTitles: string[]) {
  const org = (await orgOf(app, { name, type: 'agency', level, province: '浙江省', city: '杭州市', district: level === 'district' ? '滨江区' : undefined }))!;
  const user = await session(app, 'buyer', { buyerOrg: org._id, name: `${name}采购员` });
  const demands: string[] = [];
  for (const title of demandTitles) {
    const res = await app.inject({
      method: 'POST', url: '/api/v1/demands', headers: { cookie: user.cookie },
      payload: { title, description: `${title}，需要高清网络摄像机和录像存储。`, category: 'video-surveillance', quantity: 100, unit: '路', status: 'open' },
    });
    if (res.statusCode !== 201) throw new Error(`demand: ${res.statusCode} ${res.body}`);
    demands.push(res.json().id as string);
  }
  return { org, user, demands };
}

export const eventForm = (extra: Record<string, string> = {}) => ({
  title: '滨江区设备更新供需对接会（安防专场）', theme: '安防专场', field: 'security', venue: '滨江区会展中心 2 号厅', tables: '3',
  date: '2099-03-18', startTime: '09:00', slotMinutes: '20', slotCount: '6', breaks: '10:00-10:15',
  registrationDeadline: '', preferenceDeadline: '', ...extra,
});

/** Creates an event through the organizer's form; returns its id. */
export async function createEventFromForm(app: FastifyInstance, cookie: string, extra: Record<string, string> = {}) {
  const res = await postForm(app, '/organizer/events/new', cookie, eventForm(extra));
  if (res.statusCode !== 303) throw new Error(`create event: ${res.statusCode} ${res.body.slice(0, 500)}`);
  return /\/organizer\/events\/([0-9a-f]{24})$/.exec(res.headers.location as string)![1];
}
