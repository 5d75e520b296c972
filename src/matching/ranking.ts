/**
 * The second stage of matching: a pure, deterministic function from retrieved candidate products to one
 * scored, explained entry per vendor. No I/O and no clock: `now` is an argument.
 *
 * score = Σ weight × value / Σ weight over the factors that count. A factor counts when its weight is
 * positive and the demand says something about it (no budget → price does not count). Whether a factor
 * counts depends on the demand only, never on the candidate, so every candidate of one demand shares the
 * same denominator: raising the weight of a factor on which A beats B can never let B overtake A.
 * A candidate missing the data (no capacity listed) gets a neutral value and a reason saying so.
 */
import { certificationName, taxonomy } from '../taxonomy/index.js';
import { categoryName, describeCorrections, type Correction } from '../search/index.js';
import type { Factor, MatchResult, Reason } from './types.js';
import { factors, type Weights } from './weights.js';

/** A retrieved product with what ranking needs of its vendor (all of it is in the search document). */
export interface Candidate {
  productId: string;
  name: string;
  model: string;
  category: string;
  field: string;
  /** The product's certifications plus its vendor's effective ones. */
  certifications: readonly string[];
  vendorId: string;
  vendorName: string;
  vendorCreditCode: string;
  province: string;
  city?: string | null;
  district?: string | null;
  priceMin?: number | null;
  priceMax?: number | null;
  capacityPerMonth?: number | null;
  leadTimeDays?: number | null;
  /** Epoch milliseconds of the vendor's last confirmation. */
  confirmedAt?: number | null;
  freshness?: 'current' | 'stale' | 'hidden' | null;
  /** Meilisearch's ranking score against the demand's words, 0 when found by its category alone. */
  rankingScore: number;
}

export interface RankDemand {
  title: string;
  field?: string | null;
  category?: string | null;
  quantity?: number | null;
  unit?: string | null;
  budgetYuan?: number | null;
  requiredCertifications?: readonly string[] | null;
  preferredCertifications?: readonly string[] | null;
  deadline?: Date | null;
  /** How the demand's words were read (slips corrected, abbreviations expanded); shown in the text reason. */
  corrections?: readonly Correction[] | null;
}

export interface RankOptions {
  now: Date;
  weights: Weights;
  /** A vendor confirms its listings at least this often (FRESHNESS_DAYS). */
  freshnessDays: number;
  /** At most this many vendors (default: all). */
  limit?: number;
  /** Products whose text value is below this share of the best one are not matches (default 0.4). */
  minTextRatio?: number;
  /** Products whose text value is below this are not matches at all (default 0; the opportunity feed sets one). */
  minText?: number;
  /** Products shown per vendor (default 3). */
  productsPerVendor?: number;
}

const DAY = 86_400_000;
const home = taxonomy.regions.home;
const clamp = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
/** 2,500 — grouping by thousands, the way amounts are written in Chinese forms too. */
export const formatNumber = (n: number) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const tenths = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
const shorten = (s: string, max = 24) => (s.length > max ? `${s.slice(0, max)}…` : s);

/** "一级能效认证", but "医疗器械注册证" and "ISO 9001 质量管理体系" as they are. */
function certLabel(code: string): string {
  const name = certificationName(code);
  return /(证|认证|体系|产品|）|”)$/.test(name) ? name : `${name}认证`;
}

/** Which factors count for this demand (pure; the same for every candidate of the demand). */
export function countedFactors(demand: RankDemand, weights: Weights): Factor[] {
  const has: Record<Factor, boolean> = {
    text: true,
    locality: true,
    required: (demand.requiredCertifications?.length ?? 0) > 0,
    preferred: (demand.preferredCertifications?.length ?? 0) > 0,
    distinction: true,
    capacity: (demand.quantity ?? 0) > 0,
    leadTime: demand.deadline instanceof Date && !Number.isNaN(demand.deadline.getTime()),
    price: (demand.budgetYuan ?? 0) > 0,
    freshness: true,
  };
  return factors.filter((f) => has[f] && weights[f] > 0);
}

/** Text relevance: Meilisearch's score, with the demand's category (or field) as a strong signal. */
export function textValue(c: Candidate, demand: RankDemand): number {
  const rs = clamp(c.rankingScore);
  if (demand.category) {
    const cat = c.category === demand.category ? 1 : demand.field && c.field === demand.field ? 0.3 : 0;
    return 0.5 * rs + 0.5 * cat;
  }
  if (demand.field) return 0.7 * rs + 0.3 * (c.field === demand.field ? 1 : 0);
  return rs;
}

export function localityOf(c: Pick<Candidate, 'province' | 'city' | 'district'>): { value: number; text: string } {
  if (c.province === home.province && c.city === home.city && c.district === home.district) {
    return { value: 1, text: `${home.district}本地企业` };
  }
  if (c.province === home.province && c.city === home.city) {
    return { value: 0.6, text: c.district ? `${home.city}企业（${c.district}）` : `${home.city}企业` };
  }
  if (c.province === home.province) return { value: 0.3, text: c.city ? `${home.province}内企业（${c.city}）` : `${home.province}内企业` };
  const where = c.city && c.city !== c.province ? `${c.province}${c.city}` : c.province;
  return { value: 0, text: where ? `省外企业（${where}）` : '省外企业' };
}

