/**
 * Support for the infrastructure tests: free ports, process liveness, child processes whose output is
 * kept, and polling with a deadline. Nothing here is a test itself (tap only runs *.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** A port nobody listens on right now (the OS picks it, so parallel test files do not collide). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A server holding a port, as another program would; closed by the returned function. */
export async function occupyPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const srv = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as net.AddressInfo;
  return { port, release: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

/** True when something can listen on the port again (nobody holds it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gongxu-${prefix}-`));
}

/** Removes a temporary directory; never throws (a test's teardown must not fail on cleanup). */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A process counts as alive when it exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..." — the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL for teardowns: a process that is already gone is fine (a teardown that throws skips the rest). */
export function killQuietly(pids: number[]): void {
  for (const pid of pids.filter(isAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

export function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Resolves with `value` after ms without keeping the process alive meanwhile. */
export function after<T>(ms: number, value: T): Promise<T> {
  return sleep(ms, value, { ref: false });
}

/** Polls until check() returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Spawned {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** The exit code within timeoutMs, or 'timeout' if the process is still running then. */
  exitWithin(timeoutMs: number): Promise<number | string>;
  /** SIGKILL if still running (teardown). */
  kill(): Promise<void>;
}

/** Runs `node <script> ...args` from the repository root with exactly the given environment. */
export function spawnNode(script: string, args: string[], env: Record<string, string>): Spawned {
  const proc = spawn(process.execPath, [script, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    proc.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.once('error', (e) => {
      err += e.message;
      resolve('spawn-error');
    });
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    // An unref'd timer: a pending deadline must not keep the test process alive after the test.
    exitWithin: (timeoutMs) => Promise.race([exited, sleep(timeoutMs, 'timeout', { ref: false })]),
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The environment every spawned platform process gets: nothing inherited but what Node itself needs. */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  return { ...env, ...extra };
}
