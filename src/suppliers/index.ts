/** The supplier list: vendors and products, their lifecycles, history and freshness. */
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
      loop = startFreshnessSweep(app);
      void loop.runOnce();
    });
    app.addHook('onClose', async () => loop?.stop());
  }
});
