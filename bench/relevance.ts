/**
 * Relevance you can measure: nDCG@10 of the engine on the judged set (test/matching/judged-set.json),
 * against a plain Meilisearch query of the demand title on the same index (one entry per vendor, in hit
 * order). `ndcgAt` is pure; `evaluateJudgedSet` needs an app whose index holds the sample data.
 */
import fs from 'node:fs';
import { repoPath } from './repo.js';
import type { FastifyInstance } from 'fastify';
import { searchableSince } from '../src/suppliers/freshness.js';
import { seedSampleData, seedTaxonomy } from '../src/seeding/index.js';
import { productsIndexName } from '../src/search/settings.js';

export interface JudgedDemand {
  title: string;
  description: string;
  kind: string;
  field?: string;
  category?: string;
  quantity?: number;
  unit?: string;
  budgetYuan?: number;
  requiredCertifications?: string[];
  preferredCertifications?: string[];
  deadline?: string;
  /** The deadline as days after the evaluation day (deadline-decided demands stay valid as time passes). */
  deadlineInDays?: number;
  /** creditCode → grade 0–3; vendors not listed are 0. */
  judgments: Record<string, number>;
}

export interface JudgedSet { about: string[]; demands: JudgedDemand[] }

export function readJudgedSet(file = repoPath('test/matching/judged-set.json')): JudgedSet {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as JudgedSet;
}

/** Gain 2^g − 1, discount log2(rank + 1): the usual graded nDCG. */
function dcg(grades: readonly number[], k: number): number {
  let sum = 0;
  grades.slice(0, k).forEach((g, i) => { sum += (2 ** g - 1) / Math.log2(i + 2); });
  return sum;
}

/**
 * nDCG@k of a ranked list of ids against graded judgments (pure). The ideal ranking is all judged ids by
 * grade; a list with no relevant judgment at all scores 1 when empty-handed is right (nothing to find).
 */
export function ndcgAt(ranked: readonly string[], judgments: Readonly<Record<string, number>>, k = 10): number {
  const ideal = Object.values(judgments).filter((g) => g > 0).sort((a, b) => b - a);
  const idcg = dcg(ideal, k);
  if (idcg === 0) return 1;
  const seen = new Set<string>();
  const grades = ranked.filter((id) => (seen.has(id) ? false : (seen.add(id), true))).map((id) => judgments[id] ?? 0);
  return dcg(grades, k) / idcg;
}

export interface DemandScore { title: string; kind: string; engine: number; baseline: number }
export interface Evaluation { engine: number; baseline: number; perDemand: DemandScore[]; byKind: Record<string, { n: number; engine: number; baseline: number }> }

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Seeds the taxonomy and sample data into the app's database and delivers it all to the index. */
export async function seedSampleIndex(app: FastifyInstance): Promise<void> {
  await seedTaxonomy(app.models);
  await seedSampleData(app.models);
  await app.searchSync.ensureReady();
  await app.searchSync.drain(120_000);
}

/** Vendors (credit codes) in the order a plain title query would show them: one per vendor, hit order. */
export async function baselineRanking(app: FastifyInstance, title: string, k = 10): Promise<string[]> {
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  const res = await app.meili.index(productsIndexName(app.config.MEILI_INDEX_PREFIX)).search(title, {
    filter: ['searchable = true', 'freshness != hidden', `confirmedAt >= ${searchableSince(app.clock(), policy).getTime()}`],
    limit: 200,
    attributesToRetrieve: ['vendorCreditCode'],
  });
  const out: string[] = [];
  for (const hit of res.hits) {
    const code = String(hit.vendorCreditCode);
    if (!out.includes(code)) out.push(code);
    if (out.length >= k) break;
  }
  return out;
}

/** nDCG@10 of the engine and of the plain title query on every judged demand. */
export async function evaluateJudgedSet(app: FastifyInstance, set: JudgedSet = readJudgedSet(), k = 10): Promise<Evaluation> {
  const perDemand: DemandScore[] = [];
  for (const d of set.demands) {
    // Midday of the N-th day: a deadline is a day, and the few milliseconds until matching reads the clock
    // must not turn N days into N − 1.
    const deadline = d.deadlineInDays != null ? new Date(app.clock().getTime() + (d.deadlineInDays + 0.5) * 86_400_000) : d.deadline ? new Date(d.deadline) : null;
    const matches = await app.matching.matchDemand({ ...d, deadline }, { limit: k });
    const engine = ndcgAt(matches.map((m) => m.vendor.creditCode), d.judgments, k);
    const baseline = ndcgAt(await baselineRanking(app, d.title, k), d.judgments, k);
    perDemand.push({ title: d.title, kind: d.kind, engine, baseline });
  }
  const byKind: Evaluation['byKind'] = {};
  for (const kind of [...new Set(perDemand.map((p) => p.kind))].sort()) {
    const of = perDemand.filter((p) => p.kind === kind);
    byKind[kind] = { n: of.length, engine: mean(of.map((p) => p.engine)), baseline: mean(of.map((p) => p.baseline)) };
  }
  return { engine: mean(perDemand.map((p) => p.engine)), baseline: mean(perDemand.map((p) => p.baseline)), perDemand, byKind };
}