export function distinctionOf(certs: readonly string[]): { value: number; text: string } {
  const has = (code: string) => certs.includes(code);
  const parts: string[] = [];
  let value = 0;
  if (has('first-set-provincial')) { value += 0.4; parts.push(certificationName('first-set-provincial')); }
  else if (has('first-set-municipal')) { value += 0.3; parts.push(certificationName('first-set-municipal')); }
  if (has('zhejiang-made')) { value += 0.25; parts.push(certificationName('zhejiang-made')); }
  if (has('little-giant')) { value += 0.25; parts.push(certificationName('little-giant')); }
  else if (has('specialized-new')) { value += 0.2; parts.push(certificationName('specialized-new')); }
  if (has('standard-leader')) { value += 0.2; parts.push(certificationName('standard-leader')); }
  if (!parts.length) return { value: 0, text: '暂无首台（套）、品字标“浙江制造”、专精特新或标准“领跑者”认定' };
  return { value: clamp(value), text: parts.join('、') };
}

export function capacityOf(capacity: number | null | undefined, quantity: number, unit: string): { value: number; text: string } {
  if (capacity == null || !(capacity > 0)) return { value: 0.5, text: '未填报月产能' };
  const ratio = capacity / quantity;
  const cap = `月产能 ${formatNumber(capacity)} ${unit}`;
  const need = `需求 ${formatNumber(quantity)} ${unit}`;
  if (ratio >= 1) return { value: 1, text: `${cap}，满足${need}` };
  if (ratio >= 0.9) return { value: clamp(ratio), text: `${cap}，接近${need}` };
  return { value: clamp(ratio), text: `${cap}，不足${need}的${tenths[Math.floor(ratio * 10) + 1]}成` };
}

export function leadTimeOf(leadTimeDays: number | null | undefined, deadline: Date, now: Date): { value: number; text: string } {
  if (leadTimeDays == null || leadTimeDays < 0) return { value: 0.5, text: '未填报交货期' };
  const daysLeft = Math.floor((deadline.getTime() - now.getTime()) / DAY);
  const lead = `交货期 ${formatNumber(leadTimeDays)} 天`;
  if (daysLeft < 0) return { value: 0, text: `${lead}，需求已过截止日期` };
  if (leadTimeDays <= daysLeft) return { value: 1, text: `${lead}，距截止日期还有 ${formatNumber(daysLeft)} 天` };
  // Late is late: a vendor that cannot deliver by the deadline does not meet it "partly".
  return { value: 0, text: `${lead}，晚于需求截止日期（距截止仅 ${formatNumber(daysLeft)} 天）` };
}

export function priceOf(priceMin: number | null | undefined, priceMax: number | null | undefined, budgetYuan: number, quantity: number | null | undefined, unit: string): { value: number; text: string } {
  const lo = priceMin ?? priceMax;
  const hi = priceMax ?? priceMin;
  if (lo == null || hi == null) return { value: 0.5, text: '未公开报价' };
  const perUnit = quantity && quantity > 0 ? budgetYuan / quantity : budgetYuan;
  const offer = lo === hi ? `报价 ${formatNumber(lo)} 元/${unit}` : `报价 ${formatNumber(lo)}–${formatNumber(hi)} 元/${unit}`;
  const budget = `需求预算约 ${formatNumber(perUnit)} 元/${unit}`;
  if (hi <= perUnit) return { value: 1, text: `${offer}，${budget}，在预算内` };
  if (lo <= perUnit) return { value: 0.75, text: `${offer}，${budget}，部分配置在预算内` };
  return { value: clamp(perUnit / lo), text: `${offer}，${budget}，超出预算` };
}

export function freshnessOfCandidate(c: Pick<Candidate, 'confirmedAt' | 'freshness'>, now: Date, freshnessDays: number): { value: number; text: string } {
  if (c.confirmedAt == null) return { value: 0, text: '信息待更新' };
  const age = (now.getTime() - c.confirmedAt) / DAY;
  if (c.freshness === 'stale' || c.freshness === 'hidden' || age > freshnessDays) {
    return { value: 0.2, text: `信息待更新（超过 ${freshnessDays} 天未确认）` };
  }
  if (age <= 30) return { value: 1, text: '信息已于 30 天内确认' };
  return { value: 0.7, text: `信息已于 ${freshnessDays} 天内确认` };
}

function textReason(value: number, c: Candidate, demand: RankDemand, productNames: string[]): string {
  const degree = value >= 0.7 ? '高度相关' : value >= 0.4 ? '相关' : '部分相关';
  const inCategory = demand.category && c.category === demand.category ? `属于“${categoryName(c.category)}”，` : '';
  const read = demand.corrections?.length ? `；${describeCorrections(demand.corrections)}` : '';
  return `${inCategory}与需求“${shorten(demand.title)}”${degree}（匹配产品：${productNames.join('、')}${read}）`;
}

