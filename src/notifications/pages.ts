/** The inbox page (/inbox): every logged-in user's messages, mark one or all read. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../accounts/index.js';
import { formErrors } from '../web/forms.js';
import { kindLabel } from './kinds.js';


const PageQuery = z.object({ page: z.coerce.number().int().min(1).max(1000).catch(1).default(1) });
const IdParams = z.object({ id: z.string() });
const ReadForm = z.looseObject({ go: z.string().optional() });

/** Only paths inside this platform are followed after marking read. */
const safePath = (link: string | undefined) => (link && /^\/(?!\/)/.test(link) && !link.includes('\\') ? link : undefined);

const notificationPages: FastifyPluginAsyncZod = async (app) => {
  app.get('/inbox', { config: { access: 'user' }, schema: { querystring: PageQuery } }, async (request, reply) => {
    const pageSize = 20;
    const r = await app.notifications.list(requireUser(request).id, { page: request.query.page, pageSize });
    const pages = Math.max(1, Math.ceil(r.total / pageSize));
    return reply.page('notifications/inbox.hbs', {
      title: '消息',
      unread: r.unread,
      total: r.total,
      items: r.items.map((n) => ({ ...n, kindName: kindLabel(n.kind) })),
      prev: r.page > 1 ? r.page - 1 : null,
      next: r.page < pages ? r.page + 1 : null,
      page: r.page,
      pages,
      paged: pages > 1,
    });
  });

  app.post('/inbox/:id/read', { config: { access: 'user' }, schema: { params: IdParams, body: ReadForm }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    const n = await app.notifications.markRead(requireUser(request).id, request.params.id);
    // "查看" opens the message's page; "标为已读" stays in the inbox.
    const target = !errors && request.body?.go ? safePath(n.link) : undefined;
    return reply.redirect(target ?? '/inbox', 303);
  });

  app.post('/inbox/read-all', { config: { access: 'user' } }, async (request, reply) => {
    const count = await app.notifications.markAllRead(requireUser(request).id);
    request.flash('success', count ? `已将 ${count} 条消息标为已读。` : '没有未读消息。');
    return reply.redirect('/inbox', 303);
  });
};
export default notificationPages;
