/**
 * The event dashboard's figures (pure): wishes, scheduled, held, intents and signed meetings, by field
 * and by buyer level. A pair belongs to the vendor's main field (the first it lists) and the buyer's
 * level, so every row adds up to the totals.
 *
 * - wishes: buyer–vendor pairs of approved participants with a must or want from either side and no veto;
 * - scheduled: saved meetings; held: outcome held, intent or signed; intents: intent or signed;
 *   signed: signed, with the amounts entered.
 */
export interface DashboardInput {
  participants: Array<{ id: string; kind: 'buyer' | 'vendor'; status: string; field?: string; level?: string }>;
  wishes: Array<{ from: string; to: string; level: string }>;
  meetings: Array<{ buyer: string; vendor: string; outcome?: string | null; amountYuan?: number | null }>;
}

export interface DashboardRow {
  key: string;
  wishes: number;
  scheduled: number;
  held: number;
  intents: number;
  signed: number;
  amountYuan: number;
}

export interface Dashboard {
  total: DashboardRow;
  byField: DashboardRow[];
  byLevel: DashboardRow[];
  participants: { vendors: number; buyers: number; pending: number; arrived?: number };
}

const emptyRow = (key: string): DashboardRow => ({ key, wishes: 0, scheduled: 0, held: 0, intents: 0, signed: 0, amountYuan: 0 });
export const UNKNOWN = 'unknown';

export function dashboardFigures(input: DashboardInput): Dashboard {
  const byId = new Map(input.participants.map((p) => [p.id, p]));
  const total = emptyRow('total');
  const fields = new Map<string, DashboardRow>();
  const levels = new Map<string, DashboardRow>();
  const rowsOf = (buyer: string, vendor: string) => {
    const field = byId.get(vendor)?.field || UNKNOWN;
    const level = byId.get(buyer)?.level || UNKNOWN;
    if (!fields.has(field)) fields.set(field, emptyRow(field));
    if (!levels.has(level)) levels.set(level, emptyRow(level));
    return [total, fields.get(field)!, levels.get(level)!];
  };

  // Pairs, keyed buyer|vendor: wished by either side, vetoed by either side.
  const wished = new Set<string>();
  const vetoed = new Set<string>();
  for (const w of input.wishes) {
    const from = byId.get(w.from);
    const to = byId.get(w.to);
    // Only pairs the scheduler considers: both sides approved.
    if (!from || !to || from.kind === to.kind || from.status !== 'approved' || to.status !== 'approved') continue;
    const key = from.kind === 'buyer' ? `${w.from}|${w.to}` : `${w.to}|${w.from}`;
    if (w.level === 'no') vetoed.add(key);
    else if (w.level === 'must' || w.level === 'want') wished.add(key);
  }
  for (const key of wished) {
    if (vetoed.has(key)) continue;
    const [buyer, vendor] = key.split('|');
    for (const row of rowsOf(buyer, vendor)) row.wishes++;
  }
  for (const m of input.meetings) {
    for (const row of rowsOf(m.buyer, m.vendor)) {
      row.scheduled++;
      if (m.outcome === 'held' || m.outcome === 'intent' || m.outcome === 'signed') row.held++;
      if (m.outcome === 'intent' || m.outcome === 'signed') row.intents++;
      if (m.outcome === 'signed') {
        row.signed++;
        row.amountYuan += m.amountYuan ?? 0;
      }
    }
  }
  const sorted = (map: Map<string, DashboardRow>) => [...map.values()].sort((a, b) => b.scheduled - a.scheduled || b.wishes - a.wishes || a.key.localeCompare(b.key));
  const approved = input.participants.filter((p) => p.status === 'approved');
  return {
    total,
    byField: sorted(fields),
    byLevel: sorted(levels),
    participants: {
      vendors: approved.filter((p) => p.kind === 'vendor').length,
      buyers: approved.filter((p) => p.kind === 'buyer').length,
      pending: input.participants.filter((p) => p.status === 'pending').length,
    },
  };
}
