/** The search outbox's collection: one mark per product waiting to be (re)indexed (see outbox.ts). */
import { Schema, type Connection } from 'mongoose';

const SearchOutboxSchema = new Schema(
  {
    /** The product's id: one mark per product, however often it changes before delivery. */
    _id: { type: Schema.Types.ObjectId },
    /** Bumped on every mark, so a worker only clears the mark it delivered, not a newer one. */
    version: { type: Number, required: true, default: 0 },
    markedAt: { type: Date, required: true },
    /** A worker's claim; others skip the mark until it expires (a crashed worker's claim lapses). */
    lockedUntil: { type: Date, default: null, index: true },
    owner: String,
    attempts: { type: Number, default: 0 },
    lastError: String,
  },
  { versionKey: false },
);

export function searchModels(conn: Connection) {
  return { SearchOutbox: conn.model('SearchOutbox', SearchOutboxSchema, 'search_outbox') };
}
