/** JSON API of matching (docs/api.md): a demand's matches, and a vendor's opportunity feed. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Types } from 'mongoose';
import { z } from 'zod';
import { ObjectIdParam } from '../accounts/index.js';
import { notFound } from '../web/errors.js';
import { unavailableAs503 } from '../infra/meili.js';
import { requireUser } from '../accounts/index.js';
import { apiRoute } from '../web/api-route.js';

const Limit = z.coerce.number({ error: '数量必须是数字' }).int('数量必须是整数').min(1, '数量至少为 1').max(50, '数量最多为 50');
const ReasonOut = z.object({
  factor: z.string().describe('因素：text 文本相关度、locality 属地、required 必需认证、preferred 优选认证、distinction 首台套等认定、capacity 产能、leadTime 交货期、price 价格、freshness 信息新鲜度'),
  value: z.number().describe('该因素的取值，0–1'),
  weight: z.number().describe('该因素的权重'),
  text: z.string().describe('给采购方看的中文说明'),
});
const ProductOut = z.object({ productId: z.string(), name: z.string(), model: z.string() });
const MatchOut = z.object({
  vendor: z.object({ id: z.string(), name: z.string(), creditCode: z.string(), city: z.string().optional(), district: z.string().optional() }),
  products: z.array(ProductOut),
  score: z.number(),
  reasons: z.array(ReasonOut),
});
const OpportunityOut = z.object({
  demand: z.object({
    id: z.string(), title: z.string(), field: z.string().optional(), category: z.string().optional(),
    quantity: z.number().optional(), unit: z.string().optional(), budgetYuan: z.number().optional(), deadline: z.string().optional(),
    buyer: z.object({ name: z.string(), level: z.string(), city: z.string().optional(), district: z.string().optional() }),
  }),
  score: z.number(),
  reasons: z.array(ReasonOut),
  products: z.array(ProductOut),
});

const routes: FastifyPluginAsyncZod = async (app) => {
  const route = apiRoute('供需匹配');

  app.get('/api/v1/demands/:id/matches', route(['buyer', 'organizer', 'admin'], {
    summary: '需求的匹配供应商：每家企业一条，附最匹配的产品、得分与逐项中文理由',
    description: '先在推介清单中检索（需求用词、品类，必需认证为硬性条件），再按文本相关度、属地（滨江区优先）、认证、产能、交货期、价格、信息新鲜度加权排序。采购方只能查看本单位的需求；供应商无权查看。',
    params: z.object({ id: ObjectIdParam }),
    querystring: z.object({ limit: Limit.default(10) }),
    response: { 200: z.object({ matches: z.array(MatchOut) }) },
  }), async (request) => {
    const user = requireUser(request);
    const demand = await app.models.Demand.findById(request.params.id, { buyerOrg: 1 }).lean();
    // A buyer learns nothing about other organizations' demands, not even that they exist.
    if (!demand || (user.role === 'buyer' && String(demand.buyerOrg) !== user.buyerOrgId)) throw notFound('未找到该需求。');
    const matches = await unavailableAs503(() => app.matching.matchDemandById(request.params.id, { limit: request.query.limit }), '匹配服务');
    return { matches };
  });

  app.get('/api/v1/vendors/:id/opportunities', route(['vendor', 'organizer', 'admin'], {
    summary: '供应商的商机：与本企业产品相符的开放需求，按匹配度排序，附同样的中文理由',
    description: '只含开放中、未过截止日期的需求；不含采购方的内部备注。供应商只能查看本企业的商机。',
    params: z.object({ id: ObjectIdParam }),
    querystring: z.object({ limit: Limit.default(20) }),
    response: { 200: z.object({ opportunities: z.array(OpportunityOut) }) },
  }), async (request) => {
    const user = requireUser(request);
    // Another company's opportunities do not exist for a vendor (as with its drafts and products).
    if (user.role === 'vendor' && user.vendorId !== request.params.id) throw notFound('未找到该企业。');
    if (!Types.ObjectId.isValid(request.params.id)) throw notFound('未找到该企业。');
    const list = await unavailableAs503(() => app.matching.opportunitiesFor(request.params.id, { limit: request.query.limit }), '匹配服务');
    return { opportunities: list.map((o) => ({ ...o, demand: { ...o.demand, deadline: o.demand.deadline?.toISOString() } })) };
  });
};
export default routes;
