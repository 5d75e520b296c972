/** GET /api/v1/audit: the audit trail as JSON, for admins (filters as on /admin/audit). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../accounts/index.js';
import { AuditQuery, PAGE_SIZE } from './service.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('审计日志');

const EntryOut = z.object({
  id: z.string(),
  at: z.string().describe('ISO 8601 时间'),
  action: z.string().describe('操作代码，如 vendor.approve'),
  actionLabel: z.string().describe('操作的中文名称'),
  actor: z.object({ id: z.string(), name: z.string(), email: z.string(), role: z.string().describe(`角色：${roles.join('、')}`) }).nullable().describe('操作人；登录失败时为空'),
  email: z.string().describe('涉及的电子邮箱（登录失败时为所填邮箱）'),
  ip: z.string().describe('来源 IP（按 TRUST_PROXY 解析）'),
  userAgent: z.string(),
  target: z.object({ kind: z.string(), kindLabel: z.string(), id: z.string(), label: z.string() }).nullable(),
  description: z.string(),
});

const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/audit', route(['admin'], {
    summary: '审计日志（只读，最新的在前）', description: `登录（成功与失败）、API 令牌、密码、账号停用/启用、企业与产品审核、对接会阶段等操作记录。筛选：action（操作代码）、user（姓名或邮箱的一部分）、from/to（中国时间的日期，含两端）、page（每页 ${PAGE_SIZE} 条）。审计记录不能通过平台修改或删除。`,
    querystring: AuditQuery,
    response: { 200: z.object({ total: z.number(), page: z.number(), pageSize: z.number(), entries: z.array(EntryOut) }) },
  }), async (request) => app.audit.list(request.query));
};
export default auditRoutes;
