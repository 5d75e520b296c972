/** `overview(query)`: the four groups of aggregations run side by side, then shaped into the report. */
import type { Models } from '../infra/models.js';
import type { FreshnessPolicy } from '../suppliers/index.js';
import { demandRows, eventRows, funnelRows, supplierRows, visitRows } from './aggregate.js';
import { buildReport, scopeOf, type Report } from './figures.js';
import type { ReportQuery } from './schemas.js';

export interface ReportDeps {
  models: Models;
  clock: () => Date;
  /** Supplier freshness (FRESHNESS_DAYS / FRESHNESS_GRACE_DAYS): the report counts current suppliers with it. */
  policy: FreshnessPolicy;
}

export async function overview(deps: ReportDeps, query: ReportQuery): Promise<Report> {
  const { models, clock, policy } = deps;
  const now = clock();
  const scope = scopeOf(query, now, policy);
  const [suppliers, demands, funnel, events, visits] = await Promise.all([
    supplierRows(models, scope),
    demandRows(models, scope),
    funnelRows(models, scope),
    eventRows(models, scope),
    visitRows(models, scope),
  ]);
  return buildReport({ suppliers, demands, funnel, events, visits }, scope, query, now);
}
