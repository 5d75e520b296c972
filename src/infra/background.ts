/**
 * Background loops that any app instance may run. State lives in MongoDB, never in the process: a loop
 * that must run on one instance at a time takes a lease (a document with an expiry), which lapses by
 * itself if its instance dies.
 */
import { Schema, type Connection, type Model } from 'mongoose';
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
  /** Asks for a round as soon as possible; wakes during a round coalesce into one more round after it. */
  wake(): void;
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
  let woken = false;

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
    clearTimeout(timer);
    const delay = woken ? 0 : options.intervalMs;
    woken = false;
    timer = setTimeout(() => void runOnce().finally(schedule), delay);
    timer.unref();
  };
  if (options.autostart !== false) schedule();
  return {
    runOnce,
    wake() {
      if (stopped) return;
      woken = true;
      // Idle: go now. Mid-round: the round's own `finally(schedule)` sees the flag and goes again at once.
      if (!running) schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
  };
}

export interface Watch {
  /** Resolves once the server has opened the first stream: from then on a write wakes `onChange`. */
  listening: Promise<void>;
  close(): Promise<void>;
}

/**
 * Calls `onChange` whenever a document matching `match` is written to the model's collection, through a
 * MongoDB change stream (replica sets only). A loop woken this way reacts within milliseconds instead of
 * a poll interval; the poll stays as the fallback, so a broken stream only costs latency. A stream that
 * fails is reopened after a pause.
 */
export function watchCollection(
  model: Pick<Model<unknown>, 'watch'>,
  match: Record<string, unknown>,
  onChange: () => void,
  log: { debug(obj: object, msg: string): void },
  reopenMs = 1000,
): Watch {
  let stream: ReturnType<typeof model.watch> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let heard: () => void = () => {};
  const listening = new Promise<void>((resolve) => { heard = resolve; });
  const open = () => {
    if (closed) return;
    try {
      stream = model.watch([{ $match: match }]);
    } catch (err) {
      log.debug({ err }, '无法打开变更流，改用轮询');
      timer = setTimeout(open, reopenMs);
      timer.unref();
      return;
    }
    stream.on('change', () => onChange());
    // The server answers the stream's opening with a resume token (MongoDB ≥ 4.0.7): the stream is live.
    stream.on('resumeTokenChanged', () => heard());
    stream.on('error', (err) => {
      log.debug({ err }, '变更流中断，稍后重新打开（其间轮询照常）');
      const broken = stream;
      stream = undefined;
      void broken?.close().catch(() => {});
      if (!closed) {
        timer = setTimeout(open, reopenMs);
        timer.unref();
      }
    });
  };
  open();
  return {
    listening,
    async close() {
      closed = true;
      clearTimeout(timer);
      await stream?.close().catch(() => {});
    },
  };
}
