/**
 * Matching in `npm run bench`: nDCG@10 of the engine against a plain title query on the judged set, and
 * match latency over synthetic catalogs (default 20,000 and 100,000 products) with the raw Meilisearch
 * retrieval (the same requests the engine sends: `sendPlan`) timed in the same run. Catalogs go straight into the
 * index as a bulk addDocuments of buildDocument output (no MongoDB rows: matching reads only the index).
 *
 *   BENCH_MATCH_SIZES  (default "20000,100000")
 *   BENCH_MATCH_LEVERS (default unset) set: also times variants of the raw retrieval, one round each, to show
 *                      what each choice of the retrieval costs or saves
 */
import { Types } from 'mongoose';
import type { Meilisearch, MultiSearchQuery } from 'meilisearch';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connectMongo } from '../src/infra/db.js';
import { createMeili } from '../src/infra/meili.js';
import { buildDocument } from '../src/search/document.js';
import { productsIndexName } from '../src/search/settings.js';
import { fieldOfCategory } from '../src/taxonomy/index.js';
import { evaluateJudgedSet, readJudgedSet, seedSampleIndex } from './relevance.js';
import { retrievalQueries, sendPlan } from '../src/matching/retrieval.js';
import { toRankDemand } from '../src/matching/service.js';
import { queryVocabulary } from '../src/search/index.js';
import { generateCatalog } from './catalog.js';
import { seededRandom } from '../src/infra/seeded-random.js';

type Row = (what: string, platform: string, raw?: string, ratio?: string) => void;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (v: number) => `${v.toFixed(1)} ms`;

