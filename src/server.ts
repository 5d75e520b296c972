/** Starts the platform (embedded databases unless configured otherwise) and stops it cleanly. */
import net from 'node:net';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { connectMongo } from './infra/db.js';
import { EmbeddedError } from './infra/embedded.js';
import { createMeili } from './infra/meili.js';
import { createModels } from './infra/models.js';
import { sessionSecretFor } from './infra/secrets.js';
import { resolveServers, type Servers } from './infra/servers.js';
import { seed } from './seeding/index.js';
import { roleNames } from './accounts/index.js';

function fail(message: string, code = 1): never {
  process.stderr.write(`启动失败：${message}\n`);
  process.exit(code);
}

async function assertAppPortFree(config: Config): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(config.PORT, config.HOST, () => probe.close(() => resolve()));
  }).catch((err: NodeJS.ErrnoException) =>
    fail(
      err.code === 'EADDRINUSE'
        ? `端口 ${config.PORT} 已被占用（${config.HOST}）：请关闭占用它的程序，或设置 PORT 使用其他端口。`
        : `无法在 ${config.HOST}:${config.PORT} 监听（${err.code}）：请检查 HOST 与 PORT。`,
    ),
  );
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  await assertAppPortFree(config);

  let servers: Servers | undefined;
  let shuttingDown = false;
  let close: (() => Promise<void>) | undefined;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    await close?.().catch(() => {});
    await servers?.stop().catch(() => {});
    process.exit(code);
  };

  // Listen for signals before anything is spawned: a Ctrl-C during the start must stop the children too.
  const starting = new AbortController();
  const onSignal = () => (servers ? void shutdown(0) : starting.abort());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    servers = await resolveServers(
      config,
      'app',
      (message) => {
        process.stderr.write(`${message}\n`);
        void shutdown(1);
      },
      starting.signal,
    );
  } catch (err) {
    if (starting.signal.aborted) process.exit(0);
    if (err instanceof EmbeddedError) fail(err.message);
    throw err;
  }
  const stopServers = servers;

  try {
    const conn = await connectMongo(servers.mongoUri);
    const { meiliHosts, meiliKey } = servers;
    const meili = meiliHosts.map((host) => createMeili(host, meiliKey));
    const { logins } = await seed(createModels(conn), config.SEED_SAMPLE_DATA);
    const app = await buildApp({
      config: { ...config, sessionSecret: sessionSecretFor(config.SESSION_SECRET, config.dataDir) },
      conn,
      meili,
    });
    close = async () => {
      await app.close();
      await conn.close();
    };
    await app.listen({ port: config.PORT, host: config.HOST });
    const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
    const lines = [
      '',
      `供需对接平台已启动：${url}`,
      servers.spawned ? `数据目录：${config.dataDir}（内置 MongoDB 与 Meilisearch）` : '使用环境变量指定的 MongoDB 与 Meilisearch',
      ...(logins.length
        ? ['示例账号（首次启动时创建；若已修改密码，以修改后的为准）：', ...logins.map((l) => `  ${roleNames[l.role].padEnd(6, '　')} ${l.email}  密码 ${l.password}`)]
        : ['未加载示例数据。创建账号：npm run cli -- create-user --email E --password P --role admin']),
      '按 Ctrl-C 停止。',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    process.stderr.write(`启动失败：${(err as Error).message}\n`);
    await stopServers.stop().catch(() => {});
    process.exit(1);
  }
}

await main();
