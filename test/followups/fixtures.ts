/** A small world for follow-up tests: two buyer organizations, an open demand, two vendors, their users. */
import type { FastifyInstance } from 'fastify';
import { addVendor } from '../search/fixtures.js';
import { createUser, login } from '../helper.js';

export async function followUpWorld(app: FastifyInstance) {
  const orgA = await app.models.BuyerOrg.create({ name: '杭州市滨江区某某小学', type: 'school', level: 'district', province: '浙江省', city: '杭州市', district: '滨江区' });
  const orgB = await app.models.BuyerOrg.create({ name: '浙江省某某医院', type: 'hospital', level: 'province', province: '浙江省', city: '杭州市' });
  const demand = await app.models.Demand.create({
    title: '教学楼视频监控系统更新', description: '全校 200 路摄像头更新为高清网络摄像机', field: 'security', quantity: 200, unit: '路',
    buyerOrg: orgA._id, status: 'open',
  });
  const draft = await app.models.Demand.create({ title: '草稿需求', buyerOrg: orgA._id, status: 'draft' });
  const v1 = await addVendor(app, { name: '滨江安防科技有限公司' });
  const v2 = await addVendor(app, { name: '西湖视觉技术有限公司', district: '西湖区' });
  const users = {
    vendor1: await createUser(app, 'vendor', { vendor: v1._id, name: '供应商甲' }),
    vendor2: await createUser(app, 'vendor', { vendor: v2._id, name: '供应商乙' }),
    buyerA: await createUser(app, 'buyer', { buyerOrg: orgA._id, name: '采购方甲' }),
    buyerA2: await createUser(app, 'buyer', { buyerOrg: orgA._id, name: '采购方甲二' }),
    buyerB: await createUser(app, 'buyer', { buyerOrg: orgB._id, name: '采购方乙' }),
    organizer: await createUser(app, 'organizer', { name: '主办方王主任' }),
    admin: await createUser(app, 'admin'),
  };
  const cookies = Object.fromEntries(
    await Promise.all(Object.entries(users).map(async ([k, u]) => [k, await login(app, u.email, u.password)] as const)),
  ) as Record<keyof typeof users, string>;
  return { orgA, orgB, demand, draft, v1, v2, users, cookies, demandId: String(demand._id), v1Id: String(v1._id), v2Id: String(v2._id) };
}

export type World = Awaited<ReturnType<typeof followUpWorld>>;

export function move(app: FastifyInstance, cookie: string, demandId: string, body: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: `/api/v1/demands/${demandId}/follow-ups`, headers: { cookie }, payload: body });
}
