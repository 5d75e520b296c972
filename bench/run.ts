/**
 * `npm run bench`: measures the platform against the raw engines in the same run, on this machine, and
 * prints a table. Starts its own MongoDB + Meilisearch (temporary directory, free ports) and runs the app
 * as a separate process, as in production, so the load generator does not share its event loop.
 *
 *   BENCH_PRODUCTS (default 20000)  catalog size
 *   BENCH_SECONDS  (default 10)     duration of each load run
 *   BENCH_ONLY     (default all)    sections to run, comma-separated: import, search, matching, scheduler, events, reports
 *                                   (search imports the catalog too, without the raw comparison import adds)
 *   BENCH_IMPORT_BATCHES (default 1000,2500,10000)  other batch sizes the import section tries on the raw engine
 *                                   (scheduler alone starts no servers; see bench/scheduler.ts for its own knobs)
 *   BENCH_PROFILE  (default unset)  a directory: the app process writes a V8 CPU profile there when it stops
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoPath } from './repo.js';
import autocannon from 'autocannon';
import { Meilisearch } from 'meilisearch';
import { readLiveLock, startEmbedded } from '../src/infra/embedded.js';
import { connectMongo } from '../src/infra/db.js';
import { createModels } from '../src/infra/models.js';
import { hashPassword } from '../src/accounts/service.js';
import { generateCatalog } from './catalog.js';
import { productFilter, productSearchParams, searchWords } from '../src/search/service.js';
import { catalogVocabulary } from '../src/search/query-vocabulary.js';
import { understand } from '../src/search/understand.js';
import { buildDocument, isSearchable, type ProductLike, type VendorLike } from '../src/search/document.js';
import { ensureSettings } from '../src/search/settings.js';
import { SYNC_BATCH } from '../src/search/sync.js';
import { benchMatching } from './matching.js';
import { benchScheduler } from './scheduler.js';
import { benchEventRun } from './events.js';
import { benchReports } from './reports.js';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const runs = (section: 'import' | 'search' | 'matching' | 'scheduler' | 'events' | 'reports') => ONLY.size === 0 || ONLY.has(section);
const QUERIES = ['摄像机', '网络摄像头', '电梯', '课桌椅', '数控机床', '充电桩', '污水处理', 'CT', '储能', '门禁', '消防', '空调', '变压器', '机器人', '监测站', '录像机'];

const rows: Array<[string, string, string, string]> = [];
const row = (what: string, platform: string, raw = '', ratio = '') => {
  rows.push([what, platform, raw, ratio]);
  process.stderr.write(`  ${what}: ${platform}${raw ? ` | raw ${raw}` : ''}${ratio ? ` | ${ratio}` : ''}\n`);
};

const freePort = () => new Promise<number>((resolve, reject) => {
  const srv = net.createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as net.AddressInfo;
    srv.close(() => resolve(port));
  });
});

const percentile = (sorted: number[], p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN;
const ms = (v: number) => `${v.toFixed(1)} ms`;

interface Measured { p50: number; p95: number; p99: number; rps: number; bad: number }

/**
 * Load with autocannon: each request comes from `next()` (cycling through the queries); every response
 * time is kept, for exact percentiles (autocannon itself reports no p95).
 */
