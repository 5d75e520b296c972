/**
 * A worker thread of the document pool (document-pool.ts): builds search documents with the very same
 * buildDocument as the main thread, so a document is the same whichever thread built it.
 */
import { buildDocument, type ProductDocument } from './document.js';
import type { BuildTask } from './document-pool.js';

export default function build(task: BuildTask): ProductDocument[] {
  const vendors = new Map(task.vendors.map((v) => [String(v._id), v]));
  const now = new Date(task.now);
  return task.products.map((p) => buildDocument(p, vendors.get(String(p.vendor))!, now));
}
