/** Shared steps for the demand tests: buyer organizations, users of each role, demand payloads. */
import type { FastifyInstance } from 'fastify';
import { createUser, login } from '../helper.js';

export const binjiangBureau = { name: '杭州市滨江区教育局', type: 'agency', level: 'district', province: '浙江省', city: '杭州市', district: '滨江区' } as const;

export async function orgOf(app: FastifyInstance, buyer: Record<string, unknown>) {
  return app.models.BuyerOrg.findOneAndUpdate({ name: buyer.name }, { $setOnInsert: buyer }, { upsert: true, new: true }).lean();
}

/** A logged-in user of the role; buyers belong to the given organization. */
export async function session(app: FastifyInstance, role: 'admin' | 'organizer' | 'vendor' | 'buyer', extra: Record<string, unknown> = {}) {
  const user = await createUser(app, role, extra);
  const cookie = await login(app, user.email, user.password);
  return { ...user, cookie };
}

export const demandBody = (extra: Record<string, unknown> = {}) => ({
  title: '中小学午休课桌椅更新采购',
  description: '全区 20 所中小学，座椅能放倒躺睡，暑假里装好。',
  category: 'school-furniture',
  quantity: 3000,
  unit: '套',
  budgetYuan: 7_500_000,
  requiredCertifications: ['iso9001'],
  preferredCertifications: ['zhejiang-made'],
  deadline: '2099-06-30',
  ...extra,
});

export function api(app: FastifyInstance, cookie: string) {
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: { cookie }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload: unknown = {}) => call('POST', url, payload),
    put: (url: string, payload: unknown) => call('PUT', url, payload),
  };
}
