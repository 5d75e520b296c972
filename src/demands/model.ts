import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const buyerTypes = ['enterprise', 'hospital', 'school', 'agency', 'other'] as const;
export const buyerLevels = ['province', 'city', 'district'] as const;
export const demandStatuses = ['draft', 'open', 'in_progress', 'closed'] as const;

const BuyerOrgSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, unique: true },
    type: { type: String, enum: buyerTypes, required: true },
    level: { type: String, enum: buyerLevels, required: true },
    province: { type: String, required: true },
    city: String,
    district: String,
  },
  { timestamps: true },
);

const DemandSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    description: { type: String, default: '' },
    field: { type: String, index: true },
    category: String,
    quantity: Number,
    unit: String,
    budgetYuan: Number,
    requiredCertifications: { type: [String], default: [] },
    preferredCertifications: { type: [String], default: [] },
    deadline: Date,
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg', required: true, index: true },
    status: { type: String, enum: demandStatuses, default: 'open', index: true },
  },
  { timestamps: true },
);
// A buyer organization does not post the same demand title twice; this is also what keeps seeding idempotent.
DemandSchema.index({ buyerOrg: 1, title: 1 }, { unique: true });

export type BuyerOrg = InferSchemaType<typeof BuyerOrgSchema>;
export type Demand = InferSchemaType<typeof DemandSchema>;

export function demandModels(conn: Connection) {
  return {
    BuyerOrg: conn.model('BuyerOrg', BuyerOrgSchema),
    Demand: conn.model('Demand', DemandSchema),
  };
}
