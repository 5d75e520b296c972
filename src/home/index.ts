/** The public home page and the organizers' workbench: what the platform is, and where it stands (dashboard.ts). */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { buyerLevels } from '../buyers/index.js';
import { createHomeDashboard } from './dashboard.js';
import { upcomingEvents, type EventSummary } from './upcoming.js';

const home: FastifyPluginAsync = async (app) => {
  const dashboard = createHomeDashboard({ models: app.models });

  async function events() {
    const rows = await app.events.list(null);
    return upcomingEvents(rows.map((r) => r.event as unknown as EventSummary), app.clock());
  }

  /** The latest published batch of the list (第 N 批), to cite. */
  async function latestBatch() {
    const [batch] = await app.listBatches.list();
    return batch && { number: batch.number, title: batch.title, publishedAt: batch.publishedAt, url: `/list-batches/${batch.number}` };
  }

  app.get('/', { config: { access: 'public' } }, async (request, reply) => {
    const [figures, upcoming, batch] = await Promise.all([
      dashboard.publicFigures(),
      events().catch((err: unknown) => {
        request.log.warn({ err }, 'upcoming events unavailable for the home page');
        return [];
      }),
      latestBatch(),
    ]);
    return reply.page('home/index.hbs', {
      title: '首页',
      ...figures,
      events: upcoming,
      latestBatch: batch,
    });
  });

  /**
   * The workbench. Each count that links to a queue is read from that queue's own query (the review queue,
   * the demand board's filter), so the number shown is the number of rows the link opens.
   */
  app.get('/organizer', { config: { access: STAFF_ROLES } }, async (request, reply) => {
    const user = requireUser(request);
    const [figures, queue, ...byLevel] = await Promise.all([
      dashboard.organizerFigures(),
      app.suppliers.reviewQueue(),
      ...buyerLevels.map((level) => app.demands.statusCounts(user, { level })),
    ]);
    const demands = Object.fromEntries(buyerLevels.map((level, i) => [level, { n: byLevel[i].open ?? 0, href: `/organizer/demands?level=${level}&status=open` }]));
    return reply.page('dashboards/organizer.hbs', {
      title: '主办方工作台',
      ...figures,
      queues: {
        vendors: { n: queue.vendors.length, href: '/organizer/review#q-vendors' },
        vendorRevisions: { n: queue.vendorRevisions.length, href: '/organizer/review#q-vendor-revisions' },
        products: { n: queue.products.length, href: '/organizer/review#q-products' },
        productRevisions: { n: queue.productRevisions.length, href: '/organizer/review#q-revisions' },
      },
      demands,
    });
  });
};
// Registered inside its own fp wrapper so the routes stay encapsulated while the plugin has a name.
export default fp(async (app) => { await app.register(home); }, { name: 'home', dependencies: ['events', 'list-batches'] });
