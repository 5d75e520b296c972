/**
 * Every change to a vendor or product is recorded: who, when, what, and each field before and after.
 * Written in the same transaction as the change it describes.
 */
import type { ClientSession, Types } from 'mongoose';
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
