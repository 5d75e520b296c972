/**
 * Filing an objection (异议) during a batch's 公示期: public, no login, rate-limited like the login form.
 * JSON, or multipart/form-data with an optional `file` (PDF or image, checked by content, ≤ 5 MB). The API
 * and the batch page's form live in this scope, the only one here that reads multipart bodies.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../web/errors.js';
import { formErrors } from '../web/forms.js';
import { acceptOneFile, attachedFile } from '../web/upload.js';
import { NumberParams, ObjectionBody, ObjectionFields, ObjectionOut } from './schemas.js';
import { presentObjection } from './present.js';
import { MAX_OBJECTION_FILE_BYTES } from './service.js';
import { renderBatchPage } from './pages.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('推介清单批次');

/** The batch page's form: one `entry` select ("vendor|代码" or "product|代码|型号") instead of kind/creditCode/model. */
const ObjectionForm = z.preprocess((raw) => {
  const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const [kind, creditCode, ...model] = typeof body.entry === 'string' ? body.entry.split('|') : [];
  return { ...body, kind: kind || undefined, creditCode: creditCode ?? '', model: model.join('|') || undefined };
}, z.looseObject({ ...ObjectionFields, kind: z.enum(['vendor', 'product'], '请选择异议针对的企业或产品'), creditCode: ObjectionFields.creditCode }));

const fileOf = (request: FastifyRequest) => {
  const file = attachedFile(request);
  return file && { buffer: file.buffer, filename: file.filename ?? '附件' };
};

const objectionRoutes: FastifyPluginAsyncZod = async (app) => {
  await acceptOneFile(app, { maxBytes: MAX_OBJECTION_FILE_BYTES, tooLarge: '附件不能超过 5 MB，请压缩后再上传。' });
  const limit = { max: app.config.LOGIN_RATE_LIMIT, timeWindow: 60_000 };
  const service = app.listBatches;

  app.post('/api/v1/list-batches/:number/objections', route('public', {
    summary: '公示期内对本批清单中的企业或产品提出异议（无需登录）', description: `JSON，或 multipart/form-data（可附 file：PDF 或图片，≤ 5 MB）。kind 为 vendor 时按统一社会信用代码指企业；为 product 时另需型号 model。公示期外提出返回 409。每个客户端地址每分钟最多 ${app.config.LOGIN_RATE_LIMIT} 次。`,
    consumes: ['application/json', 'multipart/form-data'],
    params: NumberParams, body: ObjectionBody, response: { 201: ObjectionOut.omit({ contact: true }) },
  }, { rateLimit: limit }), async (request, reply) => {
    const { kind, creditCode, model, reason, contact } = request.body;
    const o = await service.fileObjection(request.params.number, { kind, creditCode, model, reason, contact }, fileOf(request), request.ip);
    const { contact: _c, ...out } = presentObjection(o as never);
    return reply.code(201).send(out);
  });

  app.post('/list-batches/:number/objections', {
    config: { access: 'public', rateLimit: limit },
    schema: { params: NumberParams, body: ObjectionForm },
    attachValidation: true,
  }, async (request, reply) => {
    const errors = formErrors(request);
    const values = request.body as Record<string, unknown>;
    if (errors) return renderBatchPage(app, request, reply, request.params.number, { values, errors, status: 400 });
    const body = request.body as unknown as z.output<typeof ObjectionForm> & { kind: 'vendor' | 'product'; creditCode: string; model?: string; reason: string; contact: string };
    try {
      await service.fileObjection(request.params.number, body, fileOf(request), request.ip);
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode === 404) throw err;
      const fieldErrors = Object.fromEntries((err.details ?? []).map((d) => [d.path === 'creditCode' || d.path === 'model' ? 'entry' : d.path, d.message]));
      return renderBatchPage(app, request, reply, request.params.number, { values, errors: { _form: err.message, ...fieldErrors }, status: err.statusCode });
    }
    return renderBatchPage(app, request, reply, request.params.number, { filed: true });
  });
};
export default objectionRoutes;
