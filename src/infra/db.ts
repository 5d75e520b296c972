import mongoose, { type Connection } from 'mongoose';
import { wrapSocketErrors } from './socket-errors.js';

// Queries never accept operator objects from users: every filter is built from zod-validated scalars,
// and strictQuery drops unknown paths as a second line of defence.
mongoose.set('strictQuery', true);

export async function connectMongo(uri: string, dbName?: string): Promise<Connection> {
  wrapSocketErrors();
  const conn = mongoose.createConnection(uri, {
    dbName,
    serverSelectionTimeoutMS: 10_000,
    // Acknowledged only once a majority of the replica set has it: a write a failover could roll back is
    // never reported as done (MongoDB 4.0's default is the primary alone). Transactions commit with it too.
    writeConcern: { w: 'majority' },
    // A write or read cut off by a failover is repeated once on the new primary; the server recognises a
    // repeated write and does not apply it twice. Set here rather than left to the driver's default so a
    // `retryWrites=false` in MONGODB_URI cannot switch it off unnoticed (these options win over the URI's).
    retryWrites: true,
    retryReads: true,
    autoIndex: true,
  });
  await conn.asPromise();
  return conn;
}

/** True when the server answers a ping within the timeout. */
export async function mongoAnswers(conn: Connection, timeoutMs = 2000): Promise<boolean> {
  try {
    const db = conn.db;
    if (!db) return false;
    await Promise.race([
      db.admin().ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

const { MongoError, MongoNetworkError, MongoServerSelectionError } = mongoose.mongo;

/**
 * MongoDB unreachable, or between primaries (an election): the operation may simply be repeated. Requests
 * answer 503 (src/web/errors.ts); background jobs pause and resume instead of failing.
 */
export function databaseUnavailable(err: unknown): boolean {
  if (err instanceof MongoServerSelectionError || err instanceof MongoNetworkError) return true;
  return err instanceof MongoError && (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError'));
}