async function load(url: string, connections: number, headers: Record<string, string>, next: () => { path?: string; body?: string; method?: string }): Promise<Measured> {
  const times: number[] = [];
  const result = await autocannon({
    url,
    connections,
    duration: SECONDS,
    headers,
    requests: [{ setupRequest: (req: object) => ({ ...req, ...next() }) }],
    setupClient: (client: { on(event: 'response', fn: (status: number, bytes: number, time: number) => void): void }) => {
      client.on('response', (_status, _bytes, time) => times.push(time));
    },
  } as never) as unknown as { requests: { average: number }; non2xx: number; errors: number };
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), rps: result.requests.average, bad: result.non2xx + result.errors };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN when unreadable. */
function cpuMs(pid: number | undefined): number {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
// USER_HZ: 100 on every Linux the bench runs on (getconf CLK_TCK).
const CLOCK_TICKS = 100;

/** The processes whose CPU a search costs: the app, MongoDB, Meilisearch. */
type Pids = { app?: number; mongod?: number; meili?: number };
/** CPU ms per request each process spent during `run` (which returns how many requests it made). */
async function cpuPerRequest(pids: Pids, run: () => Promise<Measured>): Promise<Measured & { cpu: Record<keyof Pids, number> }> {
  const names = Object.keys(pids) as Array<keyof Pids>;
  const before = names.map((k) => cpuMs(pids[k]));
  const measured = await run();
  const requests = measured.rps * SECONDS;
  const cpu = Object.fromEntries(names.map((k, i) => [k, (cpuMs(pids[k]) - before[i]) / requests])) as Record<keyof Pids, number>;
  return { ...measured, cpu };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 600_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The scheduler alone (`BENCH_ONLY=scheduler`) is pure computation: no servers, no app. */
const serversNeeded = (['import', 'search', 'matching', 'events', 'reports'] as const).some(runs);

async function main() {
  if (!serversNeeded) {
    if (runs('scheduler')) await benchScheduler({ row });
    printTable();
    return;
  }
  const root = repoPath();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gongxu-bench-'));
  const servers = await startEmbedded({ dataDir, mongoPort: await freePort(), meiliPort: await freePort() });
  let app: ChildProcess | undefined;
  const cleanup = async () => {
    // The app exits on SIGTERM after closing; wait for it, so that a CPU profile is written.
    if (app && app.exitCode === null) await new Promise((resolve) => { app!.once('exit', resolve); app!.kill('SIGTERM'); });
    await servers.stop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const mongoUri = servers.mongoUri!.replace(/\/(\?|$)/, '/bench$1');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    app = spawn(process.execPath, [...profile, path.join(root, 'dist/server.js')], {
      env: { ...process.env, PORT: String(port), MONGODB_URI: mongoUri, MEILI_HOST: servers.meiliHost!, MEILI_MASTER_KEY: servers.meiliKey!, SEED_SAMPLE_DATA: 'false', LOG_LEVEL: 'warn', DATA_DIR: dataDir, LOGIN_RATE_LIMIT: '1000' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor('the app', async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, 60_000, 200);

    const conn = await connectMongo(mongoUri);
    const models = createModels(conn);
    await models.User.create({ email: 'bench@example.com', name: '基准测试', role: 'admin', passwordHash: await hashPassword('bench-2026') });
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-2026' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const { token } = await (await fetch(`${base}/api/v1/auth/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' })).json() as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    // The processes whose CPU the import and the searches cost.
    const children = (await readLiveLock(dataDir))?.childPids ?? [];
    const comm = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };
    const pids: Pids = { app: app.pid, mongod: children.find((p) => comm(p) === 'mongod'), meili: children.find((p) => comm(p).startsWith('meili')) };
    const cpuNow = () => ({ app: cpuMs(pids.app), mongod: cpuMs(pids.mongod), meili: cpuMs(pids.meili) });
    const cpuSince = (before: ReturnType<typeof cpuNow>) => {
      const after = cpuNow();
      const s = (k: keyof Pids) => ((after[k] - before[k]) / 1000).toFixed(1);
      return `CPU 应用 ${s('app')} + MongoDB ${s('mongod')} + Meilisearch ${s('meili')} 秒`;
    };
    const meili = new Meilisearch({ host: servers.meiliHost!, apiKey: servers.meiliKey! });
    const index = meili.index('products');

    // ---- import, end to end until searchable ----
    if (runs('import') || runs('search')) {
      process.stderr.write(`导入 ${PRODUCTS} 个产品…\n`);
      const catalog = generateCatalog(PRODUCTS);
      const cpuAtStart = cpuNow();
      const started = performance.now();
      const accepted = await fetch(`${base}/api/v1/imports`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ...catalog, publish: true }) });
      if (accepted.status !== 202) throw new Error(`import refused: ${accepted.status} ${await accepted.text()}`);
      const { jobId } = await accepted.json() as { jobId: string };
      const job = await waitFor('the import job', async () => {
        const j = await (await fetch(`${base}/api/v1/imports/${jobId}`, { headers: auth })).json() as { status: string; created: number; errors: unknown[] };
        return j.status !== 'running' && j.status !== 'queued' ? j : undefined;
      }, 900_000, 200);
      const imported = performance.now();
      const importCpu = cpuSince(cpuAtStart);
      if (job.status !== 'done') throw new Error(`import ended ${job.status}: ${JSON.stringify(job.errors).slice(0, 500)}`);
      await waitFor('the index', async () => (await index.getStats().catch(() => ({ numberOfDocuments: 0 }))).numberOfDocuments >= PRODUCTS, 900_000, 200);
      const searchable = performance.now();
      const endToEndCpu = cpuSince(cpuAtStart);
      row(`导入 ${PRODUCTS} 个产品（写入 MongoDB）`, `${((PRODUCTS / (imported - started)) * 1000).toFixed(0)} 个/秒`, '', `${((imported - started) / 1000).toFixed(1)} 秒，${importCpu}`);
      const endToEnd = (PRODUCTS / (searchable - started)) * 1000;
      if (runs('import')) {
        // The raw engine: the same documents, built beforehand, added in batches of the sync's size to a
        // fresh index with the same settings, every task enqueued at once, then waited for.
        const rawCpuStart = cpuNow();
        const raw = await rawIndexing(models, meili, SYNC_BATCH);
        const rawCpu = cpuSince(rawCpuStart);
        row('导入，直到全部可搜索（端到端）', `${endToEnd.toFixed(0)} 个/秒`, `${raw.rate.toFixed(0)} 个/秒（${raw.batch} 个一批）`, `${(endToEnd / raw.rate).toFixed(2)}×，${((searchable - started) / 1000).toFixed(1)} 秒`);
        row('导入的 CPU（平台：端到端；引擎：从 MongoDB 读出文档并索引）', endToEndCpu, rawCpu);
        row('导入时 Meilisearch 的索引批次', batchesText(await documentBatches(meili, 'products')), batchesText(raw.batches));
        // The batch size the sync sends, chosen by measurement: the raw engine's rate at other sizes.
        for (const size of (process.env.BENCH_IMPORT_BATCHES ?? '1000,2500,10000').split(',').map(Number).filter((n) => n > 0)) {
          const other = await rawIndexing(models, meili, size);
          row(`直接写入 Meilisearch，${size} 个一批`, '', `${other.rate.toFixed(0)} 个/秒`, `${(other.rate / raw.rate).toFixed(2)}× ${SYNC_BATCH} 个一批`);
        }
      } else {
        row('导入，直到全部可搜索（端到端）', `${endToEnd.toFixed(0)} 个/秒`, '', `${((searchable - started) / 1000).toFixed(1)} 秒，${endToEndCpu}`);
      }
    }
    if (runs('search')) {
  
      // ---- search latency and throughput: the API against Meilisearch directly, same queries ----
      const cycle = <T>(make: (q: string) => T) => {
        let i = 0;
        return () => make(QUERIES[i++ % QUERIES.length]);
      };
      const apiPath = (q: string) => ({ path: `/api/v1/search?q=${encodeURIComponent(q)}&pageSize=20` });
      // The raw query asks Meilisearch exactly what the API asks of it: the same words as understood, and
      // the body built by the same function (filter, facets, page, fields, highlighting and cropping).
      const vocabulary = await catalogVocabulary(models);
      const policy = { days: 90, graceDays: 30 };
      const rawRequest = (q: string) => {
        const understood = understand(q, vocabulary);
        return {
          method: 'POST',
          body: JSON.stringify({ q: searchWords(understood), ...productSearchParams({ pageSize: 20, sort: 'relevance' }, productFilter({}, new Date(), policy), 1) }),
        };
      };
      // Like for like: for every query, the API's answer and Meilisearch's must name the same products in the same order.
      let same = 0;
      const bytes = { api: 0, raw: 0 };
      for (const q of QUERIES) {
        const apiText = await (await fetch(`${base}${apiPath(q).path}`)).text();
        const rawText = await (await fetch(`${servers.meiliHost}/indexes/products/search`, { method: 'POST', headers: { authorization: `Bearer ${servers.meiliKey}`, 'content-type': 'application/json' }, body: rawRequest(q).body })).text();
        bytes.api += Buffer.byteLength(apiText);
        bytes.raw += Buffer.byteLength(rawText);
        const api = JSON.parse(apiText) as { total: number; hits: Array<{ productId: string }> };
        const raw = JSON.parse(rawText) as { totalHits: number; hits: Array<{ id: string }> };
        if (api.total === raw.totalHits && api.hits.map((h) => h.productId).join() === raw.hits.map((h) => h.id).join()) same++;
      }
      const kb = (n: number) => `${(n / QUERIES.length / 1024).toFixed(1)} KB`;
      row('搜索：API 与直接查询 Meilisearch 的结果相同（总数与前 20 条）', `${same} / ${QUERIES.length} 个查询`, '', `平均答复 ${kb(bytes.api)}，Meilisearch 的答复 ${kb(bytes.raw)}`);
      // Each caller as it comes: anonymous, with an API token, and with a login session cookie.
      const callers: Array<[string, Record<string, string>]> = [['匿名', {}], ['令牌', auth], ['会话', { cookie }]];
      // The raw engine is measured right before each API run, not once per connection count: Meilisearch's
      // own rate drifts by 10-15% within a minute on this machine, which a shared raw row would book as
      // the platform's cost.
      // Where the CPU goes: each process's CPU time per request (2 cores are shared by all of them and the
      // load generator, so what the app and MongoDB spend is taken from Meilisearch at full load).
      const cpuText = (cpu: Record<keyof Pids, number>) => `CPU/次 应用 ${cpu.app.toFixed(1)} + MongoDB ${cpu.mongod.toFixed(1)} + Meilisearch ${cpu.meili.toFixed(1)} ms`;
      for (const connections of [16, 32, 64]) {
        for (const [who, headers] of callers) {
          const direct = await cpuPerRequest(pids, () => load(`${servers.meiliHost}/indexes/products/search`, connections, { authorization: `Bearer ${servers.meiliKey}`, 'content-type': 'application/json' }, cycle(rawRequest)));
          const viaApi = await cpuPerRequest(pids, () => load(base, connections, headers, cycle(apiPath)));
          row(`搜索 CPU，${connections} 并发，${who}`, cpuText(viaApi.cpu), cpuText(direct.cpu));
          for (const p of ['p50', 'p95'] as const) {
            row(`搜索延迟 ${p}，${connections} 并发，${who}`, ms(viaApi[p]), ms(direct[p]), `${(viaApi[p] / direct[p]).toFixed(2)}×`);
          }
          row(`搜索吞吐，${connections} 并发，${who}`, `${viaApi.rps.toFixed(0)} 次/秒`, `${direct.rps.toFixed(0)} 次/秒`, `${(viaApi.rps / direct.rps).toFixed(2)}×`);
          if (viaApi.bad || direct.bad) row(`失败请求（${connections} 并发，${who}）`, String(viaApi.bad), String(direct.bad));
        }
      }
  
      // ---- sync lag: a committed edit until Meilisearch shows it, against the raw engine's own ----
      // add-and-wait for one document, watched the same way (getDocument every 10 ms). The two alternate,
      // edit by edit, so that both meet the same state of Meilisearch.
      const lags: number[] = [];
      const rawLags: number[] = [];
      const sample = await models.Product.find({ status: 'published' }).limit(40).lean();
      const shows = (id: string, leadTimeDays: number) => async () => (await index.getDocument(id).catch(() => null) as { leadTimeDays?: number } | null)?.leadTimeDays === leadTimeDays;
      for (const [n, product] of sample.entries()) {
        const id = String(product._id);
        const body = { vendorCreditCode: product.vendorCreditCode, name: product.name, model: product.model, category: product.category, description: product.description, certifications: product.certifications, priceMin: product.priceMin, priceMax: product.priceMax, capacityPerMonth: product.capacityPerMonth, leadTimeDays: 1000 + n, specs: product.specs };
        let t0 = performance.now();
        const res = await fetch(`${base}/api/v1/products/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`edit failed: ${res.status} ${await res.text()}`);
        await waitFor('the edit in search', shows(id, 1000 + n), 30_000, 10);
        lags.push(performance.now() - t0);

        const doc = await index.getDocument(id) as Record<string, unknown>;
        t0 = performance.now();
        await index.addDocuments([{ ...doc, leadTimeDays: 5000 + n }], { primaryKey: 'id' });
        await waitFor('the raw edit', shows(id, 5000 + n), 30_000, 10);
        rawLags.push(performance.now() - t0);
      }
      // Paired by product: the same document, edited through the platform, then directly. Meilisearch's own
      // time for a one-document update varies by the document (its words) from ~0.1 to several seconds, so
      // the per-product difference shows the platform's share better than two separate percentiles.
      const extra = lags.map((lag, i) => lag - rawLags[i]).sort((a, b) => a - b);
      lags.sort((a, b) => a - b);
      rawLags.sort((a, b) => a - b);
      row('单次修改到可搜索，逐个产品比平台多出的时间 p50 / p95', `${extra.length ? percentile(extra, 50).toFixed(0) : '—'} / ${extra.length ? percentile(extra, 95).toFixed(0) : '—'} ms`, '', `同一产品先经平台、再直接写入 Meilisearch，共 ${extra.length} 对；最慢一对：平台 ${Math.max(...lags).toFixed(0)} ms，直接 ${Math.max(...rawLags).toFixed(0)} ms`);
      for (const p of [50, 95]) {
        const [platform, raw] = [percentile(lags, p), percentile(rawLags, p)];
        row(`单次修改到可搜索的延迟 p${p}`, ms(platform), ms(raw), `${(platform / raw).toFixed(2)}×，多 ${(platform - raw).toFixed(0)} ms（目标 ≤ 150 ms）`);
      }
    }
    if (runs('matching')) await benchMatching({ mongoUri: servers.mongoUri!, meiliHost: servers.meiliHost!, meiliKey: servers.meiliKey!, row });
    if (runs('scheduler')) await benchScheduler({ row });
    if (runs('events')) await benchEventRun({ base, auth, models, row });
    if (runs('reports')) await benchReports({ mongoUri: servers.mongoUri!, meiliHost: servers.meiliHost!, meiliKey: servers.meiliKey!, row });
    await conn.close();
  } finally {
    await cleanup();
  }
  printTable();
}

/** Meilisearch's batches that added documents to an index: how many, and the seconds they took together. */
async function documentBatches(meili: Meilisearch, uid: string): Promise<{ count: number; seconds: number }> {
  const { results } = await meili.batches.getBatches({ indexUids: [uid], types: ['documentAdditionOrUpdate'], limit: 1000 });
  // ISO 8601 durations such as PT1.25S or PT1M2.5S.
  const seconds = (d: string | null) => {
    const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(d ?? '');
    return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 0;
  };
  return { count: results.length, seconds: results.reduce((sum, b) => sum + seconds(b.duration), 0) };
}
const batchesText = (b: { count: number; seconds: number }) => `Meilisearch 处理 ${b.count} 批，共 ${b.seconds.toFixed(1)} 秒`;

/** Adds the index's documents, built in this process from MongoDB, to a fresh index and waits: the engine's own rate. */
async function rawIndexing(models: ReturnType<typeof createModels>, meili: Meilisearch, batch: number): Promise<{ rate: number; batch: number; batches: { count: number; seconds: number } }> {
  const now = new Date();
  const vendors = new Map((await models.Vendor.find().lean() as unknown as VendorLike[]).map((v) => [String(v._id), v]));
  const docs = (await models.Product.find().lean() as unknown as ProductLike[])
    .filter((p) => isSearchable(p, vendors.get(String(p.vendor))))
    .map((p) => buildDocument(p, vendors.get(String(p.vendor))!, now));
  const uid = `products_raw_${batch}`;
  await ensureSettings(meili, uid);
  const started = performance.now();
  const index = meili.index(uid);
  const tasks = [];
  for (let i = 0; i < docs.length; i += batch) tasks.push(index.addDocuments(docs.slice(i, i + batch), { primaryKey: 'id' }));
  for (const task of tasks) {
    const done = await task.waitTask({ timeout: 900_000, interval: 20 });
    if (done.status !== 'succeeded') throw new Error(`raw indexing failed: ${done.error?.message ?? done.status}`);
  }
  const rate = (docs.length / (performance.now() - started)) * 1000;
  const batches = await documentBatches(meili, uid);
  await meili.deleteIndex(uid).waitTask({ timeout: 120_000 });
  return { rate, batch, batches };
}

function printTable() {
  const header: [string, string, string, string] = ['测量项', '平台', '直接访问引擎', '比值 / 备注'];
  // Chinese characters take two columns in a terminal.
  const width = (text: string) => [...text].reduce((n, ch) => n + (ch.codePointAt(0)! >= 0x2e80 ? 2 : 1), 0);
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]))) + 2);
  const line = (cells: string[]) => `| ${cells.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join('| ')}|`;
  process.stdout.write(`\n供需对接平台 基准测试（${os.cpus().length} 核${serversNeeded ? `，${PRODUCTS} 个产品，每项 ${SECONDS} 秒` : ''}）\n`);
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w - 1)))}\n${rows.map(line).join('\n')}\n`);
}

await main();
process.exit(0);
