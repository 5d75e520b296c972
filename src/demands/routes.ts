/** JSON API of demands (docs/api.md: POST /api/v1/demands) and their lifecycle. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ObjectIdParam } from '../accounts/index.js';
import { CloseBody, DemandInput, DemandListQuery, DemandUpdate } from './schemas.js';
import { canManage, demandJson, type DemandService } from './service.js';
import { requireUser } from '../accounts/index.js';
import { apiRoute } from '../web/api-route.js';

const IdParams = z.object({ id: ObjectIdParam });
const managers = ['buyer', 'organizer', 'admin'] as const;
const route = apiRoute('采购需求');

const Actor = z.object({ id: z.string(), name: z.string(), role: z.string() });
export const DemandOut = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  field: z.string().optional(),
  category: z.string().optional(),
  quantity: z.number().optional(),
  unit: z.string().optional(),
  budgetYuan: z.number().optional(),
  requiredCertifications: z.array(z.string()),
  preferredCertifications: z.array(z.string()),
  deadline: z.string().optional().describe('ISO 时间；只填日期时为当天北京时间 23:59:59'),
  status: z.enum(['draft', 'open', 'in_progress', 'closed']),
  closedAs: z.string().optional().describe('fulfilled | cancelled | expired'),
  closeReason: z.string().optional(),
  closedAt: z.string().optional(),
  source: z.string().optional().describe('buyer | organizer | import'),
  buyer: z.object({
    id: z.string(), name: z.string(), type: z.string(), level: z.string(), province: z.string(),
    city: z.string().optional(), district: z.string().optional(),
  }).optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  privateNotes: z.string().optional().describe('仅发布单位与主办方可见'),
  postedBy: Actor.optional(),
  history: z.array(z.object({
    action: z.string(), from: z.string().optional(), to: z.string().optional(), by: Actor, at: z.string(),
    reason: z.string().optional(), closedAs: z.string().optional(), fields: z.array(z.string()).optional(),
  })).optional().describe('每一次状态变化与修改：谁、何时、从何到何、原因（仅发布单位与主办方可见）'),
});

export function demandRoutes(service: DemandService): FastifyPluginAsyncZod {
  return async (app) => {
    const full = async (demand: Parameters<typeof demandJson>[0], includePrivate: boolean) =>
      demandJson(demand, await service.org(demand.buyerOrg), { includePrivate }) as z.infer<typeof DemandOut>;

    app.post('/api/v1/demands', route(managers, {
      summary: '发布采购需求', description: '采购方账号发布的需求总是属于本单位：`buyer` 可不填，填写时名称须与本单位一致。主办方、管理员代为发布时须填写 `buyer`：按名称精确查找采购单位，没有则新建（已有单位的资料不会被改动）。`status` 默认 open（开放征集），也可为 draft（草稿）。截止日期只填日期时，指当天北京时间结束前。',
      body: DemandInput,
      response: { 201: z.object({ id: z.string() }) },
    }), async (request, reply) => {
      const demand = await service.create(requireUser(request), request.body);
      return reply.code(201).header('location', `/api/v1/demands/${String(demand._id)}`).send({ id: String(demand._id) });
    });

    app.get('/api/v1/demands', route('user', {
      summary: '需求列表', description: '采购方只看到本单位的需求；供应商只看到开放征集中的需求（不含内部备注）；主办方、管理员看到全部。可按层级、领域、状态、城市、区县和关键词筛选，按发布时间倒序分页。',
      querystring: DemandListQuery,
      response: { 200: z.object({ total: z.number(), page: z.number(), pageSize: z.number(), demands: z.array(DemandOut) }) },
    }), async (request) => {
      const user = requireUser(request);
      const result = await service.list(user, request.query);
      return {
        total: result.total, page: result.page, pageSize: result.pageSize,
        demands: result.items.map(({ demand, org }) => demandJson(demand, org, { includePrivate: canManage(user, demand) }) as z.infer<typeof DemandOut>),
      };
    });

    app.get('/api/v1/demands/:id', route('user', { summary: '需求详情（供应商只能看到开放征集中的需求，且不含内部备注与记录）', params: IdParams, response: { 200: z.object({ demand: DemandOut }) } }), async (request) => {
      const demand = await service.visible(request.user, request.params.id);
      return { demand: await full(demand, canManage(requireUser(request), demand)) };
    });

    app.put('/api/v1/demands/:id', route(managers, { summary: '修改需求（已关闭的需求不能修改；修改记入需求记录）', params: IdParams, body: DemandUpdate, response: { 200: z.object({ demand: DemandOut }) } }),
      async (request) => ({ demand: await full(await service.update(requireUser(request), request.params.id, request.body), true) }));

    for (const [action, summary] of [['open', '开放征集（草稿 → 征集中）'], ['start', '开始对接（征集中 → 对接中）']] as const) {
      app.post(`/api/v1/demands/:id/${action}`, route(managers, { summary, params: IdParams, body: z.object({}).passthrough().nullish(), response: { 200: z.object({ demand: DemandOut }) } }),
        async (request) => ({ demand: await full(await service.transition(requireUser(request), request.params.id, action), true) }));
    }

    app.post('/api/v1/demands/:id/close', route(managers, {
      summary: '关闭需求（已完成 fulfilled 或已取消 cancelled，须写明原因）', params: IdParams, body: CloseBody,
      response: { 200: z.object({ demand: DemandOut }) },
    }), async (request) => ({ demand: await full(await service.transition(requireUser(request), request.params.id, 'close', request.body), true) }));
  };
}
