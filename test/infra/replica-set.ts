/**
 * A three-member MongoDB replica set from the same mongod binary the platform embeds, for failover tests:
 * start it, find and step down the primary, stop it. Elections are tuned short (2 s) so a test waits
 * seconds, not the default 10–12 s.
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
  stop(): Promise<void>;
}

export async function startReplicaSet(name = 'rsF'): Promise<ReplicaSet> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gx-rs-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = ports.map((port, i) => {
    const dir = path.join(root, `m${i}`);
    fs.mkdirSync(dir);
    return spawn(packagedBinary('mongod'), [
      '--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--replSet', name,
      '--wiredTigerCacheSizeGB', '0.25', '--logpath', path.join(dir, 'mongod.log'),
    ], { stdio: 'ignore' });
  });
  const stop = async () => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })));
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (const port of ports) {
      for (;;) {
        if (await adminCommand(port, { ping: 1 }).then(() => true, () => false)) break;
        if (Date.now() > deadline) throw new Error(`mongod on ${port} did not start`);
        await sleep(200);
      }
    }
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
          for (const port of ports) {
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
      stop,
    };
    // Every member up to date before a test writes: wait for a primary and two secondaries.
    for (const until = Date.now() + 60_000; ; await sleep(200)) {
      const status = await adminCommand(await set.primary(), { replSetGetStatus: 1 }).catch(() => null) as { members?: Array<{ stateStr: string }> } | null;
      const states = status?.members?.map((m) => m.stateStr) ?? [];
      if (states.filter((s) => s === 'PRIMARY').length === 1 && states.filter((s) => s === 'SECONDARY').length === 2) break;
      if (Date.now() > until) throw new Error(`replica set not ready: ${states.join(',')}`);
    }
    return set;
  } catch (err) {
    await stop();
    throw err;
  }
}
