/**
 * The worker thread that builds search documents (src/search/document-builder.ts sends it batches): jieba
 * and pinyin are the costly part of a document, and here they do not hold up the app's requests.
 */
import { parentPort } from 'node:worker_threads';
import { buildDocument, type ProductLike, type VendorLike } from './document.js';

export interface BuildRequest { id: number; now: number; pairs: Array<[ProductLike, VendorLike]> }

parentPort?.on('message', ({ id, now, pairs }: BuildRequest) => {
  try {
    const at = new Date(now);
    parentPort!.postMessage({ id, docs: pairs.map(([product, vendor]) => buildDocument(product, vendor, at)) });
  } catch (err) {
    parentPort!.postMessage({ id, error: String((err as Error).message ?? err) });
  }
});
