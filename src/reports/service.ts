/** `overview(query)`: the four groups of aggregations run side by side, then shaped into the report. */
import type { FastifyInstance } from 'fastify';
import { demandRows, eventRows, funnelRows, supplierRows } from './aggregate.js';
import { buildReport, scopeOf, type Report } from './figures.js';
import type { ReportQuery } from './schemas.js';

export async function overview(app: FastifyInstance, query: ReportQuery): Promise<Report> {
  const now = app.clock();
  const scope = scopeOf(query, now, { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS });
  const [suppliers, demands, funnel, events] = await Promise.all([
    supplierRows(app.models, scope),
    demandRows(app.models, scope),
    funnelRows(app.models, scope),
    eventRows(app.models, scope),
  ]);
  return buildReport({ suppliers, demands, funnel, events }, scope, query, now);
}
