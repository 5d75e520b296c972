/**
 * The first stage of matching: candidate products from Meilisearch. Buyers write the way they talk
 * ("我们这批先上7500套午休课桌椅…"), so the query keeps the informative words of the title and description
 * and drops the filler; the demand's category (or field) brings in its products even when the words
 * differ; required certifications are hard filters. The queries go out at once, split over a few
 * multi-search requests (see `sendPlan`).
 */
import type { Meilisearch, MultiSearchQuery, MultiSearchResult } from 'meilisearch';
import type { MeiliReader } from '../infra/meili.js';
import { searchableSince, type FreshnessPolicy } from '../suppliers/index.js';
import { informativeWords, isDomainTerm, type ProductDocument } from '../search/index.js';
import type { Candidate, RankDemand } from './ranking.js';

/** At most this many words: Meilisearch reads only the first ten words of a query. */
export const MAX_TERMS = 8;

/**
 * The informative words of a demand, title first, then the terms its abbreviations stand for, then the
 * description's field terms, then the rest (pure). Slips are corrected before (src/search/understand.ts).
 */
export function demandTerms(demand: { title: string; description?: string | null; expansions?: readonly string[] }): string[] {
  const titleTerms = informativeWords(demand.title);
  const descTerms = informativeWords(demand.description ?? '');
  const out: string[] = [];
  const add = (t: string) => { if (out.length < MAX_TERMS && !out.includes(t)) out.push(t); };
  titleTerms.forEach(add);
  (demand.expansions ?? []).forEach(add);
  descTerms.filter((t) => isDomainTerm(t)).forEach(add);
  descTerms.forEach(add);
  return out;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface RetrievalDeps {
  /** Where the search runs (one server, or a healthy one of several). */
  meili: MeiliReader;
  indexUid: string;
  policy: FreshnessPolicy;
}

export interface RetrieveOptions {
  now: Date;
  /** Only this vendor's products (the opportunity feed). */
  vendorId?: string;
  /** Candidates from each term's query (default `MATCH_LIMITS.text`). */
  textLimit?: number;
  /** Candidates from the category/field query (default `MATCH_LIMITS.category`). */
  categoryLimit?: number;
}

/** Candidates per query when matching a demand against the whole list (the opportunity feed asks for fewer). */
export const MATCH_LIMITS = { text: 80, category: 80 } as const;

/**
 * `understood`: the title and description with slips corrected, and the terms the abbreviations stand for
 * (src/search/understand.ts); retrieval searches these words when given.
 */
export type RetrievalDemand = RankDemand & {
  description?: string | null;
  understood?: { title: string; description: string; expansions: readonly string[] };
};

const attributes = [
  'id', 'name', 'model', 'category', 'field', 'certifications', 'vendorId', 'vendorName', 'vendorCreditCode',
  'province', 'city', 'district', 'priceMin', 'priceMax', 'capacityPerMonth', 'leadTimeDays', 'confirmedAt', 'freshness',
] as const;

/** The Meilisearch filter every candidate meets: the public list, required certifications, the vendor (pure). */
export function baseFilter(demand: RankDemand, now: Date, policy: FreshnessPolicy, vendorId?: string): string[] {
  const filter = ['searchable = true', 'freshness != hidden', `confirmedAt >= ${searchableSince(now, policy).getTime()}`];
  for (const code of new Set(demand.requiredCertifications ?? [])) filter.push(`certifications = ${quote(code)}`);
  if (vendorId) filter.push(`vendorId = ${quote(vendorId)}`);
  return filter;
}

export interface QueryPlan {
  queries: MultiSearchQuery[];
  /** What each query is: one informative term (with its title boost), the category alone, or the count. */
  kinds: Array<{ kind: 'term'; term: string; boost: number } | { kind: 'termCount'; term: string } | { kind: 'category' } | { kind: 'count' }>;
}

/**
 * The multi-search for a demand (pure). Meilisearch has no "any of these words" mode (its matching
 * strategies only drop words from the end or by frequency, which loses the rare informative ones), so
 * each informative term is its own query; their hit counts weigh the terms (rarer says more), and a
 * product's text score is the weighted share of the demand's terms it matches. The category (or field)
 * alone brings in its products whose words differ; a count query sizes the public list.
 */
export function retrievalQueries(demand: RetrievalDemand, indexUid: string, options: RetrieveOptions & { policy: FreshnessPolicy }): QueryPlan {
  const filter = baseFilter(demand, options.now, options.policy, options.vendorId);
  const scope = demand.category ? `category = ${quote(demand.category)}` : demand.field ? `field = ${quote(demand.field)}` : null;
  const common = { indexUid, attributesToRetrieve: [...attributes], locales: ['cmn' as const] };
  const words = demand.understood ?? { title: demand.title, description: demand.description ?? '', expansions: [] };
  const titleTerms = new Set(demandTerms({ title: words.title, expansions: words.expansions }));
  const plan: QueryPlan = { queries: [], kinds: [] };
  for (const term of demandTerms(words)) {
    // The trailing space: a demand's words are whole words, not the start of one being typed, so Meilisearch
    // does not widen the last (here the only) word to every word it begins (cheaper, and no 门 → 门禁).
    plan.queries.push({ ...common, q: `${term} `, filter, limit: options.textLimit ?? MATCH_LIMITS.text, matchingStrategy: 'all' });
    plan.kinds.push({ kind: 'term', term, boost: titleTerms.has(term) ? 1.5 : 1 });
  }
  if (scope) {
    plan.queries.push({ ...common, q: null, filter: [...filter, scope], limit: options.categoryLimit ?? MATCH_LIMITS.category });
    plan.kinds.push({ kind: 'category' });
  }
  if (plan.queries.length) {
    // Term weights describe the whole public list, also when only one vendor's products are retrieved.
    const listFilter = options.vendorId ? baseFilter(demand, options.now, options.policy) : filter;
    plan.queries.push({ indexUid, q: null, filter: listFilter, limit: 0 });
    plan.kinds.push({ kind: 'count' });
    if (options.vendorId) {
      for (const k of [...plan.kinds]) {
        if (k.kind !== 'term') continue;
        plan.queries.push({ indexUid, q: k.term, filter: listFilter, limit: 0, matchingStrategy: 'all', locales: ['cmn'] });
        plan.kinds.push({ kind: 'termCount', term: k.term });
      }
    }
  }
  return plan;
}

/**
 * Requests a plan is split into. Meilisearch answers the queries of one multi-search one after another on
 * one thread, while separate requests run on separate threads (as many at once as it has cores), so a
 * match waits for its slowest share instead of the sum of its queries.
 */
export const PLAN_REQUESTS = 2;

/** Sends a plan's queries as `requests` multi-searches at once (round robin); results in the plan's order. */
export async function sendPlan<T extends Record<string, unknown>>(client: Meilisearch, queries: MultiSearchQuery[], requests = PLAN_REQUESTS): Promise<Array<MultiSearchResult<T>>> {
  const n = Math.max(1, Math.min(requests, queries.length));
  const shares = Array.from({ length: n }, (_, k) => queries.map((_q, i) => i).filter((i) => i % n === k));
  const answers = await Promise.all(shares.map((share) => client.multiSearch<{ queries: MultiSearchQuery[] }, T>({ queries: share.map((i) => queries[i]) })));
  const results = new Array<MultiSearchResult<T>>(queries.length);
  shares.forEach((share, k) => share.forEach((i, j) => { results[i] = answers[k].results[j]; }));
  return results;
}

type Hit = Pick<ProductDocument, (typeof attributes)[number]> & { _rankingScore?: number };

export function toCandidate(hit: Hit, rankingScore: number): Candidate {
  return {
    productId: hit.id,
    name: hit.name,
    model: hit.model,
    category: hit.category,
    field: hit.field,
    certifications: hit.certifications ?? [],
    vendorId: hit.vendorId,
    vendorName: hit.vendorName,
    vendorCreditCode: hit.vendorCreditCode,
    province: hit.province,
    city: hit.city,
    district: hit.district,
    priceMin: hit.priceMin,
    priceMax: hit.priceMax,
    capacityPerMonth: hit.capacityPerMonth,
    leadTimeDays: hit.leadTimeDays,
    confirmedAt: hit.confirmedAt,
    freshness: hit.freshness,
    rankingScore,
  };
}

/** Candidate products for a demand, each once, with the weighted share of the demand's terms it matches. */
export async function retrieve(deps: RetrievalDeps, demand: RetrievalDemand, options: RetrieveOptions): Promise<Candidate[]> {
  const plan = retrievalQueries(demand, deps.indexUid, { ...options, policy: deps.policy });
  if (!plan.queries.length) return [];
  // One server for the whole plan: the counts and the hits describe the same index state.
  const results = await deps.meili.read((client) => sendPlan<Hit>(client, plan.queries));
  const countAt = plan.kinds.findIndex((k) => k.kind === 'count');
  const total = Math.max(1, results[countAt]?.estimatedTotalHits ?? 1);
  const listed = new Map<string, number>();
  results.forEach((result, i) => {
    const kind = plan.kinds[i];
    if (kind.kind === 'termCount') listed.set(kind.term, result.estimatedTotalHits ?? 0);
  });
  const hits = new Map<string, Hit>();
  const matched = new Map<string, number>();
  let totalWeight = 0;
  results.forEach((result, i) => {
    const kind = plan.kinds[i];
    if (kind.kind === 'count' || kind.kind === 'termCount') return;
    for (const hit of result.hits as Hit[]) if (!hits.has(hit.id)) hits.set(hit.id, hit);
    if (kind.kind !== 'term') return;
    const found = listed.get(kind.term) ?? result.estimatedTotalHits ?? result.hits.length;
    // A term nobody lists says nothing about any vendor: it does not dilute the others.
    if (!found) return;
    const weight = kind.boost * Math.log((total + 1) / (found + 0.5) + 1);
    totalWeight += weight;
    for (const hit of result.hits as Hit[]) matched.set(hit.id, (matched.get(hit.id) ?? 0) + weight);
  });
  // Matching half of the demand's weighted terms is already a strong textual match.
  return [...hits.values()].map((hit) => toCandidate(hit, totalWeight > 0 ? Math.min(1, (2 * (matched.get(hit.id) ?? 0)) / totalWeight) : 0));
}
