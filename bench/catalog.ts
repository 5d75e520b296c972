/**
 * A synthetic but realistic catalog for benchmarks: vendors spread over Zhejiang like the sample data,
 * products cloned from the sample products with new models, prices and capacities. Deterministic for a
 * given seed, so runs compare like with like.
 */
import fs from 'node:fs';
import { repoPath } from './repo.js';
import { creditCodeCheckChar } from '../src/suppliers/credit-code.js';
import { taxonomy } from '../src/taxonomy/index.js';
import { seededRandom } from '../src/infra/seeded-random.js';

interface SampleProduct { vendorCreditCode: string; name: string; model: string; category: string; description?: string; certifications?: string[]; specs?: unknown[]; priceMin?: number; priceMax?: number; capacityPerMonth?: number; leadTimeDays?: number; energyGrade?: number }
interface SampleVendor { name: string; creditCode: string; province: string; city?: string; district?: string; fields: string[]; certifications: string[]; description?: string; contact?: object; address?: string }

const read = <T>(name: string): T => JSON.parse(fs.readFileSync(repoPath('seeds/sample', name), 'utf8')) as T;


const CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export function syntheticCreditCode(n: number): string {
  let body = '';
  for (let i = 0, x = n; i < 8; i++, x = Math.floor(x / 31)) body = CHARS[x % 31] + body;
  const prefix = `913301${'08'}B${body}`; // 1 + 1 + 6 + 1 + 8 = 17 characters
  return prefix + creditCodeCheckChar(prefix);
}

export function generateCatalog(productCount: number, options: { seed?: number; vendorCount?: number } = {}) {
  const rand = seededRandom(options.seed ?? 2026);
  const sampleVendors = read<SampleVendor[]>('vendors.json');
  const sampleProducts = read<SampleProduct[]>('products.json');
  const vendorCount = options.vendorCount ?? Math.max(20, Math.round(productCount / 50));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const { hangzhouDistricts, zhejiangCities } = taxonomy.regions;

  const vendors = Array.from({ length: vendorCount }, (_, i) => {
    const template = sampleVendors[i % sampleVendors.length];
    const where = rand();
    const city = where < 0.75 ? '杭州市' : pick(zhejiangCities.filter((c) => c !== '杭州市'));
    const district = where < 0.45 ? '滨江区' : city === '杭州市' ? pick(hangzhouDistricts) : undefined;
    return {
      ...template,
      name: template.name.replace('有限公司', `${i + 1}号有限公司`),
      creditCode: syntheticCreditCode(i + 1),
      city,
      district,
    };
  });
  const products = Array.from({ length: productCount }, (_, i) => {
    const template = sampleProducts[i % sampleProducts.length];
    const vendor = vendors[Math.floor(rand() * vendors.length)];
    const scale = 0.7 + rand() * 0.8;
    const priceMin = template.priceMin !== undefined ? Math.round(template.priceMin * scale) : undefined;
    const priceMax = template.priceMax !== undefined ? Math.max(priceMin ?? 0, Math.round(template.priceMax * scale)) : undefined;
    return {
      ...template,
      vendorCreditCode: vendor.creditCode,
      model: `${template.model}-${(i + 1).toString(36).toUpperCase()}`,
      priceMin,
      priceMax,
      capacityPerMonth: template.capacityPerMonth !== undefined ? Math.round(template.capacityPerMonth * scale) : undefined,
    };
  });
  return { vendors, products };
}