/** The raw retrieval as sent, and as it would be with one choice changed (one round over the plans). */
async function timeLevers(meili: Meilisearch, plans: MultiSearchQuery[][], asSent: number, row: Row, fetchByIds: (uid: string, ids: string[], fields: string[]) => Promise<unknown>) {
  const each = (f: (q: MultiSearchQuery) => MultiSearchQuery) => (qs: MultiSearchQuery[]) => sendPlan(meili, qs.map(f));
  const hits = (q: MultiSearchQuery) => (q.limit ?? 0) > 0;
  const variants: Array<[string, (qs: MultiSearchQuery[]) => Promise<unknown>]> = [
    ['一次多重搜索（依次执行）', (qs) => meili.multiSearch({ queries: qs })],
    ['每条查询一个请求', (qs) => sendPlan(meili, qs, qs.length)],
    ['词查询按前缀匹配（末尾无空格）', each((q) => (typeof q.q === 'string' ? { ...q, q: q.q.trimEnd() } : q))],
    ['每条查询最多 40 个候选', each((q) => (hits(q) ? { ...q, limit: Math.min(40, q.limit ?? 0) } : q))],
    ['只取 id', each((q) => (hits(q) ? { ...q, attributesToRetrieve: ['id'] } : q))],
    ['不取候选（limit 0）', each((q) => ({ ...q, limit: 0 }))],
    // Two phases: the queries return ids only; the distinct candidates' fields are then fetched once.
    ['两阶段：只取 id，再按 id 一次取回候选的字段', async (qs) => {
      const answers = await sendPlan<{ id: string }>(meili, qs.map((q) => (hits(q) ? { ...q, attributesToRetrieve: ['id'] } : q)));
      const ids = [...new Set(answers.flatMap((a) => a.hits.map((h) => h.id)))];
      const fields = (qs.find(hits)?.attributesToRetrieve ?? ['id']) as string[];
      if (ids.length) await fetchByIds(qs[0].indexUid, ids, fields);
    }],
    ['过滤不含 freshness 与 confirmedAt', each((q) => ({ ...q, filter: (q.filter as string[]).filter((f) => !/^(freshness|confirmedAt)/.test(f)) }))],
  ];
  for (const [what, send] of variants) {
    const times: number[] = [];
    for (const qs of plans) {
      const t = performance.now();
      await send(qs);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    row(`  检索变体：${what}，p50 / p95`, `${ms(percentile(times, 50))} / ${ms(percentile(times, 95))}`, '', `p50 为实际发送的 ${(percentile(times, 50) / asSent).toFixed(2)}×`);
  }
}

async function appOn(mongoUri: string, meiliHost: string, meiliKey: string, name: string) {
  const conn = await connectMongo(mongoUri, name);
  const meili = createMeili(meiliHost, meiliKey);
  const config = loadConfig({ LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent-bench-data', MEILI_INDEX_PREFIX: `${name}_` });
  const app = await buildApp({ config: { ...config, sessionSecret: 'bench-secret-'.padEnd(40, 'x') }, conn, meili, background: false });
  await app.ready();
  return { app, conn, close: async () => { await app.close(); await conn.dropDatabase().catch(() => {}); await conn.close(); } };
}

export async function benchMatching(opts: { mongoUri: string; meiliHost: string; meiliKey: string; row: Row }): Promise<void> {
  const { mongoUri, meiliHost, meiliKey, row } = opts;
  const set = readJudgedSet();

  // ---- relevance on the judged set ----
  {
    const { app, close } = await appOn(mongoUri, meiliHost, meiliKey, 'bench_judged');
    try {
      await seedSampleIndex(app);
      const r = await evaluateJudgedSet(app, set);
      row(`匹配相关性 nDCG@10（判定集 ${set.demands.length} 条需求）`, r.engine.toFixed(3), `${r.baseline.toFixed(3)}（仅用标题直接查询）`, `+${(r.engine - r.baseline).toFixed(3)}`);
      for (const [kind, k] of Object.entries(r.byKind)) {
        row(`  nDCG@10，${kind}（${k.n} 条）`, k.engine.toFixed(3), k.baseline.toFixed(3));
      }
    } finally {
      await close();
    }
  }

  // ---- latency over synthetic catalogs ----
  const sizes = (process.env.BENCH_MATCH_SIZES ?? '20000,100000').split(',').map(Number).filter((n) => n > 0);
  for (const size of sizes) {
    const { app, close } = await appOn(mongoUri, meiliHost, meiliKey, `bench_match_${size}`);
    try {
      process.stderr.write(`匹配基准：写入 ${size} 个产品到索引…\n`);
      await app.searchSync.ensureReady();
      const now = app.clock();
      const rand = seededRandom(7);
      const catalog = generateCatalog(size, { seed: 11 });
      const vendors = new Map(catalog.vendors.map((v) => [v.creditCode, {
        ...v, _id: new Types.ObjectId(), status: 'approved', freshness: 'current' as const,
        confirmedAt: new Date(now.getTime() - Math.floor(rand() * 80) * 86_400_000),
      }]));
      const indexUid = productsIndexName(app.config.MEILI_INDEX_PREFIX);
      const index = app.meili.index(indexUid);
      const started = performance.now();
      for (let i = 0; i < catalog.products.length; i += 10_000) {
        const docs = catalog.products.slice(i, i + 10_000).map((p) => buildDocument(
          { ...p, _id: new Types.ObjectId(), vendor: null, field: fieldOfCategory(p.category) ?? '', status: 'published' },
          vendors.get(p.vendorCreditCode)!, now));
        await index.addDocuments(docs).waitTask({ timeout: 900_000, interval: 200 });
      }
      row(`匹配基准目录 ${size} 个产品（直接批量写入索引）`, `${((performance.now() - started) / 1000).toFixed(1)} 秒`);

      const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
      const vocabulary = await queryVocabulary(app.models);
      const demands = set.demands.map((d) => ({ ...d, deadline: d.deadlineInDays != null ? new Date(now.getTime() + (d.deadlineInDays + 0.5) * 86_400_000) : d.deadline ? new Date(d.deadline) : null }));
      // Warm up once, then two timed rounds over the judged demands, alternating engine and raw retrieval.
      // Also timed: the query-understanding step alone, and the raw retrieval of the demand as typed (no
      // corrections or expansions): together they are what understanding adds to a match.
      for (const d of demands) await app.matching.matchDemand(d);
      const engine: number[] = [];
      const raw: number[] = [];
      const rawAsTyped: number[] = [];
      const understanding: number[] = [];
      for (let round = 0; round < 2; round++) {
        for (const d of demands) {
          const t0 = performance.now();
          await app.matching.matchDemand(d, { limit: 10 });
          engine.push(performance.now() - t0);
          const tu = performance.now();
          const understood = toRankDemand(d, vocabulary);
          understanding.push(performance.now() - tu);
          const asTyped = { ...understood, understood: { title: d.title, description: d.description ?? '', expansions: [] }, corrections: [] };
          // The same retrieval the engine sends: the demand as understood (slips corrected, abbreviations expanded).
          const { queries } = retrievalQueries(understood, indexUid, { now: app.clock(), policy });
          const t1 = performance.now();
          await sendPlan(app.meili, queries);
          raw.push(performance.now() - t1);
          const typed = retrievalQueries(asTyped, indexUid, { now: app.clock(), policy }).queries;
          const t2 = performance.now();
          await sendPlan(app.meili, typed);
          rawAsTyped.push(performance.now() - t2);
        }
      }
      for (const list of [engine, raw, rawAsTyped, understanding]) list.sort((a, b) => a - b);
      for (const p of [50, 95] as const) {
        const e = percentile(engine, p);
        const r = percentile(raw, p);
        row(`匹配延迟 p${p}，${size} 个产品（${engine.length} 次）`, ms(e), ms(r), `${(e / r).toFixed(2)}×`);
      }
      for (const p of [50, 95] as const) {
        const u = percentile(raw, p);
        const t = percentile(rawAsTyped, p);
        row(`  检索 p${p}：按理解后的需求 / 按原文`, ms(u), ms(t), `${(u / t).toFixed(2)}×`);
      }
      const fetchByIds = async (uid: string, ids: string[], fields: string[]) => {
        const res = await fetch(`${meiliHost}/indexes/${uid}/documents/fetch`, {
          method: 'POST', headers: { authorization: `Bearer ${meiliKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ ids, fields, limit: ids.length }),
        });
        if (!res.ok) throw new Error(`documents/fetch: ${res.status} ${await res.text()}`);
        return res.json();
      };
      if (process.env.BENCH_MATCH_LEVERS) await timeLevers(app.meili, demands.map((d) => retrievalQueries(toRankDemand(d, vocabulary), indexUid, { now: app.clock(), policy }).queries), percentile(raw, 50), row, fetchByIds);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const added = mean(understanding) + mean(raw) - mean(rawAsTyped);
      row(`  查询理解本身 p50 / p95；平均增加的匹配耗时`, `${percentile(understanding, 50).toFixed(2)} / ${percentile(understanding, 95).toFixed(2)} ms`, '',
        `+${added.toFixed(1)} ms = ${((added / (mean(engine) - added)) * 100).toFixed(1)}%`);
    } finally {
      await close();
    }
  }
}
