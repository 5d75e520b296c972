/**
 * 统计报表 in `npm run bench`: the overview page (/reports, HTML, every aggregation) over HTTP (inject) on
 * 100,000 products, 10,000 demands and 50,000 follow-up records (plus 20 events), written straight into
 * MongoDB through the models' collections in batches. Deterministic (seeded). Target: under 300 ms.
 *
 *   BENCH_REPORT_PRODUCTS (default 100000), BENCH_REPORT_DEMANDS (10000), BENCH_REPORT_FOLLOWUPS (50000),
 *   BENCH_REPORT_SCRATCH_RUNS (10: the report computed from the records, without the derived data)
 */
import { Types } from 'mongoose';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connectMongo } from '../src/infra/db.js';
import { createMeili } from '../src/infra/meili.js';
import { seededRandom } from '../src/infra/seeded-random.js';
import { hashPassword } from '../src/accounts/service.js';
import { fieldCodes, fieldOfCategory, taxonomy } from '../src/taxonomy/index.js';
import { generateCatalog } from './catalog.js';
import { overview, rebuildReportAggregates } from '../src/reports/index.js';
import { ReportQuery } from '../src/reports/schemas.js';

type Row = (what: string, platform: string, raw?: string, ratio?: string) => void;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const DAY = 86_400_000;
const TARGET_MS = 300;

async function insertBatched(collection: { insertMany(docs: object[], options?: object): Promise<unknown> }, docs: object[], size = 10_000) {
  for (let i = 0; i < docs.length; i += size) await collection.insertMany(docs.slice(i, i + size), { ordered: false });
}

/** BENCH_REPORT_PROFILE=1: time each group of aggregations on its own (development aid). */
async function profile(app: Awaited<ReturnType<typeof buildApp>>) {
  const { supplierRows, demandRows, funnelRows, eventRows } = await import('../src/reports/aggregate.js');
  const { scopeOf } = await import('../src/reports/figures.js');
  const scope = scopeOf({}, app.clock(), { days: 90, graceDays: 30 });
  for (const [label, fn] of [['suppliers', () => supplierRows(app.models, scope)], ['demands', () => demandRows(app.models, scope)], ['funnel', () => funnelRows(app.models, scope)], ['events', () => eventRows(app.models, scope)]] as const) {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) { const t0 = performance.now(); await fn(); times.push(performance.now() - t0); }
    process.stderr.write(`  ${label}: ${times.map((t) => t.toFixed(0)).join(' ')} ms\n`);
  }
}

/** BENCH_REPORT_PROFILE=1: what each query of one overview reads (MongoDB profiler: plan, keys, documents, ms). */
async function profileQueries(app: Awaited<ReturnType<typeof buildApp>>, conn: Awaited<ReturnType<typeof connectMongo>>) {
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  const db = conn.db!;
  for (const fromScratch of [false, true]) {
    await db.collection('system.profile').drop().catch(() => {});
    await db.command({ profile: 2 });
    await overview({ models: app.models, clock: app.clock, policy }, {}, { fromScratch });
    await db.command({ profile: 0 });
    const entries = await db.collection('system.profile').find({ ns: { $not: /system\.profile$/ } }).sort({ ts: 1 }).toArray();
    process.stderr.write(`  ${fromScratch ? 'from the records' : 'from the derived data'}:\n`);
    for (const e of entries) {
      const first = (e.command?.pipeline?.[0] ?? e.command?.filter ?? {}) as object;
      process.stderr.write(`    ${String(e.ns).split('.').pop()} ${e.op} ${e.planSummary ?? ''} keys=${e.keysExamined ?? '-'} docs=${e.docsExamined ?? '-'} n=${e.nreturned ?? '-'} ${e.millis} ms ${JSON.stringify(first).slice(0, 90)}\n`);
    }
  }
}

