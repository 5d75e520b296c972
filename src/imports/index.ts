/** Bulk import and export of the supplier list: API, organizer pages and the background import worker. */
import fp from 'fastify-plugin';
import fastifyMultipart from '@fastify/multipart';
import { startLoop, type Loop } from '../infra/background.js';
import { createImportService, type ImportService } from './service.js';
import { importRoutes } from './routes.js';
import { importPages } from './pages.js';
import { MAX_FILE_BYTES } from './upload.js';

declare module 'fastify' {
  interface FastifyInstance {
    imports: ImportService;
  }
}

export default fp(async (app) => {
  const service = createImportService({ conn: app.conn, models: app.models, clock: app.clock, log: app.log });
  await service.ImportJob.init();
  await service.ImportRow.init();
  app.decorate('imports', service);

  let loop: Loop | undefined;
  if (app.runsBackground) {
    loop = startLoop({ name: 'imports', intervalMs: 1000, round: () => service.runPending(), log: app.log });
    app.addHook('onClose', async () => {
      service.stop();
      await loop?.stop();
    });
  }
  // Start a new job now rather than at the next tick of the loop.
  const kick = () => { if (loop) void loop.runOnce(); };

  // Multipart parsing stays inside this plugin: no other route accepts uploads.
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, { limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 20 }, throwFileSizeLimit: true });
    // A multipart body is parsed in the handler, after the CSRF check: take the token from the query
    // string (the page form's action carries it) where @fastify/csrf-protection reads headers.
    scope.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) return;
      const token = (request.query as Record<string, unknown> | undefined)?._csrf;
      if (typeof token === 'string' && !request.headers['x-csrf-token']) request.headers['x-csrf-token'] = token;
    });
    await scope.register(importRoutes(service, kick));
    await scope.register(importPages(service, kick));
  });
});
