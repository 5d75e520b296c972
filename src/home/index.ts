/** The public home page and the organizers' workbench: what the platform is, and where it stands (dashboard.ts). */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { STAFF_ROLES } from '../accounts/index.js';
import { createHomeDashboard } from './dashboard.js';

const home: FastifyPluginAsync = async (app) => {
  const dashboard = createHomeDashboard(app);

  app.get('/', { config: { access: 'public' } }, async (_request, reply) =>
    reply.page('home/index.hbs', { title: '首页', ...(await dashboard.publicFigures()) }));

  app.get('/organizer', { config: { access: STAFF_ROLES } }, async (_request, reply) =>
    reply.page('dashboards/organizer.hbs', { title: '主办方工作台', ...(await dashboard.organizerFigures()) }));
};
// Registered inside its own fp wrapper so the routes stay encapsulated while the plugin has a name.
export default fp(async (app) => { await app.register(home); }, { name: 'home' });
