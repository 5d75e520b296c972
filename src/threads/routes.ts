/**
 * JSON API of conversations (对接对话) and their pages. Posting a message (API and page form) takes
 * JSON / a plain form, or multipart/form-data with an optional `file`; this scope is the one here that
 * reads multipart bodies, and the file is only stored after the service has checked access and content.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../accounts/index.js';
import { AppError, forbidden, unauthorized } from '../web/errors.js';
import { attachment as dispositionOf } from '../web/download.js';
import { formErrors, type FieldErrors } from '../web/forms.js';
import { acceptOneFile, attachedFile } from '../web/upload.js';
import { MAX_ATTACHMENT_BYTES } from './rules.js';
import {
  AnswerBody, AnswerForm, AttachmentParams, DemandParams, MessageBody, MessageOut, ThreadOut, ThreadParams, ThreadSummaryOut,
} from './schemas.js';
import type { ThreadService, ThreadView } from './service.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('对接对话');
const VISIBILITY = '本对话对平台组织方可见，用于跟进对接进展。';

export function threadRoutes(service: () => ThreadService): FastifyPluginAsyncZod {
  return async (app) => {
    await acceptOneFile(app, { maxBytes: MAX_ATTACHMENT_BYTES, tooLarge: '附件不能超过 10 MB。' });

    // A file is read (up to 10 MB) in preValidation, before the route's own access check: refuse a guest or
    // a role that may not post before reading anything.
    app.addHook('preParsing', async (request) => {
      if (request.method !== 'POST' || !String(request.headers['content-type'] ?? '').startsWith('multipart/')) return;
      const access = request.routeOptions.config?.access;
      if (!access || access === 'public') return;
      if (!request.user) throw unauthorized();
      if (access !== 'user' && !access.includes(request.user.role)) throw forbidden();
    });

    // ---- JSON API ----

    // Messages per person (not per address: colleagues share an office network), across every instance.
    const messageLimit = { max: app.config.MESSAGE_RATE_LIMIT, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => request.user?.id ?? request.ip };

    app.get('/api/v1/demands/:id/threads', route('user', {
      summary: '需求的对接对话列表', description: '发布需求的采购单位与主办方看到每个表达了意向的供应商的对话；供应商只看到本企业的。组织方只读。',
      params: DemandParams,
      response: { 200: z.object({ threads: z.array(ThreadSummaryOut) }) },
    }), async (request) => ({ threads: await service().listForDemand(requireUser(request), request.params.id) }));

    app.get('/api/v1/threads', route(['vendor'], {
      summary: '本企业的对接对话', description: '供应商在各需求上的对话（表达了有意向或在对接会上双方互选的需求），最近有消息的在前。',
      response: { 200: z.object({ threads: z.array(ThreadSummaryOut) }) },
    }), async (request) => ({ threads: await service().listForVendor(requireUser(request)) }));

    app.get('/api/v1/demands/:id/threads/:vendorId', route('user', {
      summary: '一个（需求，供应商）的对接对话', description: `双方（发布需求的采购单位、该供应商）与平台组织方（只读）可见，其他人得到 404。${VISIBILITY}供应商表示“有意向”或双方在对接会上互选后开启。双方相互表达意向（采购方接受供应商的意向、对接会上互选必须见/希望见，或已签约）后，contacts 给出对方的联系人，此前不给出。`,
      params: ThreadParams,
      response: { 200: ThreadOut },
    }), async (request) => service().view(requireUser(request), request.params.id, request.params.vendorId));

    app.get('/api/v1/demands/:id/threads/:vendorId/messages', route('user', {
      summary: '对话中的消息', description: `按时间先后。访问规则同对话。${VISIBILITY}`,
      params: ThreadParams,
      response: { 200: z.object({ messages: z.array(MessageOut) }) },
    }), async (request) => ({ messages: (await service().view(requireUser(request), request.params.id, request.params.vendorId)).messages }));

    app.post('/api/v1/demands/:id/threads/:vendorId/messages', route(['buyer', 'vendor'], {
      summary: '在对话中发消息（可附报价单）', description: 'JSON `{text}`，或 multipart/form-data：text 与可选的 file（报价单等，PDF 或 Excel .xlsx，按文件内容判断而非扩展名，≤ 10 MB；其他内容返回 415，过大返回 413）。只有对话双方可以发言；对方会收到“对接消息”通知。组织方只读（403）。',
      consumes: ['application/json', 'multipart/form-data'],
      params: ThreadParams,
      body: MessageBody,
      response: { 201: MessageOut },
    }, { rateLimit: messageLimit }), async (request, reply) => {
      const message = await service().post(requireUser(request), request.params.id, request.params.vendorId, { text: request.body.text, file: attachedFile(request) });
      return reply.code(201).send(message);
    });

    app.post('/api/v1/demands/:id/threads/:vendorId/answer', route(['buyer'], {
      summary: '答复供应商的意向：接受或婉拒', description: '发布需求的采购单位对表示“有意向”的供应商答复一次：accept（接受：双方此后可见对方联系人）或 decline（婉拒，须填写 reason；对接跟进随之标为“不合适”）。供应商会收到通知。再次答复返回 409。',
      params: ThreadParams,
      body: AnswerBody,
      response: { 200: ThreadOut },
    }), async (request) => service().answer(requireUser(request), request.params.id, request.params.vendorId, request.body));

    app.get('/api/v1/demands/:id/threads/:vendorId/messages/:messageId/attachment', route('user', {
      summary: '下载消息的附件', description: '访问规则同对话：双方与平台组织方。',
      params: AttachmentParams,
    }), async (request, reply) => {
      const { id, vendorId, messageId } = request.params;
      const file = await service().attachment(requireUser(request), id, vendorId, messageId);
      const ext = file.contentType === 'application/pdf' ? 'pdf' : 'xlsx';
      return reply
        .type(file.contentType)
        .header('content-length', String(file.size))
        .header('cache-control', 'private, no-cache')
        .header('content-disposition', dispositionOf(`attachment.${ext}`, file.filename))
        .send(file.stream);
    });

    // ---- Pages ----

    async function renderThread(request: FastifyRequest, reply: FastifyReply, id: string, vendorId: string, opts: { errors?: FieldErrors; values?: Record<string, unknown>; status?: number } = {}) {
      const user = requireUser(request);
      const t: ThreadView = await service().view(user, id, vendorId);
      reply.code(opts.status ?? 200);
      return reply.page('threads/show.hbs', {
        title: `对接对话 · ${t.demandTitle}`,
        thread: t,
        visibility: VISIBILITY,
        isBuyer: t.viewer === 'buyer',
        isVendor: t.viewer === 'vendor',
        counterpart: t.viewer === 'buyer' ? t.vendorName : t.viewer === 'vendor' ? t.buyerOrgName : '',
        contactList: [
          ...(t.contacts.vendor ? [{ label: '供应商联系人', ...t.contacts.vendor }] : []),
          ...(t.contacts.buyer ? [{ label: '采购方联系人', ...t.contacts.buyer }] : []),
        ],
        errors: opts.errors ?? {},
        values: opts.values ?? {},
      });
    }

    app.get('/demands/:id/threads/:vendorId', { config: { access: 'user' }, schema: { params: ThreadParams } }, async (request, reply) => renderThread(request, reply, request.params.id, request.params.vendorId));

    app.post('/demands/:id/threads/:vendorId/messages', {
      config: { access: ['buyer', 'vendor'], rateLimit: messageLimit },
      schema: { params: ThreadParams, body: MessageBody },
      attachValidation: true,
    }, async (request, reply) => {
      const { id, vendorId } = request.params;
      const errors = formErrors(request);
      const values = { text: typeof (request.body as { text?: unknown })?.text === 'string' ? (request.body as { text: string }).text : '' };
      if (errors) return renderThread(request, reply, id, vendorId, { errors: { _form: '请按提示修改后再发送。', ...errors }, values, status: 400 });
      try {
        await service().post(requireUser(request), id, vendorId, { text: request.body.text, file: attachedFile(request) });
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode === 404 || err.statusCode >= 500) throw err;
        const fieldErrors = Object.fromEntries((err.details ?? []).map((d) => [d.path, d.message]));
        return renderThread(request, reply, id, vendorId, { errors: { _form: err.message, ...fieldErrors }, values, status: err.statusCode });
      }
      request.flash('success', '消息已发送。');
      return reply.redirect(`/demands/${id}/threads/${vendorId}#latest`, 303);
    });

    app.post('/demands/:id/threads/:vendorId/answer', {
      config: { access: ['buyer'] },
      schema: { params: ThreadParams, body: AnswerForm },
      attachValidation: true,
    }, async (request, reply) => {
      const { id, vendorId } = request.params;
      const errors = formErrors(request);
      if (errors) return renderThread(request, reply, id, vendorId, { errors: { _form: '请按提示修改后再提交。', ...errors }, status: 400 });
      const body = request.body as z.output<typeof AnswerForm>;
      try {
        await service().answer(requireUser(request), id, vendorId, { answer: body.answer, reason: body.reason });
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode === 404 || err.statusCode >= 500) throw err;
        const fieldErrors = Object.fromEntries((err.details ?? []).map((d) => [d.path, d.message]));
        return renderThread(request, reply, id, vendorId, { errors: { _form: err.message, ...fieldErrors }, status: err.statusCode });
      }
      request.flash('success', body.answer === 'accept' ? '已接受该意向，双方现在可以看到对方的联系人。' : '已婉拒该意向。');
      return reply.redirect(`/demands/${id}/threads/${vendorId}`, 303);
    });

    app.get('/vendor/threads', { config: { access: ['vendor'] } }, async (request, reply) => {
      const threads = await service().listForVendor(requireUser(request));
      return reply.page('threads/list.hbs', { title: '对接对话', threads });
    });
  };
}
