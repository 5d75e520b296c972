/**
 * Report snapshots: a computed report is kept in MongoDB (collection report_snapshots) for up to a minute
 * per filter combination, so the overview opens at once however large the programme is, and every app
 * instance shares them. The unfiltered overview is refreshed by a background loop (one instance at a
 * time, by lease) before it ages out; other filters are computed on first request. The page shows when
 * its figures were computed.
 */
import { Schema, type Model } from 'mongoose';
import type { FastifyInstance } from 'fastify';
import { acquireLease, startLoop, type Loop } from '../infra/background.js';
import type { Report } from './figures.js';
import type { ReportQuery } from './schemas.js';
import { overview } from './service.js';

/** A snapshot older than this is computed again. */
export const SNAPSHOT_MAX_AGE_MS = 60_000;
const REFRESH_MS = 45_000;

interface Snapshot { _id: string; report: Report; computedAt: Date; expiresAt: Date }

const SnapshotSchema = new Schema<Snapshot>(
  {
    _id: String,
    report: { type: Schema.Types.Mixed, required: true },
    computedAt: { type: Date, required: true },
    // Unused snapshots leave by themselves.
    expiresAt: { type: Date, required: true, index: { expireAfterSeconds: 0 } },
  },
  { versionKey: false },
);

export function snapshotModel(app: FastifyInstance): Model<Snapshot> {
  return (app.conn.models.ReportSnapshot ?? app.conn.model('ReportSnapshot', SnapshotSchema, 'report_snapshots')) as Model<Snapshot>;
}

const keyOf = (q: ReportQuery) => JSON.stringify([q.from ?? '', q.to ?? '', q.field ?? '', q.region ?? '']);

async function compute(app: FastifyInstance, Snapshot: Model<Snapshot>, query: ReportQuery): Promise<Report> {
  const report = await overview(app, query);
  const computedAt = new Date();
  await Snapshot.replaceOne(
    { _id: keyOf(query) },
    // Through JSON: what is stored is exactly what the API sends (no undefined turned into null).
    { report: JSON.parse(JSON.stringify(report)) as Report, computedAt, expiresAt: new Date(computedAt.getTime() + 3_600_000) },
    { upsert: true },
  );
  return report;
}

export interface ReportSnapshots {
  /** The report for these filters: a snapshot under a minute old, or computed now (and kept). */
  get(query: ReportQuery): Promise<Report & { computedAt: Date }>;
  /** Computes and keeps the unfiltered overview (the background loop's round). */
  refresh(): Promise<void>;
}

export async function createSnapshots(app: FastifyInstance): Promise<ReportSnapshots> {
  const Snapshot = snapshotModel(app);
  await Snapshot.init();
  let loop: Loop | undefined;
  if (app.runsBackground) {
    app.addHook('onReady', async () => {
      loop = startLoop({
        name: 'report-snapshots',
        intervalMs: REFRESH_MS,
        round: async () => {
          if (await acquireLease(app.models.Lease, 'report-snapshots', REFRESH_MS * 2)) await compute(app, Snapshot, {});
        },
        log: app.log,
      });
    });
    app.addHook('onClose', async () => { await loop?.stop(); });
  }
  return {
    async get(query) {
      const snapshot = await Snapshot.findById(keyOf(query)).lean();
      if (snapshot && Date.now() - snapshot.computedAt.getTime() < SNAPSHOT_MAX_AGE_MS) {
        return { ...snapshot.report, generatedAt: new Date(snapshot.report.generatedAt), computedAt: snapshot.computedAt };
      }
      const computedAt = new Date();
      return { ...(await compute(app, Snapshot, query)), computedAt };
    },
    async refresh() { await compute(app, Snapshot, {}); },
  };
}
