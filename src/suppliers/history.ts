/**
 * Every change to a vendor or product is recorded: who, when, what, and each field before and after.
 * Written in the same transaction as the change it describes.
 */
import { Schema, type ClientSession, type Connection, type Types } from 'mongoose';
import type { Models } from '../infra/models.js';

export interface Actor {
  /** A user id, or "import:<jobId>" / "system" for changes nobody typed. */
  id: string;
  name: string;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

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

export function historyModels(conn: Connection) {
  return { ChangeLog: conn.model('ChangeLog', ChangeLogSchema, 'change_log') };
}

const comparable = (v: unknown): string => JSON.stringify(v instanceof Date ? v.toISOString() : v ?? null);

/** The fields whose values differ between two versions of a record (pure). */
export function diffFields(before: Record<string, unknown>, after: Record<string, unknown>, fields: readonly string[]): FieldChange[] {
  return fields
    .filter((field) => comparable(before[field]) !== comparable(after[field]))
    .map((field) => ({ field, before: before[field] ?? null, after: after[field] ?? null }));
}

export interface ChangeRecord {
  entity: 'vendor' | 'product';
  entityId: Types.ObjectId;
  vendor: Types.ObjectId;
  action: string;
  actor: Actor;
  changes?: FieldChange[];
  note?: string;
}

export async function recordChange(models: Models, record: ChangeRecord, session?: ClientSession, at = new Date()): Promise<void> {
  await models.ChangeLog.create([{ ...record, at, changes: record.changes ?? [] }], { session });
}
