/**
 * Demands: buyer organizations' demands through their lifecycle, the JSON API, the demand-list import and
 * the expiry sweep. The buyer's and organizer's pages (`demandPages`) are registered separately, last,
 * because they show search results and matches.
 */
import fp from 'fastify-plugin';
import type { ClientSession } from 'mongoose';
import { acquireLease, startLoop, type Loop } from '../infra/background.js';
import { createDemandService, type DemandService } from './service.js';
import { mountImporter, type JobEngine } from '../imports/index.js';
import pages from './pages.js';
import { demandImporter } from './import.js';
import { demandRoutes } from './routes.js';
import { demandImportHttp } from './import-routes.js';

export type { DemandService } from './service.js';
export { ownOpenDemands } from './linked.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Demands through their lifecycle: `app.demands.create(user, input)`, `.transition(…)`, `.sweepExpired(now)`. */
    demands: DemandService;
    /** Demand-list import jobs; `app.demandImports.runPending()` runs queued jobs now (tests). */
    demandImports: JobEngine & { Job: JobEngine['ImportJob'] };
  }
}

const SWEEP_MS = 60_000;

export default fp(async (app) => {
  // Vendors that match a newly open demand well hear of it (src/notifications), in the same transaction.
  const onOpened = async (demandId: string, session: ClientSession) => {
    await app.notifications.enqueueMatchAlert(demandId, { session });
  };
  const vendorFollows = async (demandId: string, vendorId: string) => (await app.followUps.get(demandId, [vendorId])).has(vendorId);
  const service = createDemandService({ conn: app.conn, models: app.models, clock: app.clock, buyers: app.buyers, onOpened, vendorFollows });
  app.decorate('demands', service);

  let sweep: Loop | undefined;
  if (app.runsBackground) {
    app.addHook('onReady', async () => {
      sweep = startLoop({
        name: 'demand-expiry',
        intervalMs: SWEEP_MS,
        // One instance sweeps at a time; the guarded updates make a second sweep harmless anyway.
        round: async () => {
          if (await acquireLease(app.models.Lease, 'demand-expiry', SWEEP_MS * 2)) await service.sweepExpired();
        },
        log: app.log,
      });
      void sweep.runOnce();
    });
    app.addHook('onClose', async () => { await sweep?.stop(); });
  }

  await app.register(demandRoutes(service));
  // The demand-list import runs on the bulk-job engine (src/imports), with its own jobs and worker loop.
  const imports = await mountImporter(app, demandImporter(onOpened), demandImportHttp, {});
  app.decorate('demandImports', Object.assign(imports as unknown as JobEngine, { Job: imports.ImportJob }));
}, { name: 'demands', dependencies: ['buyers', 'notifications', 'followups'] });

/** The demand board and forms; they show matches, follow-ups and conversations, so they come after those. */
export const demandPages = fp(async (app) => {
  await app.register(pages);
}, { name: 'demand-pages', dependencies: ['demands', 'matching', 'followups', 'search', 'threads'] });
