/**
 * How a follow-up is shown: its JSON/page view with the steps, the buttons a user gets for one (demand,
 * vendor), and the context of views/partials/followup.hbs. Pure.
 */
import type { Types } from 'mongoose';
import type { CurrentUser } from '../accounts/index.js';
import type { Reason } from '../matching/index.js';
import type { FollowUp } from './model.js';
import { actionLabels, allowedMoves, partyOf, statusNames, type FollowUpStatus, type MoveTarget } from './state.js';

export interface Actor { id: string; name: string; role: string }

export interface StepView {
  status: FollowUpStatus;
  statusName: string;
  action: MoveTarget;
  actionName: string;
  from: FollowUpStatus | null;
  by: Actor;
  at: Date;
  note?: string;
  reason?: string;
  amountYuan?: number;
  source: string;
}

export interface FollowUpView {
  id: string;
  demandId: string;
  vendorId: string;
  status: FollowUpStatus;
  statusName: string;
  amountYuan?: number;
  declineReason?: string;
  score?: number;
  reasons?: Reason[];
  steps: StepView[];
  createdAt: Date;
  updatedAt: Date;
  /** Messages in the buyer–vendor conversation of this pair (src/threads), filled where known. */
  messageCount?: number;
  /** Filled in lists. */
  demandTitle?: string;
  vendorName?: string;
}

export interface MoveInput {
  to: MoveTarget;
  /** The status the caller saw ('none' = no follow-up yet); a different current status is a 409. */
  from?: FollowUpStatus | 'none';
  note?: string;
  reason?: string;
  amountYuan?: number;
}

export type FollowUpLean = FollowUp & { _id: Types.ObjectId };

export function followUpView(f: FollowUpLean): FollowUpView {
  return {
    id: String(f._id),
    demandId: String(f.demand),
    vendorId: String(f.vendor),
    status: f.status as FollowUpStatus,
    statusName: statusNames[f.status as FollowUpStatus],
    amountYuan: f.amountYuan ?? undefined,
    declineReason: f.declineReason ?? undefined,
    score: f.score ?? undefined,
    reasons: (f.reasons as Reason[] | undefined)?.map((r) => ({ factor: r.factor, value: r.value, weight: r.weight, text: r.text })),
    steps: (f.steps ?? []).map((s) => ({
      status: s.status as FollowUpStatus,
      statusName: statusNames[s.status as FollowUpStatus],
      action: s.action as MoveTarget,
      actionName: actionLabels[s.action as MoveTarget],
      from: (s.from as FollowUpStatus | null) ?? null,
      by: { id: s.by?.id ?? '', name: s.by?.name ?? '', role: s.by?.role ?? '' },
      at: s.at,
      note: s.note ?? undefined,
      reason: s.reason ?? undefined,
      amountYuan: s.amountYuan ?? undefined,
      source: s.source ?? 'platform',
    })),
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}

/** The demand fields the follow-up rules look at. */
export interface DemandRef { _id?: unknown; id?: string; buyerOrg?: unknown; buyerOrgId?: string; status?: string }

const demandOrg = (demand: DemandRef) => String(demand.buyerOrgId ?? demand.buyerOrg ?? '');

/**
 * The buttons a user gets for one (demand, vendor): `[{to, label}]`, empty when they may not move it.
 * Pass the vendor's id when there is no follow-up yet (a vendor only acts on its own row).
 */
export function followUpActionsFor(
  user: CurrentUser | null | undefined,
  demand: DemandRef,
  followUp: Pick<FollowUpView, 'status' | 'vendorId'> | null | undefined,
  vendorId?: string,
): Array<{ to: MoveTarget; label: string }> {
  const vendor = followUp?.vendorId ?? vendorId;
  if (!user || !vendor) return [];
  const party = partyOf(user, demandOrg(demand), vendor);
  if (!party || demand.status === 'draft') return [];
  if (party === 'vendor' && demand.status === 'closed') return [];
  return allowedMoves(party, followUp?.status).map((to) => ({ to, label: actionLabels[to] }));
}

/** The context views/partials/followup.hbs expects, for one vendor's row on a demand. */
export function followUpPartial(
  user: CurrentUser | null | undefined,
  demand: DemandRef,
  vendorId: string,
  followUp: FollowUpView | null | undefined,
  options: { back?: string; csrfToken?: string } = {},
) {
  const allowed = followUpActionsFor(user, demand, followUp, vendorId).map((a) => ({
    ...a,
    needsReason: a.to === 'declined' || a.to === 'reopen',
    takesAmount: a.to === 'signed',
  }));
  // The pair's conversation (src/threads) opens once the vendor said 有意向; link it from the follow-up.
  const talks = Boolean(followUp && (followUp.messageCount || followUp.status === 'signed' || followUp.steps.some((s) => s.action === 'intent')));
  const demandId = String(demand.id ?? demand._id);
  return {
    demandId,
    vendorId,
    followUp: followUp ?? null,
    threadUrl: talks ? `/demands/${demandId}/threads/${vendorId}` : undefined,
    from: followUp?.status ?? 'none',
    allowed,
    back: options.back,
    csrfToken: options.csrfToken,
  };
}
