/** The supplier list: vendors and products, their lifecycles, history and freshness. */
// Pure pieces first: imports/ and search/ compose these at load time.
export { sniffFile } from './files.js';
export { effectiveCertifications, freshnessOf, searchableSince, type Freshness, type FreshnessPolicy } from './freshness.js';
export { normalizeCreditCode } from './credit-code.js';
export { fieldLabels, productFields, vendorFields, ProductInput, VendorInput } from './schemas.js';
export { diffFields, type Actor, type FieldChange } from './history.js';
export { sweepFreshness, type FreshnessSweepDeps } from './freshness-sweep.js';
export { rebuildPublishedCounts, refreshPublishedCounts, type PublishedCount } from './published-counts.js';
import fp from 'fastify-plugin';
import { createSupplierService, type SupplierService } from './service.js';
import supplierPages from './pages.js';
import supplierRoutes from './routes.js';
import evidenceRoutes from './evidence.js';
import { startFreshnessSweep } from './freshness-sweep.js';
import { withFileCleanup } from './file-cleanup.js';
import type { Loop } from '../infra/background.js';

declare module 'fastify' {
  interface FastifyInstance {
    suppliers: SupplierService;
  }
}

export default fp(async (app) => {
  // Writes that drop a product image or the logo delete the file from GridFS once they have committed.
  app.decorate('suppliers', withFileCleanup(createSupplierService(app.conn, app.models, app.clock), app));
  await app.register(supplierRoutes);
  await app.register(supplierPages);
  await app.register(evidenceRoutes);
  if (app.runsBackground) {
    let loop: Loop | undefined;
    app.addHook('onReady', async () => {
      const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
      loop = startFreshnessSweep({ conn: app.conn, models: app.models, clock: app.clock, policy, log: app.log });
      void loop.runOnce();
    });
    app.addHook('onClose', async () => loop?.stop());
  }
}, { name: 'suppliers' });
