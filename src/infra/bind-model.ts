/**
 * Binds a model file's schemas to a connection, each model under its name and collection, once: a second
 * binding to the same connection reuses the models. Each model is typed by its schema.
 */
import type { Connection, InferSchemaType, Model, Schema } from 'mongoose';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema, whatever its generics
type AnySchema = Schema<any, any, any, any, any, any, any, any>;

export function bindModels<S extends Record<string, readonly [AnySchema, string]>>(conn: Connection, models: S): { [K in keyof S]: Model<InferSchemaType<S[K][0]>> } {
  const bound = Object.entries(models).map(([name, [schema, collection]]) => [name, conn.models[name] ?? conn.model(name, schema, collection)]);
  return Object.fromEntries(bound) as { [K in keyof S]: Model<InferSchemaType<S[K][0]>> };
}
