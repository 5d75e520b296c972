import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const vendorStatuses = ['draft', 'submitted', 'approved', 'rejected', 'suspended'] as const;
export const productStatuses = ['draft', 'submitted', 'published', 'archived'] as const;

const ContactSchema = new Schema({ name: String, phone: String, email: String }, { _id: false });

const ActorSchema = new Schema({ id: String, name: String }, { _id: false });

/** A scan kept in GridFS (bucket "uploads"); only the owning vendor and staff may read it. */
const ScanSchema = new Schema({ fileId: { type: Schema.Types.ObjectId, required: true }, contentType: String, filename: String }, { _id: false });

/**
 * A certificate backing one of the vendor's certification codes, with its evidence. It counts only
 * between validFrom and expiresAt. verifiedAt/verifiedBy record the organizer's review that let it into
 * the public list (an approval of the company or of its revision, or an organizer's own entry).
 */
const QualificationSchema = new Schema(
  {
    certification: { type: String, required: true },
    number: String,
    issuer: String,
    validFrom: Date,
    expiresAt: Date,
    scan: { type: ScanSchema, default: undefined },
    verifiedAt: Date,
    verifiedBy: { type: ActorSchema, default: undefined },
  },
  { _id: false },
);

/** Reviewed profile changes of an approved (or suspended) vendor wait here until an organizer decides. */
const RevisionSchema = new Schema(
  { changes: { type: Schema.Types.Mixed, required: true }, submittedBy: String, submittedAt: Date },
  { _id: false },
);

/** Files kept in GridFS (bucket "uploads"). */
const ImageSchema = new Schema({ fileId: { type: Schema.Types.ObjectId, required: true }, contentType: String }, { _id: false });

const PublishedCountSchema = new Schema({ f: String, c: String, n: Number }, { _id: false });

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
    logo: ImageSchema,
    qualifications: { type: [QualificationSchema], default: [] },
    status: { type: String, enum: vendorStatuses, default: 'draft', index: true },
    /** Why an organizer rejected or suspended the vendor (or its revision); shown to the vendor. */
    reviewNote: String,
    /** The public profile stays as approved until an organizer accepts this (name, region, fields, certificates…). */
    pendingRevision: { type: RevisionSchema, default: undefined },
    /** Last time the vendor confirmed its listings are current: drives freshness (stale, hidden). */
    confirmedAt: { type: Date, index: true },
    /** freshnessOf(confirmedAt) as of the last sweep (src/suppliers/freshness-sweep.ts); copied into search. */
    freshness: { type: String, enum: ['current', 'stale', 'hidden'], default: 'current', index: true },
    /**
     * Derived, for 统计报表: the vendor's published products counted per (field f, category c), rewritten
     * from its products in the transaction of every product write (published-counts.ts). Not selected by
     * default: no page, API answer or search document carries it.
     */
    publishedCounts: { type: [PublishedCountSchema], default: [], select: false },
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
    priceMin: Number, priceMax: Number,
    capacityPerMonth: Number,
    leadTimeDays: Number,
    specs: { type: [SpecSchema], default: [] },
    images: { type: [ImageSchema], default: [] },
    status: { type: String, enum: productStatuses, default: 'draft', index: true },
    reviewNote: String,
    /**
     * An edit to a published product waits here, field by field, until an organizer approves it;
     * the public keeps seeing the published values meanwhile.
     */
    pendingRevision: {
      type: new Schema(
        { changes: { type: Schema.Types.Mixed, required: true }, submittedBy: String, submittedAt: Date },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: true },
);
// (vendorCreditCode, model) is the product's natural key.
ProductSchema.index({ vendorCreditCode: 1, model: 1 }, { unique: true });
// 统计报表 (src/reports/aggregate.ts) counts products per vendor and category from this index alone.
ProductSchema.index({ status: 1, field: 1, vendor: 1, category: 1 });

export type Vendor = InferSchemaType<typeof VendorSchema>;
export type Product = InferSchemaType<typeof ProductSchema>;

/** Every change to a vendor or product (written by history.ts's recordChange). */
const ChangeLogSchema = new Schema(
  {
    entity: { type: String, enum: ['vendor', 'product'], required: true },
    entityId: { type: Schema.Types.ObjectId, required: true },
    /** The vendor the entity belongs to, so a vendor's whole history is one query. */
    vendor: { type: Schema.Types.ObjectId, required: true, index: true },
    action: { type: String, required: true },
    actor: { id: String, name: String },
    at: { type: Date, required: true },
    note: String,
    changes: { type: [{ _id: false, field: String, before: Schema.Types.Mixed, after: Schema.Types.Mixed }], default: [] },
  },
  { versionKey: false },
);
ChangeLogSchema.index({ entity: 1, entityId: 1, at: -1 });


export function supplierModels(conn: Connection) {
  return {
    Vendor: conn.model('Vendor', VendorSchema),
    Product: conn.model('Product', ProductSchema),
    ChangeLog: conn.model('ChangeLog', ChangeLogSchema, 'change_log'),
  };
}
