/** What a schedule run changed against the saved schedule, and the Chinese reasons shown for it. */
import type { Meeting, ScheduleChanges, ScheduleStats, UnscheduledReason } from './scheduler/index.js';

export const unscheduledReasonNames: Record<UnscheduledReason, string> = {
  veto: '一方表示不见',
  'no-common-slot': '双方没有共同的空闲时段',
  capacity: '共同空闲时段已被更优先的洽谈占满（代表人数或洽谈桌不足）',
};

export const removalReasonNames: Record<string, string> = {
  veto: '一方后来表示不见',
  unavailable: '一方在该时段无法参加',
  'unknown-participant': '参会方已退出或未通过审核',
  'out-of-grid': '时段或洽谈桌已不存在',
  conflict: '与另一场已确定的洽谈冲突',
  duplicate: '同一对重复安排',
  displaced: '为更优先的洽谈让出时段',
};

export interface RunResult {
  meetings: Meeting[];
  unscheduled: Array<{ buyer: string; vendor: string; reason: UnscheduledReason; weight: number }>;
  changes: ScheduleChanges;
  stats: ScheduleStats;
}

/**
 * What a run changes in the saved schedule (the scheduler itself only compares against the meetings it
 * was told to keep): kept where it was, moved (same pair, other slot or table), removed, added. Removal
 * reasons come from the scheduler for kept-by-rule meetings; any other saved meeting was simply
 * rescheduled ('displaced').
 */
export function changesAgainstSaved(saved: Array<{ buyer: unknown; vendor: unknown; slot: number; table: number }>, next: Meeting[], fromScheduler: ScheduleChanges): ScheduleChanges {
  const plain = (m: { buyer: unknown; vendor: unknown; slot: number; table: number }): Meeting => ({ buyer: String(m.buyer), vendor: String(m.vendor), slot: m.slot, table: m.table });
  const pair = (m: Meeting) => `${m.buyer}|${m.vendor}`;
  const nextByPair = new Map(next.map((m) => [pair(m), m]));
  const savedPairs = new Set<string>();
  const reasons = new Map(fromScheduler.removed.map((r) => [pair(r.meeting), r.reason]));
  const moveReasons = new Map(fromScheduler.moved.map((x) => [pair(x.from), x.reason]));
  const changes: ScheduleChanges = { kept: [], moved: [], removed: [], added: [] };
  for (const s of saved.map(plain)) {
    savedPairs.add(pair(s));
    const n = nextByPair.get(pair(s));
    if (!n) changes.removed.push({ meeting: s, reason: reasons.get(pair(s)) ?? 'displaced' });
    else if (n.slot === s.slot && n.table === s.table) changes.kept.push(s);
    else changes.moved.push({ from: s, to: n, ...(moveReasons.get(pair(s)) ? { reason: moveReasons.get(pair(s)) } : {}) });
  }
  for (const n of next) if (!savedPairs.has(pair(n))) changes.added.push(n);
  return changes;
}
