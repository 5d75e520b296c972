/**
 * What Meilisearch holds for a product: a document shaped for search (names, segments, pinyin, facets,
 * freshness), not a copy of the database row. Pure apart from the segmenter, which is deterministic.
 */
import { createHash } from 'node:crypto';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { pinyin } from 'pinyin-pro';
import { effectiveCertifications, type Freshness } from '../suppliers/index.js';
import { fieldName, taxonomy } from '../taxonomy/index.js';
import { jiebaWords } from './vocabulary.js';

const jieba = Jieba.withDict(dict);
// A high frequency makes jieba keep the domain compound whole; cutForSearch still adds its parts.
jieba.loadDict(Buffer.from(jiebaWords.map((w) => `${w} 50000 n`).join('\n')));

const categoryNames = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));
export const categoryName = (code: string) => categoryNames.get(code) ?? code;

export interface ProductLike {
  _id: unknown;
  vendor: unknown;
  name: string;
  model: string;
  category: string;
  field: string;
  description?: string | null;
  certifications?: string[] | null;
  energyGrade?: number | null;
  priceMin?: number | null;
  priceMax?: number | null;
  capacityPerMonth?: number | null;
  leadTimeDays?: number | null;
  images?: ReadonlyArray<{ fileId: unknown }> | null;
  createdAt?: Date | null;
  status: string;
}

export interface VendorLike {
  _id: unknown;
  name: string;
  creditCode: string;
  province: string;
  city?: string | null;
  district?: string | null;
  fields?: string[] | null;
  certifications?: string[] | null;
  qualifications?: ReadonlyArray<{ certification: string; validFrom?: Date | null; expiresAt?: Date | null }> | null;
  status: string;
  confirmedAt?: Date | null;
  freshness?: Freshness | null;
}

export interface ProductDocument {
  id: string;
  name: string;
  model: string;
  description: string;
  category: string;
  categoryName: string;
  field: string;
  fieldName: string;
  certifications: string[];
  badges: string[];
  vendorId: string;
  vendorName: string;
  vendorCreditCode: string;
  province: string;
  city: string | null;
  district: string | null;
  priceMin: number | null;
  priceMax: number | null;
  energyGrade: number | null;
  capacityPerMonth: number | null;
  leadTimeDays: number | null;
  /** The lowest price known (priceMin, else priceMax), for the price sort; absent without a price, so those sort last. */
  priceKey?: number;
  /** 3 滨江区, 2 the rest of 杭州市, 1 the rest of 浙江省, 0 elsewhere: the locality sort, as matching ranks it. */
  localityTier: number;
  /** When the product was first listed (ms), for the newest sort. */
  listedAt: number | null;
  /** The first product image (GridFS id, served at /files/:id), or null: the card then shows its field's icon. */
  image: string | null;
  vendorFields: string[];
  confirmedAt: number | null;
  freshness: Freshness;
  freshRank: number;
  searchable: boolean;
  segments: string;
  namePinyin: string;
  nameInitials: string;
  vendorPinyin: string;
  vendorInitials: string;
  /** Digest of everything above: check-index compares it with MongoDB's current state. */
  hash: string;
}

/** A published product of an approved vendor whose listings have not left search (pure). */
export function isSearchable(product: Pick<ProductLike, 'status'>, vendor: Pick<VendorLike, 'status' | 'freshness'> | null | undefined): boolean {
  return product.status === 'published' && !!vendor && vendor.status === 'approved' && vendor.freshness !== 'hidden';
}

const wordLike = /[\p{L}\p{N}]/u;

/** jieba search-mode segments: each word and the sub-words inside it (安装简单 → 安装 简单 安装简单). */
export function segment(text: string): string[] {
  const seen = new Set<string>();
  for (const token of jieba.cutForSearch(text, true)) {
    const t = token.trim();
    if (t && wordLike.test(t)) seen.add(t);
  }
  return [...seen];
}

/** Badges the directory shows, from the certification codes in seeds/taxonomy.json. */
export function badgesOf(certifications: readonly string[]): string[] {
  const badges: string[] = [];
  if (certifications.some((c) => c.startsWith('first-set-'))) badges.push('首台套');
  if (certifications.includes('zhejiang-made')) badges.push('品字标');
  if (certifications.includes('specialized-new') || certifications.includes('little-giant')) badges.push('专精特新');
  return badges;
}

const hasHan = /\p{Script=Han}/u;

