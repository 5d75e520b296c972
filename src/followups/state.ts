/**
 * The follow-up state machine and who may move it (pure, no I/O).
 *
 *   (none) → contacted → intent (意向) → signed (签约)
 *      └──────────┴───────────┴──→ declined (不合适, with a reason)
 *
 * Moves go forward only (a step may be skipped: a vendor may say 有意向 straight away). signed and
 * declined are final. An organizer or admin may reopen a declined follow-up (back to contacted, with a
 * reason) when it was declined by mistake or talks resume; a signed one is final for everyone, because it
 * is what the district reports upward.
 *
 * Roles: a vendor moves its own follow-ups to contacted, intent or declined; a buyer moves those of its
 * own organization's demands to contacted, intent, signed or declined; organizers and admins to any.
 */
import { chinaDay } from '../web/china-time.js';
import type { Role } from '../accounts/index.js';

export const followUpStatuses = ['contacted', 'intent', 'signed', 'declined'] as const;
export type FollowUpStatus = (typeof followUpStatuses)[number];
/** A move's target: a status, or 'reopen' (organizer/admin, declined → contacted). */
export const moveTargets = [...followUpStatuses, 'reopen'] as const;
export type MoveTarget = (typeof moveTargets)[number];

export const statusNames: Record<FollowUpStatus, string> = {
  contacted: '已联系',
  intent: '有意向',
  signed: '已签约',
  declined: '不合适',
};

export const actionLabels: Record<MoveTarget, string> = {
  contacted: '已联系',
  intent: '有意向',
  signed: '已签约',
  declined: '不合适',
  reopen: '重新打开',
};

const rank: Record<FollowUpStatus, number> = { contacted: 1, intent: 2, signed: 3, declined: 99 };
export const isFinal = (status: FollowUpStatus | null | undefined) => status === 'signed' || status === 'declined';

/** The party a user acts for on this follow-up; null when it is none of theirs. */
export type Party = 'vendor' | 'buyer' | 'staff';

export function partyOf(
  user: { role: Role; vendorId?: string; buyerOrgId?: string },
  demandBuyerOrgId: string,
  vendorId: string,
): Party | null {
  if (user.role === 'admin' || user.role === 'organizer') return 'staff';
  if (user.role === 'vendor') return user.vendorId && user.vendorId === vendorId ? 'vendor' : null;
  if (user.role === 'buyer') return user.buyerOrgId && user.buyerOrgId === demandBuyerOrgId ? 'buyer' : null;
  return null;
}

const roleTargets: Record<Party, readonly MoveTarget[]> = {
  vendor: ['contacted', 'intent', 'declined'],
  buyer: ['contacted', 'intent', 'signed', 'declined'],
  staff: ['contacted', 'intent', 'signed', 'declined', 'reopen'],
};

/** Whether the state machine allows the move at all, whoever makes it. */
export function isValidMove(from: FollowUpStatus | null | undefined, to: MoveTarget): boolean {
  if (to === 'reopen') return from === 'declined';
  if (isFinal(from)) return false;
  if (to === 'declined') return true;
  return !from || rank[to] > rank[from];
}

export function roleMayMove(party: Party, to: MoveTarget): boolean {
  return roleTargets[party].includes(to);
}

/** The moves this party may make now, in display order. */
export function allowedMoves(party: Party | null, from: FollowUpStatus | null | undefined): MoveTarget[] {
  if (!party) return [];
  return moveTargets.filter((to) => roleMayMove(party, to) && isValidMove(from, to));
}

/**
 * The furthest stage a follow-up reached, from the statuses of its steps: 3 已签约, 2 有意向, 1 已联系, 0 none
 * (declined at once). Skipping a step counts as reaching it. 统计报表's funnel counts by it; it is kept on
 * the follow-up (`stage`), written with each step.
 */
export function stageOf(statuses: readonly string[]): number {
  if (statuses.includes('signed')) return 3;
  if (statuses.includes('intent')) return 2;
  return statuses.includes('contacted') ? 1 : 0;
}

/** What one follow-up adds to its demand's row of 统计报表's funnel (follow_up_demands). */
export interface FunnelCounts { pairs: number; contacted: number; intent: number; signed: number; declined: number; amountFen: number; amountKnown: number }
export const funnelCountKeys = ['pairs', 'contacted', 'intent', 'signed', 'declined', 'amountFen', 'amountKnown'] as const;

/**
 * A follow-up's share of the funnel (pure), from its furthest stage, its current status and its amount:
 * the same definition as the funnel computed from the records (src/reports/aggregate.ts). None: zeros.
 * A signing's amount counts in whole fen (integers: sums are exact whatever the order).
 */
export function funnelShare(f: { stage: number; status: string; amountYuan?: number | null } | null): FunnelCounts {
  if (!f) return { pairs: 0, contacted: 0, intent: 0, signed: 0, declined: 0, amountFen: 0, amountKnown: 0 };
  const signed = f.stage >= 3;
  const known = signed && typeof f.amountYuan === 'number';
  return {
    pairs: 1,
    contacted: f.stage >= 1 ? 1 : 0,
    intent: f.stage >= 2 ? 1 : 0,
    signed: signed ? 1 : 0,
    declined: f.status === 'declined' ? 1 : 0,
    amountFen: known ? Math.round(f.amountYuan! * 100) : 0,
    amountKnown: known ? 1 : 0,
  };
}

/** The month of a moment in China time (UTC+8, no daylight saving), as 'YYYY-MM'. */
export const chinaMonth = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);

/** The status a move lands on. */
export const targetStatus = (to: MoveTarget): FollowUpStatus => (to === 'reopen' ? 'contacted' : to);

/** Where a signing was entered, as the 409 for a second signing names it. */
const signingSourceNames: Record<string, string> = { event: '（对接会登记）', visit: '（调研考察登记）' };

/**
 * The 409 text for a second signing of a (demand, vendor) pair: a signing is stored once, so it names
 * the one already recorded (day in China time, amount, where and by whom) and says what to record instead.
 */
export function signingTakenMessage(
  amountYuan: number | null | undefined,
  step: { at?: Date; by?: { name?: string | null } | null; source?: string | null } | undefined,
  recordInstead: string,
): string {
  const day = chinaDay(step?.at);
  const amount = typeof amountYuan === 'number' ? `，金额 ${amountYuan.toLocaleString('zh-CN')} 元` : '';
  const where = signingSourceNames[step?.source ?? ''] ?? '';
  return `该需求与该供应商已于 ${day} 签约${amount}${where}，由${step?.by?.name ?? '他人'}登记；同一需求与供应商只记一次签约，${recordInstead}`;
}
