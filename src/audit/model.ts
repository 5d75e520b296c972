/**
 * The audit trail (审计日志): one document per security-relevant event. Entries are only ever added:
 * the schema refuses every update and delete through Mongoose, the service has no update path, and no
 * route writes to it except by recording.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';

const ActorSchema = new Schema({ id: String, name: String, email: String, role: String }, { _id: false });
const TargetSchema = new Schema({ kind: String, id: String, label: String }, { _id: false });

const AuditEntrySchema = new Schema(
  {
    at: { type: Date, required: true, immutable: true },
    /** Stable code, e.g. `vendor.approve` (src/audit/actions.ts). */
    action: { type: String, required: true, immutable: true },
    /** Who: the logged-in user; absent for failed logins. */
    actor: { type: ActorSchema, immutable: true },
    /** The email involved: the actor's, or the one typed in a failed login. */
    email: { type: String, immutable: true },
    /** From where: the client address as resolved by TRUST_PROXY, and the browser/user agent. */
    ip: { type: String, immutable: true },
    userAgent: { type: String, immutable: true },
    target: { type: TargetSchema, immutable: true },
    description: { type: String, immutable: true },
    requestId: { type: String, immutable: true },
  },
  { versionKey: false, collection: 'audit_entries' },
);
AuditEntrySchema.index({ at: -1 });
AuditEntrySchema.index({ action: 1, at: -1 });
AuditEntrySchema.index({ email: 1, at: -1 });

const appendOnly = () => {
  throw new Error('审计记录只能追加，不能修改或删除。');
};
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace', 'deleteOne', 'deleteMany', 'findOneAndDelete'] as const) {
  AuditEntrySchema.pre(op, { document: false, query: true }, appendOnly);
}
AuditEntrySchema.pre('deleteOne', { document: true, query: false }, appendOnly);
AuditEntrySchema.pre('save', function () {
  if (!this.isNew) appendOnly();
});

export type AuditEntry = InferSchemaType<typeof AuditEntrySchema>;

export function auditModels(conn: Connection) {
  return { AuditEntry: conn.model('AuditEntry', AuditEntrySchema) };
}
