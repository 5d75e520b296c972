import t from 'tap';
import { readFileSync } from 'node:fs';
import { isValidCreditCode } from '../../src/suppliers/credit-code.js';

interface Taxonomy {
  fields: { code: string; name: string; categories: { code: string; name: string }[] }[];
  certifications: { code: string; name: string }[];
  regions: { zhejiangCities: string[]; hangzhouDistricts: string[] };
}
interface SampleVendor {
  name: string;
  creditCode: string;
  province: string;
  city: string;
  district: string;
  address: string;
  fields: string[];
  certifications: string[];
  contact: { name: string; phone: string; email: string };
  description: string;
  website: string;
}
interface SampleProduct {
  vendorCreditCode: string;
  name: string;
  model: string;
  category: string;
  description: string;
  certifications: string[];
  energyGrade?: number;
  priceMin?: number;
  priceMax?: number;
  capacityPerMonth?: number;
  leadTimeDays?: number;
  specs: { key: string; value: string }[];
}
interface SampleDemand {
  title: string;
  description: string;
  field: string;
  category: string;
  quantity: number;
  unit: string;
  budgetYuan: number;
  requiredCertifications: string[];
  preferredCertifications: string[];
  deadline: string;
  buyer: { name: string; type: string; level: string; province: string; city?: string; district?: string };
}

const load = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;

const taxonomy = load<Taxonomy>('../../seeds/taxonomy.json');
const vendors = load<SampleVendor[]>('../../seeds/sample/vendors.json');
const products = load<SampleProduct[]>('../../seeds/sample/products.json');
const demands = load<SampleDemand[]>('../../seeds/sample/demands.json');

const fieldCodes = new Set(taxonomy.fields.map((f) => f.code));
const fieldOfCategory = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, f.code] as const)));
const certCodes = new Set(taxonomy.certifications.map((c) => c.code));
const vendorByCode = new Map(vendors.map((v) => [v.creditCode, v]));

t.test('counts', async (t) => {
  t.ok(vendors.length >= 60, `${vendors.length} vendors`);
  t.ok(products.length >= 400, `${products.length} products`);
  t.ok(demands.length >= 20, `${demands.length} demands`);
});

t.test('vendors cover every field', async (t) => {
  const covered = new Set(vendors.flatMap((v) => v.fields));
  for (const f of fieldCodes) t.ok(covered.has(f), `field ${f} has vendors`);
  for (const v of vendors) {
    t.ok(v.fields.length > 0, `${v.name} has fields`);
    for (const f of v.fields) t.ok(fieldCodes.has(f), `${v.name}: field ${f} exists`);
  }
});

t.test('locality spread', async (t) => {
  const zhejiang = vendors.filter((v) => v.province === '浙江省');
  const cities = new Set(zhejiang.map((v) => v.city));
  t.ok(cities.size >= 4, `${cities.size} Zhejiang cities`);
  for (const c of cities) t.ok(taxonomy.regions.zhejiangCities.includes(c), `${c} is a Zhejiang city`);
  const hangzhou = vendors.filter((v) => v.city === '杭州市');
  t.ok(hangzhou.length * 2 > vendors.length, `${hangzhou.length} of ${vendors.length} in 杭州市`);
  for (const v of hangzhou) t.ok(taxonomy.regions.hangzhouDistricts.includes(v.district), `${v.name}: ${v.district}`);
  // The home district holds more vendors than any other district.
  const byDistrict = new Map<string, number>();
  for (const v of vendors) byDistrict.set(v.district, (byDistrict.get(v.district) ?? 0) + 1);
  const binjiang = byDistrict.get('滨江区') ?? 0;
  for (const [d, n] of byDistrict) if (d !== '滨江区') t.ok(binjiang > n, `滨江区 (${binjiang}) > ${d} (${n})`);
  t.ok(vendors.some((v) => v.province !== '浙江省'), 'some vendors are outside Zhejiang');
});

