/**
 * The instance in the form both the scheduler and the exact MIP work on: participants and pairs by number,
 * pair weights and vetoes, and the published meetings sorted into those that stay fixed and those that are
 * invalid now. Shared so the heuristic and the optimum are always measured on the same model.
 */
import { z } from 'zod';
import { instanceSchema, SchedulerInputError, type Instance, type Meeting, type RemovalReason } from './types.js';
import { pairWeight, type Level } from './weights.js';

// When one participant states several wishes about the same other, a veto wins, then must, then want.
const strength: Record<Level, number> = { none: 0, want: 1, must: 2, no: 3 };

export interface Model {
  slots: number;
  tables: number;
  allowMoves: boolean;
  ids: string[];
  isBuyer: Uint8Array;
  capacity: Int32Array;
  /** unavailable[i * slots + s] = 1 when participant i cannot attend slot s. */
  unavailable: Uint8Array;
  /** A participant has at least one positive-weight pair: it counts for fairness. */
  hasWish: Uint8Array;
  pairBuyer: number[];
  pairVendor: number[];
  buyerLevel: Level[];
  vendorLevel: Level[];
  /** 0 for a vetoed pair or one that exists only because it was published. */
  weight: number[];
  vetoed: Uint8Array;
  /** Positive-weight pairs of each participant. */
  pairsOf: number[][];
  published: Meeting[];
  /** For each published meeting: its pair (-1 if a participant is unknown). */
  publishedPair: number[];
  /** Published meetings that stay where they are (allowMoves = false and still valid), by index into published. */
  fixed: number[];
  /** Published meetings to re-place with priority (allowMoves = true and still valid). */
  pinned: number[];
  /** Published meetings that cannot stand, with why. */
  invalid: Map<number, RemovalReason>;
}

export function buildModel(input: Instance): Model {
  const parsed = instanceSchema.safeParse(input);
  if (!parsed.success) throw new SchedulerInputError(z.prettifyError(parsed.error));
  const inst = parsed.data;
  const S = inst.slots;
  const N = inst.participants.length;
  const index = new Map<string, number>();
  const isBuyer = new Uint8Array(N);
  const capacity = new Int32Array(N);
  const unavailable = new Uint8Array(N * S);
  inst.participants.forEach((p, i) => {
    if (index.has(p.id)) throw new SchedulerInputError(`duplicate participant id ${p.id}`);
    index.set(p.id, i);
    isBuyer[i] = p.side === 'buyer' ? 1 : 0;
    capacity[i] = p.capacity;
    // Slots beyond the grid are ignored: the grid may have shrunk since the participant answered.
    for (const s of p.unavailable) if (s < S) unavailable[i * S + s] = 1;
  });

  const pairIndex = new Map<number, number>();
  const m: Model = {
    slots: S, tables: inst.tables, allowMoves: inst.allowMoves, ids: inst.participants.map((p) => p.id),
    isBuyer, capacity, unavailable, hasWish: new Uint8Array(N),
    pairBuyer: [], pairVendor: [], buyerLevel: [], vendorLevel: [], weight: [], vetoed: new Uint8Array(0),
    pairsOf: Array.from({ length: N }, () => []),
    published: inst.published, publishedPair: [], fixed: [], pinned: [], invalid: new Map(),
  };
  const pairOf = (b: number, v: number) => {
    const key = b * N + v;
    let p = pairIndex.get(key);
    if (p === undefined) {
      p = m.pairBuyer.length;
      pairIndex.set(key, p);
      m.pairBuyer.push(b);
      m.pairVendor.push(v);
      m.buyerLevel.push('none');
      m.vendorLevel.push('none');
    }
    return p;
  };

  for (const w of inst.wishes) {
    const from = index.get(w.from);
    const to = index.get(w.to);
    if (from === undefined || to === undefined) throw new SchedulerInputError(`wish between unknown participants ${w.from} → ${w.to}`);
    if (isBuyer[from] === isBuyer[to]) throw new SchedulerInputError(`wish within one side ${w.from} → ${w.to}`);
    const fromBuyer = isBuyer[from] === 1;
    const p = fromBuyer ? pairOf(from, to) : pairOf(to, from);
    const levels = fromBuyer ? m.buyerLevel : m.vendorLevel;
    if (strength[w.level] > strength[levels[p]]) levels[p] = w.level;
  }

  for (const meeting of inst.published) {
    const b = index.get(meeting.buyer);
    const v = index.get(meeting.vendor);
    m.publishedPair.push(b !== undefined && v !== undefined && isBuyer[b] === 1 && isBuyer[v] === 0 ? pairOf(b, v) : -1);
  }

  const P = m.pairBuyer.length;
  m.vetoed = new Uint8Array(P);
  for (let p = 0; p < P; p++) {
    const w = pairWeight(m.buyerLevel[p], m.vendorLevel[p]);
    m.weight.push(w ?? 0);
    if (w === null) m.vetoed[p] = 1;
    if (w !== null && w > 0) {
      m.pairsOf[m.pairBuyer[p]].push(p);
      m.pairsOf[m.pairVendor[p]].push(p);
      m.hasWish[m.pairBuyer[p]] = 1;
      m.hasWish[m.pairVendor[p]] = 1;
    }
  }
  for (const list of m.pairsOf) list.sort((a, b) => m.weight[b] - m.weight[a] || a - b);

  // Published meetings, in their given order: the first valid one of a person/table/slot wins a clash.
  const load = new Int32Array(N * S);
  const tableUsed = new Set<number>();
  const seen = new Set<number>();
  inst.published.forEach((meeting, k) => {
    const p = m.publishedPair[k];
    const reason = ((): RemovalReason | null => {
      if (p < 0) return 'unknown-participant';
      if (seen.has(p)) return 'duplicate';
      seen.add(p);
      if (m.vetoed[p]) return 'veto';
      if (meeting.slot >= S || meeting.table > inst.tables) return 'out-of-grid';
      const b = m.pairBuyer[p];
      const v = m.pairVendor[p];
      if (unavailable[b * S + meeting.slot] || unavailable[v * S + meeting.slot]) return 'unavailable';
      if (inst.allowMoves) return null;
      const tableKey = meeting.slot * inst.tables + meeting.table;
      if (load[b * S + meeting.slot] >= capacity[b] || load[v * S + meeting.slot] >= capacity[v] || tableUsed.has(tableKey)) return 'conflict';
      load[b * S + meeting.slot]++;
      load[v * S + meeting.slot]++;
      tableUsed.add(tableKey);
      return null;
    })();
    if (reason) m.invalid.set(k, reason);
    else if (inst.allowMoves) m.pinned.push(k);
    else m.fixed.push(k);
  });
  return m;
}

/** A pair can meet in slot s: both sides can attend it. */
export const canAttend = (m: Model, p: number, s: number) =>
  !m.unavailable[m.pairBuyer[p] * m.slots + s] && !m.unavailable[m.pairVendor[p] * m.slots + s];
