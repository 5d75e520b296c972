/** Computed reports kept for a minute per filter combination (see snapshots.ts). */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Report } from './figures.js';

export interface Snapshot { _id: string; report: Report; computedAt: Date; expiresAt: Date }

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

export function reportModels(conn: Connection) {
  return { ReportSnapshot: conn.model('ReportSnapshot', SnapshotSchema, 'report_snapshots') as Model<Snapshot> };
}
