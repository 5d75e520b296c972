/**
 * The first stage of matching: candidate products from Meilisearch. Buyers write the way they talk
 * ("我们这批先上7500套午休课桌椅…"), so the query keeps the informative words of the title and description
 * and drops the filler; the demand's category (or field) brings in its products even when the words
 * differ; required certifications are hard filters. One multi-search round trip.
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import type { Meilisearch, MultiSearchQuery } from 'meilisearch';
import { searchableSince, type FreshnessPolicy } from '../suppliers/index.js';
import { jiebaWords, synonymGroups } from '../search/index.js';
import type { ProductDocument } from '../search/index.js';
import { taxonomy } from '../taxonomy/index.js';
import type { Candidate, RankDemand } from './ranking.js';

const jieba = Jieba.withDict(dict);
jieba.loadDict(Buffer.from(jiebaWords.map((w) => `${w} 50000 n`).join('\n')));

/** Words that say nothing about what is wanted: how buyers talk, procurement boilerplate, places, time. */
const fillers = new Set(`
我们 我 我司 我单位 本单位 咱们 单位 这批 这次 本次 此次 一批 一些 一下 一套 一台 若干 部分 全部 所有 各类 各种 相关 有关 等等
需要 需 要 想 想要 希望 计划 准备 打算 拟 拟采购 采购 购买 购置 添置 配置 配备 更新 更换 换新 替换 改造 升级 提升 新增 补充 建设 招标 项目 工程 年度 批次 第一批 第二批
大约 大概 左右 约 多 多所 多个 以上 以下 以内 至少 最多 最好 尽量 优先 必须 一定 务必 要求 符合 满足 能够 可以 能 会 应 应当 需求
今年 明年 去年 年内 年底 上半年 下半年 月底 之前 以前 之后 尽快 马上 开学 暑假 寒假 期间 时候
区里 市里 省里 全区 全市 全省 区 市 省 县 街道 社区 我区 我市 我省 滨江 杭州 浙江
的 了 和 与 及 以及 或 或者 还有 并 并且 而且 也 都 就 还 再 先 后 把 用 给 在 是 有 对 为 将 从 到 由 让 跟 同 等 个 台 套 张 路 辆 座 间 家 所 批 次 件 项 种 类 些
好 新 旧 老 老旧 现有 原有 目前 现在 已经 正在 主要 重点 统一 整体 全面 进一步 一起 一并 同时 另外 此外 其中 包括 包含 例如 比如 像 如
一共 改成 考虑 一级 几台 几个 几辆 几套 几所 要换 换成 想换 想添 想建 要装 要加 要配 还要 只能 不够 厂里 科里 园区 辖区 滨江区 杭州市 浙江省 预算 方便 维保 想用 想上 想弄 要存\n设备 系统 产品 厂家 厂商 企业 公司 供应商 本地 售后 服务 响应 及时 快 质量 价格 便宜 性价比 合适 靠谱 品牌 型号 规格 参数 功能 方案
`.split(/\s+/).filter(Boolean));

/** Single characters that carry meaning on their own in this field. */
const meaningfulSingles = new Set(['泵', '阀', '炉', '灯', '柜', '床', '梯', '秤', '塔', '罐', '釜']);

/** Terms of the field: preferred when a long description has more words than the query can carry. */
const domainTerms = new Set<string>([
  ...jiebaWords,
  ...synonymGroups.flat(),
  ...taxonomy.fields.flatMap((f) => f.categories.flatMap((c) => [c.name, ...c.examples])),
]);

const wordLike = /[\p{L}\p{N}]/u;
const hasLatin = /[A-Za-z]/;
const chineseNumber = /^[零一二三四五六七八九十百千万亿两]+[台个套张辆座间只路年元]?$/u;
const onlyNumber = /^[\d.,%]+[\p{Script=Han}]?$/u;

function informative(token: string): boolean {
  const t = token.trim();
  if (!t || !wordLike.test(t) || fillers.has(t)) return false;
  if (onlyNumber.test(t) && !hasLatin.test(t)) return false;
  if (chineseNumber.test(t) || t.includes('几')) return false;
  // jieba glues a verb to a following character (要装, 里装, 车要): such two-character scraps are noise.
  if (/^[要想还能可里上][\p{Script=Han}]$/u.test(t) && !domainTerms.has(t)) return false;
  if ([...t].length === 1) return meaningfulSingles.has(t) || hasLatin.test(t);
  return true;
}

/** At most this many words: Meilisearch reads only the first ten words of a query. */
export const MAX_TERMS = 8;

/** The informative words of a demand, title first, then the description's field terms, then the rest (pure). */
export function demandTerms(demand: { title: string; description?: string | null }): string[] {
  const titleTerms = jieba.cut(demand.title, true).map((t) => t.trim()).filter(informative);
  const descTerms = jieba.cut(demand.description ?? '', true).map((t) => t.trim()).filter(informative);
  const out: string[] = [];
  const add = (t: string) => { if (out.length < MAX_TERMS && !out.includes(t)) out.push(t); };
  titleTerms.forEach(add);
  descTerms.filter((t) => domainTerms.has(t)).forEach(add);
  descTerms.forEach(add);
  return out;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface RetrievalDeps {
  meili: Meilisearch;
  indexUid: string;
  policy: FreshnessPolicy;
}

export interface RetrieveOptions {
  now: Date;
  /** Only this vendor's products (the opportunity feed). */
  vendorId?: string;
  /** Candidates from the words query (default 300). */
  textLimit?: number;
  /** Candidates from the category/field (default 150 and 60). */
  categoryLimit?: number;
}

export type RetrievalDemand = RankDemand & { description?: string | null };

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
  const titleTerms = new Set(demandTerms({ title: demand.title }));
  const plan: QueryPlan = { queries: [], kinds: [] };
  for (const term of demandTerms(demand)) {
    plan.queries.push({ ...common, q: term, filter, limit: options.textLimit ?? 120, matchingStrategy: 'all' });
    plan.kinds.push({ kind: 'term', term, boost: titleTerms.has(term) ? 1.5 : 1 });
  }
  if (scope) {
    plan.queries.push({ ...common, q: null, filter: [...filter, scope], limit: options.categoryLimit ?? 80 });
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
  const { results } = await deps.meili.multiSearch<{ queries: MultiSearchQuery[] }, Hit>({ queries: plan.queries });
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
