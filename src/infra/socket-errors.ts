/**
 * The MongoDB driver's fix NODE-6864 (driver 6.17), applied to the 6.16 that mongoose 8.15 brings.
 *
 * When a MongoDB server dies mid-command (kill -9, a crash, a pulled cable), the socket reports
 * ECONNRESET, and driver 6.16 hands that raw Node error to the waiting operation instead of a
 * MongoNetworkError. Everything that makes a failover harmless keys on MongoNetworkError: a retryable
 * write is not retried, a transaction is not retried, the dead primary is not marked unknown, and a commit
 * whose answer was lost ends in “commitError.hasErrorLabel is not a function” (a 500) instead of being
 * retried on the new primary. Wrapping socket errors as the newer driver does restores all of that.
 *
 * With driver 6.17 or later (mongoose 8.16 or later brings it) it does nothing: remove it then.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import mongoose from 'mongoose';

const require = createRequire(import.meta.url);

interface DriverConnection { onError(this: unknown, error: Error): void }
let applied = false;

/** Installs the wrapping once, before the first connection is made; returns whether it was needed. */
export function wrapSocketErrors(): boolean {
  if (applied) return true;
  // The driver mongoose itself loads (mongoose.mongo), not another copy.
  const from = { paths: [path.dirname(require.resolve('mongoose/package.json'))] };
  const { version } = require(require.resolve('mongodb/package.json', from)) as { version: string };
  const [major, minor] = version.split('.').map(Number);
  if (major > 6 || (major === 6 && minor >= 17)) return false;
  const driver = require(require.resolve('mongodb', from)) as typeof mongoose.mongo;
  const { Connection } = require(require.resolve('mongodb/lib/cmap/connection.js', from)) as { Connection: { prototype: DriverConnection } };
  if (driver.MongoError !== mongoose.mongo.MongoError || typeof Connection?.prototype?.onError !== 'function') return false;
  const { MongoError, MongoNetworkError } = driver;
  const original = Connection.prototype.onError;
  // A socket's own error (it has a syscall: read, write, connect) becomes a network error; the driver's
  // own errors (timeouts, parse errors) pass as they are.
  Connection.prototype.onError = function onError(error: Error) {
    const fromSocket = !(error instanceof MongoError) && typeof (error as NodeJS.ErrnoException).syscall === 'string';
    original.call(this, fromSocket ? new MongoNetworkError(error.message, { cause: error }) : error);
  };
  applied = true;
  return true;
}
