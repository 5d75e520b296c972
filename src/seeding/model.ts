import { Schema, type Connection } from 'mongoose';

/**
 * Which seed sets have been loaded once. Sample data is loaded on the first start only, so an organizer
 * who deletes a sample vendor does not see it come back at the next restart.
 */
const SeedRunSchema = new Schema({ _id: String, completedAt: { type: Date, required: true } }, { versionKey: false });

export function seedingModels(conn: Connection) {
  return { SeedRun: conn.model('SeedRun', SeedRunSchema) };
}
