/**
 * `npm run cli -- <command>`: administration from the shell, with the same environment as `npm start`.
 * When the platform runs on this DATA_DIR, its embedded servers are used; otherwise they are started for
 * the duration of the command.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';
import { EmbeddedError } from './infra/embedded.js';
import { withDatabase } from './infra/cli-context.js';
import { seedTaxonomy } from './seeding/index.js';
import { accountService, CreateUserBody } from './accounts/index.js';
import { AppError } from './web/errors.js';
import { checkIndexCommand, reindexCommand } from './search/index.js';
import { rebuildReportAggregates } from './reports/index.js';

const usage = `用法：
  npm run cli -- create-user --email E --password P --role admin|organizer|vendor|buyer|leader [--org ID] [--name 姓名]
      创建账号并打印其编号。--org：供应商填企业编号或统一社会信用代码，采购方填单位编号或名称。
  npm run cli -- reindex [--server URL]
      从 MongoDB 重建搜索索引（先建新索引再切换，搜索不中断）。多台搜索服务器时逐台重建，--server 只重建其中一台。
  npm run cli -- check-index [--fix] [--server URL]
      核对搜索索引与 MongoDB：列出缺失、多余、过期的产品；一致时退出码 0，否则 1。--fix 补发不一致的产品。
      多台搜索服务器时逐台核对，--server 只核对其中一台。
  npm run cli -- rebuild-reports
      从产品与跟进记录重新计算统计报表的派生数据（各企业已发布产品数、跟进最远阶段、每月跟进步骤），可重复执行。`;

async function createUser(argv: string[]): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, org: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  const parsed = CreateUserBody.safeParse({ ...values, name: values.name ?? values.email?.split('@')[0] });
  if (!parsed.success) {
    throw new AppError(400, 'VALIDATION_FAILED', parsed.error.issues.map((i) => `--${i.path.join('.')}：${i.message}`).join('；'));
  }
  return withDatabase(async ({ models }) => {
    await seedTaxonomy(models);
    const user = await accountService(models).createUser(parsed.data);
    return user.id;
  });
}

const commands: Record<string, (argv: string[]) => Promise<string>> = {
  'create-user': createUser,
  reindex: reindexCommand,
  'check-index': checkIndexCommand,
  'rebuild-reports': async () => withDatabase(async ({ models }) => {
    const r = await rebuildReportAggregates(models);
    return `已重建：${r.vendors} 家企业的已发布产品数，${r.stagesChanged} 条跟进的最远阶段，${r.months} 个月份×状态的步骤数，${r.demands} 条需求的对接漏斗计数（${r.ms} 毫秒）。`;
  }),
};

const [command, ...rest] = process.argv.slice(2);
const run = command ? commands[command] : undefined;
if (!run) {
  process.stderr.write(`${command ? `未知命令：${command}\n` : ''}${usage}\n`);
  process.exit(2);
}
try {
  process.stdout.write(`${await run(rest)}\n`);
  process.exit(0);
} catch (err) {
  if (err instanceof AppError || err instanceof ConfigError || err instanceof EmbeddedError || (err as Error).name === 'TypeError') {
    process.stderr.write(`错误：${(err as Error).message}\n`);
    process.exit(err instanceof AppError && err.statusCode === 409 ? 3 : 1);
  }
  throw err;
}
