/**
 * The search outbox's collection: one mark per product waiting to be (re)indexed (see outbox.ts), and the
 * search servers the platform has known (see servers.ts). With several Meilisearch servers (MEILI_HOST lists
 * them) each server has its own delivery state inside the mark, keyed by the server's key (a hash of its
 * URL, so it is a safe field name): a mark stays until every configured server has it.
 */
import { Schema, type Connection } from 'mongoose';

const SearchOutboxSchema = new Schema(
  {
    /** The product's id: one mark per product, however often it changes before delivery. */
    _id: { type: Schema.Types.ObjectId },
    /** Bumped on every mark, so a worker only records the version it delivered, not a newer one. */
    version: { type: Number, required: true, default: 0 },
    markedAt: { type: Date, required: true, index: true },
    /** Keys of the servers that hold this version; a new mark empties it. */
    delivered: { type: [String], default: [], index: true },
    /**
     * Per server key: a worker's claim (`until`, `owner`: others skip the mark until it expires, so a
     * crashed worker's claim lapses) and that server's failures (`attempts`, `lastError`).
     */
    servers: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, minimize: false },
);

const SearchServerSchema = new Schema(
  {
    /** The server's key (serverKey(url)). */
    _id: String,
    url: { type: String, required: true },
    registeredAt: { type: Date, required: true },
    /**
     * When its index was last known complete: the first server of a deployment is (the outbox fills it), a
     * server added later is once `reindex` has built it. Searches never read from a server without it.
     */
    builtAt: { type: Date, default: null },
  },
  { versionKey: false },
);

export function searchModels(conn: Connection) {
  return {
    SearchOutbox: conn.model('SearchOutbox', SearchOutboxSchema, 'search_outbox'),
    SearchServer: conn.model('SearchServer', SearchServerSchema, 'search_servers'),
  };
}
