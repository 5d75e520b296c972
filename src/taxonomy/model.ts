import { Schema, type Connection } from 'mongoose';

/** A copy of seeds/taxonomy.json in MongoDB ({_id: 'fields' | 'certifications' | 'regions', value}). */
const TaxonomySchema = new Schema({ _id: String, value: Schema.Types.Mixed }, { versionKey: false, timestamps: true });

export function taxonomyModels(conn: Connection) {
  return { Taxonomy: conn.model('Taxonomy', TaxonomySchema, 'taxonomy') };
}
