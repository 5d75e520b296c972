/**
 * Who will be told what when the schedule is published (pure): per participant, the meetings that are new,
 * moved (same pair, other slot or table) or cancelled, compared with the schedule participants were last
 * told (`event.announced`; none before the first publication, so then everything is new).
 */
export interface PlainMeeting { buyer: string; vendor: string; slot: number; table: number }

export interface News {
  added: PlainMeeting[];
  moved: Array<{ from: PlainMeeting; to: PlainMeeting }>;
  cancelled: PlainMeeting[];
}

const pairOf = (m: PlainMeeting) => `${m.buyer}|${m.vendor}`;

/** The news of each participant (by participant id) whose meetings differ from what it was told; others are absent. */
export function announcementDiff(told: PlainMeeting[], now: PlainMeeting[]): Map<string, News> {
  const news = new Map<string, News>();
  const of = (id: string) => {
    if (!news.has(id)) news.set(id, { added: [], moved: [], cancelled: [] });
    return news.get(id)!;
  };
  const toldByPair = new Map(told.map((m) => [pairOf(m), m]));
  const nowPairs = new Set<string>();
  for (const m of now) {
    nowPairs.add(pairOf(m));
    const before = toldByPair.get(pairOf(m));
    if (!before) for (const id of [m.buyer, m.vendor]) of(id).added.push(m);
    else if (before.slot !== m.slot || before.table !== m.table) for (const id of [m.buyer, m.vendor]) of(id).moved.push({ from: before, to: m });
  }
  for (const m of told) if (!nowPairs.has(pairOf(m))) for (const id of [m.buyer, m.vendor]) of(id).cancelled.push(m);
  for (const n of news.values()) {
    const bySlot = (a: PlainMeeting, b: PlainMeeting) => a.slot - b.slot || a.table - b.table;
    n.added.sort(bySlot);
    n.cancelled.sort(bySlot);
    n.moved.sort((a, b) => bySlot(a.to, b.to));
  }
  return news;
}

/** One sentence a participant is told: 新增 2 场、调整 1 场、取消 1 场. */
export function newsSummary(n: News): string {
  const parts = [
    n.added.length ? `新增 ${n.added.length} 场` : '',
    n.moved.length ? `调整 ${n.moved.length} 场` : '',
    n.cancelled.length ? `取消 ${n.cancelled.length} 场` : '',
  ].filter(Boolean);
  return parts.length ? `洽谈安排${parts.join('、')}` : '洽谈安排无变化';
}
