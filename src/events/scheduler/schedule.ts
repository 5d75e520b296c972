/**
 * The meeting scheduler: a pure, deterministic function from an instance to a schedule.
 *
 * Hard constraints: a pair meets at most once; nobody holds more meetings in a slot than their capacity
 * (representatives); unavailable slots are respected; no more meetings in a slot than tables, and table
 * numbers are unique per slot; vetoed pairs are never placed; published meetings stay put unless moves are
 * allowed. Objective, lexicographic: total pair weight, then fewer idle gaps, then fairness (everyone with
 * a wish gets a meeting where possible).
 *
 * Method: published meetings first; then a greedy pass over pairs by weight (ties: the pair whose less
 * demanded side has fewer wishes first, so it is not crowded out); then rounds of local improvement for
 * every unplaced pair (insert after moving one blocking meeting to another slot; eject lighter meetings
 * and re-place them, accepting only strict weight gains), which stop once the weight reaches the proven
 * upper bound of bound.ts, as nothing heavier exists; then a large-neighbourhood search (empty two slots
 * or a few participants' meetings, rebuild, keep if not lighter); then a fairness pass (equal-weight exchanges
 * that give a meeting to someone who has none); then gap compaction (moving meetings between slots
 * without changing the set of meetings); finally table numbers, keeping a vendor at the same table.
 * Ties between equally good choices go by a seeded hash, never by Date or Math.random.
 */
import { upperBound } from './bound.js';
import { buildModel, canAttend } from './model.js';
import type { Instance, Meeting, RemovalReason, ScheduleOptions, ScheduleResult, Unscheduled } from './types.js';

