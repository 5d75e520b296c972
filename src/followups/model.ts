/**
 * What came of a match: one FollowUp per (demand, vendor), its current status and every step that led
 * there (who, in which role, when, with what note). The district reports these upward, so a step is
 * only ever appended, in the same conditional update that changes the status.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { followUpStatuses, moveTargets } from './state.js';
import { bindModels } from '../infra/bind-model.js';

const ActorSchema = new Schema({ id: String, name: String, role: String }, { _id: false });

const StepSchema = new Schema(
  {
    /** The status this step moved to. */
    status: { type: String, enum: followUpStatuses, required: true },
    /** What was done: a status, or 'reopen'. */
    action: { type: String, enum: moveTargets, required: true },
    from: { type: String, enum: [...followUpStatuses, null], default: null },
    by: { type: ActorSchema, required: true },
    at: { type: Date, required: true },
    note: String,
    reason: String,
    amountYuan: Number,
    /** Where the step came from: a page or API call, or a matchmaking event's outcome. */
    source: { type: String, default: 'platform' },
    /** For a signing made at a matchmaking event: the event and the meeting, so the event counts it. */
    event: { type: Schema.Types.ObjectId, default: undefined },
    meeting: { type: Schema.Types.ObjectId, default: undefined },
    /** For a signing recorded on a 企业调研/现场考察: the visit and its outcome record, so the visit counts it. */
    visit: { type: Schema.Types.ObjectId, default: undefined },
    visitOutcome: { type: Schema.Types.ObjectId, default: undefined },
  },
  { _id: false },
);

const ReasonSchema = new Schema({ factor: String, value: Number, weight: Number, text: String }, { _id: false });

const FollowUpSchema = new Schema(
  {
    demand: { type: Schema.Types.ObjectId, ref: 'Demand', required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor', required: true, index: true },
    /** Copied from the demand so a buyer's list needs no join. */
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg', index: true },
    status: { type: String, enum: followUpStatuses, required: true, index: true },
    /** Derived: stageOf() the steps' statuses (0–3), written in the update that appends a step (统计报表's funnel). */
    stage: Number,
    amountYuan: Number,
    declineReason: String,
    steps: { type: [StepSchema], default: [] },
    /** The match as it stood at the first step (score in [0, 1] and its reasons), when known. */
    score: Number,
    reasons: { type: [ReasonSchema], default: undefined },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
FollowUpSchema.index({ demand: 1, vendor: 1 }, { unique: true });
FollowUpSchema.index({ status: 1, updatedAt: -1 });
// The signings made at event meetings, for the events' figures.
FollowUpSchema.index({ 'steps.meeting': 1 }, { sparse: true });
FollowUpSchema.index({ 'steps.event': 1 }, { sparse: true });
FollowUpSchema.index({ 'steps.visit': 1 }, { sparse: true });

// 统计报表's funnel reads only this index: one key per follow-up, every field it groups and sums.
FollowUpSchema.index({ buyerOrg: 1, demand: 1, stage: 1, status: 1, amountYuan: 1, createdAt: 1 });

/**
 * Derived, for 统计报表's trend: the steps taken (reopening excluded) per China-time month and status,
 * with the signed amounts in fen (integers: sums are exact whatever the order). Incremented in the
 * transaction that appends the step; rebuildStepMonths() derives it again from the follow-ups.
 */
const StepMonthSchema = new Schema(
  { _id: String, month: { type: String, required: true }, status: { type: String, required: true }, n: { type: Number, required: true }, amountFen: { type: Number, required: true } },
  { versionKey: false },
);
StepMonthSchema.index({ month: 1, status: 1 });

/**
 * Derived, for 统计报表's funnel: per demand, its follow-ups counted by furthest stage and current status,
 * with the signed amounts in fen (funnelShare, src/followups/state.ts). Changed by the difference each step
 * makes, in the step's transaction; rebuildDemandFunnels() derives it again from the follow-ups.
 */
const DemandFunnelSchema = new Schema(
  {
    /** The demand. */
    _id: { type: Schema.Types.ObjectId, required: true },
    buyerOrg: Schema.Types.ObjectId,
    pairs: { type: Number, required: true },
    contacted: { type: Number, required: true },
    intent: { type: Number, required: true },
    signed: { type: Number, required: true },
    declined: { type: Number, required: true },
    amountFen: { type: Number, required: true },
    amountKnown: { type: Number, required: true },
  },
  { versionKey: false },
);

export type FollowUp = InferSchemaType<typeof FollowUpSchema>;

export const followUpModels = (conn: Connection) => bindModels(conn, {
  FollowUp: [FollowUpSchema, 'follow_ups'],
  FollowUpMonth: [StepMonthSchema, 'follow_up_months'],
  FollowUpDemand: [DemandFunnelSchema, 'follow_up_demands'],
});
