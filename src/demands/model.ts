import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const demandStatuses = ['draft', 'open', 'in_progress', 'closed'] as const;
export const closedAsValues = ['fulfilled', 'cancelled', 'expired'] as const;
export const demandSources = ['buyer', 'organizer', 'import'] as const;
export const historyActions = ['create', 'edit', 'open', 'start', 'close', 'expire', 'import'] as const;

export type DemandStatus = (typeof demandStatuses)[number];
export type ClosedAs = (typeof closedAsValues)[number];

// The buyer organization a demand belongs to ('BuyerOrg') lives in src/buyers.

/** Who did something: a user, an import job, or the system (expiry). */
const ActorSchema = new Schema({ id: String, name: String, role: String }, { _id: false });

/** One lifecycle step or edit; the district reports these upward, so each is exact and never rewritten. */
const HistorySchema = new Schema(
  {
    action: { type: String, enum: historyActions, required: true },
    from: String,
    to: String,
    by: { type: ActorSchema, required: true },
    at: { type: Date, required: true },
    reason: String,
    closedAs: String,
    /** For edits and re-imports: the fields that changed. */
    fields: { type: [String], default: undefined },
  },
  { _id: false },
);

const DemandSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    description: { type: String, default: '' },
    field: { type: String, index: true },
    category: String,
    quantity: Number, unit: String,
    budgetYuan: Number,
    requiredCertifications: { type: [String], default: [] },
    preferredCertifications: { type: [String], default: [] },
    deadline: Date,
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg', required: true, index: true },
    status: { type: String, enum: demandStatuses, default: 'open', index: true },
    closedAs: { type: String, enum: closedAsValues },
    closeReason: String,
    closedAt: Date,
    /** The buyer's internal notes: never shown to vendors, never in vendor-visible API output. */
    privateNotes: String,
    postedBy: { type: ActorSchema },
    source: { type: String, enum: demandSources, default: 'buyer' },
    history: { type: [HistorySchema], default: [] },
  },
  { timestamps: true },
);
// A buyer organization does not post the same demand title twice; this is also what keeps seeding idempotent.
DemandSchema.index({ buyerOrg: 1, title: 1 }, { unique: true });
// The expiry sweep looks for active demands past their deadline.
DemandSchema.index({ status: 1, deadline: 1 });
// 统计报表: every field the demand figures read, so their scans never touch a document (src/reports/aggregate.ts).
DemandSchema.index({ status: 1, createdAt: 1, buyerOrg: 1, field: 1, closedAs: 1, budgetYuan: 1 });

export type Demand = InferSchemaType<typeof DemandSchema>;

export function demandModels(conn: Connection) {
  return {
    Demand: conn.model('Demand', DemandSchema),
  };
}
