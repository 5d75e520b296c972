import type { FastifyPluginAsync } from 'fastify';
import { fieldName } from '../taxonomy/index.js';

const levelNames: Record<string, string> = { province: '省级', city: '市级', district: '区级' };
const statusNames: Record<string, string> = { draft: '草稿', open: '征集中', in_progress: '对接中', closed: '已关闭' };

/** The buyer's workbench: the organization's demands. */
const demandPages: FastifyPluginAsync = async (app) => {
  const { BuyerOrg, Demand } = app.models;

  app.get('/buyer', { config: { access: ['buyer'] } }, async (request, reply) => {
    const org = await BuyerOrg.findById(request.user!.buyerOrgId).lean();
    const demands = org ? await Demand.find({ buyerOrg: org._id }).sort({ deadline: 1 }).lean() : [];
    return reply.page('dashboards/buyer.hbs', {
      title: '我的采购',
      org: org && { ...org, levelName: levelNames[org.level] ?? org.level },
      demands: demands.map((d) => ({
        title: d.title,
        field: d.field ? fieldName(d.field) : '',
        quantity: d.quantity,
        unit: d.unit,
        budgetYuan: d.budgetYuan,
        deadline: d.deadline,
        statusName: statusNames[d.status] ?? d.status,
      })),
    });
  });
};
export default demandPages;
