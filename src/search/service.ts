/**
 * The read side of the directory: queries Meilisearch only (no MongoDB round trip per search), and shapes
 * the answer per docs/api.md. Highlights come back HTML-escaped with only our own markers turned into <mark>.
 */
import type { Meilisearch, SearchParams } from 'meilisearch';
import { searchableSince, type FreshnessPolicy } from '../suppliers/index.js';
import type { ProductDocument } from './document.js';
import type { SearchHit, SearchQuery, SearchResult, Suggestion } from './schemas.js';
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
  meili: Meilisearch;
  indexUid: string;
  clock: () => Date;
  policy: FreshnessPolicy;
  /** The query vocabulary (src/search/query-vocabulary.ts); without it queries are searched as typed. */
  vocabulary?: () => Promise<Vocabulary>;
}

/** What Meilisearch is asked for: the words as understood, filler dropped, abbreviations beside their terms (pure). */
export function searchWords(understood: Understood): string {
  const words = informativeWords(understood.text);
  return [...(words.length ? words : [understood.text]), ...understood.expansions].join(' ');
}

type Filters = Pick<SearchQuery, 'field' | 'category' | 'province' | 'city' | 'district' | 'certification'>;

const DAY = 86_400_000;

export function createSearchService({ meili, indexUid, clock, policy, vocabulary }: SearchServiceOptions) {
  const index = meili.index<ProductDocument>(indexUid);

  /** Meilisearch filter for the user's choices plus what is always true of the public list. */
  function filterFor(query: Filters, now: Date): string[] {
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
    return filter;
  }

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
      highlight: {
        name: highlightHtml(String(formatted.name ?? doc.name)),
        description: highlightHtml(String(formatted.description ?? doc.description ?? '')),
      },
    };
  }

  return {
    indexUid,

    async search(query: SearchQuery): Promise<SearchResult> {
      const now = clock();
      // exact=1 is the person's "search what I typed" after seeing a correction.
      const understood = query.q && !query.exact && vocabulary ? understand(query.q, await vocabulary()) : null;
      const q = understood ? searchWords(understood) : query.q;
      const params = {
        filter: filterFor(query, now),
        facets: ['field', 'category', 'city', 'district', 'certifications'],
        page: query.page,
        hitsPerPage: query.pageSize,
        attributesToRetrieve: [
          'id', 'name', 'model', 'category', 'categoryName', 'field', 'fieldName', 'vendorId', 'vendorName',
          'vendorCreditCode', 'city', 'district', 'certifications', 'badges', 'freshness', 'confirmedAt',
          'priceMin', 'priceMax', 'description',
        ],
        attributesToHighlight: ['name', 'description'],
        attributesToCrop: ['description'],
        cropLength: 40,
        cropMarker: '…',
        highlightPreTag: PRE,
        highlightPostTag: POST,
      } satisfies SearchParams;
      const res = await index.search(q || null, params);
      // Past the confirmation period a listing shows as stale, even before the sweep has marked it.
      const staleBefore = now.getTime() - policy.days * DAY;
      const dist = res.facetDistribution ?? {};
      return {
        total: res.totalHits ?? 0,
        page: query.page,
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

    /** As-you-type: product and vendor names, matching Chinese, full pinyin or initials; at most 8. */
    async suggest(q: string, limit = 8): Promise<Suggestion[]> {
      const res = await index.search(q, {
        filter: filterFor({}, clock()),
        limit: 30,
        attributesToSearchOn: ['name', 'namePinyin', 'nameInitials', 'vendorName', 'vendorPinyin', 'vendorInitials', 'model'],
        attributesToRetrieve: ['id', 'name', 'vendorId', 'vendorName'],
        showMatchesPosition: true,
      });
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
