/**
 * Report snapshots: a computed report is kept in MongoDB (collection report_snapshots) for up to a minute
 * per filter combination, so the overview opens at once however large the programme is, and every app
 * instance shares them. The unfiltered overview is refreshed by a background loop (one instance at a
 * time, by lease) before it ages out; other filters are computed on first request. The page shows when
 * its figures were computed.
 */
import { acquireLease, startLoop, type Loop } from '../infra/background.js';
import type { Report } from './figures.js';
import type { ReportQuery } from './schemas.js';
import { overview, type ReportDeps } from './service.js';

/** A snapshot older than this is computed again. */
export const SNAPSHOT_MAX_AGE_MS = 60_000;
const REFRESH_MS = 45_000;

const keyOf = (q: ReportQuery) => JSON.stringify([q.from ?? '', q.to ?? '', q.field ?? '', q.region ?? '']);

async function compute(deps: ReportDeps, query: ReportQuery): Promise<Report> {
  const Snapshot = deps.models.ReportSnapshot;
  const report = await overview(deps, query);
  const computedAt = new Date();
  await Snapshot.replaceOne(
    { _id: keyOf(query) },
    // Through JSON: what is stored is exactly what the API sends (no undefined turned into null).
    { report: JSON.parse(JSON.stringify(report)) as Report, computedAt, expiresAt: new Date(computedAt.getTime() + 3_600_000) },
    // A cache: a snapshot lost in a failover is computed again, so the write need not wait for a majority
    // of the replica set to have it on disk (w: 1 answers once the primary has applied it).
    { upsert: true, writeConcern: { w: 1 } },
  );
  return report;
}

export interface ReportSnapshots {
  /** The report for these filters: a snapshot under a minute old, or computed now (and kept). */
  get(query: ReportQuery): Promise<Report & { computedAt: Date }>;
  /** Computes and keeps the unfiltered overview (the background loop's round). */
  refresh(): Promise<void>;
  /** Refreshes the unfiltered overview before it ages out, on one instance at a time (by lease). */
  startRefreshLoop(log: { error(obj: object, msg: string): void }): Loop;
}

export function createSnapshots(deps: ReportDeps): ReportSnapshots {
  const Snapshot = deps.models.ReportSnapshot;
  return {
    async get(query) {
      const snapshot = await Snapshot.findById(keyOf(query)).lean();
      if (snapshot && Date.now() - snapshot.computedAt.getTime() < SNAPSHOT_MAX_AGE_MS) {
        return { ...snapshot.report, generatedAt: new Date(snapshot.report.generatedAt), computedAt: snapshot.computedAt };
      }
      const computedAt = new Date();
      return { ...(await compute(deps, query)), computedAt };
    },
    async refresh() { await compute(deps, {}); },
    startRefreshLoop(log) {
      return startLoop({
        name: 'report-snapshots',
        intervalMs: REFRESH_MS,
        round: async () => {
          if (await acquireLease(deps.models.Lease, 'report-snapshots', REFRESH_MS * 2)) await compute(deps, {});
        },
        log,
      });
    },
  };
}
