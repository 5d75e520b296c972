#!/usr/bin/env node
// `npm test`: starts one real mongod and one real meilisearch for the whole run, on free ports in a
// temporary directory, runs tap against them, and stops both however the run ends (pass, fail, Ctrl-C).
// It reuses the platform's own embedded launcher (compiled by `npm test` first).
//
// Browser tests (the test files that import test/browser.ts) need Debian's Chromium and a CJK font. When
// Chromium is missing and this runs as root with apt-get, it installs both first; otherwise it runs the
// other tests and names the skipped ones and the command that enables them. REQUIRE_BROWSER_TESTS=1 (CI)
// turns that skip into a failure.
//
// tap reports in TAP (its `tap` reporter), which this passes through and reads with tap-parser for the
// counts and failures: the last line is `tests: N passed, N failed`, N counting assertions.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Parser } from 'tap-parser';
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

const say = (line) => process.stdout.write(`${line}\n`);
const finish = (passed, failed) => {
  say(`tests: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
};

// ---- which test files, and which of them drive the browser ----

const testRoot = path.resolve('test');
const browserModule = path.join(testRoot, 'browser');
const isTestFile = (file) => file.endsWith('.test.ts');
const testFilesUnder = (dir) =>
  fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f))).filter(isTestFile).sort();
/** A test file that imports test/browser.ts (as '../browser.js' or similar). */
const usesBrowser = (file) => {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]*)['"]/g)].some(
    ([, spec]) => path.resolve(path.dirname(file), spec).replace(/\.(js|ts)$/, '') === browserModule,
  );
};

const args = process.argv.slice(2);
// Positional arguments that name files or folders; everything else goes to tap as it is.
const named = args.filter((a) => !a.startsWith('-') && fs.existsSync(a));
const selected = (named.length > 0 ? named : [testRoot]).flatMap((a) =>
  fs.statSync(a).isDirectory() ? testFilesUnder(path.resolve(a)) : [path.resolve(a)],
);
const browserFiles = selected.filter(usesBrowser);
const rel = (file) => path.relative(process.cwd(), file);

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const INSTALL = 'apt-get install -y chromium fonts-wqy-microhei';
let skipBrowser = false;
if (browserFiles.length > 0 && (!fs.existsSync(CHROMIUM) || !fs.existsSync(CJK_FONT))) {
  const root = process.getuid?.() === 0;
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (root && apt) {
    say(`浏览器测试需要 Chromium 与中文字体：正在安装（apt-get update，然后 ${INSTALL}）…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (argv) => spawnSync('apt-get', argv, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
    const installed = run(['update', '-qq']) && run(['install', '-y', '-qq', 'chromium', 'fonts-wqy-microhei']);
    say(installed ? '安装完成。' : '安装失败（见上面 apt-get 的输出）。');
  }
  if (!fs.existsSync(CHROMIUM)) {
    skipBrowser = true;
    const why = `未找到 Chromium（${CHROMIUM}${process.env.CHROMIUM_BIN ? '，来自 CHROMIUM_BIN' : ''}）`;
    if (process.env.REQUIRE_BROWSER_TESTS === '1') {
      say(`${why}，而 REQUIRE_BROWSER_TESTS=1 要求运行浏览器测试：${browserFiles.map(rel).join(', ')}`);
      finish(0, 1);
    }
  } else if (!fs.existsSync(CJK_FONT)) {
    say(`注意：未找到中文字体 ${CJK_FONT}，浏览器测试的截图与排版可能不同（${INSTALL}）。`);
  }
}
const enableBrowser = `sudo ${INSTALL}${process.env.CHROMIUM_BIN ? '（或让 CHROMIUM_BIN 指向一个 Chromium）' : ''}`;
const skipLine = () => `已跳过浏览器测试（未找到 Chromium）：${browserFiles.map(rel).join(', ')}。启用它们：${enableBrowser}`;
if (skipBrowser && browserFiles.length === selected.length) {
  say(skipLine());
  finish(0, 0);
}

// ---- databases ----

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
  say('启动测试用 MongoDB 与 Meilisearch…');
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

// ---- tap, and the counts and failures from its TAP stream ----

// Without the browser, name the other files explicitly (tap would otherwise run its whole include list).
const tapArgs = skipBrowser
  ? [...args.filter((a) => !named.includes(a)), ...selected.filter((f) => !browserFiles.includes(f)).map(rel)]
  : args;
let passed = 0;
let failed = 0;
const failures = [];
/**
 * Counts the assertions of a parser and its subtests. A subtest's own closing test point is not an
 * assertion; it counts only when it failed with no failing assertion inside (a test file that crashed, a
 * timeout, a plan mismatch), so that such a failure is never lost. Returns the failures found inside.
 */
function watch(parser) {
  let child;
  let failedHere = 0;
  parser.on('child', (c) => {
    child = watch(c);
  });
  parser.on('assert', (res) => {
    const bad = !res.ok && !res.todo && !res.skip;
    const inner = child?.();
    child = undefined;
    if (inner !== undefined && (!bad || inner > 0)) {
      failedHere += inner;
      return;
    }
    if (bad) {
      failed += 1;
      failedHere += 1;
      failures.push(res);
    } else {
      passed += 1;
    }
  });
  return () => failedHere;
}
const parser = new Parser();
watch(parser);
const tap = spawn(process.execPath, [path.resolve('node_modules/tap/dist/esm/run.mjs'), '--reporter=tap', '--no-color', ...tapArgs], {
  stdio: ['inherit', 'pipe', 'inherit'],
  env: {
    ...process.env,
    TEST_MONGODB_URI: servers.mongoUri,
    TEST_MEILI_HOST: servers.meiliHost,
    TEST_MEILI_KEY: servers.meiliKey,
  },
});
tap.stdout.setEncoding('utf8'); // whole characters, even when a chunk ends inside one
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  parser.write(chunk);
});
const code = await new Promise((resolve) => tap.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
parser.end();
await cleanup();

if (code !== 0 && failed === 0) failed = 1; // tap itself failed (e.g. could not start)

/** A failing assertion with its diagnostics (tap's YAML: message, expected/found, location, stack). */
const describe = (res) => {
  const lines = [`not ok - ${res.fullname || res.name}`];
  for (const [key, value] of Object.entries(res.diag ?? {})) {
    const oneLine = typeof value === 'string' ? value : JSON.stringify(value);
    const text = oneLine.length > 160 && typeof value !== 'string' ? JSON.stringify(value, null, 2) : oneLine;
    lines.push(text.includes('\n') ? `  ${key}: |\n${text.replace(/\n$/, '').replace(/^/gm, '    ')}` : `  ${key}: ${text}`);
  }
  return lines.join('\n');
};
if (failures.length > 0) {
  say(`\n失败的断言（${failures.length}）：\n${failures.map(describe).join('\n---\n').slice(-15000)}\n`);
}
if (skipBrowser) {
  say(skipLine());
}
finish(passed, failed);
