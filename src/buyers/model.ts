import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const buyerTypes = ['enterprise', 'hospital', 'school', 'agency', 'other'] as const;
export const buyerLevels = ['province', 'city', 'district'] as const;

// Model name 'BuyerOrg' keeps the collection 'buyerorgs' that existing data and aggregations use.
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

export type BuyerOrg = InferSchemaType<typeof BuyerOrgSchema>;

export function buyerModels(conn: Connection) {
  return { BuyerOrg: conn.model('BuyerOrg', BuyerOrgSchema) };
}
