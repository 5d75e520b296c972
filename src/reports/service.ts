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

/**
 * `opts.fromScratch` computes every figure from the records themselves, ignoring the derived data the
 * writes keep (vendors' published counts, follow-ups' stages, monthly step counts): what the fast
 * report must equal (tests, bench).
 */
export async function overview(deps: ReportDeps, query: ReportQuery, opts: { fromScratch?: boolean } = {}): Promise<Report> {
  const { models, clock, policy } = deps;
  const now = clock();
  const scope = scopeOf(query, now, policy);
  const [suppliers, demands, funnel, events, visits] = await Promise.all([
    supplierRows(models, scope, opts),
    demandRows(models, scope),
    funnelRows(models, scope, opts),
    eventRows(models, scope),
    visitRows(models, scope),
  ]);
  return buildReport({ suppliers, demands, funnel, events, visits }, scope, query, now);
}
