/**
 * Documents built in the worker-thread pool are the very documents built inline (byte for byte), for every
 * sample product with a variety of vendors (expired and future certificates, stale, images), read back
 * from MongoDB as the sync worker reads them; and the pool really ran.
 */
import t from 'tap';
import fs from 'node:fs';
import { Types } from 'mongoose';
import { buildDocument, type ProductLike, type VendorLike } from '../../src/search/document.js';
import { createDocumentBuilder } from '../../src/search/document-pool.js';
import { documentsFor } from '../../src/search/sync.js';
import { fieldOfCategory } from '../../src/taxonomy/index.js';
import { buildTestApp } from '../helper.js';

const read = <T>(name: string): T => JSON.parse(fs.readFileSync(new URL(`../../seeds/sample/${name}`, import.meta.url), 'utf8')) as T;
const now = new Date('2026-12-02T00:00:00Z');

t.test('a document built in the pool equals the one built inline, for every sample product', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const sampleVendors = read<Array<Record<string, unknown> & { creditCode: string; certifications: string[] }>>('vendors.json');
  const sampleProducts = read<Array<Record<string, unknown> & { vendorCreditCode: string; category: string }>>('products.json');
  const vendors = await app.models.Vendor.insertMany(sampleVendors.map((v, i) => ({
    ...v,
    status: 'approved',
    confirmedAt: new Date(now.getTime() - i * 86_400_000),
    freshness: i % 7 === 3 ? 'stale' : 'current',
    // Certificates that lapsed, that start later and that are in force: what counts depends on `now`.
    qualifications: v.certifications.map((certification, k) => ({
      certification,
      ...(k % 3 === 0 ? { expiresAt: new Date('2026-06-01') } : {}),
      ...(k % 3 === 1 ? { validFrom: new Date('2027-01-01') } : {}),
    })),
  })));
  const byCode = new Map(vendors.map((v) => [v.creditCode, v._id]));
  const products = await app.models.Product.insertMany(sampleProducts.map((p, i) => ({
    ...p,
    field: fieldOfCategory(p.category),
    vendor: byCode.get(p.vendorCreditCode),
    status: 'published',
    ...(i % 5 === 0 ? { images: [{ fileId: new Types.ObjectId(), contentType: 'image/png' }] } : {}),
    ...(i % 11 === 0 ? { description: undefined } : {}),
  })));
  t.ok(products.length > 400, `${products.length} products`);

  // One read, as the sync worker reads: the pool and the main thread build from the same objects.
  const ids = products.map((p) => p._id);
  const leanProducts = await app.models.Product.find({ _id: { $in: ids } }).lean() as unknown as ProductLike[];
  const leanVendors = new Map((await app.models.Vendor.find().lean() as unknown as VendorLike[]).map((v) => [String(v._id), v]));
  const pairs = leanProducts.map((product) => ({ product, vendor: leanVendors.get(String(product.vendor))! }));

  const builder = createDocumentBuilder({ threads: 2 });
  t.teardown(() => builder.close());
  const pooled = await builder.build(pairs, now);
  t.ok(builder.pooled, 'the worker threads built them (no fallback to inline)');
  const inline = pairs.map(({ product, vendor }) => buildDocument(product, vendor, now));
  t.equal(pooled.length, products.length, 'every product has its document');
  t.equal(JSON.stringify(pooled), JSON.stringify(inline), 'pool and inline give byte-identical documents, in the same order');
  t.ok(pooled.some((d) => d.image) && pooled.some((d) => d.freshness === 'stale') && pooled.some((d) => !d.description),
    'the sample covers images, stale vendors and missing descriptions');

  // The sync worker's path: the same documents through documentsFor with the pool.
  const synced = await documentsFor(app.models, ids, now, builder);
  t.equal(JSON.stringify(synced.docs), JSON.stringify(inline), 'documentsFor with the pool gives the same documents');
  t.same(synced.deletions, []);
});

t.test('a pool that cannot start its workers falls back to building inline', async (t) => {
  const builder = createDocumentBuilder({ threads: 2, filename: new URL('./no-such-worker.js', import.meta.url).pathname, log: { warn: () => {} } });
  t.teardown(() => builder.close());
  const vendor = { _id: new Types.ObjectId(), name: '杭州测试科技有限公司', creditCode: '91330108MA0000001X', province: '浙江省', city: '杭州市', district: '滨江区', status: 'approved', freshness: 'current' as const };
  const pairs = Array.from({ length: 300 }, (_, i) => ({
    vendor,
    product: { _id: new Types.ObjectId(), vendor: vendor._id, name: `网络摄像机${i}`, model: `M-${i}`, category: 'video-surveillance', field: 'security', status: 'published' },
  }));
  const docs = await builder.build(pairs, now);
  t.notOk(builder.pooled, 'the pool is dropped');
  t.equal(JSON.stringify(docs), JSON.stringify(pairs.map((p) => buildDocument(p.product, p.vendor, now))), 'the documents are built inline all the same');
});
