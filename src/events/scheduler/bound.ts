/**
 * A proven upper bound on the total weight any schedule of an instance can reach, cheap enough for a
 * province-size event (thousands of participants, tens of thousands of wishes) where the exact MIP is out
 * of reach. The scheduler's weight divided by it is a guaranteed lower bound on its optimality.
 *
 * The bound is the optimum of a relaxation that forgets which slot a meeting is in and keeps only totals:
 *
 *   y[p] ∈ {0,1}  pair p meets (only pairs with a positive weight and at least one slot both can attend)
 *   max Σ w[p]·y[p]
 *   Σ_{p ∋ i} y[p] ≤ capacity[i] · (slots i can attend)     for every participant i
 *   Σ_p y[p] ≤ slots · tables
 *
 * Proof that it is an upper bound: take any feasible schedule x[p,s] and let y[p] = Σ_s x[p,s]. y[p] ≤ 1
 * because a pair meets at most once, and y[p] = 0 unless p is scheduled, hence wished, not vetoed and in a
 * slot both attend. For a participant i, Σ_{p∋i} y[p] = Σ_s Σ_{p∋i} x[p,s]; the inner sum is 0 in a slot i
 * cannot attend and ≤ capacity[i] in the others, so the total is ≤ capacity[i] · (slots i can attend).
 * Σ_p y[p] = Σ_s (meetings in s) ≤ slots · tables. So y is feasible for the relaxation with the same weight
 * (zero-weight meetings, e.g. published ones nobody wished, only use capacity and add nothing), and the
 * relaxation's optimum is ≥ the weight of every schedule. Published meetings are not forced in: dropping
 * a constraint can only raise a maximum, so the bound stays valid.
 *
 * The relaxation is a bipartite b-matching with a cardinality limit, i.e. a min-cost flow
 *   source → buyer (capacity: its meetings) → vendor (1 per pair, cost −w) → sink (capacity: its meetings),
 * total flow ≤ slots · tables, solved exactly by successive shortest paths (primal-dual: Dijkstra on
 * reduced costs, then a blocking flow on the zero-reduced-cost edges). The path costs rise monotonically,
 * so stopping at the first non-negative path, or when the flow reaches slots · tables, gives the optimum
 * of the capped problem. When nobody is unavailable and nothing is published the bound is exactly the
 * optimum: split each participant into one copy per representative, each with ≤ slots of the chosen
 * pairs; that bipartite graph has degree ≤ slots, so König colours its edges with `slots` colours (slots);
 * swapping the two colours along an alternating path moves one edge from a fuller slot to an emptier one,
 * so the slots can be evened out to ≤ ⌈meetings / slots⌉ ≤ tables each (test/events/scheduler-bound.test.ts
 * checks this equality against HiGHS).
 */
import { buildModel, canAttend, type Model } from './model.js';
import type { Instance } from './types.js';

export interface WeightBound {
  /** No schedule of the instance weighs more than this. */
  weight: number;
  /** Meetings in the relaxation's optimum (an upper bound only on the meetings of a heaviest schedule's kind). */
  meetings: number;
}

