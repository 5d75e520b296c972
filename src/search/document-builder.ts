/**
 * Builds search documents for the sync with their costly part off the event loop: jieba segments and
 * pinyin (text-keys.ts), ~0.2 ms a product, ~1 s for a batch of 5,000, are computed in a worker thread;
 * the rest of each document is assembled here. One worker per process, started on first use; it holds
 * only jieba's dictionary (~70 MB). Small batches (a single edit) are built in place, where a round trip
 * to the worker would only add latency. A batch whose worker dies is built in place, and the next large
 * batch starts a new worker; after MAX_WORKER_FAILURES deaths in a row, or a worker that cannot be created,
 * everything is built in place. The documents are the same either way (pure functions).
 */
import { Worker } from 'node:worker_threads';
import { buildDocument, textInput, type ProductDocument, type ProductLike, type VendorLike } from './document.js';
import type { KeysRequest } from './document-worker.js';
import type { TextKeys } from './text-keys.js';

/** Batches below this size are built in the calling thread. */
export const WORKER_MIN_BATCH = 200;

/** Worker deaths in a row (no batch answered in between) after which the process stops starting new ones. */
export const MAX_WORKER_FAILURES = 3;

/** What the batches waiting on a worker get when it dies: they are built in place instead. */
class WorkerDied extends Error {}

let worker: Worker | undefined;
let workerBroken = false;
let failures = 0;
let nextId = 0;
const waiting = new Map<number, { resolve: (keys: TextKeys[]) => void; reject: (err: Error) => void }>();

function startWorker(): Worker {
  // Compiled, this module is a .js file beside document-worker.js; under the test runner's TypeScript
  // loader it is a .ts file, and the worker thread inherits that loader.
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const started = new Worker(new URL(`./document-worker.${extension}`, import.meta.url));
  started.on('message', (msg: { id: number; keys?: TextKeys[]; error?: string }) => {
    const pending = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (!waiting.size) started.unref();
    if (msg.keys) {
      failures = 0;
      pending?.resolve(msg.keys);
    } else pending?.reject(new Error(msg.error ?? '构建搜索文档失败'));
  });
  const fail = (err: Error) => {
    if (++failures >= MAX_WORKER_FAILURES) workerBroken = true;
    worker = undefined;
    for (const pending of waiting.values()) pending.reject(new WorkerDied(err.message));
    waiting.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => { if (worker === started) fail(new Error(`构建搜索文档的线程已退出（${code}）`)); });
  // Keeps the process alive only while a batch is being built (ref'd per request, below). After the
  // listeners: adding a 'message' listener refs the port again.
  started.unref();
  return started;
}

/** Whether a worker thread is up (tests: the worker path really ran). */
export const workerRunning = () => worker !== undefined && !workerBroken;

/** The current worker thread, if any (tests end it to see a batch survive its death). */
export const currentWorker = () => worker;

/** The text keys of a batch, from the worker; undefined when there is no worker to ask. */
async function keysFromWorker(pairs: Array<[ProductLike, VendorLike]>): Promise<TextKeys[] | undefined> {
  if (pairs.length < WORKER_MIN_BATCH || workerBroken) return undefined;
  try {
    worker ??= startWorker();
  } catch {
    workerBroken = true;
    return undefined;
  }
  const id = nextId++;
  const request: KeysRequest = { id, inputs: pairs.map(([p, v]) => textInput(p, v)) };
  const keys = new Promise<TextKeys[]>((resolve, reject) => waiting.set(id, { resolve, reject }));
  worker.ref();
  worker.postMessage(request);
  try {
    return await keys;
  } catch (err) {
    // A text that cannot be keyed fails as it would in place; a worker that died means building here.
    if (err instanceof WorkerDied) return undefined;
    throw err;
  }
}

/** The search documents of (product, vendor) pairs, in order. */
export async function buildDocuments(pairs: Array<[ProductLike, VendorLike]>, now: Date): Promise<ProductDocument[]> {
  const keys = await keysFromWorker(pairs);
  const docs: ProductDocument[] = [];
  for (const [i, [product, vendor]] of pairs.entries()) {
    // In place, ~0.25 ms a document: yield now and then so requests are not held up.
    if (!keys && i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    docs.push(keys ? buildDocument(product, vendor, now, keys[i]) : buildDocument(product, vendor, now));
  }
  return docs;
}
