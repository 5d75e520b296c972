/**
 * The matching service: retrieval (Meilisearch) then ranking (pure). Demands and buyers are read from
 * MongoDB; candidates come from the search index alone, which already carries what ranking needs.
 */
import { Types } from 'mongoose';
import type { MeiliReader } from '../infra/meili.js';
import type { Models } from '../infra/models.js';
import type { BuyerService } from '../buyers/index.js';
import type { FreshnessPolicy } from '../suppliers/index.js';
import { notFound } from '../web/errors.js';
import { present } from '../web/present.js';
import { rankCandidates } from './ranking.js';
import { retrieve, type RetrievalDemand } from './retrieval.js';
import { queryVocabulary, understand, type Vocabulary } from '../search/index.js';
import type { MatchedProduct, MatchResult, Reason } from './types.js';
import type { Weights } from './weights.js';

/** A demand as the engine reads it: the Demand lean document or anything shaped like it. */
export interface DemandLike {
  _id?: unknown;
  title: string;
  description?: string | null;
  field?: string | null;
  category?: string | null;
  quantity?: number | null;
  unit?: string | null;
  budgetYuan?: number | null;
  requiredCertifications?: string[] | null;
  preferredCertifications?: string[] | null;
  deadline?: Date | null;
}

export interface MatchOptions { limit?: number }

export interface Opportunity {
  demand: {
    id: string; title: string; field?: string; category?: string; quantity?: number; unit?: string;
    budgetYuan?: number; deadline?: Date;
    buyer: { name: string; level: string; city?: string; district?: string };
  };
  score: number;
  reasons: Reason[];
  products: MatchedProduct[];
}

export interface MatchingService {
  /** The best vendors for a demand, best first, one per vendor (default 10, at most 100). */
  matchDemand(demand: DemandLike, options?: MatchOptions): Promise<MatchResult[]>;
  /** The same for a stored demand; 404 AppError when there is none. */
  matchDemandById(id: string, options?: MatchOptions): Promise<MatchResult[]>;
  /** Open demands (not past their deadline) that fit a vendor's products, best first (default 20). */
  opportunitiesFor(vendorId: string, options?: MatchOptions): Promise<Opportunity[]>;
  /** How well one vendor fits each of the given demands (as in its opportunity feed); demands it does not fit are left out. */
  fitOfVendor<D extends DemandLike>(vendorId: string, demands: D[]): Promise<Array<{ demand: D; match: MatchResult }>>;
}

export interface MatchingDeps {
  models: Models;
  meili: MeiliReader;
  indexUid: string;
  clock: () => Date;
  policy: FreshnessPolicy;
  weights: Weights;
  buyers: BuyerService;
}

/** Open demands an opportunity feed considers at most (see the report on scaling). */
export const MAX_OPEN_DEMANDS = 1000;
const CONCURRENCY = 8;
/** Text value (0–1) an open demand needs to show in a vendor's feed: its category, or half its words. */
export const OPPORTUNITY_MIN_TEXT = 0.45;

const clampLimit = (limit: number | undefined, fallback: number) => Math.min(100, Math.max(1, Math.floor(limit ?? fallback)));

/** The demand as the engine reads it: slips corrected, abbreviations expanded (src/search/understand.ts). */
export function toRankDemand(d: DemandLike, vocabulary: Vocabulary): RetrievalDemand {
  const title = understand(d.title, vocabulary);
  const description = understand(d.description ?? '', vocabulary);
  return {
    title: d.title,
    description: d.description ?? '',
    understood: { title: title.text, description: description.text, expansions: [...new Set([...title.expansions, ...description.expansions])] },
    corrections: [...new Map([...title.corrections, ...description.corrections].map((c) => [`${c.from}\u0000${c.to}`, c])).values()],
    field: d.field ?? null,
    category: d.category ?? null,
    quantity: d.quantity ?? null,
    unit: d.unit ?? null,
    budgetYuan: d.budgetYuan ?? null,
    requiredCertifications: d.requiredCertifications ?? [],
    preferredCertifications: d.preferredCertifications ?? [],
    deadline: d.deadline ? new Date(d.deadline) : null,
  };
}

export function createMatchingService(deps: MatchingDeps): MatchingService {
  const { models, clock, policy, weights } = deps;

  async function matchAt(demand: DemandLike, now: Date, limit: number, vendorId?: string): Promise<MatchResult[]> {
    const rankDemand = toRankDemand(demand, await queryVocabulary(models));
    const candidates = await retrieve(deps, rankDemand, vendorId ? { now, vendorId, textLimit: 20, categoryLimit: 20 } : { now });
    // Among one vendor's products "its best" says nothing: the feed asks for a real textual or category fit.
    return rankCandidates(candidates, rankDemand, { now, weights, freshnessDays: policy.days, limit, minText: vendorId ? OPPORTUNITY_MIN_TEXT : 0 });
  }

  /** The demands this vendor's products fit (its best product for each), in the demands' order. */
  async function fitsAt<D extends DemandLike>(vendorId: string, demands: D[], now: Date) {
    const fits: Array<{ demand: D; match: MatchResult }> = [];
    // One retrieval per demand, restricted to this vendor's products, a few at a time.
    for (let i = 0; i < demands.length; i += CONCURRENCY) {
      const batch = demands.slice(i, i + CONCURRENCY);
      const results = await Promise.all(batch.map((d) => matchAt(d, now, 1, vendorId)));
      results.forEach(([match], j) => {
        if (match) fits.push({ demand: batch[j], match });
      });
    }
    return fits;
  }

  return {
    async matchDemand(demand, options = {}) {
      return matchAt(demand, clock(), clampLimit(options.limit, 10));
    },

    async matchDemandById(id, options = {}) {
      if (!Types.ObjectId.isValid(id)) throw notFound('未找到该需求。');
      const demand = await models.Demand.findById(id).lean();
      if (!demand) throw notFound('未找到该需求。');
      return matchAt(demand, clock(), clampLimit(options.limit, 10));
    },

    async fitOfVendor<D extends DemandLike>(vendorId: string, demands: D[]) {
      return fitsAt(vendorId, demands, clock());
    },

    async opportunitiesFor(vendorId, options = {}) {
      if (!Types.ObjectId.isValid(vendorId) || !(await models.Vendor.exists({ _id: vendorId }))) throw notFound('未找到该企业。');
      const now = clock();
      const limit = clampLimit(options.limit, 20);
      const demands = await models.Demand.find({
        status: 'open',
        $or: [{ deadline: null }, { deadline: { $gte: now } }],
      }).sort({ _id: -1 }).limit(MAX_OPEN_DEMANDS).lean();
      const buyers = new Map((await deps.buyers.byIds(demands.map((d) => d.buyerOrg))).map((b) => [String(b._id), b]));

      const found: Opportunity[] = (await fitsAt(vendorId, demands, now)).map(({ demand: d, match }) => {
        const buyer = buyers.get(String(d.buyerOrg));
        return {
          demand: {
            id: String(d._id),
            title: d.title,
            ...present(d, ['field', 'category', 'quantity', 'unit', 'budgetYuan', 'deadline']),
            buyer: { name: buyer?.name ?? '', level: buyer?.level ?? '', city: buyer?.city ?? undefined, district: buyer?.district ?? undefined },
          },
          score: match.score,
          reasons: match.reasons,
          products: match.products,
        };
      });
      // Best fit first; among equals, the newest demand (the list is newest first, and the sort is stable).
      return found.sort((a, b) => b.score - a.score).slice(0, limit);
    },
  };
}
