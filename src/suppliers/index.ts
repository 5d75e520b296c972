/** The supplier list: vendors and products, their lifecycles, history and freshness. */
import fp from 'fastify-plugin';
import { createSupplierService, type SupplierService } from './service.js';
import supplierPages from './pages.js';

declare module 'fastify' {
  interface FastifyInstance {
    suppliers: SupplierService;
  }
}

export default fp(async (app) => {
  app.decorate('suppliers', createSupplierService(app.conn, app.models, app.clock));
  await app.register(supplierPages);
});