/** Deterministic 32-bit mix of two integers and the seed, for tie-breaks. */
function mix(a: number, b: number, seed: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^ seed;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Bounds on the local search, so the worst case stays fast at event size.
const TABLE_MOVE_TRIES = 24;
const EJECT_CANDIDATES = 4;
const FOLLOW_UP_TRIES = 8;

export function schedule(input: Instance, options: ScheduleOptions = {}): ScheduleResult {
  const m = buildModel(input);
  const seed = (options.seed ?? 1) >>> 0;
  const rounds = options.improvementRounds ?? 6;
  const S = m.slots;
  const T = m.tables;
  const N = m.ids.length;
  const P = m.pairBuyer.length;
  const { pairBuyer: pb, pairVendor: pv, weight: pw, capacity: cap } = m;

  const slotOf = new Int32Array(P).fill(-1);
  const locked = new Uint8Array(P); // published and fixed: never moved or removed
  const pinned = new Uint8Array(P); // published, moves allowed: may move, never ejected
  const load = new Int32Array(N * S);
  const tableLoad = new Int32Array(S);
  const count = new Int32Array(N);
  const at: number[][] = Array.from({ length: N * S }, () => []);
  const members: number[][] = Array.from({ length: S }, () => []);
  let placedCount = 0;
  let weightNow = 0;
  let work = 0; // feasibility checks so far: bounds the search deterministically (no clocks)
  let unserved = 0; // participants with a wish and no meeting
  for (let i = 0; i < N; i++) if (m.hasWish[i]) unserved++;
  // Undo log of slot changes (pair, from, to), so a trial can be rolled back exactly.
  const journal: number[] = [];

  // Per participant, cached until its meetings change: first and second busy slot, last and the one
  // before it, and how many busy slots it can attend. Makes gapsOf O(1), which big instances need.
  const summaryValid = new Uint8Array(N);
  const touch = (i: number) => { summaryValid[i] = 0; };
  // Where each placed pair sits in its buyer's, its vendor's and its slot's list, so removal is O(1).
  const posB = new Int32Array(P), posV = new Int32Array(P), posM = new Int32Array(P);
  const drop = (list: number[], p: number, pos: Int32Array) => {
    const k = pos[p];
    const last = list[list.length - 1];
    list[k] = last;
    pos[last] = k;
    list.pop();
  };
  const bump = (i: number, d: number) => {
    if (m.hasWish[i]) {
      if (count[i] === 0 && d > 0) unserved--;
      if (count[i] === 1 && d < 0) unserved++;
    }
    count[i] += d;
  };
  const rawPlace = (p: number, s: number) => {
    const b = pb[p], v = pv[p];
    slotOf[p] = s;
    load[b * S + s]++;
    load[v * S + s]++;
    touch(b);
    touch(v);
    tableLoad[s]++;
    posB[p] = at[b * S + s].push(p) - 1;
    posV[p] = at[v * S + s].push(p) - 1;
    posM[p] = members[s].push(p) - 1;
    bump(b, 1);
    bump(v, 1);
    placedCount++;
    weightNow += pw[p];
  };
  const rawUnplace = (p: number) => {
    const b = pb[p], v = pv[p], s = slotOf[p];
    slotOf[p] = -1;
    load[b * S + s]--;
    load[v * S + s]--;
    touch(b);
    touch(v);
    tableLoad[s]--;
    drop(at[b * S + s], p, posB);
    drop(at[v * S + s], p, posV);
    drop(members[s], p, posM);
    bump(b, -1);
    bump(v, -1);
    placedCount--;
    weightNow -= pw[p];
  };
  const setSlot = (p: number, s: number) => {
    journal.push(p, slotOf[p], s);
    if (slotOf[p] >= 0) rawUnplace(p);
    if (s >= 0) rawPlace(p, s);
  };
  const rollback = (mark: number) => {
    while (journal.length > mark) {
      const to = journal.pop()!, from = journal.pop()!, p = journal.pop()!;
      if (to >= 0) rawUnplace(p);
      if (from >= 0) rawPlace(p, from);
    }
  };

  const fits = (p: number, s: number) =>
    ++work > 0 && canAttend(m, p, s) && load[pb[p] * S + s] < cap[pb[p]] && load[pv[p] * S + s] < cap[pv[p]] && tableLoad[s] < T;

  // attendablePrefix[i * (S + 1) + k]: slots before k that participant i can attend.
  const attendablePrefix = new Int32Array(N * (S + 1));
  for (let i = 0; i < N; i++) {
    for (let s = 0; s < S; s++) attendablePrefix[i * (S + 1) + s + 1] = attendablePrefix[i * (S + 1) + s] + (m.unavailable[i * S + s] ? 0 : 1);
  }
  const sumFirst = new Int32Array(N), sumSecond = new Int32Array(N), sumLast = new Int32Array(N), sumPrelast = new Int32Array(N), sumBusy = new Int32Array(N);
  const summarize = (i: number) => {
    let first = -1, second = -1, last = -1, prelast = -1, busy = 0;
    for (let s = 0; s < S; s++) {
      if (load[i * S + s] === 0) continue;
      if (first < 0) first = s;
      else if (second < 0) second = s;
      prelast = last;
      last = s;
      if (!m.unavailable[i * S + s]) busy++;
    }
    sumFirst[i] = first; sumSecond[i] = second; sumLast[i] = last; sumPrelast[i] = prelast; sumBusy[i] = busy;
    summaryValid[i] = 1;
  };

  /**
   * Idle slots of participant i between its first and last meeting, with one meeting hypothetically added
   * at `plus` and removed from `minus`: the attendable slots from first to last, less the busy ones.
   */
  const gapsOf = (i: number, plus = -1, minus = -1) => {
    if (!summaryValid[i]) summarize(i);
    let first = sumFirst[i], last = sumLast[i], busy = sumBusy[i];
    if (minus >= 0 && minus !== plus && load[i * S + minus] === 1) {
      if (!m.unavailable[i * S + minus]) busy--;
      if (minus === first) first = sumSecond[i];
      if (minus === last) last = sumPrelast[i];
    }
    if (plus >= 0 && plus !== minus && load[i * S + plus] === 0) {
      if (!m.unavailable[i * S + plus]) busy++;
      if (first < 0 || plus < first) first = plus;
      if (plus > last) last = plus;
    }
    if (first < 0) return 0;
    return attendablePrefix[i * (S + 1) + last + 1] - attendablePrefix[i * (S + 1) + first] - busy;
  };

  /** The slot where pair p fits with the fewest new gaps (excluding `except`), or -1. */
  const bestSlot = (p: number, except = -1) => {
    const from = slotOf[p];
    let best = -1, bestGaps = Infinity, bestTie = 0;
    for (let s = 0; s < S; s++) {
      if (s === except || s === from || !fits(p, s)) continue;
      const g = gapsOf(pb[p], s, from) + gapsOf(pv[p], s, from);
      const tie = mix(p, s, seed);
      if (g < bestGaps || (g === bestGaps && tie < bestTie)) { best = s; bestGaps = g; bestTie = tie; }
    }
    return best;
  };

  const insertDirect = (p: number) => {
    const s = bestSlot(p);
    if (s < 0) return false;
    setSlot(p, s);
    return true;
  };

  /** Move one movable meeting of `list` (all in slot s) to another slot; true if one moved. */
  const moveOneOut = (list: number[], s: number, limit = Infinity) => {
    const candidates = list.slice();
    let tries = 0;
    for (const q of candidates) {
      if (locked[q]) continue;
      if (tries++ >= limit) break;
      const s2 = bestSlot(q, s);
      if (s2 >= 0) { setSlot(q, s2); return true; }
    }
    return false;
  };

  /** Place p in a slot it can attend after moving the meetings that block it there (one per full resource). */
  const insertWithMove = (p: number) => {
    const b = pb[p], v = pv[p];
    const freeTablesAnywhere = placedCount < S * T;
    for (let s = 0; s < S; s++) {
      if (!canAttend(m, p, s)) continue;
      const bFull = load[b * S + s] >= cap[b], vFull = load[v * S + s] >= cap[v];
      if (!bFull && !vFull && tableLoad[s] < T) { setSlot(p, s); return true; }
      // Moving a meeting out of a full slot needs a free table somewhere else.
      if (!freeTablesAnywhere) continue;
      const mark = journal.length;
      let ok = true;
      if (bFull) ok = moveOneOut(at[b * S + s], s);
      if (ok && vFull) ok = moveOneOut(at[v * S + s], s);
      if (ok && tableLoad[s] >= T) ok = moveOneOut(members[s], s, TABLE_MOVE_TRIES);
      if (ok && fits(p, s)) { setSlot(p, s); return true; }
      rollback(mark);
    }
    return false;
  };

  const lightest = (list: number[], skip: number[]) => {
    let best = -1;
    for (const q of list) {
      if (locked[q] || pinned[q] || skip.includes(q)) continue;
      if (best < 0 || pw[q] < pw[best] || (pw[q] === pw[best] && q < best)) best = q;
    }
    return best;
  };

  /**
   * Place p in place of lighter meetings: eject the lightest ones blocking a slot, place p, try to re-place
   * the ejected ones (and other pairs their departure unblocks). Kept only if total weight rises, or, in
   * fairness mode, stays equal while fewer wishing participants go without a meeting.
   */
  const tryEject = (p: number, fair: boolean) => {
    const b = pb[p], v = pv[p], w = pw[p];
    const options: Array<{ s: number; out: number[]; cost: number; tie: number }> = [];
    for (let s = 0; s < S; s++) {
      if (!canAttend(m, p, s)) continue;
      const out: number[] = [];
      let cost = 0;
      let ok = true;
      for (const i of [b, v]) {
        if (load[i * S + s] < cap[i]) continue;
        const q = lightest(at[i * S + s], out);
        if (q < 0) { ok = false; break; }
        out.push(q);
        cost += pw[q];
      }
      if (ok && tableLoad[s] - out.length >= T) {
        const q = lightest(members[s], out);
        if (q < 0) ok = false;
        else { out.push(q); cost += pw[q]; }
      }
      if (ok && (fair ? cost <= w : cost < w)) options.push({ s, out, cost, tie: mix(p, s, seed) });
    }
    options.sort((x, y) => x.cost - y.cost || x.tie - y.tie);
    const before = unserved;
    for (const { s, out } of options.slice(0, EJECT_CANDIDATES)) {
      const mark = journal.length;
      for (const q of out) setSlot(q, -1);
      setSlot(p, s);
      let gain = w;
      for (const q of out.sort((x, y) => pw[y] - pw[x])) {
        if (!insertDirect(q) && !insertWithMove(q)) gain -= pw[q];
      }
      if (gain <= 0) {
        // Pairs that the ejected meetings were blocking may now fit.
        let tries = 0;
        for (const q of out) {
          for (const i of [pb[q], pv[q]]) {
            for (const r of m.pairsOf[i]) {
              if (slotOf[r] >= 0 || tries >= FOLLOW_UP_TRIES) continue;
              tries++;
              if (insertDirect(r)) gain += pw[r];
            }
          }
        }
      }
      if (gain > 0 || (fair && gain === 0 && unserved < before)) return true;
      rollback(mark);
    }
    return false;
  };

  // ---- published meetings ----
  const tableOf = new Int32Array(P).fill(0); // table of a locked meeting; preferred table of a pinned one
  for (const k of m.fixed) {
    const p = m.publishedPair[k];
    locked[p] = 1;
    tableOf[p] = m.published[k].table;
    setSlot(p, m.published[k].slot);
  }
  for (const k of m.pinned) {
    const p = m.publishedPair[k];
    pinned[p] = 1;
    const s = m.published[k].slot;
    if (fits(p, s)) setSlot(p, s);
    else if (!insertDirect(p)) insertWithMove(p);
    if (slotOf[p] === s) tableOf[p] = m.published[k].table;
  }

  // ---- greedy by weight ----
  const order: number[] = [];
  for (let p = 0; p < P; p++) if (pw[p] > 0 && slotOf[p] < 0) order.push(p);
  const scarce = (p: number) => Math.min(m.pairsOf[pb[p]].length, m.pairsOf[pv[p]].length);
  const ties = order.map((p) => mix(p, P, seed));
  const rank = new Float64Array(P);
  order.forEach((p, k) => { rank[p] = ties[k]; });
  order.sort((x, y) => pw[y] - pw[x] || scarce(x) - scarce(y) || rank[x] - rank[y]);
  for (const p of order) {
    if (!insertDirect(p)) insertWithMove(p);
  }
  journal.length = 0;

  // Once the weight reaches a proven upper bound (bound.ts) no insertion can add any: the rounds below stop.
  // Computed on first use, so a greedy-only run does not pay for it.
  let bound = -1;
  const proven = () => weightNow >= (bound < 0 ? (bound = upperBound(m).weight) : bound);

  // ---- local improvement ----
  for (let round = 0; round < rounds && !proven(); round++) {
    let improved = false;
    for (const p of order) {
      if (slotOf[p] >= 0) continue;
      if (proven()) break;
      if (insertDirect(p) || insertWithMove(p) || tryEject(p, false)) improved = true;
      journal.length = 0;
    }
    if (!improved) break;
  }

  // ---- large neighbourhood search: ruin part of the schedule, rebuild it, keep it if not lighter ----
  const rand = (() => {
    let a = seed ^ 0x5bd1e995;
    return (n: number) => {
      a = (a + 0x6d2b79f5) >>> 0;
      let x = Math.imul(a ^ (a >>> 15), a | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return (((x ^ (x >>> 14)) >>> 0) / 4294967296) * n | 0;
    };
  })();
  const budget = work + (options.searchBudget ?? 20_000_000);
  const movable = (q: number) => !locked[q] && !pinned[q];
  const shuffle = new Int32Array(P); // one array for every iteration's random order: big instances run many
  for (let it = 0; it < 2000 && work < budget && order.length > 0; it++) {
    const mark = journal.length;
    const before = weightNow;
    const beforeUnserved = unserved;
    const ruined: number[] = [];
    if (rand(2) === 0 || N < 2) {
      // Two slots emptied.
      const s1 = rand(S), s2 = rand(S);
      for (const s of s1 === s2 ? [s1] : [s1, s2]) for (const q of members[s].slice()) if (movable(q)) { setSlot(q, -1); ruined.push(q); }
    } else {
      // A few participants' meetings removed.
      for (let k = 0; k < 3; k++) {
        const i = rand(N);
        for (let s = 0; s < S; s++) for (const q of at[i * S + s].slice()) if (movable(q)) { setSlot(q, -1); ruined.push(q); }
      }
    }
    if (ruined.length === 0) continue;
    // Rebuild: everything unplaced, heaviest first, ruined pairs shuffled among equals.
    for (const p of order) shuffle[p] = rand(1 << 30);
    const again = order.filter((p) => slotOf[p] < 0).sort((x, y) => pw[y] - pw[x] || shuffle[x] - shuffle[y]);
    for (const p of again) if (slotOf[p] < 0 && !insertDirect(p)) insertWithMove(p);
    if (weightNow < before || (weightNow === before && unserved > beforeUnserved)) rollback(mark);
    journal.length = 0;
  }

  // ---- fairness: equal-weight exchanges for participants left without a meeting ----
  for (let round = 0; round < 2 && unserved > 0; round++) {
    let improved = false;
    for (let i = 0; i < N; i++) {
      if (!m.hasWish[i] || count[i] > 0) continue;
      for (const p of m.pairsOf[i]) {
        if (slotOf[p] >= 0) continue;
        if (insertDirect(p) || insertWithMove(p) || tryEject(p, true)) { improved = true; break; }
      }
      journal.length = 0;
    }
    if (!improved) break;
  }

  /**
   * Exchange the slots of p and a meeting q that blocks p elsewhere, if that leaves fewer idle gaps. The
   * participant they share keeps a meeting in both slots, so only the two others' gaps can change, and
   * only their loads need checking (tables per slot are unchanged by an exchange).
   */
  const swapForGaps = (p: number) => {
    const s = slotOf[p];
    for (let s2 = 0; s2 < S; s2++) {
      if (s2 === s || !canAttend(m, p, s2)) continue;
      for (const i of [pb[p], pv[p]]) {
        const j = i === pb[p] ? pv[p] : pb[p]; // p's other side: moves from s to s2
        if (load[j * S + s2] >= cap[j]) continue;
        for (const q of at[i * S + s2]) {
          if (locked[q] || !canAttend(m, q, s)) continue;
          const k = pb[q] === i ? pv[q] : pb[q]; // q's other side: moves from s2 to s
          if (load[k * S + s] >= cap[k]) continue;
          if (gapsOf(j, s2, s) + gapsOf(k, s, s2) < gapsOf(j) + gapsOf(k)) {
            setSlot(p, -1);
            setSlot(q, -1);
            setSlot(p, s2);
            setSlot(q, s);
            return true;
          }
        }
      }
    }
    return false;
  };

  // ---- gap compaction: move single meetings, or exchange two, where that leaves fewer idle gaps ----
  for (let pass = 0; pass < 10; pass++) {
    let improved = false;
    for (let p = 0; p < P; p++) {
      const s = slotOf[p];
      if (s < 0 || locked[p]) continue;
      const b = pb[p], v = pv[p];
      const now = gapsOf(b) + gapsOf(v);
      if (now === 0) continue;
      const s2 = bestSlot(p);
      if (s2 >= 0 && gapsOf(b, s2, s) + gapsOf(v, s2, s) < now) { setSlot(p, s2); improved = true; continue; }
      if (swapForGaps(p)) improved = true;
    }
    journal.length = 0;
    if (!improved) break;
  }

  // ---- table numbers: locked first; then keep a pinned meeting's table, a vendor's table, else the lowest free ----
  const table = new Int32Array(P);
  const vendorTables = new Map<number, number[]>();
  const claimed = new Set<number>(); // tables some vendor already sits at
  const remember = (v: number, t: number) => {
    const list = vendorTables.get(v) ?? [];
    if (!list.includes(t)) list.push(t);
    vendorTables.set(v, list);
    claimed.add(t);
  };
  for (let p = 0; p < P; p++) if (locked[p]) { table[p] = tableOf[p]; remember(pv[p], tableOf[p]); }
  for (let s = 0; s < S; s++) {
    const used = new Uint8Array(T + 1);
    const list = members[s].slice().sort((x, y) => pv[x] - pv[y] || pb[x] - pb[y]);
    for (const p of list) if (locked[p]) used[table[p]] = 1;
    const assign = (p: number, t: number) => { table[p] = t; used[t] = 1; remember(pv[p], t); };
    for (const p of list) if (!locked[p] && tableOf[p] > 0 && tableOf[p] <= T && !used[tableOf[p]]) assign(p, tableOf[p]);
    for (const p of list) {
      if (locked[p] || table[p] > 0) continue;
      const own = (vendorTables.get(pv[p]) ?? []).find((t) => t <= T && !used[t]);
      if (own !== undefined) { assign(p, own); continue; }
      let t = 1;
      while (t <= T && (used[t] || claimed.has(t))) t++;
      if (t > T) { t = 1; while (used[t]) t++; }
      assign(p, t);
    }
  }

  // ---- result ----
  const meetingOf = (p: number): Meeting => ({ buyer: m.ids[pb[p]], vendor: m.ids[pv[p]], slot: slotOf[p], table: table[p] });
  const placed: number[] = [];
  for (let p = 0; p < P; p++) if (slotOf[p] >= 0) placed.push(p);
  const meetings = placed.map(meetingOf).sort((x, y) => x.slot - y.slot || x.table - y.table);

  const unscheduled: Unscheduled[] = [];
  for (let p = 0; p < P; p++) {
    if (slotOf[p] >= 0) continue;
    const wished = ['must', 'want'].includes(m.buyerLevel[p]) || ['must', 'want'].includes(m.vendorLevel[p]);
    if (!wished) continue;
    let common = false;
    for (let s = 0; s < S && !common; s++) common = canAttend(m, p, s);
    unscheduled.push({
      buyer: m.ids[pb[p]], vendor: m.ids[pv[p]], weight: pw[p],
      reason: m.vetoed[p] ? 'veto' : common ? 'capacity' : 'no-common-slot',
    });
  }
  unscheduled.sort((x, y) => y.weight - x.weight || (x.buyer < y.buyer ? -1 : x.buyer > y.buyer ? 1 : x.vendor < y.vendor ? -1 : x.vendor > y.vendor ? 1 : 0));

  const changes: ScheduleResult['changes'] = { kept: [], moved: [], removed: [], added: [] };
  const reported = new Set<number>();
  m.published.forEach((before, k) => {
    const p = m.publishedPair[k];
    const invalid = m.invalid.get(k);
    if (p < 0 || invalid === 'duplicate' || reported.has(p)) {
      changes.removed.push({ meeting: before, reason: invalid ?? 'duplicate' });
      return;
    }
    reported.add(p);
    if (slotOf[p] < 0) {
      changes.removed.push({ meeting: before, reason: invalid ?? ('displaced' as RemovalReason) });
      return;
    }
    const now = meetingOf(p);
    if (now.slot === before.slot && now.table === before.table) changes.kept.push(now);
    else changes.moved.push(invalid ? { from: before, to: now, reason: invalid } : { from: before, to: now });
  });
  for (const p of placed) if (!reported.has(p)) changes.added.push(meetingOf(p));
  changes.added.sort((x, y) => x.slot - y.slot || x.table - y.table);

  let totalWeight = 0;
  for (const p of placed) totalWeight += pw[p];
  let idleGaps = 0;
  for (let i = 0; i < N; i++) idleGaps += gapsOf(i);
  let wishedPairs = 0;
  let vetoedPairs = 0;
  for (let p = 0; p < P; p++) {
    if (pw[p] > 0) wishedPairs++;
    if (m.vetoed[p]) vetoedPairs++;
  }
  return {
    meetings,
    unscheduled,
    changes,
    stats: { totalWeight, meetings: meetings.length, idleGaps, wishedWithoutMeeting: unserved, wishedPairs, vetoedPairs },
  };
}