export async function benchReports(opts: { mongoUri: string; meiliHost: string; meiliKey: string; row: Row; runs?: number; keep?: boolean }): Promise<void> {
  const { row } = opts;
  const productCount = Number(process.env.BENCH_REPORT_PRODUCTS ?? 100_000);
  const demandCount = Number(process.env.BENCH_REPORT_DEMANDS ?? 10_000);
  const followUpCount = Number(process.env.BENCH_REPORT_FOLLOWUPS ?? 50_000);
  const runs = opts.runs ?? 40;
  const name = 'bench_reports';
  const conn = await connectMongo(opts.mongoUri, name);
  await conn.dropDatabase();
  const config = loadConfig({ LOG_LEVEL: 'warn', DATA_DIR: '/nonexistent-bench-data', MEILI_INDEX_PREFIX: `${name}_` });
  const app = await buildApp({ config: { ...config, sessionSecret: 'bench-secret-'.padEnd(40, 'x') }, conn, meili: createMeili(opts.meiliHost, opts.meiliKey), background: false });
  await app.ready();
  try {
    if (process.env.BENCH_REPORT_PROFILE) await profile(app);
    process.stderr.write(`报表基准：写入 ${productCount} 个产品、${demandCount} 条需求、${followUpCount} 条跟进记录…\n`);
    const loadStarted = performance.now();
    const rand = seededRandom(606);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
    const now = app.clock();
    const { Vendor, Product, BuyerOrg, Demand, FollowUp } = app.models;

    // ---- supplier list ----
    const catalog = generateCatalog(productCount, { seed: 17 });
    const vendorIds = new Map<string, Types.ObjectId>();
    const vendors = catalog.vendors.map((v) => {
      const _id = new Types.ObjectId();
      vendorIds.set(v.creditCode, _id);
      return {
        ...v, _id, qualifications: [], status: rand() < 0.95 ? 'approved' : 'submitted', freshness: 'current',
        // Confirmed 0–150 days ago: mostly current, some stale, some hidden.
        confirmedAt: new Date(now.getTime() - Math.floor(rand() * 150) * DAY), createdAt: now, updatedAt: now,
      };
    });
    await insertBatched(Vendor.collection, vendors);
    const products = catalog.products.map((p) => ({
      ...p, vendor: vendorIds.get(p.vendorCreditCode), field: fieldOfCategory(p.category) ?? 'industry',
      status: rand() < 0.9 ? 'published' : 'draft', images: [], createdAt: now, updatedAt: now,
    }));
    await insertBatched(Product.collection, products);

    // ---- buyers, demands ----
    const { hangzhouDistricts, zhejiangCities } = taxonomy.regions;
    const orgs = Array.from({ length: 500 }, (_, i) => {
      const level = i % 10 === 0 ? 'province' : i % 3 === 0 ? 'city' : 'district';
      const city = level === 'province' ? '杭州市' : rand() < 0.7 ? '杭州市' : pick(zhejiangCities);
      return {
        _id: new Types.ObjectId(), name: `基准采购单位${i + 1}`, type: pick(['enterprise', 'hospital', 'school', 'agency']), level,
        province: '浙江省', city, district: level === 'district' && city === '杭州市' ? pick(hangzhouDistricts) : undefined,
      };
    });
    await insertBatched(BuyerOrg.collection, orgs);
    const statuses = ['open', 'open', 'in_progress', 'closed', 'draft'];
    const demands = Array.from({ length: demandCount }, (_, i) => {
      const createdAt = new Date(now.getTime() - Math.floor(rand() * 720) * DAY - Math.floor(rand() * DAY));
      const status = pick(statuses);
      const org = pick(orgs);
      return {
        _id: new Types.ObjectId(), buyerOrg: org._id, title: `基准需求${i + 1}`, description: '', field: rand() < 0.95 ? pick(fieldCodes) : undefined,
        budgetYuan: rand() < 0.7 ? Math.round(rand() * 5_000_000) : undefined, status,
        closedAs: status === 'closed' ? pick(['fulfilled', 'cancelled', 'expired']) : undefined,
        source: 'buyer', history: [], requiredCertifications: [], preferredCertifications: [], createdAt, updatedAt: createdAt,
      };
    });
    await insertBatched(Demand.collection, demands);

    // ---- follow-ups: distinct (demand, vendor) pairs with 1–3 steps after the demand was posted ----
    const open = demands.filter((d) => d.status !== 'draft');
    const approved = vendors.filter((v) => v.status === 'approved');
    const seen = new Set<string>();
    const by = { id: 'bench', name: '基准', role: 'organizer' };
    const followUps: object[] = [];
    while (followUps.length < followUpCount) {
      const d = pick(open);
      const v = pick(approved);
      const k = `${String(d._id)}:${String(v._id)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const path = pick([['contacted'], ['contacted', 'intent'], ['contacted', 'intent', 'signed'], ['declined'], ['contacted', 'declined'], ['intent']]);
      let at = d.createdAt.getTime();
      const steps = path.map((status) => {
        at = Math.min(now.getTime(), at + Math.floor(rand() * 20 * DAY));
        return { status, action: status, from: null, by, at: new Date(at), source: 'platform', ...(status === 'signed' && rand() < 0.8 ? { amountYuan: Math.round(rand() * 2_000_000) } : {}) };
      });
      const last = steps[steps.length - 1] as { status: string; at: Date; amountYuan?: number };
      followUps.push({ demand: d._id, vendor: v._id, buyerOrg: d.buyerOrg, status: last.status, amountYuan: last.amountYuan, steps, createdAt: steps[0].at, updatedAt: last.at });
    }
    await insertBatched(FollowUp.collection, followUps);

    // ---- events ----
    const events = Array.from({ length: 20 }, (_, i) => ({
      _id: new Types.ObjectId(), title: `基准对接会${i + 1}`, theme: '综合', field: pick(fieldCodes), venue: '滨江', tables: 20,
      phase: pick(['registration', 'scheduling', 'published', 'finished']),
      slots: Array.from({ length: 8 }, (_, s) => ({ start: new Date(now.getTime() - (i * 30 - s / 48) * DAY), end: new Date(now.getTime() - (i * 30 - s / 48) * DAY + 1_800_000) })),
      createdAt: now,
    }));
    await conn.collection('events').insertMany(events);
    await conn.collection('event_participants').insertMany(events.flatMap((e) => Array.from({ length: 60 }, (_, j) => ({
      event: e._id, ...(j % 2 ? { kind: 'vendor', vendor: new Types.ObjectId() } : { kind: 'buyer', buyerOrg: new Types.ObjectId() }),
      status: pick(['approved', 'approved', 'pending', 'rejected']), checkIn: pick([undefined, 'arrived', 'no_show']),
    }))));
    await conn.collection('event_meetings').insertMany(events.flatMap((e) => Array.from({ length: 150 }, (_, j) => ({
      // Distinct (slot, table) per event, as the unique indexes of event_meetings require.
      event: e._id, buyer: new Types.ObjectId(), vendor: new Types.ObjectId(), slot: Math.floor(j / 20), table: (j % 20) + 1, seat: 0,
      outcome: pick([undefined, 'held', 'no_show', 'intent', 'signed']), amountYuan: rand() < 0.2 ? Math.round(rand() * 1_000_000) : undefined,
    }))));
    row(`报表基准数据（${productCount} 产品 / ${demandCount} 需求 / ${followUpCount} 跟进）`, `${((performance.now() - loadStarted) / 1000).toFixed(1)} 秒写入`);
    // Written straight into the collections: the report's derived data is derived as a migration does.
    const rebuilt = await rebuildReportAggregates(app.models);
    row('报表派生数据重建（rebuild-reports）', `${(rebuilt.ms / 1000).toFixed(1)} 秒`, '', `${rebuilt.vendors} 家企业、${rebuilt.stagesChanged} 条跟进、${rebuilt.months} 个月份×状态、${rebuilt.demands} 条需求的漏斗计数`);

    if (process.env.BENCH_REPORT_PROFILE) {
      await profile(app);
      await profileQueries(app, conn);
    }
    // ---- the overview page over HTTP (inject), as an organizer ----
    await app.models.User.create({ email: 'bench-reports@example.com', name: '基准主办方', role: 'organizer', passwordHash: await hashPassword('bench-2026') });
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench-reports@example.com', password: 'bench-2026' } });
    const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const year = new Date(now.getTime() - 365 * DAY).toISOString().slice(0, 10);
    const today = now.toISOString().slice(0, 10);
    const variants: Array<[string, string]> = [
      ['统计报表总览 /reports（无筛选）', '/reports'],
      ['统计报表 /reports（近一年 + 领域 + 地区）', `/reports?from=${year}&to=${today}&field=security&region=${encodeURIComponent('杭州市')}`],
    ];
    const snapshots = conn.collection('report_snapshots');
    const measure = async (url: string, cold: boolean) => {
      const times: number[] = [];
      for (let i = 0; i < runs + 3; i++) {
        if (cold) await snapshots.deleteMany({});
        const t0 = performance.now();
        const res = await app.inject({ url, headers: { cookie } });
        const elapsed = performance.now() - t0;
        if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (i >= 3) times.push(elapsed); // the first few warm the caches
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 50), p95: percentile(times, 95) };
    };
    // The fast report (derived data) must equal the one computed from the records, figure for figure.
    const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
    const deps = { models: app.models, clock: () => now, policy };
    for (const [label, url] of variants) {
      const query = ReportQuery.parse(Object.fromEntries(new URL(url, 'http://x').searchParams));
      const [fast, scratch] = await Promise.all([overview(deps, query), overview(deps, query, { fromScratch: true })]);
      const same = JSON.stringify(fast) === JSON.stringify(scratch);
      row(`${label}：派生数据算出的报表与从记录现算的报表`, same ? '逐项相同' : '不同！');
    }
    {
      // The aggregations as they were before the derived data (same data, same run), without HTTP.
      // Seconds each: fewer runs than the page (BENCH_REPORT_SCRATCH_RUNS, default 10).
      const scratchRuns = Number(process.env.BENCH_REPORT_SCRATCH_RUNS ?? 10);
      const times: number[] = [];
      for (let i = 0; i < scratchRuns + 1; i++) {
        const t0 = performance.now();
        await overview({ ...deps, clock: app.clock }, {}, { fromScratch: true });
        if (i >= 1) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      row('统计报表（无筛选），从记录现算（不用派生数据，无 HTTP）p50 / p95', `${percentile(times, 50).toFixed(0)} / ${percentile(times, 95).toFixed(0)} ms`, '', `${scratchRuns} 次顺序计算`);
    }
    for (const [label, url] of variants) {
      // Computed: every aggregation runs (no snapshot); served: from the snapshot of the last minute.
      for (const cold of [true, false]) {
        const { p50, p95 } = await measure(url, cold);
        row(`${label}，${cold ? '现算（无快照）' : '快照（一分钟内）'} p50 / p95`, `${p50.toFixed(0)} / ${p95.toFixed(0)} ms`, '', `目标 < ${TARGET_MS} ms：${p95 < TARGET_MS ? '达到' : '未达到'}（${runs} 次顺序请求）`);
      }
    }
  } finally {
    await app.close();
    if (!opts.keep) await conn.dropDatabase().catch(() => {});
    await conn.close();
  }
}
