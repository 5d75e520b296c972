/**
 * Numbered batches of the 推介清单 (第 N 批): frozen copies of the list with their changes against the
 * previous batch, a 公示期 for objections (异议) and the organizers' answers, an .xlsx per batch, and the
 * printable 推介手册 (booklet) of a batch, a field or a 对接会's vendors.
 */
// Pure pieces first.
export { applyChanges, citation, diffEntries, diffSnapshots, productKey, vendorKey, type ProductEntry, type Snapshot, type SnapshotDiff, type VendorEntry } from './diff.js';
export { qrDataUri } from './booklet.js';
import fp from 'fastify-plugin';
import { createListBatchService, type ListBatchService } from './service.js';
import listBatchRoutes from './routes.js';
import objectionRoutes from './objections.js';
import listBatchPages from './pages.js';
import bookletPages from './booklet.js';

declare module 'fastify' {
  interface FastifyInstance {
    listBatches: ListBatchService;
  }
}

export default fp(async (app) => {
  app.decorate('listBatches', createListBatchService({ conn: app.conn, models: app.models, clock: app.clock }));
  await app.register(listBatchRoutes);
  await app.register(objectionRoutes);
  await app.register(listBatchPages);
  await app.register(bookletPages);
}, { name: 'list-batches', dependencies: ['suppliers', 'events', 'audit'] });
