/** The public home page and the organizers' workbench: what the platform is, and where it stands. */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { taxonomy } from '../taxonomy/index.js';

const home: FastifyPluginAsync = async (app) => {
  const { Vendor, Product, Demand } = app.models;

  async function countsByField() {
    const [vendors, products] = await Promise.all([
      Vendor.aggregate<{ _id: string; n: number }>([
        { $match: { status: 'approved' } },
        { $unwind: '$fields' },
        { $group: { _id: '$fields', n: { $sum: 1 } } },
      ]),
      Product.aggregate<{ _id: string; n: number }>([
        { $match: { status: 'published' } },
        { $group: { _id: '$field', n: { $sum: 1 } } },
      ]),
    ]);
    const v = new Map(vendors.map((r) => [r._id, r.n]));
    const p = new Map(products.map((r) => [r._id, r.n]));
    return taxonomy.fields.map((f) => ({
      code: f.code,
      name: f.name,
      vendors: v.get(f.code) ?? 0,
      products: p.get(f.code) ?? 0,
      categories: f.categories.map((c) => c.name).join('、'),
    }));
  }

  app.get('/', { config: { access: 'public' } }, async (_request, reply) => {
    const [vendors, products, demands, fields] = await Promise.all([
      Vendor.countDocuments({ status: 'approved' }),
      Product.countDocuments({ status: 'published' }),
      Demand.countDocuments({ status: 'open' }),
      countsByField(),
    ]);
    return reply.page('home/index.hbs', { title: '首页', totals: { vendors, products, demands }, fields });
  });

  app.get('/organizer', { config: { access: ['organizer', 'admin'] } }, async (_request, reply) => {
    const [vendorStatus, productStatus, demandsByLevel, fields] = await Promise.all([
      Vendor.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]),
      Product.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]),
      Demand.aggregate<{ _id: string; n: number }>([
        { $match: { status: 'open' } },
        { $lookup: { from: 'buyerorgs', localField: 'buyerOrg', foreignField: '_id', as: 'org' } },
        { $unwind: '$org' },
        { $group: { _id: '$org.level', n: { $sum: 1 } } },
      ]),
      countsByField(),
    ]);
    const pick = (rows: { _id: string; n: number }[], key: string) => rows.find((r) => r._id === key)?.n ?? 0;
    return reply.page('dashboards/organizer.hbs', {
      title: '主办方工作台',
      vendors: { approved: pick(vendorStatus, 'approved'), submitted: pick(vendorStatus, 'submitted'), suspended: pick(vendorStatus, 'suspended') },
      products: { published: pick(productStatus, 'published'), submitted: pick(productStatus, 'submitted') },
      demands: { province: pick(demandsByLevel, 'province'), city: pick(demandsByLevel, 'city'), district: pick(demandsByLevel, 'district') },
      fields,
    });
  });
};
// Registered inside its own fp wrapper so the routes stay encapsulated while the plugin has a name.
export default fp(async (app) => { await app.register(home); }, { name: 'home' });
