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

/** Which version of the report's derived fields this database holds (rebuild.ts). */
export interface AggregateState { _id: string; version: number; builtAt: Date }
const AggregateStateSchema = new Schema<AggregateState>({ _id: String, version: { type: Number, required: true }, builtAt: { type: Date, required: true } }, { versionKey: false });

export function reportModels(conn: Connection) {
  return {
    ReportSnapshot: conn.model('ReportSnapshot', SnapshotSchema, 'report_snapshots') as Model<Snapshot>,
    ReportAggregateState: (conn.models.ReportAggregateState ?? conn.model('ReportAggregateState', AggregateStateSchema, 'report_aggregates')) as Model<AggregateState>,
  };
}
