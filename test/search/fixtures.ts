/** Small, readable search fixtures: vendors and products written straight to MongoDB, then marked for sync. */
import type { FastifyInstance } from 'fastify';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { fieldOfCategory } from '../../src/taxonomy/index.js';
import { markProducts } from '../../src/search/outbox.js';

let serial = 0;
/** A valid 统一社会信用代码 (GB 32100 checksum), unique within the process. */
export function creditCode(): string {
  serial += 1;
  const first17 = `91330108MA${String(process.pid % 10000).padStart(4, '0')}${String(serial).padStart(3, '0')}`;
  return first17 + creditCodeCheckChar(first17);
}

export interface VendorFixture {
  name: string;
  province?: string;
  city?: string;
  district?: string;
  status?: string;
  freshness?: 'current' | 'stale' | 'hidden';
  confirmedDaysAgo?: number;
  certifications?: string[];
  qualifications?: Array<{ certification: string; expiresAt?: Date }>;
}

export async function addVendor(app: FastifyInstance, v: VendorFixture) {
  const vendor = await app.models.Vendor.create({
    name: v.name,
    creditCode: creditCode(),
    province: v.province ?? '浙江省',
    city: v.city ?? '杭州市',
    district: v.district ?? '滨江区',
    fields: ['security'],
    certifications: v.certifications ?? [],
    qualifications: v.qualifications ?? [],
    status: v.status ?? 'approved',
    freshness: v.freshness ?? 'current',
    confirmedAt: new Date(Date.now() - (v.confirmedDaysAgo ?? 1) * 86_400_000),
  });
  return vendor;
}

export interface ProductFixture {
  name: string;
  model: string;
  category: string;
  description?: string;
  status?: string;
  certifications?: string[];
  priceMin?: number;
  priceMax?: number;
  capacityPerMonth?: number;
  leadTimeDays?: number;
  specs?: Array<{ key: string; value: string }>;
}

export async function addProduct(app: FastifyInstance, vendor: { _id: unknown; creditCode: string }, p: ProductFixture) {
  const product = await app.models.Product.create({
    ...p,
    vendor: vendor._id,
    vendorCreditCode: vendor.creditCode,
    field: fieldOfCategory(p.category),
    status: p.status ?? 'published',
  });
  await markProducts(app.models, [product._id]);
  return product;
}

export async function searchApi(app: FastifyInstance, query: Record<string, string | number>) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  const res = await app.inject({ method: 'GET', url: `/api/v1/search?${qs}` });
  if (res.statusCode !== 200) throw new Error(`search ${qs}: ${res.statusCode} ${res.body}`);
  return res.json() as {
    total: number; page: number; pageSize: number;
    hits: Array<{ productId: string; name: string; model: string; freshness: string; badges: string[]; certifications: string[]; vendor: { id: string; name: string }; highlight: { name: string; description: string } }>;
    facets: Record<string, Record<string, number>>;
  };
}
