/**
 * Bulk import and export of the supplier list: the supplier importer on the job engine, and the exports.
 * Other capabilities (demands) build their own importers on the same engine through the public face below.
 */
export { defineImporter, type RowIssue, type Validation } from './importer.js';
export { normalizeHeader, readSource, type ImportFormat } from './sheets.js';
export { categoryLookup, certificationLookup, choices, codes, fieldLookup, isObject, lookup, translate } from './values.js';
export { mountImporter, type ImporterHttp } from './jobs-http.js';
export type { JobEngine } from './engine.js';
import fp from 'fastify-plugin';
import type { JobEngine } from './engine.js';
import { mountImporter } from './jobs-http.js';
import { exportRoutes, supplierHttp } from './routes.js';
import { supplierImporter } from './suppliers.js';

export type ImportService = JobEngine;

declare module 'fastify' {
  interface FastifyInstance {
    /** Supplier import jobs; `app.imports.runPending()` runs queued jobs now (tests). */
    imports: ImportService;
  }
}

export default fp(async (app) => {
  const service = await mountImporter(app, supplierImporter, supplierHttp);
  app.decorate('imports', service as unknown as ImportService);
  await app.register(exportRoutes());
}, { name: 'imports', dependencies: ['suppliers'] });
