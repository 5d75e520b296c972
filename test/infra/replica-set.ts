/**
 * A three-member MongoDB replica set from the same mongod binary the platform embeds, for failover tests:
 * start it, find the primary, step it down or kill it (SIGKILL, as a crash or a pulled plug would), restart
 * a killed member so it rejoins, stop it. Elections are tuned short (2 s) so a test waits seconds, not the
 * default 10–12 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { packagedBinary } from '../../src/infra/embedded.js';
import { freePort } from '../helper.js';

const direct = (port: number) =>
  new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 2000 });

async function adminCommand(port: number, command: Record<string, unknown>): Promise<Record<string, unknown>> {
  const client = direct(port);
  try {
    await client.connect();
    return await client.db('admin').command(command);
  } finally {
    await client.close().catch(() => {});
  }
}

export interface ReplicaSet {
  uri: string;
  ports: number[];
  /** The port of the current primary (waits for one). */
  primary(): Promise<number>;
  /** Makes the primary step down now (an election follows); returns the port it had. */
  stepDown(seconds?: number): Promise<number>;
  /**
   * Kills the primary's process with SIGKILL (kill -9: no shutdown, no goodbye); returns its port once
   * the process is gone. Given the primary's port, the signal leaves before this returns (no look-up first).
   */
  kill(port?: number): Promise<number>;
  /**
   * Starts a killed member again on its own data and waits until the set is whole: it has rolled back
   * whatever only it had, caught up, and every member is PRIMARY or SECONDARY again (the first member
   * primary, as at the start).
   */
  restart(port: number): Promise<void>;
  /** Waits until the set is as it started: the first member primary, the two others secondaries. */
  settle(): Promise<void>;
  /** The state of each member as the primary sees it (port → PRIMARY, SECONDARY, (not reachable/healthy), …). */
  states(): Promise<Map<number, string>>;
  stop(): Promise<void>;
}

export async function startReplicaSet(name = 'rsF'): Promise<ReplicaSet> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gx-rs-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const launch = (i: number): ChildProcess => {
    const dir = path.join(root, `m${i}`);
    fs.mkdirSync(dir, { recursive: true });
    return spawn(packagedBinary('mongod'), [
      '--dbpath', dir, '--port', String(ports[i]), '--bind_ip', '127.0.0.1', '--replSet', name,
      '--wiredTigerCacheSizeGB', '0.25', '--logpath', path.join(dir, 'mongod.log'), '--logappend',
    ], { stdio: 'ignore' });
  };
  const children: ChildProcess[] = ports.map((_, i) => launch(i));
  const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  const killChild = (child: ChildProcess) => new Promise<void>((resolve) => {
    if (!running(child)) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
  const answers = async (port: number, until: number) => {
    for (;;) {
      if (await adminCommand(port, { ping: 1 }).then(() => true, () => false)) return;
      if (Date.now() > until) throw new Error(`mongod on ${port} did not start`);
      await sleep(200);
    }
  };
  const stop = async () => {
    await Promise.all(children.map(killChild));
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (const port of ports) await answers(port, deadline);
    await adminCommand(ports[0], {
      replSetInitiate: {
        _id: name,
        members: ports.map((port, i) => ({ _id: i, host: `127.0.0.1:${port}`, priority: i === 0 ? 2 : 1 })),
        settings: { electionTimeoutMillis: 2000, heartbeatIntervalMillis: 500 },
      },
    });
    const set: ReplicaSet = {
      uri: `mongodb://${ports.map((p) => `127.0.0.1:${p}`).join(',')}/?replicaSet=${name}`,
      ports,
      async primary() {
        for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
          // A killed member is not asked (connecting to it would wait out the timeout each round).
          for (const port of ports.filter((_, i) => running(children[i]))) {
            const hello = await adminCommand(port, { isMaster: 1 }).catch(() => null);
            if (hello?.ismaster) return port;
          }
        }
        throw new Error('no primary within 60 s');
      },
      async stepDown(seconds = 5) {
        const port = await set.primary();
        // The primary drops its connections as it steps down: the command's own answer may be lost.
        await adminCommand(port, { replSetStepDown: seconds, secondaryCatchUpPeriodSecs: 2, force: true }).catch(() => {});
        return port;
      },
      async kill(known) {
        const port = known ?? await set.primary();
        await killChild(children[ports.indexOf(port)]);
        return port;
      },
      async restart(port) {
        const i = ports.indexOf(port);
        // Restarting a member that runs already only waits for the set (a test's teardown may repeat it).
        if (!running(children[i])) {
          children[i] = launch(i);
          await answers(port, Date.now() + 60_000);
        }
        await set.settle();
      },
      settle: whole,
      async states() {
        const status = await adminCommand(await set.primary(), { replSetGetStatus: 1 }).catch(() => null) as { members?: Array<{ name: string; stateStr: string }> } | null;
        return new Map((status?.members ?? []).map((m) => [Number(m.name.split(':').pop()), m.stateStr]));
      },
      stop,
    };
    /**
     * Every member up to date before a test writes: a primary and two secondaries, the primary being the
     * first member. It has the highest priority, so once it is back and caught up it takes over (one more
     * election): waiting for that keeps the takeover out of the next test.
     */
    async function whole() {
      for (const until = Date.now() + 90_000; ; await sleep(200)) {
        const states = await set.states();
        const list = [...states.values()];
        if (states.get(ports[0]) === 'PRIMARY' && list.filter((s) => s === 'SECONDARY').length === 2) return;
        if (Date.now() > until) throw new Error(`replica set not whole: ${list.join(',')}`);
      }
    }
    await set.settle();
    return set;
  } catch (err) {
    await stop();
    throw err;
  }
}
