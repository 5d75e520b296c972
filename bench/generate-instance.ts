/**
 * Seeded random instances, for the property tests and the bench: popular vendors draw more wishes (a skew
 * like real events), a share of vendors bring several representatives, and participants miss a few slots.
 */
import type { Instance, Wish } from '../src/events/scheduler/types.js';
import { seededRandom } from '../src/infra/seeded-random.js';

export interface GenerateOptions {
  vendors: number;
  buyers: number;
  wishes: number;
  slots: number;
  tables: number;
  seed: number;
  /** Largest number of representatives of a vendor (default 3). */
  maxCapacity?: number;
  /** Chance that a participant cannot attend a given slot (default 0.1). */
  unavailableRate?: number;
  /** Share of wishes that are vetoes (default 0.08). */
  vetoRate?: number;
}


export function generateInstance(o: GenerateOptions): Instance {
  const rand = seededRandom(o.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const maxCapacity = o.maxCapacity ?? 3;
  const unavailableRate = o.unavailableRate ?? 0.1;
  const vetoRate = o.vetoRate ?? 0.08;
  const unavailable = () => Array.from({ length: o.slots }, (_, s) => s).filter(() => rand() < unavailableRate);
  const vendors = Array.from({ length: o.vendors }, (_, k) => ({
    id: `v${k}`, side: 'vendor' as const, capacity: rand() < 0.25 ? 1 + int(maxCapacity) : 1, unavailable: unavailable(),
  }));
  const buyers = Array.from({ length: o.buyers }, (_, k) => ({ id: `b${k}`, side: 'buyer' as const, capacity: 1, unavailable: unavailable() }));
  // Popularity: vendor k drawn with probability ∝ 1/(k+3).
  const weights = vendors.map((_, k) => 1 / (k + 3));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickVendor = () => {
    let r = rand() * total;
    for (let k = 0; k < weights.length; k++) if ((r -= weights[k]) <= 0) return k;
    return weights.length - 1;
  };
  const wishes: Wish[] = [];
  if (o.vendors > 0 && o.buyers > 0) {
    for (let n = 0; n < o.wishes; n++) {
      const v = vendors[pickVendor()].id;
      const b = buyers[int(o.buyers)].id;
      const r = rand();
      const level = r < vetoRate ? 'no' : r < vetoRate + 0.22 ? 'must' : 'want';
      wishes.push(rand() < 0.7 ? { from: b, to: v, level } : { from: v, to: b, level });
    }
  }
  return { slots: o.slots, tables: o.tables, participants: [...vendors, ...buyers], wishes, published: [], allowMoves: false };
}
