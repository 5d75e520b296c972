/**
 * Background loops that any app instance may run. State lives in MongoDB, never in the process: a loop
 * that must run on one instance at a time takes a lease (a document with an expiry), which lapses by
 * itself if its instance dies.
 */
import { Schema, type Connection } from 'mongoose';
import type { Models } from './models.js';
import { randomUUID } from 'node:crypto';

const LeaseSchema = new Schema({ _id: String, owner: String, until: Date }, { versionKey: false });

export function backgroundModels(conn: Connection) {
  return { Lease: conn.model('Lease', LeaseSchema, 'leases') };
}

/** This process's identity in leases and claims. */
export const instanceId = randomUUID();

/** Takes or renews the named lease for `ms`; false if another instance holds it. */
export async function acquireLease(Lease: Models['Lease'], name: string, ms: number, owner = instanceId): Promise<boolean> {
  const now = new Date();
  try {
    const lease = await Lease.findOneAndUpdate(
      { _id: name, $or: [{ until: { $lt: now } }, { owner }] },
      { $set: { owner, until: new Date(now.getTime() + ms) } },
      { upsert: true, new: true },
    ).lean();
    return lease?.owner === owner;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false; // another instance took it first
    throw err;
  }
}

export interface Loop {
  /** Runs one round now (tests call this instead of waiting). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Calls `round` every `intervalMs` (never two rounds at once). `round` returns true when there may be
 * more work, to go again at once. Errors are logged and the loop goes on.
 */
export function startLoop(options: {
  name: string;
  intervalMs: number;
  round: () => Promise<boolean | void>;
  log: { error(obj: object, msg: string): void };
  autostart?: boolean;
}): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const runOnce = async () => {
    while (running) await running;
    running = (async () => {
      try {
        while (!stopped && (await options.round()) === true) { /* more work: go again */ }
      } catch (err) {
        options.log.error({ err, loop: options.name }, `后台任务 ${options.name} 出错，稍后重试`);
      }
    })();
    try {
      await running;
    } finally {
      running = undefined;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().finally(schedule), options.intervalMs);
    timer.unref();
  };
  if (options.autostart !== false) schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
  };
}
