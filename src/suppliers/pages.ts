import type { FastifyPluginAsync } from 'fastify';
import { certificationName, taxonomy } from '../taxonomy/index.js';

const categoryNames = new Map(taxonomy.fields.flatMap((f) => f.categories.map((c) => [c.code, c.name] as const)));
const statusNames: Record<string, string> = {
  draft: '草稿', submitted: '待审核', approved: '已入库', rejected: '已退回', suspended: '已暂停', published: '已发布', archived: '已归档',
};

/** The vendor's own workbench: the company and its listings as the platform holds them. */
const supplierPages: FastifyPluginAsync = async (app) => {
  const { Vendor, Product } = app.models;

  app.get('/vendor', { config: { access: ['vendor'] } }, async (request, reply) => {
    const vendor = await Vendor.findById(request.user!.vendorId).lean();
    const products = vendor ? await Product.find({ vendor: vendor._id }).sort({ category: 1, name: 1 }).lean() : [];
    return reply.page('dashboards/vendor.hbs', {
      title: '我的企业',
      vendor: vendor && {
        ...vendor,
        statusName: statusNames[vendor.status] ?? vendor.status,
        certificationNames: vendor.certifications.map(certificationName),
      },
      products: products.map((p) => ({
        name: p.name,
        model: p.model,
        category: categoryNames.get(p.category) ?? p.category,
        statusName: statusNames[p.status] ?? p.status,
        priceMin: p.priceMin,
        priceMax: p.priceMax,
      })),
    });
  });
};
export default supplierPages;