export function upperBound(input: Instance | Model): WeightBound {
  const m = 'pairBuyer' in input ? input : buildModel(input);
  const S = m.slots;
  const N = m.ids.length;
  const P = m.pairBuyer.length;
  const attendable = new Int32Array(N);
  for (let i = 0; i < N; i++) for (let s = 0; s < S; s++) if (!m.unavailable[i * S + s]) attendable[i]++;

  // Nodes: 0 source, 1 sink, 2 + i participant i.
  const V = N + 2;
  const maxEdges = 2 * (N + P);
  const to = new Int32Array(maxEdges);
  const cap = new Int32Array(maxEdges);
  const cost = new Int32Array(maxEdges);
  const next = new Int32Array(maxEdges);
  const head = new Int32Array(V).fill(-1);
  let E = 0;
  const addEdge = (u: number, v: number, c: number, w: number) => {
    to[E] = v; cap[E] = c; cost[E] = w; next[E] = head[u]; head[u] = E++;
    to[E] = u; cap[E] = 0; cost[E] = -w; next[E] = head[v]; head[v] = E++;
  };
  for (let i = 0; i < N; i++) {
    const c = m.capacity[i] * attendable[i];
    if (c === 0) continue;
    if (m.isBuyer[i]) addEdge(0, 2 + i, c, 0);
    else addEdge(2 + i, 1, c, 0);
  }
  for (let p = 0; p < P; p++) {
    if (m.weight[p] <= 0) continue;
    let common = false;
    for (let s = 0; s < S && !common; s++) common = canAttend(m, p, s);
    if (common) addEdge(2 + m.pairBuyer[p], 2 + m.pairVendor[p], 1, -m.weight[p]);
  }

  // Initial potentials: shortest distances in the (acyclic) initial graph, so reduced costs are ≥ 0.
  const pot = new Float64Array(V);
  for (let i = 0; i < N; i++) {
    if (!m.isBuyer[i]) continue;
    for (let e = head[2 + i]; e >= 0; e = next[e]) if (cap[e] > 0 && to[e] >= 2) pot[to[e]] = Math.min(pot[to[e]], cost[e]);
  }
  for (let i = 0; i < N; i++) if (!m.isBuyer[i]) pot[1] = Math.min(pot[1], pot[2 + i]);

  const limit = S * m.tables;
  let flow = 0;
  let total = 0;
  const dist = new Float64Array(V);
  const level = new Int32Array(V);
  const arc = new Int32Array(V);
  const queue = new Int32Array(V);
  // Binary heap of (distance, node) for Dijkstra; lazy deletion.
  const heapD: number[] = [];
  const heapN: number[] = [];
  const push = (d: number, n: number) => {
    let k = heapD.length;
    heapD.push(d); heapN.push(n);
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (heapD[up] <= d) break;
      heapD[k] = heapD[up]; heapN[k] = heapN[up]; k = up;
    }
    heapD[k] = d; heapN[k] = n;
  };
  const pop = () => {
    const n = heapN[0];
    const lastD = heapD.pop()!, lastN = heapN.pop()!;
    const size = heapD.length;
    if (size > 0) {
      let k = 0;
      for (;;) {
        let c = 2 * k + 1;
        if (c >= size) break;
        if (c + 1 < size && heapD[c + 1] < heapD[c]) c++;
        if (heapD[c] >= lastD) break;
        heapD[k] = heapD[c]; heapN[k] = heapN[c]; k = c;
      }
      heapD[k] = lastD; heapN[k] = lastN;
    }
    return n;
  };

  const dfs = (u: number, pushed: number): number => {
    if (u === 1) return pushed;
    for (; arc[u] >= 0; arc[u] = next[arc[u]]) {
      const e = arc[u], v = to[e];
      if (cap[e] <= 0 || level[v] !== level[u] + 1 || cost[e] + pot[u] - pot[v] !== 0) continue;
      const got = dfs(v, Math.min(pushed, cap[e]));
      if (got > 0) {
        cap[e] -= got; cap[e ^ 1] += got;
        return got;
      }
    }
    return 0;
  };

  while (flow < limit) {
    // Dijkstra on reduced costs from the source.
    dist.fill(Infinity);
    dist[0] = 0;
    push(0, 0);
    while (heapD.length > 0) {
      const d = heapD[0];
      const u = pop();
      if (d > dist[u]) continue;
      for (let e = head[u]; e >= 0; e = next[e]) {
        if (cap[e] <= 0) continue;
        const v = to[e];
        const nd = d + cost[e] + pot[u] - pot[v];
        if (nd < dist[v]) { dist[v] = nd; push(nd, v); }
      }
    }
    if (dist[1] === Infinity) break;
    const reach = dist[1];
    for (let v = 0; v < V; v++) pot[v] += Math.min(dist[v], reach);
    // Every augmenting path now costs pot[sink] − pot[source]; once that is ≥ 0 more flow adds no weight.
    const pathCost = pot[1] - pot[0];
    if (pathCost >= 0) break;
    // Blocking flow on the zero-reduced-cost edges (Dinic levels keep the search out of zero-cost cycles).
    for (;;) {
      level.fill(-1);
      level[0] = 0;
      let qh = 0, qt = 0;
      queue[qt++] = 0;
      while (qh < qt) {
        const u = queue[qh++];
        for (let e = head[u]; e >= 0; e = next[e]) {
          const v = to[e];
          if (cap[e] > 0 && level[v] < 0 && cost[e] + pot[u] - pot[v] === 0) { level[v] = level[u] + 1; queue[qt++] = v; }
        }
      }
      if (level[1] < 0) break;
      arc.set(head);
      let got: number;
      while (flow < limit && (got = dfs(0, limit - flow)) > 0) { flow += got; total += got * pathCost; }
      if (flow >= limit) break;
    }
  }
  return { weight: -total, meetings: flow };
}
