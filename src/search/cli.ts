/** `npm run cli -- reindex` and `npm run cli -- check-index [--fix]` (wired in src/cli.ts). */
import { parseArgs } from 'node:util';
import { withDatabase } from '../infra/cli-context.js';
import type { Models } from '../infra/models.js';
import type { Meilisearch } from 'meilisearch';
import { checkIndex, checkReport, fixIndex, reindex } from './reindex.js';
import { productsIndexName } from './settings.js';
import { createSearchSync } from './sync.js';

const withServers = <T>(fn: (models: Models, meili: Meilisearch, prefix: string) => Promise<T>): Promise<T> =>
  withDatabase(({ config, models, meili }) => fn(models, meili, config.MEILI_INDEX_PREFIX));

export async function reindexCommand(argv: string[]): Promise<string> {
  parseArgs({ args: argv, options: {}, strict: true });
  const result = await withServers((models, meili, prefix) => reindex(models, meili, prefix, new Date()));
  return `已重建索引 ${result.index}：${result.documents} 个产品，用时 ${(result.ms / 1000).toFixed(1)} 秒；重建期间有变动的 ${result.remarked} 个产品已重新排队同步。`;
}

export async function checkIndexCommand(argv: string[]): Promise<string> {
  const { values } = parseArgs({ args: argv, options: { fix: { type: 'boolean', default: false } }, strict: true });
  const { report, inStep } = await withServers(async (models, meili, prefix) => {
    const result = await checkIndex(models, meili, prefix, new Date());
    let text = checkReport(result);
    if (!result.inStep && values.fix) {
      const marked = await fixIndex(models, result);
      const sync = createSearchSync({
        models, meili, indexUid: productsIndexName(prefix), clock: () => new Date(),
        log: { info: () => {}, warn: () => {}, error: () => {} },
      });
      try {
        await sync.drain(120_000);
        text += `\n已补发 ${marked} 个产品。`;
      } catch (err) {
        text += `\n已将 ${marked} 个产品排入同步队列，但暂未能送达（${(err as Error).message}），平台运行时会自动补发。`;
      }
    }
    return { report: text, inStep: result.inStep };
  });
  if (!inStep) {
    // Exit status 1 tells scripts the index was not in step (even when --fix repaired it).
    process.stdout.write(`${report}\n`);
    process.exit(1);
  }
  return report;
}