t.test('vendor records', async (t) => {
  const seen = new Set<string>();
  for (const v of vendors) {
    t.ok(isValidCreditCode(v.creditCode), `${v.name}: ${v.creditCode} valid`);
    t.notOk(seen.has(v.creditCode), `${v.creditCode} unique`);
    seen.add(v.creditCode);
    for (const c of v.certifications) t.ok(certCodes.has(c), `${v.name}: certification ${c} exists`);
    t.match(v.contact.phone, /^1[358]\d{9}$/, `${v.name}: mobile number`);
    t.match(v.contact.email, /^[^@\s]+@[^@\s]+\.[a-z]+$/, `${v.name}: email`);
    t.ok(v.name && v.address && v.description && v.website, `${v.name}: text fields present`);
  }
  t.equal(new Set(vendors.map((v) => v.name)).size, vendors.length, 'vendor names unique');
});

t.test('products', async (t) => {
  const keys = new Set<string>();
  const perVendor = new Map<string, number>();
  for (const p of products) {
    const label = `${p.vendorCreditCode}/${p.model}`;
    const vendor = vendorByCode.get(p.vendorCreditCode);
    if (!t.ok(vendor, `${label}: vendor exists`) || !vendor) continue;
    const field = fieldOfCategory.get(p.category);
    t.ok(field, `${label}: category ${p.category} exists`);
    t.ok(field !== undefined && vendor.fields.includes(field), `${label}: ${vendor.name} works in ${field}`);
    t.notOk(keys.has(label), `${label} unique`);
    keys.add(label);
    for (const c of p.certifications) t.ok(certCodes.has(c), `${label}: certification ${c} exists`);
    if (p.energyGrade !== undefined) t.ok(Number.isInteger(p.energyGrade) && p.energyGrade >= 1 && p.energyGrade <= 5, `${label}: energy grade`);
    const { priceMin, priceMax } = p;
    if (priceMin !== undefined || priceMax !== undefined) {
      t.ok(Number.isInteger(priceMin) && Number.isInteger(priceMax) && (priceMin ?? 0) <= (priceMax ?? 0), `${label}: price range`);
    }
    t.ok(p.specs.length >= 2 && p.specs.length <= 5, `${label}: 2-5 spec rows`);
    perVendor.set(p.vendorCreditCode, (perVendor.get(p.vendorCreditCode) ?? 0) + 1);
  }
  for (const v of vendors) t.ok((perVendor.get(v.creditCode) ?? 0) >= 3, `${v.name} has at least 3 products`);
  const categories = new Set(products.map((p) => p.category));
  for (const c of fieldOfCategory.keys()) t.ok(categories.has(c), `category ${c} has products`);
});

t.test('demands', async (t) => {
  const levels = new Set<string>();
  for (const d of demands) {
    t.ok(fieldCodes.has(d.field), `${d.title}: field ${d.field} exists`);
    t.equal(fieldOfCategory.get(d.category), d.field, `${d.title}: category ${d.category} belongs to ${d.field}`);
    for (const c of [...d.requiredCertifications, ...d.preferredCertifications]) t.ok(certCodes.has(c), `${d.title}: certification ${c} exists`);
    t.ok(Number.isInteger(d.budgetYuan) && d.budgetYuan > 0, `${d.title}: budget`);
    t.ok(Number.isInteger(d.quantity) && d.quantity > 0, `${d.title}: quantity`);
    t.match(d.deadline, /^2027-\d{2}-\d{2}$/, `${d.title}: deadline`);
    t.ok(['enterprise', 'hospital', 'school', 'agency'].includes(d.buyer.type), `${d.title}: buyer type`);
    t.ok(['province', 'city', 'district'].includes(d.buyer.level), `${d.title}: buyer level`);
    t.equal(d.buyer.province, '浙江省');
    if (d.buyer.level === 'province') t.notOk(d.buyer.city, `${d.title}: province-level buyer has no city`);
    else t.ok(d.buyer.city, `${d.title}: buyer city`);
    t.equal(d.buyer.district !== undefined, d.buyer.level === 'district', `${d.title}: district only at district level`);
    levels.add(d.buyer.level);
  }
  t.same([...levels].sort(), ['city', 'district', 'province'], 'all three buyer levels are represented');
});
