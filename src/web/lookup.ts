/**
 * Loading one record named in a URL: by its id, and where given inside its parent (`{ event: event._id }`),
 * or a 404 with the caller's message. A malformed id is the same 404, never a cast error.
 */
import { Types, type Model } from 'mongoose';
import { notFound } from './errors.js';

export async function findOr404<T>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model; the caller names the lean type
  model: Model<any>,
  id: string,
  message: string,
  within: Record<string, unknown> = {},
): Promise<T> {
  if (!Types.ObjectId.isValid(id)) throw notFound(message);
  const doc = await model.findOne({ _id: id, ...within }).lean<T>();
  if (!doc) throw notFound(message);
  return doc;
}
