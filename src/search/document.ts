/**
 * What Meilisearch holds for a product: a document shaped for search (names, segments, pinyin, facets,
 * freshness), not a copy of the database row. Pure apart from the segmenter, which is deterministic.
 */
import { createHash } from 'node:crypto';
import { effectiveCertifications, type Freshness } from '../suppliers/index.js';
import { fieldName, taxonomy } from '../taxonomy/index.js';
import { textKeys, type TextInput, type TextKeys } from './text-keys.js';

export { pinyinKeys, segment } from './text-keys.js';

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

/** Badges the directory shows, from the certification codes in seeds/taxonomy.json. */
export function badgesOf(certifications: readonly string[]): string[] {
  const badges: string[] = [];
  if (certifications.some((c) => c.startsWith('first-set-'))) badges.push('首台套');
  if (certifications.includes('zhejiang-made')) badges.push('品字标');
  if (certifications.includes('specialized-new') || certifications.includes('little-giant')) badges.push('专精特新');
  return badges;
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

/** What the costly text keys of a product's document are computed from (pure). */
export function textInput(product: ProductLike, vendor: VendorLike): TextInput {
  return { text: [product.name, product.description ?? '', categoryName(product.category), vendor.name].join(' '), name: product.name, vendorName: vendor.name };
}

/**
 * A product's search document. `keys`: its text keys computed elsewhere (a worker thread, see
 * document-builder.ts) from textInput(product, vendor); computed here when absent.
 */
export function buildDocument(product: ProductLike, vendor: VendorLike, now: Date, keys: TextKeys = textKeys(textInput(product, vendor))): ProductDocument {
  const vendorCerts = effectiveCertifications(vendor.certifications ?? [], vendor.qualifications ?? [], now);
  const certifications = [...new Set([...(product.certifications ?? []), ...vendorCerts])].sort();
  const freshness: Freshness = vendor.freshness ?? 'current';
  const catName = categoryName(product.category);
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
    ...keys,
  };
  return { ...doc, hash: documentHash(doc) };
}

export function documentHash(doc: Omit<ProductDocument, 'hash'> | ProductDocument): string {
  const { hash: _ignored, ...rest } = doc as ProductDocument;
  void _ignored;
  return createHash('sha1').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}
