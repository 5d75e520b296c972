/**
 * First-start data: the taxonomy always, the sample vendors, products, demands and logins unless
 * SEED_SAMPLE_DATA=false. Every write is an insert-if-missing keyed by a natural key, so running it on
 * every start (or from several instances at once) never duplicates and never overwrites later edits.
 */
import fs from 'node:fs';
import type { AnyBulkWriteOperation } from 'mongoose';
import { markProducts } from '../search/index.js';
import { refreshPublishedCounts } from '../suppliers/index.js';
import type { Models } from '../infra/models.js';
import { hashPassword } from '../accounts/index.js';
import { fieldOfCategory, taxonomy } from '../taxonomy/index.js';
import type { Role } from '../accounts/index.js';
import { seedSampleEvent } from '../events/index.js';
import { seedSampleVisits } from '../visits/index.js';
import { createBuyerService, type BuyerInput } from '../buyers/index.js';

interface SeedVendor {
  name: string; creditCode: string; province: string; city?: string; district?: string; address?: string;
  fields: string[]; certifications: string[]; contact?: { name: string; phone: string; email: string };
  description?: string; website?: string;
}
interface SeedProduct {
  vendorCreditCode: string; name: string; model: string; category: string; description?: string;
  certifications?: string[]; energyGrade?: number; priceMin?: number; priceMax?: number;
  capacityPerMonth?: number; leadTimeDays?: number; specs?: Array<{ key: string; value: string }>;
}
interface SeedDemand {
  title: string; description: string; field?: string; category?: string; quantity?: number; unit?: string;
  budgetYuan?: number; requiredCertifications?: string[]; preferredCertifications?: string[]; deadline?: string;
  buyer: { name: string; type: string; level: string; province: string; city?: string; district?: string };
}

export interface SampleLogin { role: Role; email: string; password: string; name: string }

export const sampleLogins: SampleLogin[] = [
  { role: 'admin', email: 'admin@example.com', password: 'admin2026', name: '平台管理员' },
  { role: 'organizer', email: 'organizer@example.com', password: 'organizer2026', name: '区经信局 王主任' },
  { role: 'vendor', email: 'vendor@example.com', password: 'vendor2026', name: '供应商 李经理' },
  { role: 'buyer', email: 'buyer@example.com', password: 'buyer2026', name: '采购方 陈老师' },
  { role: 'leader', email: 'leader@example.com', password: 'leader2026', name: '区领导 赵局长' },
];

function readSeed<T>(name: string): T {
  return JSON.parse(fs.readFileSync(new URL(`../../seeds/sample/${name}`, import.meta.url), 'utf8')) as T;
}

async function insertMissing<T>(model: { bulkWrite(ops: AnyBulkWriteOperation<T>[], opts: object): Promise<unknown> }, ops: AnyBulkWriteOperation<T>[]) {
  if (!ops.length) return;
  try {
    await model.bulkWrite(ops, { ordered: false });
  } catch (err) {
    // Another instance seeding at the same moment inserted the same keys first: that is the goal anyway.
    const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors ?? [];
    if (!writeErrors.length || writeErrors.some((e) => (e.code ?? e.err?.code) !== 11000)) throw err;
  }
}

export async function seedTaxonomy(models: Models): Promise<void> {
  const docs = [
    { _id: 'fields', value: taxonomy.fields },
    { _id: 'certifications', value: taxonomy.certifications },
    { _id: 'regions', value: taxonomy.regions },
  ];
  // The taxonomy file is the source of truth for codes, so it is refreshed rather than only inserted.
  await models.Taxonomy.bulkWrite(docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { value: d.value } }, upsert: true } })));
}