interface Scored { c: Candidate; text: number; score: number; values: Map<Factor, { value: number; text: string }> }

/** Scores one product against the demand: every counted factor's value and sentence (pure). */
function scoreProduct(c: Candidate, text: number, demand: RankDemand, counted: readonly Factor[], options: RankOptions): Scored {
  const unit = demand.unit?.trim() || '台';
  const values = new Map<Factor, { value: number; text: string }>();
  for (const f of counted) {
    switch (f) {
      case 'text': values.set(f, { value: text, text: '' }); break;
      case 'locality': values.set(f, localityOf(c)); break;
      case 'required': values.set(f, { value: 1, text: `具备必需的${(demand.requiredCertifications ?? []).map(certLabel).join('、')}` }); break;
      case 'preferred': {
        const wanted = [...new Set(demand.preferredCertifications ?? [])];
        const held = wanted.filter((code) => c.certifications.includes(code));
        values.set(f, held.length
          ? { value: held.length / wanted.length, text: `具备优选认证：${held.map(certificationName).join('、')}` }
          : { value: 0, text: `未具备优选认证（${wanted.map(certificationName).join('、')}）` });
        break;
      }
      case 'distinction': values.set(f, distinctionOf(c.certifications)); break;
      case 'capacity': values.set(f, capacityOf(c.capacityPerMonth, demand.quantity as number, unit)); break;
      case 'leadTime': values.set(f, leadTimeOf(c.leadTimeDays, demand.deadline as Date, options.now)); break;
      case 'price': values.set(f, priceOf(c.priceMin, c.priceMax, demand.budgetYuan as number, demand.quantity, unit)); break;
      case 'freshness': values.set(f, freshnessOfCandidate(c, options.now, options.freshnessDays)); break;
    }
  }
  let total = 0;
  let weight = 0;
  for (const f of counted) {
    total += options.weights[f] * (values.get(f)?.value ?? 0);
    weight += options.weights[f];
  }
  return { c, text, score: weight > 0 ? round(total / weight) : 0, values };
}

const byProduct = (a: Scored, b: Scored) => b.score - a.score || b.text - a.text || (a.c.productId < b.c.productId ? -1 : a.c.productId > b.c.productId ? 1 : 0);

/**
 * Ranks candidates for a demand: drops any lacking a required certification and any barely related to
 * the demand, scores each product, keeps one entry per vendor (its best product's score and reasons, its
 * best products listed), best first; ties by vendor credit code.
 */
export function rankCandidates(candidates: readonly Candidate[], demand: RankDemand, options: RankOptions): MatchResult[] {
  const required = [...new Set(demand.requiredCertifications ?? [])];
  const eligible = candidates.filter((c) => required.every((code) => c.certifications.includes(code)));
  const texts = eligible.map((c) => textValue(c, demand));
  const best = Math.max(0, ...texts);
  if (best <= 0) return [];
  const floor = Math.max(best * (options.minTextRatio ?? 0.4), options.minText ?? 0);
  const counted = countedFactors(demand, options.weights);

  const byVendor = new Map<string, Scored[]>();
  eligible.forEach((c, i) => {
    if (texts[i] <= 0 || texts[i] < floor) return;
    const scored = scoreProduct(c, texts[i], demand, counted, options);
    const list = byVendor.get(c.vendorId);
    // The same product retrieved twice counts once (its best text value).
    const same = list?.findIndex((s) => s.c.productId === c.productId) ?? -1;
    if (list && same >= 0) { if (byProduct(scored, list[same]) < 0) list[same] = scored; }
    else if (list) list.push(scored);
    else byVendor.set(c.vendorId, [scored]);
  });

  const perVendor = options.productsPerVendor ?? 3;
  const results: Array<{ match: MatchResult; sortKey: string }> = [];
  for (const list of byVendor.values()) {
    list.sort(byProduct);
    const top = list[0];
    const shown = list.slice(0, perVendor);
    const names = [...new Set(shown.map((s) => s.c.name))];
    const reasons: Reason[] = counted.map((f) => {
      const v = top.values.get(f) ?? { value: 0, text: '' };
      return {
        factor: f,
        value: round(v.value, 3),
        weight: options.weights[f],
        text: f === 'text' ? textReason(v.value, top.c, demand, names) : v.text,
      };
    });
    const c = top.c;
    results.push({ sortKey: `${c.vendorCreditCode}\u0000${c.vendorId}`, match: {
      vendor: { id: c.vendorId, name: c.vendorName, creditCode: c.vendorCreditCode, city: c.city ?? undefined, district: c.district ?? undefined },
      products: shown.map((s) => ({ productId: s.c.productId, name: s.c.name, model: s.c.model })),
      score: top.score,
      reasons,
    } });
  }
  results.sort((a, b) => b.match.score - a.match.score || (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return results.slice(0, options.limit ?? results.length).map((r) => r.match);
}
