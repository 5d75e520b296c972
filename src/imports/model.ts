/**
 * Bulk-import jobs live in MongoDB, not in a process: any instance can report a job, and any instance
 * may resume one whose owner died (its lease lapses). The uploaded file sits in GridFS until a worker
 * parses it into job rows; counts, errors and the cursor advance in the same transaction as each batch.
 * Every importer has its own collections (src/imports/importer.ts `storage`), with these schemas.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const importStatuses = ['queued', 'running', 'done', 'failed'] as const;
export type ImportKind = 'vendor' | 'product';

const ImportErrorSchema = new Schema(
  {
    /** The row's kind ('vendor', 'product', 'demand'), or 'file' for the file as a whole. */
    kind: String,
    /** 1-based row as the person sees it: spreadsheet row (header is row 1) or JSON array index + 1. */
    row: Number,
    field: String,
    /** The spreadsheet column the field came from, when the import was a file. */
    column: String,
    message: String,
  },
  { _id: false },
);

const ImportJobSchema = new Schema(
  {
    status: { type: String, enum: importStatuses, default: 'queued', index: true },
    /** 'parse': the source file still has to be read into rows; 'rows': batches are being written. */
    phase: { type: String, enum: ['parse', 'rows'], default: 'parse' },
    format: { type: String, enum: ['json', 'xlsx', 'csv'], required: true },
    filename: String,
    /** The uploaded (or posted) source in the importer's GridFS bucket; removed once the rows are staged. */
    fileId: Schema.Types.ObjectId,
    /** New records are published (suppliers) or opened (demands) at once. */
    publish: { type: Boolean, default: false },
    createdBy: { id: String, name: String, role: String },
    total: { type: Number, default: 0 },
    processed: { type: Number, default: 0 },
    created: { type: Number, default: 0 },
    updated: { type: Number, default: 0 },
    unchanged: { type: Number, default: 0 },
    /** Rows reported and skipped (rowErrors keeps at most ERROR_CAP of their reasons). */
    rejected: { type: Number, default: 0 },
    errorCount: { type: Number, default: 0 },
    /** The rejected rows' reasons (the API calls them `errors`; that name is reserved in mongoose). */
    rowErrors: { type: [ImportErrorSchema], default: [] },
    /** Rows the import deliberately left as they were (a suspended vendor's status, a closed demand). */
    skipped: { type: Number, default: 0 },
    skippedRows: { type: [new Schema({ kind: String, row: Number, message: String }, { _id: false })], default: [] },
    /** Why the whole job failed, in Chinese. */
    failure: String,
    /** Next row sequence number to write; everything before it is committed. */
    cursor: { type: Number, default: 0 },
    owner: String,
    leaseUntil: { type: Date, default: null },
    /** How often a worker took the job; a job that keeps killing its workers is stopped. */
    claims: { type: Number, default: 0 },
    startedAt: Date,
    finishedAt: Date,
  },
  { timestamps: true },
);
ImportJobSchema.index({ status: 1, leaseUntil: 1 });
ImportJobSchema.index({ createdAt: -1 });

/** One source row, parsed but not yet written; deleted when the job ends, kept (for a while) when rejected. */
const ImportRowSchema = new Schema(
  {
    job: { type: Schema.Types.ObjectId, required: true },
    seq: { type: Number, required: true },
    kind: { type: String, required: true },
    row: { type: Number, required: true },
    /** The row as JSON text: user-supplied keys never become MongoDB field names. */
    data: { type: String, required: true },
    /** Top-level fields the source supplied (a missing column leaves the stored value alone). */
    present: { type: [String], default: [] },
    /** Set when an earlier row of the same import has the same natural key. */
    duplicateOf: Number,
  },
  { versionKey: false, minimize: false },
);
ImportRowSchema.index({ job: 1, seq: 1 }, { unique: true });

/** A rejected row with its reasons, for the error workbook; MongoDB removes it after 30 days. */
const RejectedRowSchema = new Schema(
  {
    job: { type: Schema.Types.ObjectId, required: true },
    seq: { type: Number, required: true },
    kind: String,
    row: Number,
    data: String,
    reasons: { type: [ImportErrorSchema], default: [] },
    expireAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
RejectedRowSchema.index({ job: 1, seq: 1 }, { unique: true });
RejectedRowSchema.index({ expireAt: 1 }, { expireAfterSeconds: 0 });

export type ImportJob = InferSchemaType<typeof ImportJobSchema>;
export type ImportRow = InferSchemaType<typeof ImportRowSchema>;
export type RejectedRow = InferSchemaType<typeof RejectedRowSchema>;

const modelName = (collection: string) => collection.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());

/** The job, row and rejected-row models of one importer's collections. */
export function jobModels(conn: Connection, storage: { jobs: string; rows: string }) {
  const model = <T>(collection: string, schema: Schema) =>
    (conn.models[modelName(collection)] ?? conn.model(modelName(collection), schema, collection)) as Model<T>;
  return {
    ImportJob: model<ImportJob>(storage.jobs, ImportJobSchema),
    ImportRow: model<ImportRow>(storage.rows, ImportRowSchema),
    RejectedRow: model<RejectedRow>(`${storage.rows}_rejected`, RejectedRowSchema),
  };
}
export type JobModels = ReturnType<typeof jobModels>;
