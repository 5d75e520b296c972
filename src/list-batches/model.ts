/**
 * Numbered batches of the 推介清单 (第 N 批): each a frozen copy of the list at publishing, its changes against
 * the previous batch, and the objections (异议) filed during its 公示期.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';

const ActorSchema = new Schema({ id: String, name: String }, { _id: false });

/** One vendor as the batch cites it (copied, never referenced: the live record may change or go). */
const VendorEntrySchema = new Schema(
  {
    vendorId: String,
    creditCode: { type: String, required: true },
    name: { type: String, required: true },
    province: String, city: String, district: String,
    address: String,
    website: String,
    description: String,
    fields: { type: [String], default: [] },
    certifications: { type: [String], default: [] },
  },
  { _id: false },
);

/** One published product as the batch cites it. */
const ProductEntrySchema = new Schema(
  {
    productId: String,
    vendorCreditCode: { type: String, required: true },
    vendorName: String,
    name: { type: String, required: true },
    model: { type: String, required: true },
    category: String,
    field: String,
    certifications: { type: [String], default: [] },
    energyGrade: Number,
    priceMin: Number,
    priceMax: Number,
    capacityPerMonth: Number,
    leadTimeDays: Number,
    images: { type: [String], default: [] },
  },
  { _id: false },
);

const EntryRefSchema = new Schema(
  { kind: { type: String, enum: ['vendor', 'product'], required: true }, creditCode: String, model: String, name: String, vendorName: String, reason: String },
  { _id: false },
);
const ChangedSchema = new Schema(
  {
    kind: { type: String, enum: ['vendor', 'product'], required: true }, creditCode: String, model: String, name: String, vendorName: String,
    fields: { type: [{ _id: false, field: String, before: Schema.Types.Mixed, after: Schema.Types.Mixed }], default: [] },
  },
  { _id: false },
);

const ListBatchSchema = new Schema(
  {
    /** 第 N 批: allocated from the counter in the publishing transaction; unique whatever happens. */
    number: { type: Number, required: true, unique: true },
    title: { type: String, required: true },
    publishedAt: { type: Date, required: true },
    /** End of the 公示期 (objections accepted until then); null: no 公示期. */
    objectionUntil: { type: Date, default: null },
    publishedBy: ActorSchema,
    counts: { vendors: Number, products: Number },
    /** Against the previous batch, computed at publishing (removal reasons come from the live records then). */
    changes: {
      added: { type: [EntryRefSchema], default: [] },
      removed: { type: [EntryRefSchema], default: [] },
      changed: { type: [ChangedSchema], default: [] },
    },
  },
  { versionKey: false },
);

/** A batch's vendors, one document each with its products (a batch of thousands stays far from 16 MB a document). */
const ListBatchVendorSchema = new Schema(
  {
    batch: { type: Schema.Types.ObjectId, required: true },
    number: { type: Number, required: true },
    vendor: { type: VendorEntrySchema, required: true },
    products: { type: [ProductEntrySchema], default: [] },
  },
  { versionKey: false },
);
ListBatchVendorSchema.index({ number: 1, 'vendor.creditCode': 1 }, { unique: true });

const ListBatchCounterSchema = new Schema({ _id: String, seq: { type: Number, default: 0 } }, { versionKey: false });

/** GridFS bucket of objection attachments (PDF or image, checked by content). */
export const OBJECTION_BUCKET = 'objection_files';

const ObjectionSchema = new Schema(
  {
    batch: { type: Schema.Types.ObjectId, required: true },
    number: { type: Number, required: true, index: true },
    entry: { type: EntryRefSchema, required: true },
    reason: { type: String, required: true },
    contact: { type: String, required: true },
    file: { type: new Schema({ fileId: Schema.Types.ObjectId, contentType: String, filename: String, length: Number }, { _id: false }), default: undefined },
    filedAt: { type: Date, required: true },
    ip: String,
    answer: {
      type: new Schema(
        { text: String, outcome: { type: String, enum: ['upheld', 'dismissed'] }, by: ActorSchema, at: Date },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { versionKey: false },
);

export type ListBatch = InferSchemaType<typeof ListBatchSchema>;
export type ListBatchVendorDoc = InferSchemaType<typeof ListBatchVendorSchema>;
export type Objection = InferSchemaType<typeof ObjectionSchema>;

export function listBatchModels(conn: Connection) {
  return {
    ListBatch: conn.model('ListBatch', ListBatchSchema, 'list_batches'),
    ListBatchVendor: conn.model('ListBatchVendor', ListBatchVendorSchema, 'list_batch_vendors'),
    ListBatchCounter: conn.model('ListBatchCounter', ListBatchCounterSchema, 'list_batch_counters'),
    ListBatchObjection: conn.model('ListBatchObjection', ObjectionSchema, 'list_batch_objections'),
  };
}
