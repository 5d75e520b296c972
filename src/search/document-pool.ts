/**
 * Builds search documents off the event loop. A document costs ~0.25 ms of jieba and pinyin; a batch of
 * 5,000 would hold the event loop for over a second, so a pool of worker threads (piscina, one per core
 * from os.availableParallelism()) builds them in chunks while the main thread keeps answering requests.
 * If the pool cannot start (or a worker fails), documents are built inline as before, yielding now and then:
 * slower for requests meanwhile, never a different document.
 *
 * What goes to a worker is cloned (structured clone), so ids travel as strings: buildDocument reads every
 * id through String(), so the document is byte for byte the one built inline (test/search/document-pool.test.ts).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { buildDocument, type ProductDocument, type ProductLike, type VendorLike } from './document.js';

export interface BuildTask { products: ProductLike[]; vendors: VendorLike[]; now: number }

/** Products per task: small enough to spread a batch over every thread, large enough to amortise the cloning. */
const CHUNK = 250;
/** Fewer are built inline: a single edit is not worth a thread hop (sync lag). */
const INLINE_BELOW = 100;

const id = (v: unknown) => (v === null || v === undefined ? v : String(v));

/** The fields buildDocument reads, with ids as strings (an ObjectId does not survive structured cloning). */
function productForWorker(p: ProductLike): ProductLike {
  return {
    _id: id(p._id), vendor: id(p.vendor), name: p.name, model: p.model, category: p.category, field: p.field,
    description: p.description, certifications: p.certifications, energyGrade: p.energyGrade, priceMin: p.priceMin,
    priceMax: p.priceMax, capacityPerMonth: p.capacityPerMonth, leadTimeDays: p.leadTimeDays,
    images: p.images?.length ? [{ fileId: id(p.images[0].fileId) }] : p.images, createdAt: p.createdAt, status: p.status,
  };
}

function vendorForWorker(v: VendorLike): VendorLike {
  return {
    _id: id(v._id), name: v.name, creditCode: v.creditCode, province: v.province, city: v.city, district: v.district,
    fields: v.fields, certifications: v.certifications, status: v.status, confirmedAt: v.confirmedAt, freshness: v.freshness,
    qualifications: v.qualifications?.map((q) => ({ certification: q.certification, validFrom: q.validFrom, expiresAt: q.expiresAt })),
  };
}

/** The worker's module: compiled JavaScript beside this file, or the TypeScript source when run from it (tests). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/document-pool\.(ts|js)$/, (_m, ext: string) => `document-worker.${ext}`);
}

export interface DocumentBuilder {
  /** Documents of `pairs` (each product with its vendor), in order. */
  build(pairs: Array<{ product: ProductLike; vendor: VendorLike }>, now: Date): Promise<ProductDocument[]>;
  /** Whether the worker pool is in use (false: inline). */
  readonly pooled: boolean;
  close(): Promise<void>;
}

async function buildInline(pairs: Array<{ product: ProductLike; vendor: VendorLike }>, now: Date): Promise<ProductDocument[]> {
  const docs: ProductDocument[] = [];
  for (const [i, { product, vendor }] of pairs.entries()) {
    // Yield now and then so requests are not held up.
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    docs.push(buildDocument(product, vendor, now));
  }
  return docs;
}

export interface BuilderOptions {
  /** Worker threads; default os.availableParallelism(); 0 builds inline. */
  threads?: number;
  /** The worker module (tests point it elsewhere). */
  filename?: string;
  log?: { warn(obj: object, msg: string): void };
}

export function createDocumentBuilder(options: BuilderOptions = {}): DocumentBuilder {
  const threads = options.threads ?? Math.max(1, os.availableParallelism());
  let pool: Piscina | null = null;
  if (threads > 0) {
    try {
      // Threads start on the first batch and end after a minute idle: an instance with nothing to index holds none.
      pool = new Piscina({ filename: options.filename ?? workerFile(), minThreads: 0, maxThreads: threads, idleTimeout: 60_000 });
      // A worker that cannot start is reported here (and its task rejected): build inline from then on.
      pool.on('error', (err: unknown) => drop(err));
    } catch (err) {
      options.log?.warn({ err }, '无法启动生成搜索文档的工作线程，改在主线程生成');
      pool = null;
    }
  }
  function drop(err: unknown) {
    if (!pool) return;
    options.log?.warn({ err }, '搜索文档工作线程出错，改在主线程生成');
    const failed = pool;
    pool = null;
    void failed.destroy().catch(() => {});
  }
  return {
    get pooled() {
      return pool !== null;
    },
    async build(pairs, now) {
      if (!pool || pairs.length < INLINE_BELOW) return buildInline(pairs, now);
      const tasks: Array<Promise<ProductDocument[]>> = [];
      for (let i = 0; i < pairs.length; i += CHUNK) {
        const chunk = pairs.slice(i, i + CHUNK);
        const vendors = [...new Map(chunk.map(({ vendor }) => [String(vendor._id), vendor])).values()].map(vendorForWorker);
        tasks.push(pool.run({ products: chunk.map(({ product }) => productForWorker(product)), vendors, now: now.getTime() } satisfies BuildTask) as Promise<ProductDocument[]>);
      }
      try {
        return (await Promise.all(tasks)).flat();
      } catch (err) {
        // A pool that cannot run its workers (a missing module, no threads allowed) is dropped for good.
        drop(err);
        return buildInline(pairs, now);
      }
    },
    async close() {
      const p = pool;
      pool = null;
      await p?.destroy();
    },
  };
}