export async function seedSampleData(models: Models): Promise<{ logins: SampleLogin[] }> {
  const { Vendor, Product, Demand, User } = models;
  const vendors = readSeed<SeedVendor[]>('vendors.json');
  const products = readSeed<SeedProduct[]>('products.json');
  const demands = readSeed<SeedDemand[]>('demands.json');

  // Confirmation dates spread over the past months, so a few sample vendors show as stale or hidden.
  const now = Date.now();
  const confirmedAt = (i: number) => new Date(now - (i % 25 === 24 ? 140 : i % 12 === 11 ? 100 : (i * 7) % 80) * 86_400_000);
  await insertMissing(Vendor, vendors.map((v, i) => ({
    updateOne: {
      filter: { creditCode: v.creditCode },
      update: { $setOnInsert: { ...v, status: 'approved', confirmedAt: confirmedAt(i) } },
      upsert: true,
    },
  })));
  const vendorIds = new Map((await Vendor.find({}, { creditCode: 1 }).lean()).map((v) => [v.creditCode, v._id]));

  await insertMissing(Product, products.filter((p) => vendorIds.has(p.vendorCreditCode)).map((p) => ({
    updateOne: {
      filter: { vendorCreditCode: p.vendorCreditCode, model: p.model },
      update: { $setOnInsert: { ...p, vendor: vendorIds.get(p.vendorCreditCode), field: fieldOfCategory(p.category), status: 'published' } },
      upsert: true,
    },
  })));
  // 统计报表's per-vendor published counts follow every product write; this is one (the sample may grow).
  await refreshPublishedCounts(models, [...vendorIds.values()]);

  const buyers = new Map(demands.map((d) => [d.buyer.name, d.buyer]));
  const orgIds = await createBuyerService({ models }).upsertMany([...buyers.values()] as BuyerInput[]);
  await insertMissing(Demand, demands.map(({ buyer, deadline, ...d }) => ({
    updateOne: {
      filter: { buyerOrg: orgIds.get(buyer.name), title: d.title },
      update: { $setOnInsert: { ...d, field: d.field ?? (d.category ? fieldOfCategory(d.category) : undefined), deadline: deadline ? new Date(deadline) : undefined, status: 'open' } },
      upsert: true,
    },
  })));

  // One login per role; the vendor works for the first Binjiang company, the buyer for the first district buyer.
  const vendorOrg = vendors.find((v) => v.district === '滨江区') ?? vendors[0];
  const buyerOrg = demands.find((d) => d.buyer.level === 'district')?.buyer ?? demands[0].buyer;
  const orgOf: Partial<Record<Role, object>> = {
    vendor: { vendor: vendorIds.get(vendorOrg.creditCode) },
    buyer: { buyerOrg: orgIds.get(buyerOrg.name) },
  };
  const missing = [];
  for (const login of sampleLogins) {
    if (!(await User.exists({ email: login.email }))) missing.push(login);
  }
  await insertMissing(User, await Promise.all(missing.map(async (login) => ({
    updateOne: {
      filter: { email: login.email },
      update: { $setOnInsert: { email: login.email, name: login.name, role: login.role, passwordHash: await hashPassword(login.password), ...orgOf[login.role] } },
      upsert: true,
    },
  }))));
  // Everything published goes to search through the outbox, like any other write.
  await markProducts(models, (await Product.find({}, { _id: 1 }).lean()).map((p) => p._id));
  return { logins: sampleLogins };
}

/**
 * First start: the taxonomy and (unless turned off) the sample data. Each sample step inserts only what is
 * missing, so a first start cut off half-way completes on the next; once complete it is never re-run.
 * Returns the sample logins while they still exist, for the start banner.
 */
export async function seed(models: Models, sample: boolean): Promise<{ logins: SampleLogin[] }> {
  await seedTaxonomy(models);
  if (!sample) return { logins: [] };
  if (!(await models.SeedRun.exists({ _id: 'sample' }))) {
    await seedSampleData(models);
    await models.SeedRun.updateOne({ _id: 'sample' }, { $set: { completedAt: new Date() } }, { upsert: true });
  }
  // Added after the first sample data shipped: its own marker, so existing installations get it once too.
  if (!(await models.SeedRun.exists({ _id: 'sample-event' }))) {
    await seedSampleEvent(models, new Date(), {
      vendorCreditCodes: readSeed<SeedVendor[]>('vendors.json').map((v) => v.creditCode),
      buyerNames: readSeed<SeedDemand[]>('demands.json').map((d) => d.buyer.name),
    });
    await models.SeedRun.updateOne({ _id: 'sample-event' }, { $set: { completedAt: new Date() } }, { upsert: true });
  }
  // The sample 企业调研 and 现场考察, likewise added later under their own marker.
  if (!(await models.SeedRun.exists({ _id: 'sample-visits' }))) {
    await seedSampleVisits(models, new Date(), {
      vendorCreditCodes: readSeed<SeedVendor[]>('vendors.json').map((v) => v.creditCode),
      buyerNames: readSeed<SeedDemand[]>('demands.json').map((d) => d.buyer.name),
    });
    await models.SeedRun.updateOne({ _id: 'sample-visits' }, { $set: { completedAt: new Date() } }, { upsert: true });
  }
  const existing = new Set((await models.User.find({ email: { $in: sampleLogins.map((l) => l.email) } }, { email: 1 }).lean()).map((u) => u.email));
  return { logins: sampleLogins.filter((l) => existing.has(l.email)) };
}
