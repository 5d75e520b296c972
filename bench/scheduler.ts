/**
 * The meeting scheduler in `npm run bench`: its total weight against the exact optimum (the same model
 * solved as a MIP by HiGHS) on small and medium random instances, its time at a realistic event size, and
 * at province size its time, memory and weight against the proven upper bound of bound.ts (the MIP is out
 * of reach there). Pure computation: no servers needed (`BENCH_ONLY=scheduler` starts none).
 *
 *   BENCH_SCHED_SMALL    (default 40)  small instances
 *   BENCH_SCHED_MEDIUM   (default 12)  medium instances
 *   BENCH_SCHED_PROVINCE (default 3)   province-size instances of each kind (0: none)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { schedule } from '../src/events/scheduler/schedule.js';
import { solveMip } from './mip.js';
import { generateInstance, type GenerateOptions } from './generate-instance.js';
import type { ProvinceRun } from './scheduler-province.js';

type Row = (what: string, platform: string, raw?: string, ratio?: string) => void;

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

async function optimality(row: Row, label: string, count: number, make: (seed: number) => GenerateOptions, timeLimit: number) {
  if (count <= 0) return;
  const ratios: number[] = [];
  let heuristicMs = 0;
  let mipMs = 0;
  let unproven = 0;
  let greedyMin = Infinity;
  for (let seed = 1; seed <= count; seed++) {
    const inst = generateInstance(make(seed));
    let t0 = performance.now();
    const ours = schedule(inst).stats.totalWeight;
    heuristicMs += performance.now() - t0;
    t0 = performance.now();
    const mip = await solveMip(inst, timeLimit);
    mipMs += performance.now() - t0;
    if (!mip.optimal) { unproven++; continue; }
    ratios.push(mip.weight === 0 ? 1 : ours / mip.weight);
    // The same scheduler without its improvement phases, to show what they buy.
    const greedy = schedule(inst, { improvementRounds: 0, searchBudget: 0 }).stats.totalWeight;
    greedyMin = Math.min(greedyMin, mip.weight === 0 ? 1 : greedy / mip.weight);
  }
  const min = Math.min(...ratios);
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const n = ratios.length;
  row(`排期最优性，${label}（${n} 个实例，对比 HiGHS 精确解）`, `最低 ${pct(min)}，平均 ${pct(mean)}`,
    `HiGHS 平均 ${(mipMs / count).toFixed(0)} ms/个`, `排期平均 ${(heuristicMs / count).toFixed(1)} ms/个；仅贪心最低 ${pct(greedyMin)}${unproven ? `；${unproven} 个未在 ${timeLimit} 秒内证明最优，未计入` : ''}`);
}

export async function benchScheduler(opts: { row: Row }): Promise<void> {
  const { row } = opts;
  const small = Number(process.env.BENCH_SCHED_SMALL ?? 40);
  const medium = Number(process.env.BENCH_SCHED_MEDIUM ?? 12);
  process.stderr.write('排期基准：与 HiGHS 精确解比较…\n');
  await optimality(row, '小规模', small, (seed) => ({ vendors: 4 + (seed % 7), buyers: 6 + (seed % 10), wishes: 20 + (seed % 20) * 3, slots: 3 + (seed % 6), tables: 2 + (seed % 6), seed }), 30);
  // Medium: alternately tight tables, and few slots with many absences and multi-representative vendors.
  await optimality(row, '中等规模', medium, (seed) => (seed % 2
    ? { vendors: 30 + (seed % 10), buyers: 50 + (seed % 20), wishes: 400 + seed * 10, slots: 10, tables: 8 + (seed % 6), unavailableRate: 0.25, seed: 1000 + seed }
    : { vendors: 20 + (seed % 8), buyers: 60, wishes: 300 + seed * 5, slots: 6, tables: 30, maxCapacity: 4, unavailableRate: 0.3, seed: 1000 + seed }), 60);

  // Realistic size: 300 vendors, 500 buyers, 4,000 wishes, 24 slots, 150 tables.
  const times: number[] = [];
  let last = schedule(generateInstance({ vendors: 3, buyers: 3, wishes: 5, slots: 2, tables: 2, seed: 1 }));
  for (let seed = 1; seed <= 3; seed++) {
    const inst = generateInstance({ vendors: 300, buyers: 500, wishes: 4000, slots: 24, tables: 150, seed });
    const t0 = performance.now();
    last = schedule(inst);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const s = last.stats;
  row('排期用时（300 供应商、500 采购方、4000 条意向、24 时段、150 桌）', `${(times[1] / 1000).toFixed(2)} 秒（3 次中位数）`, '',
    `最长 ${(times[2] / 1000).toFixed(2)} 秒；${s.meetings} 场会谈 / ${s.wishedPairs} 对意向，空档 ${s.idleGaps}，无会谈者 ${s.wishedWithoutMeeting}`);
  await benchProvince(row);
}

const run = promisify(execFile);
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} 秒`;
const thousands = (n: number) => n.toLocaleString('en-US');

/** Each instance scheduled in a fresh process (bench/scheduler-province.ts), one after the other. */
async function province(row: Row, label: string, count: number, make: (seed: number) => GenerateOptions) {
  if (count <= 0) return;
  const script = fileURLToPath(new URL('./scheduler-province.js', import.meta.url));
  const runs: ProvinceRun[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const { stdout } = await run(process.execPath, ['--expose-gc', script, JSON.stringify(make(seed))], { maxBuffer: 1 << 20 });
    runs.push(JSON.parse(stdout) as ProvinceRun);
  }
  const median = (f: (r: ProvinceRun) => number) => runs.map(f).sort((a, b) => a - b)[(runs.length - 1) >> 1];
  const max = (f: (r: ProvinceRun) => number) => Math.max(...runs.map(f));
  const ratios = runs.map((r) => (r.bound === 0 ? 1 : r.weight / r.bound));
  const n = runs.length;
  row(`排期用时，${label}`, `${sec(median((r) => r.ms))}（${n} 个实例中位数）`, '',
    `最长 ${sec(max((r) => r.ms))}；CPU 中位 ${sec(median((r) => r.cpuMs))}；目标 ≤ 10 秒；会谈 ${runs.map((r) => `${thousands(r.meetings)}/${thousands(r.wishedPairs)}`).join('、')} 场/对意向，空档 ${runs.map((r) => r.idleGaps).join('、')}，无会谈者 ${runs.map((r) => r.wishedWithoutMeeting).join('、')}`);
  row(`排期权重 / 已证明上界，${label}`, `最低 ${(Math.min(...ratios) * 100).toFixed(3)}%`, `上界计算 ${(median((r) => r.boundMs)).toFixed(0)} ms`,
    `${runs.map((r) => `${thousands(r.weight)} / ${thousands(r.bound)}`).join('；')}；目标 ≥ 98%`);
  row(`排期内存，${label}`, `进程峰值 RSS ${mb(max((r) => r.peakRss))}`, '',
    `排期前 RSS ${mb(median((r) => r.rssBefore))}（Node 与实例），排期期间堆增长 ≥ ${mb(max((r) => r.heapGrowth))}，结果占堆 ${mb(max((r) => r.heapRetained))}`);
}

/** Province size (issue 15): 1,000 vendors × 2,000 buyers, 20,000 wishes, 40 slots, 400 tables. */
export async function benchProvince(row: Row): Promise<void> {
  const count = Number(process.env.BENCH_SCHED_PROVINCE ?? 3);
  const size = { vendors: 1000, buyers: 2000, wishes: 20_000, slots: 40 };
  process.stderr.write('排期基准：省级规模…\n');
  await province(row, '省级规模（1000 供应商、2000 采购方、20000 条意向、40 时段、400 桌）', count, (seed) => ({ ...size, tables: 400, seed }));
  // Harder: tables bind (250 × 40 < the meetings wanted) and every participant misses 30% of the slots.
  await province(row, '省级规模，250 桌、30% 时段缺席', count, (seed) => ({ ...size, tables: 250, unavailableRate: 0.3, seed: 100 + seed }));
}
