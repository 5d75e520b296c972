/**
 * The read side of the directory: queries Meilisearch only (no MongoDB round trip per search), and shapes
 * the answer per docs/api.md. Highlights come back HTML-escaped with only our own markers turned into <mark>.
 */
import type { Meilisearch, SearchParams, SearchResponse } from 'meilisearch';
import { searchIndex, type MeiliReader } from '../infra/meili.js';
import { Types } from 'mongoose';
import { effectiveCertifications, searchableSince, type FreshnessPolicy } from '../suppliers/index.js';
import type { Models } from '../infra/models.js';
import type { ProductDocument } from './document.js';
import type { SearchHit, SearchQuery, SearchResult, SortKey, Suggestion, VendorCard, VendorSearchResult } from './schemas.js';
import { informativeWords, understand, type Understood, type Vocabulary } from './understand.js';

// Private-use characters: they never occur in listings, so only Meilisearch's matches carry them.
const PRE = '\uE000';
const POST = '\uE001';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;', '=': '&#61;' };

/** Escapes everything, then turns only our highlight markers into <mark> (pure). */
export function highlightHtml(text: string): string {
  const escaped = text.replace(/[&<>"'`=]/g, (c) => escapes[c]);
  let open = false;
  let out = '';
  for (const ch of escaped) {
    if (ch === PRE && !open) { out += '<mark>'; open = true; }
    else if (ch === POST && open) { out += '</mark>'; open = false; }
    else if (ch !== PRE && ch !== POST) out += ch;
  }
  return open ? `${out}</mark>` : out;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface SearchServiceOptions {
  /** Where searches run: one server, or a healthy, caught-up one of several (src/search/servers.ts). */
  meili: MeiliReader;
  indexUid: string;
  clock: () => Date;
  policy: FreshnessPolicy;
  /** The query vocabulary (src/search/query-vocabulary.ts); without it queries are searched as typed. */
  vocabulary?: () => Promise<Vocabulary>;
  /** MongoDB, for the vendor cards' details (fields, verified certifications, product count). */
  models?: Models;
}

/** Meilisearch sort per sort key; relevance is Meilisearch's own order (pure). */
export const sortFor: Record<SortKey, string[] | undefined> = {
  relevance: undefined,
  newest: ['listedAt:desc'],
  price: ['priceKey:asc'],
  locality: ['localityTier:desc'],
};

// 统一社会信用代码: 18 characters of 0-9 and the capitals GB 32100 uses (no I, O, S, V, Z).
const creditCodeShape = /^[0-9A-HJ-NPQRTUWXY]{18}$/;
/** The query as a credit code, if it is one (case and spaces forgiven), else null (pure). */
export function asCreditCode(q: string): string | null {
  const code = q.replace(/\s+/g, '').toUpperCase();
  return creditCodeShape.test(code) ? code : null;
}

/** The last page there is (at least 1), and the asked page clamped to it (pure). */
export function clampPage(page: number, total: number, pageSize: number): number {
  return Math.min(page, Math.max(1, Math.ceil(total / pageSize)));
}

/** Runs a paged search; a page past the last one runs again on the last page (the answer says which). */
async function onLastPageAtMost<R extends { totalHits?: number }>(run: (page: number) => Promise<R>, wanted: number, pageSize: number) {
  const first = await run(wanted);
  const last = clampPage(wanted, first.totalHits ?? 0, pageSize);
  return last < wanted ? { page: last, res: await run(last) } : { page: wanted, res: first };
}


/** What Meilisearch is asked for: the words as understood, filler dropped, abbreviations beside their terms (pure). */
export function searchWords(understood: Understood): string {
  const words = informativeWords(understood.text);
  return [...(words.length ? words : [understood.text]), ...understood.expansions].join(' ');
}

export type Filters = Pick<SearchQuery, 'field' | 'category' | 'province' | 'city' | 'district' | 'certification'> & { creditCode?: string };

const DAY = 86_400_000;

/** One search on the products index of the server a request reads from. */
type Search = (q: string | null, params: SearchParams) => Promise<SearchResponse<ProductDocument>>;

/**
 * The fields a product hit is built from (toHit). Not the description: a hit shows only its cropped,
 * highlighted excerpt, which `_formatted` carries because it is cropped. (Meilisearch repeats every
 * retrieved field in `_formatted`, so the whole description would travel twice, for nothing.)
 */
const HIT_ATTRIBUTES = [
  'id', 'name', 'model', 'category', 'categoryName', 'field', 'fieldName', 'vendorId', 'vendorName',
  'vendorCreditCode', 'city', 'district', 'certifications', 'badges', 'freshness', 'confirmedAt',
  'priceMin', 'priceMax', 'capacityPerMonth', 'leadTimeDays', 'localityTier', 'listedAt', 'image',
];

/**
 * What a product search asks Meilisearch for one page (pure): the filter, five facets, the hit's fields,
 * highlighting and cropping. The bench sends exactly this to Meilisearch directly, to compare like with like.
 */
export function productSearchParams(query: Pick<SearchQuery, 'pageSize' | 'sort'>, filter: string[], page: number) {
  return {
    filter,
    facets: ['field', 'category', 'city', 'district', 'certifications'],
    page,
    hitsPerPage: query.pageSize,
    ...(sortFor[query.sort] ? { sort: sortFor[query.sort] } : {}),
    attributesToRetrieve: HIT_ATTRIBUTES,
    attributesToHighlight: ['name', 'description'],
    attributesToCrop: ['description'],
    cropLength: 40,
    cropMarker: '…',
    highlightPreTag: PRE,
    highlightPostTag: POST,
  } satisfies SearchParams;
}

/** Meilisearch filter for the user's choices plus what is always true of the public list (pure). */
export function productFilter(query: Filters, now: Date, policy: FreshnessPolicy): string[] {
  const filter = [
    'searchable = true',
    'freshness != hidden',
    // Listings past the grace period leave search even before the freshness sweep has marked them.
    `confirmedAt >= ${searchableSince(now, policy).getTime()}`,
  ];
  if (query.field) filter.push(`field = ${quote(query.field)}`);
  if (query.category) filter.push(`category = ${quote(query.category)}`);
  if (query.province) filter.push(`province = ${quote(query.province)}`);
  if (query.city) filter.push(`city = ${quote(query.city)}`);
  if (query.district) filter.push(`district = ${quote(query.district)}`);
  if (query.certification) filter.push(`certifications = ${quote(query.certification)}`);
  if (query.creditCode) filter.push(`vendorCreditCode = ${quote(query.creditCode)}`);
  return filter;
}

export function createSearchService({ meili, indexUid, clock, policy, vocabulary, models }: SearchServiceOptions) {
  // Both searches of a request (a page past the last one runs again) go to the same server.
  const onIndex = <T>(fn: (search: Search) => Promise<T>) => meili.read((client: Meilisearch) => fn((q, params) => searchIndex<ProductDocument>(client, indexUid, { q, ...params })));

  const filterFor = (query: Filters, now: Date) => productFilter(query, now, policy);

  function toHit(doc: ProductDocument & { _formatted?: Partial<Record<keyof ProductDocument, unknown>> }, staleBefore: number): SearchHit {
    const formatted = doc._formatted ?? {};
    const stale = doc.freshness === 'stale' || (doc.confirmedAt ?? 0) < staleBefore;
    return {
      productId: doc.id,
      name: doc.name,
      model: doc.model,
      category: doc.category,
      categoryName: doc.categoryName,
      field: doc.field,
      fieldName: doc.fieldName,
      vendor: { id: doc.vendorId, name: doc.vendorName, creditCode: doc.vendorCreditCode, city: doc.city, district: doc.district },
      certifications: doc.certifications,
      badges: doc.badges,
      freshness: stale ? 'stale' : 'current',
      priceMin: doc.priceMin,
      priceMax: doc.priceMax,
      capacityPerMonth: doc.capacityPerMonth ?? null,
      leadTimeDays: doc.leadTimeDays ?? null,
      localityTier: doc.localityTier ?? 0,
      listedAt: doc.listedAt ?? null,
      image: doc.image ?? null,
      highlight: {
        name: highlightHtml(String(formatted.name ?? doc.name)),
        description: highlightHtml(String(formatted.description ?? '')),
      },
    };
  }

  /** What Meilisearch is asked: a credit code as a filter, else the words as understood (exact=1: as typed). */
  async function read(query: SearchQuery): Promise<{ q: string; understood: Understood | null; creditCode?: string }> {
    const creditCode = query.q ? asCreditCode(query.q) : null;
    if (creditCode) return { q: '', understood: null, creditCode };
    // exact=1 is the person's "search what I typed" after seeing a correction.
    const understood = query.q && !query.exact && vocabulary ? understand(query.q, await vocabulary()) : null;
    return { q: understood ? searchWords(understood) : query.q, understood };
  }

  return {
    indexUid,

    /**
     * Products. A 统一社会信用代码 as the query finds that company's products; a page past the last one
     * answers the last page (`page` in the answer says which).
     */
    async search(query: SearchQuery): Promise<SearchResult> {
      const now = clock();
      const { q, understood, creditCode } = await read(query);
      const run = (search: Search) => (page: number) => search(q || null, productSearchParams(query, filterFor({ ...query, creditCode }, now), page));
      const { page, res } = await onIndex((search) => onLastPageAtMost(run(search), query.page, query.pageSize));
      // Past the confirmation period a listing shows as stale, even before the sweep has marked it.
      const staleBefore = now.getTime() - policy.days * DAY;
      const dist = res.facetDistribution ?? {};
      return {
        total: res.totalHits ?? 0,
        page,
        sort: query.sort,
        pageSize: query.pageSize,
        hits: res.hits.map((hit) => toHit(hit as ProductDocument, staleBefore)),
        facets: {
          field: dist.field ?? {},
          category: dist.category ?? {},
          city: dist.city ?? {},
          district: dist.district ?? {},
          certification: dist.certifications ?? {},
        },
        ...(understood?.corrections.length ? { understood: { q, corrections: understood.corrections } } : {}),
      };
    },

    /**
     * Companies: one card per approved company with a listed product matching the query and filters, in the
     * order of its best-matching product (or by the chosen sort). A 统一社会信用代码 finds its company.
     */
    async searchVendors(query: SearchQuery): Promise<VendorSearchResult> {
      const now = clock();
      const { q, creditCode } = await read(query);
      const run = (search: Search) => (page: number) => search(q || null, {
        filter: filterFor({ ...query, creditCode }, now),
        distinct: 'vendorId',
        page,
        hitsPerPage: query.pageSize,
        ...(sortFor[query.sort] ? { sort: sortFor[query.sort] } : {}),
        attributesToRetrieve: ['vendorId', 'vendorName', 'vendorCreditCode', 'province', 'city', 'district', 'vendorFields', 'certifications'],
      } satisfies SearchParams);
      const { page, res } = await onIndex((search) => onLastPageAtMost(run(search), query.page, query.pageSize));
      const docs = res.hits as unknown as ProductDocument[];
      const details = models ? await vendorDetails(models, docs.map((d) => d.vendorId), now) : new Map<string, Pick<VendorCard, 'fields' | 'certifications' | 'productCount'>>();
      return {
        total: res.totalHits ?? 0,
        page,
        pageSize: query.pageSize,
        vendors: docs.map((d) => ({
          id: d.vendorId,
          name: d.vendorName,
          creditCode: d.vendorCreditCode,
          province: d.province,
          city: d.city,
          district: d.district,
          fields: details.get(d.vendorId)?.fields ?? d.vendorFields ?? [],
          certifications: details.get(d.vendorId)?.certifications ?? [],
          productCount: details.get(d.vendorId)?.productCount ?? 0,
        })),
      };
    },

    /** As-you-type: product and vendor names, matching Chinese, full pinyin or initials; at most 8. */
    async suggest(q: string, limit = 8): Promise<Suggestion[]> {
      const res = await onIndex((search) => search(q, {
        filter: filterFor({}, clock()),
        limit: 30,
        attributesToSearchOn: ['name', 'namePinyin', 'nameInitials', 'vendorName', 'vendorPinyin', 'vendorInitials', 'model'],
        attributesToRetrieve: ['id', 'name', 'vendorId', 'vendorName'],
        showMatchesPosition: true,
      }));
      const out: Suggestion[] = [];
      const seen = new Set<string>();
      const add = (s: Suggestion) => {
        const key = `${s.kind}:${s.text}`;
        if (out.length < limit && !seen.has(key)) { seen.add(key); out.push(s); }
      };
      for (const hit of res.hits) {
        const matched = Object.keys(hit._matchesPosition ?? {});
        const onVendor = matched.some((a) => a.startsWith('vendor'));
        const onProduct = matched.some((a) => !a.startsWith('vendor'));
        if (onVendor) add({ text: hit.vendorName, kind: 'vendor', url: `/directory/vendors/${hit.vendorId}` });
        if (onProduct || !onVendor) add({ text: hit.name, kind: 'product', url: `/directory?q=${encodeURIComponent(hit.name)}` });
      }
      return out;
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;

/** Fields, certifications in force and published product count of approved companies, from MongoDB. */
async function vendorDetails(models: Models, ids: string[], now: Date) {
  const [vendors, counts] = await Promise.all([
    models.Vendor.find({ _id: { $in: ids }, status: 'approved' }, { fields: 1, certifications: 1, qualifications: 1 }).lean(),
    models.Product.aggregate<{ _id: unknown; n: number }>([
      { $match: { vendor: { $in: ids.map((id) => new Types.ObjectId(id)) }, status: 'published' } },
      { $group: { _id: '$vendor', n: { $sum: 1 } } },
    ]),
  ]);
  const count = new Map(counts.map((c) => [String(c._id), c.n]));
  return new Map(vendors.map((v) => [String(v._id), {
    fields: [...(v.fields ?? [])],
    certifications: effectiveCertifications(v.certifications ?? [], (v.qualifications ?? []) as never, now),
    productCount: count.get(String(v._id)) ?? 0,
  }]));
}
