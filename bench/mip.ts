/**
 * The scheduling model as a mixed-integer program, solved exactly by HiGHS (WebAssembly). Used only by the
 * tests and the bench to measure how far the heuristic is from the optimum; never by the app.
 *
 *   x[p,s] ∈ {0,1}  pair p meets in slot s (only for slots both sides can attend; vetoed pairs have none)
 *   max Σ w[p]·x[p,s]
 *   Σ_s x[p,s] ≤ 1                      a pair meets at most once
 *   Σ_{p ∋ i} x[p,s] ≤ capacity[i]      representatives per slot
 *   Σ_p x[p,s] ≤ tables                 tables per slot (numbering is then trivial)
 *   x[p,s] = 1 for fixed published meetings
 */
import highsModule from 'highs';
import { buildModel, canAttend } from '../src/events/scheduler/model.js';
import type { Instance } from '../src/events/scheduler/types.js';

// The package's types describe a CommonJS module; under ESM the default export is the loader itself.
const loadHighs = highsModule as unknown as typeof highsModule.default;
type Highs = Awaited<ReturnType<typeof loadHighs>>;
let loaded: Promise<Highs> | undefined;
/** The WebAssembly module, loaded once per process. */
export const highs = () => (loaded ??= loadHighs());

export interface MipResult {
  /** True when HiGHS proved optimality within the time limit. */
  optimal: boolean;
  status: string;
  /** Best weight found (the optimum when `optimal`). */
  weight: number;
  variables: number;
}

/** Writes the instance as CPLEX LP text. */
export function toLp(instance: Instance): { lp: string; variables: number } {
  const m = buildModel(instance);
  const S = m.slots;
  const P = m.pairBuyer.length;
  const fixedSlot = new Int32Array(P).fill(-1);
  for (const k of m.fixed) fixedSlot[m.publishedPair[k]] = m.published[k].slot;

  const objective: string[] = [];
  const rows: string[] = [];
  const byParticipantSlot = new Map<number, string[]>();
  const bySlot: string[][] = Array.from({ length: S }, () => []);
  const binaries: string[] = [];
  for (let p = 0; p < P; p++) {
    if (m.vetoed[p] || (m.weight[p] <= 0 && fixedSlot[p] < 0)) continue;
    const vars: string[] = [];
    for (let s = 0; s < S; s++) {
      if (!canAttend(m, p, s) || (fixedSlot[p] >= 0 && s !== fixedSlot[p])) continue;
      const x = `x${p}_${s}`;
      vars.push(x);
      binaries.push(x);
      if (m.weight[p] > 0) objective.push(`${m.weight[p]} ${x}`);
      for (const i of [m.pairBuyer[p], m.pairVendor[p]]) {
        const key = i * S + s;
        const list = byParticipantSlot.get(key) ?? [];
        list.push(x);
        byParticipantSlot.set(key, list);
      }
      bySlot[s].push(x);
    }
    if (vars.length === 0) continue;
    rows.push(`once${p}: ${vars.join(' + ')} <= 1`);
    if (fixedSlot[p] >= 0) rows.push(`fix${p}: ${vars[0]} = 1`);
  }
  for (const [key, list] of byParticipantSlot) {
    const i = Math.floor(key / S);
    if (list.length > m.capacity[i]) rows.push(`cap${key}: ${list.join(' + ')} <= ${m.capacity[i]}`);
  }
  bySlot.forEach((list, s) => { if (list.length > m.tables) rows.push(`tables${s}: ${list.join(' + ')} <= ${m.tables}`); });

  // LP readers dislike very long lines: wrap every few terms.
  const wrap = (terms: string[], sep: string) => terms.reduce((out, term, k) => out + (k === 0 ? '' : k % 8 === 0 ? `\n  ${sep} ` : ` ${sep} `) + term, '');
  const lp = [
    'Maximize',
    ` obj: ${objective.length ? wrap(objective, '+') : '0 x_none'}`,
    'Subject To',
    ...rows.map((r) => {
      const [name, rest] = r.split(': ');
      const [lhs, op, rhs] = rest.split(/ (<=|=) /);
      return ` ${name}: ${wrap(lhs.split(' + '), '+')} ${op} ${rhs}`;
    }),
    ...(objective.length ? [] : [' none: x_none <= 0']),
    'Binary',
    ...(binaries.length ? binaries : ['x_none']).reduce<string[]>((out, x, k) => {
      if (k % 8 === 0) out.push(` ${x}`);
      else out[out.length - 1] += ` ${x}`;
      return out;
    }, []),
    'End',
  ].join('\n');
  return { lp, variables: binaries.length };
}

/** The exact optimum of the instance's total weight (ignoring gaps and fairness). */
export async function solveMip(instance: Instance, timeLimitSeconds = 60): Promise<MipResult> {
  const { lp, variables } = toLp(instance);
  const solver = await highs();
  const result = solver.solve(lp, { output_flag: false, time_limit: timeLimitSeconds, mip_rel_gap: 0 });
  const optimal = result.Status === 'Optimal';
  return { optimal, status: result.Status, weight: optimal || result.Status === 'Time limit reached' ? Math.round(result.ObjectiveValue) : 0, variables };
}
