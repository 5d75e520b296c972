import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const vendorStatuses = ['draft', 'submitted', 'approved', 'rejected', 'suspended'] as const;
export const productStatuses = ['draft', 'submitted', 'published', 'archived'] as const;

const ContactSchema = new Schema({ name: String, phone: String, email: String }, { _id: false });

const VendorSchema = new Schema(
  {
    name: { type: String, required: true, trim: true },
    /** 统一社会信用代码: the natural key. */
    creditCode: { type: String, required: true, unique: true },
    province: { type: String, required: true },
    city: String,
    district: String,
    address: String,
    fields: { type: [String], default: [] },
    certifications: { type: [String], default: [] },
    contact: ContactSchema,
    description: String,
    website: String,
    status: { type: String, enum: vendorStatuses, default: 'draft', index: true },
  },
  { timestamps: true },
);

const SpecSchema = new Schema({ key: String, value: String }, { _id: false });

const ProductSchema = new Schema(
  {
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor', required: true, index: true },
    vendorCreditCode: { type: String, required: true },
    name: { type: String, required: true, trim: true },
    model: { type: String, required: true, trim: true },
    category: { type: String, required: true, index: true },
    field: { type: String, required: true, index: true },
    description: String,
    certifications: { type: [String], default: [] },
    energyGrade: { type: Number, min: 1, max: 5 },
    priceMin: Number,
    priceMax: Number,
    capacityPerMonth: Number,
    leadTimeDays: Number,
    specs: { type: [SpecSchema], default: [] },
    status: { type: String, enum: productStatuses, default: 'draft', index: true },
  },
  { timestamps: true },
);
// (vendorCreditCode, model) is the product's natural key.
ProductSchema.index({ vendorCreditCode: 1, model: 1 }, { unique: true });

export type Vendor = InferSchemaType<typeof VendorSchema>;
export type Product = InferSchemaType<typeof ProductSchema>;

export function supplierModels(conn: Connection) {
  return {
    Vendor: conn.model('Vendor', VendorSchema),
    Product: conn.model('Product', ProductSchema),
  };
}