/**
 * Pinyin keys of a name, from each word boundary on, so that prefix search finds 海康威视 from `haikang`,
 * `hkws` or `weishi` even when the name starts with 杭州: full pinyin and initials, space separated.
 */
export function pinyinKeys(name: string): { full: string; initials: string } {
  const words = jieba.cut(name, false).filter((w) => hasHan.test(w));
  if (!words.length) return { full: '', initials: '' };
  const full = words.map((w) => pinyin(w, { toneType: 'none', type: 'array', nonZh: 'removed', v: true }).join(''));
  const initials = words.map((w) => pinyin(w, { pattern: 'first', toneType: 'none', type: 'array', nonZh: 'removed' }).join(''));
  const suffixes = (parts: string[], max: number) =>
    [...new Set(parts.map((_, i) => parts.slice(i).join('').slice(0, max)).filter((s) => s.length > 1))].join(' ');
  return { full: suffixes(full, 60), initials: suffixes(initials, 24) };
}

const ms = (d: Date | null | undefined) => (d ? new Date(d).getTime() : null);

/** The district the platform serves, and its city and province: the locality tiers (pure). */
export const HOME_REGION = { province: '浙江省', city: '杭州市', district: '滨江区' } as const;
export function localityTier(v: { province?: string | null; city?: string | null; district?: string | null }): number {
  if (v.province !== HOME_REGION.province) return 0;
  if (v.city !== HOME_REGION.city) return 1;
  return v.district === HOME_REGION.district ? 3 : 2;
}
export const localityTierNames = ['省外', '浙江省', '杭州市', '滨江区'] as const;

export function buildDocument(product: ProductLike, vendor: VendorLike, now: Date): ProductDocument {
  const vendorCerts = effectiveCertifications(vendor.certifications ?? [], vendor.qualifications ?? [], now);
  const certifications = [...new Set([...(product.certifications ?? []), ...vendorCerts])].sort();
  const freshness: Freshness = vendor.freshness ?? 'current';
  const catName = categoryName(product.category);
  const namePy = pinyinKeys(product.name);
  const vendorPy = vendorPinyinKeys(vendor.name);
  const priceKey = product.priceMin ?? product.priceMax ?? null;
  const doc: Omit<ProductDocument, 'hash'> = {
    id: String(product._id),
    name: product.name,
    model: product.model,
    description: product.description ?? '',
    category: product.category,
    categoryName: catName,
    field: product.field,
    fieldName: fieldName(product.field),
    certifications,
    badges: badgesOf(certifications),
    vendorId: String(vendor._id),
    vendorName: vendor.name,
    vendorCreditCode: vendor.creditCode,
    province: vendor.province,
    city: vendor.city ?? null,
    district: vendor.district ?? null,
    priceMin: product.priceMin ?? null,
    priceMax: product.priceMax ?? null,
    energyGrade: product.energyGrade ?? null,
    capacityPerMonth: product.capacityPerMonth ?? null,
    leadTimeDays: product.leadTimeDays ?? null,
    ...(priceKey === null ? {} : { priceKey }),
    localityTier: localityTier(vendor),
    listedAt: ms(product.createdAt),
    image: product.images?.length ? String(product.images[0].fileId) : null,
    vendorFields: [...(vendor.fields ?? [])],
    confirmedAt: ms(vendor.confirmedAt),
    freshness,
    freshRank: freshness === 'current' ? 1 : 0,
    searchable: isSearchable(product, vendor),
    segments: segment([product.name, product.description ?? '', catName, vendor.name].join(' ')).join(' '),
    namePinyin: namePy.full,
    nameInitials: namePy.initials,
    vendorPinyin: vendorPy.full,
    vendorInitials: vendorPy.initials,
  };
  return { ...doc, hash: documentHash(doc) };
}

// A vendor's name recurs in every one of its products' documents: its pinyin (the costly part of a
// document) is computed once per name. A pure-function cache, bounded; it holds no request state.
const vendorPinyinCache = new Map<string, { full: string; initials: string }>();
function vendorPinyinKeys(name: string): { full: string; initials: string } {
  let keys = vendorPinyinCache.get(name);
  if (!keys) {
    if (vendorPinyinCache.size >= 10_000) vendorPinyinCache.clear();
    keys = pinyinKeys(name);
    vendorPinyinCache.set(name, keys);
  }
  return keys;
}

export function documentHash(doc: Omit<ProductDocument, 'hash'> | ProductDocument): string {
  const { hash: _ignored, ...rest } = doc as ProductDocument;
  void _ignored;
  return createHash('sha1').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}
