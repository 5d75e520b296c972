/**
 * Builds search documents for the sync, off the event loop: a batch of 5,000 products takes ~1 s of
 * jieba and pinyin, which in the request thread delayed every request behind it. One worker thread per
 * process, started on first use; it holds no state but the segmenter's dictionary. Small batches (a
 * single edit) are built in place, where a round trip to the worker would only add latency, and so is
 * everything if the worker cannot start or fails: the documents are the same either way (a pure function).
 */
import { Worker } from 'node:worker_threads';
import { buildDocument, type ProductDocument, type ProductLike, type VendorLike } from './document.js';
import type { BuildRequest } from './document-worker.js';

/** Batches below this size are built in the calling thread. */
export const WORKER_MIN_BATCH = 200;

let worker: Worker | undefined;
let workerBroken = false;
let nextId = 0;
const waiting = new Map<number, { resolve: (docs: ProductDocument[]) => void; reject: (err: Error) => void }>();

function startWorker(): Worker {
  // Compiled, this module is a .js file beside document-worker.js; under the test runner's TypeScript
  // loader it is a .ts file, and the worker thread inherits that loader.
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const started = new Worker(new URL(`./document-worker.${extension}`, import.meta.url));
  started.on('message', (msg: { id: number; docs?: ProductDocument[]; error?: string }) => {
    const pending = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (!waiting.size) started.unref();
    if (msg.docs) pending?.resolve(msg.docs);
    else pending?.reject(new Error(msg.error ?? '构建搜索文档失败'));
  });
  const fail = (err: Error) => {
    workerBroken = true;
    worker = undefined;
    for (const pending of waiting.values()) pending.reject(err);
    waiting.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => { if (worker === started) fail(new Error(`构建搜索文档的线程已退出（${code}）`)); });
  // Keeps the process alive only while a batch is being built (ref'd per request, below). After the
  // listeners: adding a 'message' listener refs the port again.
  started.unref();
  return started;
}

/**
 * What buildDocument reads of a product and its vendor, ids as strings: ObjectIds do not survive the
 * copy to another thread, and the rest of the records need not be copied at all.
 */
function portable(p: ProductLike, v: VendorLike): [ProductLike, VendorLike] {
  return [
    {
      _id: String(p._id), vendor: String(p.vendor), name: p.name, model: p.model, category: p.category, field: p.field,
      description: p.description, certifications: p.certifications, energyGrade: p.energyGrade, priceMin: p.priceMin,
      priceMax: p.priceMax, capacityPerMonth: p.capacityPerMonth, leadTimeDays: p.leadTimeDays,
      images: p.images?.slice(0, 1).map((i) => ({ fileId: String(i.fileId) })) ?? null, createdAt: p.createdAt, status: p.status,
    },
    {
      _id: String(v._id), name: v.name, creditCode: v.creditCode, province: v.province, city: v.city, district: v.district,
      fields: v.fields, certifications: v.certifications, status: v.status, confirmedAt: v.confirmedAt, freshness: v.freshness,
      qualifications: v.qualifications?.map((q) => ({ certification: q.certification, validFrom: q.validFrom, expiresAt: q.expiresAt })) ?? null,
    },
  ];
}

/** The search documents of (product, vendor) pairs, in order. */
export async function buildDocuments(pairs: Array<[ProductLike, VendorLike]>, now: Date): Promise<ProductDocument[]> {
  if (pairs.length >= WORKER_MIN_BATCH && !workerBroken) {
    try {
      worker ??= startWorker();
      const id = nextId++;
      const request: BuildRequest = { id, now: now.getTime(), pairs: pairs.map(([p, v]) => portable(p, v)) };
      const docs = new Promise<ProductDocument[]>((resolve, reject) => waiting.set(id, { resolve, reject }));
      worker.ref();
      worker.postMessage(request);
      return await docs;
    } catch {
      // The worker is gone (workerBroken is set): build here, now and from now on.
    }
  }
  const docs: ProductDocument[] = [];
  for (const [i, [product, vendor]] of pairs.entries()) {
    // ~0.25 ms a document: yield now and then so requests are not held up.
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    docs.push(buildDocument(product, vendor, now));
  }
  return docs;
}
