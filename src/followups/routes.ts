/** JSON API of follow-ups: move a match along, and read what came of it. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { followUpStatuses, moveTargets } from './state.js';
import { ListQuery, MoveBody } from './schemas.js';
import { requireUser } from '../accounts/index.js';
import { apiRoute } from '../web/api-route.js';

const Actor = z.object({ id: z.string(), name: z.string(), role: z.string() });
const ReasonOut = z.object({ factor: z.string(), value: z.number(), weight: z.number(), text: z.string() });
const StepOut = z.object({
  status: z.enum(followUpStatuses),
  statusName: z.string(),
  action: z.enum(moveTargets),
  actionName: z.string(),
  from: z.enum(followUpStatuses).nullable(),
  by: Actor,
  at: z.date(),
  note: z.string().optional(),
  reason: z.string().optional(),
  amountYuan: z.number().optional(),
  source: z.string().describe('platform（页面或接口）| event（对接会结果）| visit（企业调研/现场考察结果）'),
});
export const FollowUpOut = z.object({
  id: z.string(),
  demandId: z.string(),
  vendorId: z.string(),
  status: z.enum(followUpStatuses),
  statusName: z.string(),
  amountYuan: z.number().optional(),
  declineReason: z.string().optional(),
  score: z.number().optional().describe('首次跟进时的匹配得分（0–1）'),
  reasons: z.array(ReasonOut).optional(),
  steps: z.array(StepOut),
  createdAt: z.date(),
  updatedAt: z.date(),
  messageCount: z.number().optional().describe('该（需求，供应商）对话中的消息条数（见“对接对话”）'),
  demandTitle: z.string().optional(),
  vendorName: z.string().optional(),
});

const route = apiRoute('对接跟进');

const followUpRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/api/v1/demands/:id/follow-ups', route('user', {
    summary: '推进一条匹配的对接跟进', description: '状态：已联系（contacted）→ 有意向（intent）→ 已签约（signed），或在签约前任一步标为不合适（declined，须填写 reason）。只能前进；已签约、不合适为终态，主办方可将“不合适”重新打开（reopen，须填写原因）。供应商只能为本企业标记已联系、有意向、不合适；采购方只能为本单位的需求标记已联系、有意向、已签约、不合适；主办方和管理员不限。可带 `from`（您看到的当前状态，无记录时为 none）：状态已被他人改动时返回 409。签约可填 amountYuan（元）。',
    params: z.object({ id: z.string() }),
    body: MoveBody,
    response: { 200: FollowUpOut },
  }), async (request) => {
    const { vendorId, ...move } = request.body;
    return app.followUps.advance(requireUser(request), request.params.id, vendorId, move);
  });

  app.get('/api/v1/demands/:id/follow-ups', route('user', {
    summary: '需求的对接跟进记录', description: '主办方、管理员与发布需求的采购单位看到全部；供应商只看到本企业的。每条含完整的步骤（谁、何时、备注）。',
    params: z.object({ id: z.string() }),
    response: { 200: z.object({ followUps: z.array(FollowUpOut) }) },
  }), async (request) => ({ followUps: await app.followUps.listForDemand(requireUser(request), request.params.id) }));

  app.get('/api/v1/follow-ups', route(['admin', 'organizer', 'vendor'], {
    summary: '对接跟进列表（按供应商、需求、状态筛选）', description: '主办方和管理员看到全部，供应商只看到本企业的。最近更新的在前。',
    querystring: ListQuery,
    response: { 200: z.object({ total: z.number(), page: z.number(), pageSize: z.number(), followUps: z.array(FollowUpOut) }) },
  }), async (request) => app.followUps.listForVendor(requireUser(request), request.query));
};
export default followUpRoutes;
