/**
 * The matching engine's public shapes (docs/api.md: GET /api/v1/demands/:id/matches). Retrieval finds
 * candidate products in Meilisearch; ranking (a pure function) scores one entry per vendor and explains
 * every factor that counted with a Chinese sentence a buyer understands.
 */

/** The factors a score is made of; weights per factor live in configuration (src/matching/weights.ts). */
export type Factor =
  | 'text'          // Meilisearch ranking score of the vendor's best products against the demand's words
  | 'locality'      // 滨江区, then the rest of 杭州市, then 浙江省, then elsewhere
  | 'required'      // required certifications (hard filter; the reason states they are met)
  | 'preferred'     // preferred certifications held
  | 'distinction'   // 首台套, 品字标“浙江制造”, 专精特新, 标准领跑者
  | 'capacity'      // monthly capacity against the quantity
  | 'leadTime'      // lead time against the deadline
  | 'price'         // price against the budget
  | 'freshness';    // listing freshness

export interface Reason {
  factor: Factor;
  /** The factor's normalized value in [0, 1]. */
  value: number;
  /** Its weight in the score. */
  weight: number;
  /** e.g. "滨江区本地企业", "月产能 500 台，满足需求 300 台". */
  text: string;
}

export interface MatchedVendor { id: string; name: string; creditCode: string; city?: string; district?: string }
export interface MatchedProduct { productId: string; name: string; model: string }

export interface MatchResult {
  vendor: MatchedVendor;
  products: MatchedProduct[];
  /** Weighted sum of the factor values, in [0, 1]; best first. */
  score: number;
  reasons: Reason[];
}
