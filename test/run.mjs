#!/usr/bin/env node
// `npm test`: starts one real mongod and one real meilisearch for the whole run, on free ports in a
// temporary directory, runs tap against them, and stops both however the run ends (pass, fail, Ctrl-C).
// It reuses the platform's own embedded launcher (compiled by `npm test` first).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded } from '../dist/infra/embedded.js';

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

// Guard: if tap ever picked this file up as a test, it would start servers recursively.
if (process.env.TEST_MONGODB_URI) {
  process.stderr.write('test/run.mjs must not run inside a test run\n');
  process.exit(1);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gongxu-test-'));
let servers;
let stopping = false;
async function cleanup() {
  if (stopping) return;
  stopping = true;
  await servers?.stop().catch(() => {});
  fs.rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\n收到 ${signal}，正在停止测试数据库…\n`);
    void cleanup().then(() => process.exit(130));
  });
}

try {
  process.stdout.write('启动测试用 MongoDB 与 Meilisearch…\n');
  servers = await startEmbedded({
    dataDir,
    mongoPort: await freePort(),
    meiliPort: await freePort(),
    mongodBin: process.env.MONGOD_BIN,
    meiliBin: process.env.MEILI_BIN,
    onCrash: (message) => process.stderr.write(`${message}\n`),
  });
} catch (err) {
  process.stderr.write(`无法启动测试数据库：${err.message}\n`);
  await cleanup();
  process.exit(1);
}

const args = process.argv.slice(2);
const tap = spawn(process.execPath, [path.resolve('node_modules/tap/dist/esm/run.mjs'), ...args], {
  stdio: ['inherit', 'pipe', 'inherit'],
  env: {
    ...process.env,
    TEST_MONGODB_URI: servers.mongoUri,
    TEST_MEILI_HOST: servers.meiliHost,
    TEST_MEILI_KEY: servers.meiliKey,
  },
});
let output = '';
// Every failing assertion with the lines after it (tap's YAML diagnostics), so the end of a long CI log
// says what failed even when only its tail is kept.
const failures = [];
let pending = '';
let capture = 0;
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output = (output + chunk.toString()).slice(-20000);
  const lines = (pending + chunk.toString()).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
    const plainLine = line.replace(/\x1b\[[0-9;]*m/g, '');
    if (/^\s*not ok /.test(plainLine)) {
      failures.push([plainLine]);
      capture = 25;
    } else if (capture > 0) {
      failures.at(-1).push(plainLine);
      capture -= 1;
    }
  }
});
const code = await new Promise((resolve) => tap.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await cleanup();

// tap's summary line looks like "# { total: 12, pass: 11, fail: 1 }" (ANSI colours stripped).
// eslint-disable-next-line no-control-regex -- strips ANSI colour codes
const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
const summary = [...plain.matchAll(/# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/g)].pop();
const passed = summary ? Number(summary[2] ?? 0) : 0;
const failed = summary ? Number(summary[3] ?? 0) : code === 0 ? 0 : 1;
if (failures.length > 0) {
  process.stdout.write(`\n失败的断言（${failures.length}）：\n${failures.map((f) => f.join('\n')).join('\n---\n').slice(-15000)}\n\n`);
}
process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
process.exit(code === 0 && failed === 0 ? 0 : 1);
