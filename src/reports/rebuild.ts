/**
 * The report's derived data, derived again from the records: each vendor's published-product counts
 * (suppliers), each follow-up's furthest stage, the monthly step counts and each demand's funnel row
 * (follow-ups). The writes keep
 * them up to date; this is for data written before they existed or behind the app's back (an import
 * into the collections, a restore). Idempotent: run at startup when this database has not been built at
 * the current version, and by `npm run cli -- rebuild-reports`.
 */
import type { Models } from '../infra/models.js';
import { rebuildPublishedCounts } from '../suppliers/index.js';
import { rebuildDemandFunnels, rebuildStages, rebuildStepMonths } from '../followups/index.js';

/** Raise when a derived field is added or its meaning changes: every database rebuilds once. */
const VERSION = 2; // 2: follow_up_demands
const STATE_ID = 'derived';

export interface RebuildSummary { vendors: number; stagesChanged: number; months: number; demands: number; ms: number }

export async function rebuildReportAggregates(models: Models): Promise<RebuildSummary> {
  const started = performance.now();
  const vendors = await rebuildPublishedCounts(models);
  const stagesChanged = await rebuildStages(models);
  const months = await rebuildStepMonths(models);
  const demands = await rebuildDemandFunnels(models);
  await models.ReportAggregateState.replaceOne({ _id: STATE_ID }, { version: VERSION, builtAt: new Date() }, { upsert: true });
  return { vendors, stagesChanged, months, demands, ms: Math.round(performance.now() - started) };
}

/** Rebuilds unless this database already holds the current version's derived data. */
export async function ensureReportAggregates(models: Models): Promise<RebuildSummary | null> {
  const state = await models.ReportAggregateState.findById(STATE_ID).lean();
  if (state && state.version >= VERSION) return null;
  return rebuildReportAggregates(models);
}
