/** JSON API of the in-app inbox (every logged-in user reads and marks their own messages) and of 通知设置. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/index.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('消息');

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

const SettingsOut = z.object({
  channels: z.array(z.object({
    name: z.string().describe('inapp（站内信）| email（电子邮件）'),
    label: z.string(),
    active: z.boolean().describe('本平台是否启用了该渠道（电子邮件需配置 SMTP_URL）'),
  })),
  kinds: z.array(z.object({
    kind: z.string(),
    label: z.string(),
    channels: z.object({ inapp: z.boolean(), email: z.boolean() }).describe('true：通过该渠道接收；false：已关闭'),
  })).describe('与本人角色相关的通知类型'),
});

const SettingsIn = z.object({
  kinds: z.array(z.object({
    kind: z.string('请填写通知类型').min(1, '请填写通知类型').max(60, '通知类型过长'),
    channels: z.strictObject({
      inapp: z.boolean('inapp 应为 true 或 false').optional(),
      email: z.boolean('email 应为 true 或 false').optional(),
    }, '渠道只能是 inapp 或 email'),
  }), '请提供 kinds 列表').min(1, '至少设置一项').max(50, '一次最多设置 50 项'),
});

const notificationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/me/notification-settings', route('user', {
    summary: '我的通知设置：每类通知在各渠道（站内信、电子邮件）是否接收', response: { 200: SettingsOut },
  }), async (request) => app.notifications.settings(requireUser(request).id));

  app.put('/api/v1/me/notification-settings', route('user', {
    summary: '修改我的通知设置（只改所列的开关）', description: '例如 `{"kinds":[{"kind":"demand.match","channels":{"email":false}}]}` 关闭“新需求匹配”的邮件。只能设置 GET 列出的通知类型；未列出的开关保持不变。',
    body: SettingsIn,
    response: { 200: SettingsOut },
  }), async (request) => app.notifications.updateSettings(requireUser(request).id, request.body.kinds));

  app.get('/api/v1/notifications', route('user', {
    summary: '我的消息（站内信），最新在前', querystring: ListQuery,
    response: { 200: z.object({ total: z.number(), unread: z.number(), page: z.number(), pageSize: z.number(), notifications: z.array(NotificationOut) }) },
  }), async (request) => {
    const q = request.query;
    const r = await app.notifications.list(requireUser(request).id, { unreadOnly: q.unread === 'true' || q.unread === '1', page: q.page, pageSize: q.pageSize });
    return { total: r.total, unread: r.unread, page: r.page, pageSize: r.pageSize, notifications: r.items };
  });

  app.post('/api/v1/notifications/:id/read', route('user', {
    summary: '将一条消息标为已读', params: z.object({ id: z.string() }),
    response: { 200: NotificationOut },
  }), async (request) => app.notifications.markRead(requireUser(request).id, request.params.id));

  app.post('/api/v1/notifications/read-all', route('user', {
    summary: '全部标为已读', response: { 200: z.object({ updated: z.number() }) },
  }), async (request) => ({ updated: await app.notifications.markAllRead(requireUser(request).id) }));
};
export default notificationRoutes;
