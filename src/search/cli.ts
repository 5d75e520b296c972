/**
 * `npm run cli -- reindex [--server URL]` and `npm run cli -- check-index [--server URL] [--fix]` (wired
 * in src/cli.ts). With several Meilisearch servers each command works on every server in turn, or on the
 * one `--server` names while the others keep serving.
 */
import { parseArgs } from 'node:util';
import { withDatabase } from '../infra/cli-context.js';
import type { Models } from '../infra/models.js';
import { AppError } from '../web/errors.js';
import { checkIndex, checkReport, fixIndex, reindex } from './reindex.js';
import { markBuilt, searchServer, type SearchServer } from './servers.js';
import { productsIndexName } from './settings.js';
import { createSearchSync } from './sync.js';

interface Target { models: Models; prefix: string; server: SearchServer; keys: string[]; several: boolean }

/** The servers a command works on: all configured ones, or the one `--server` names. */
const withTargets = <T>(only: string | undefined, fn: (targets: Target[]) => Promise<T>): Promise<T> =>
  withDatabase(({ config, models, meilis }) => {
    const servers = meilis.map(searchServer);
    const keys = servers.map((s) => s.key);
    const chosen = only === undefined ? servers : servers.filter((s) => s.url === only.trim().replace(/\/+$/, ''));
    if (!chosen.length) {
      throw new AppError(400, 'UNKNOWN_SERVER', `--server ${only} 不在 MEILI_HOST 中。已配置的搜索服务器：${servers.map((s) => s.url).join('、')}`);
    }
    return fn(chosen.map((server) => ({ models, prefix: config.MEILI_INDEX_PREFIX, server, keys, several: servers.length > 1 })));
  });

const serverOption = { server: { type: 'string' as const } };

export async function reindexCommand(argv: string[]): Promise<string> {
  const { values } = parseArgs({ args: argv, options: serverOption, strict: true });
  return withTargets(values.server, async (targets) => {
    const lines: string[] = [];
    // One server at a time: the others answer searches meanwhile (and the one rebuilt does too, until the swap).
    for (const { models, prefix, server, keys, several } of targets) {
      const result = await reindex(models, server.client, prefix, new Date(), { key: server.key, others: keys.filter((k) => k !== server.key) });
      await markBuilt(models, server);
      lines.push(`${several ? `${server.url}：` : ''}已重建索引 ${result.index}：${result.documents} 个产品，用时 ${(result.ms / 1000).toFixed(1)} 秒；重建期间有变动的 ${result.remarked} 个产品已重新排队同步。`);
    }
    return lines.join('\n');
  });
}

export async function checkIndexCommand(argv: string[]): Promise<string> {
  const { values } = parseArgs({ args: argv, options: { fix: { type: 'boolean', default: false }, ...serverOption }, strict: true });
  const { report, inStep } = await withTargets(values.server, async (targets) => {
    const reports: string[] = [];
    let allInStep = true;
    for (const { models, prefix, server, keys, several } of targets) {
      const result = await checkIndex(models, server.client, prefix, new Date());
      let text = `${several ? `搜索服务器 ${server.url}\n` : ''}${checkReport(result)}`;
      allInStep &&= result.inStep;
      if (!result.inStep && values.fix) {
        // Queued for every server (a difference on one is rare; the others just receive the same document again).
        const marked = await fixIndex(models, result);
        const sync = createSearchSync({
          models, meili: server.client, serverKeys: keys, indexUid: productsIndexName(prefix), clock: () => new Date(), autoBuild: false,
          log: { info: () => {}, warn: () => {}, error: () => {} },
        });
        try {
          await sync.drain(120_000);
          text += `\n已补发 ${marked} 个产品。`;
        } catch (err) {
          text += `\n已将 ${marked} 个产品排入同步队列，但暂未能送达（${(err as Error).message}），平台运行时会自动补发。`;
        }
      }
      reports.push(text);
    }
    return { report: reports.join('\n\n'), inStep: allInStep };
  });
  if (!inStep) {
    // Exit status 1 tells scripts the index was not in step (even when --fix repaired it).
    process.stdout.write(`${report}\n`);
    process.exit(1);
  }
  return report;
}
