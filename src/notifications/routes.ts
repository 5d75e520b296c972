/** JSON API of the in-app inbox: every logged-in user reads and marks their own messages. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/index.js';

const NotificationOut = z.object({
  id: z.string(),
  kind: z.string().describe('demand.match（新需求匹配）| followup.interest（供应商表达意向）| followup.update（对接状态更新）'),
  title: z.string(),
  body: z.string(),
  link: z.string().optional(),
  createdAt: z.date(),
  readAt: z.date().nullable(),
  read: z.boolean(),
});

const ListQuery = z.object({
  unread: z.enum(['true', 'false', '1', '0'], 'unread 应为 true 或 false').optional(),
  page: z.coerce.number('页码应为数字').int('页码应为整数').min(1, '页码至少为 1').max(1000, '页码过大').default(1),
  pageSize: z.coerce.number('每页条数应为数字').int('每页条数应为整数').min(1, '每页至少 1 条').max(100, '每页最多 100 条').default(20),
});

const notificationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/notifications', {
    config: { access: 'user' },
    schema: {
      summary: '我的消息（站内信），最新在前', tags: ['消息'],
      querystring: ListQuery,
      response: { 200: z.object({ total: z.number(), unread: z.number(), page: z.number(), pageSize: z.number(), notifications: z.array(NotificationOut) }) },
    },
  }, async (request) => {
    const q = request.query;
    const r = await app.notifications.list(requireUser(request).id, { unreadOnly: q.unread === 'true' || q.unread === '1', page: q.page, pageSize: q.pageSize });
    return { total: r.total, unread: r.unread, page: r.page, pageSize: r.pageSize, notifications: r.items };
  });

  app.post('/api/v1/notifications/:id/read', {
    config: { access: 'user' },
    schema: {
      summary: '将一条消息标为已读', tags: ['消息'],
      params: z.object({ id: z.string() }),
      response: { 200: NotificationOut },
    },
  }, async (request) => app.notifications.markRead(requireUser(request).id, request.params.id));

  app.post('/api/v1/notifications/read-all', {
    config: { access: 'user' },
    schema: {
      summary: '全部标为已读', tags: ['消息'],
      response: { 200: z.object({ updated: z.number() }) },
    },
  }, async (request) => ({ updated: await app.notifications.markAllRead(requireUser(request).id) }));
};
export default notificationRoutes;
