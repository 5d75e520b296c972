/** 统计报表: the organizers' and district leaders' view of the whole programme (issue 6). */
import fp from 'fastify-plugin';
import type { Loop } from '../infra/background.js';
import { createSnapshots, type ReportSnapshots } from './snapshots.js';
import reportPages from './pages.js';
import { ensureReportAggregates } from './rebuild.js';

export { overview, type ReportDeps } from './service.js';
export { ensureReportAggregates, rebuildReportAggregates } from './rebuild.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Reports kept for a minute per filter: `app.reportSnapshots.get(query)`, `.refresh()`. */
    reportSnapshots: ReportSnapshots;
  }
}

export default fp(async (app) => {
  const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
  const snapshots = createSnapshots({ models: app.models, clock: app.clock, policy });
  app.decorate('reportSnapshots', snapshots);
  if (app.runsBackground) {
    let loop: Loop | undefined;
    app.addHook('onReady', async () => {
      // Data from before the derived fields existed: derived once, before the first report.
      const rebuilt = await ensureReportAggregates(app.models);
      if (rebuilt) app.log.info(rebuilt, '统计报表的派生数据已重建');
      loop = snapshots.startRefreshLoop(app.log);
    });
    app.addHook('onClose', async () => { await loop?.stop(); });
  }
  await app.register(reportPages);
}, { name: 'reports' });
