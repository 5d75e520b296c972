/**
 * One province-size scheduling run in a process of its own, so that its peak RSS is the scheduler's and
 * the instance's alone (the parent bench has loaded HiGHS' WebAssembly by then). Started by
 * bench/scheduler.ts with --expose-gc; prints one JSON line (ProvinceRun).
 *
 *   node --expose-gc dist-bench/bench/scheduler-province.js '<GenerateOptions as JSON>'
 */
import fs from 'node:fs';
import { schedule } from '../src/events/scheduler/schedule.js';
import { upperBound } from '../src/events/scheduler/bound.js';
import { generateInstance, type GenerateOptions } from './generate-instance.js';

export interface ProvinceRun {
  ms: number;
  /** CPU time of the run (user + system), less sensitive than wall time to other work on the machine. */
  cpuMs: number;
  weight: number;
  bound: number;
  boundMs: number;
  meetings: number;
  wishedPairs: number;
  idleGaps: number;
  wishedWithoutMeeting: number;
  /** Peak resident set of the whole process (Node itself, the instance, the scheduler), bytes. */
  peakRss: number;
  /** RSS just before scheduling, with the instance built: peakRss − rssBefore is what the run added at most. */
  rssBefore: number;
  /** JS heap still held after the run (the result), after a full GC, bytes. */
  heapRetained: number;
  /** JS heap in use right after the run, before any GC, minus before: a floor for its peak heap growth. */
  heapGrowth: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
/**
 * Peak RSS of this process. Not getrusage's maxRSS: on Linux that survives fork and exec, so a child of the
 * bench (hundreds of MB with HiGHS loaded) would report its parent's size. VmHWM belongs to the new image.
 */
const peakRssNow = () => {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.existsSync('/proc/self/status') ? fs.readFileSync('/proc/self/status', 'utf8') : '');
  return hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
};
const options = JSON.parse(process.argv[2] ?? '{}') as GenerateOptions;
const instance = generateInstance(options);
gc();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const cpu = process.cpuUsage();
const t0 = performance.now();
const result = schedule(instance);
const ms = performance.now() - t0;
const used = process.cpuUsage(cpu);
const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
const peakRss = peakRssNow();
gc();
const heapRetained = process.memoryUsage().heapUsed - heapBefore;
const t1 = performance.now();
const bound = upperBound(instance);
const boundMs = performance.now() - t1;
const run: ProvinceRun = {
  ms, cpuMs: (used.user + used.system) / 1000, weight: result.stats.totalWeight, bound: bound.weight, boundMs,
  meetings: result.stats.meetings, wishedPairs: result.stats.wishedPairs, idleGaps: result.stats.idleGaps,
  wishedWithoutMeeting: result.stats.wishedWithoutMeeting, peakRss, rssBefore, heapRetained, heapGrowth,
};
process.stdout.write(`${JSON.stringify(run)}\n`);
