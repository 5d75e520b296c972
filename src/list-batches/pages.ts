/**
 * Pages of the numbered batches: the public list (/list-batches), each batch at its permanent address
 * (/list-batches/:number) with its changes, its full list and the objection form during the 公示期, and the
 * organizers' pages to publish a batch and answer objections (/organizer/list-batches).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { AppError } from '../web/errors.js';
import { formErrors, type FieldErrors } from '../web/forms.js';
import { categoryName, certificationName, fieldName, priceText, valueText } from './labels.js';
import { presentBatch, presentObjection } from './present.js';
import { NumberParams, ObjectionParams } from './schemas.js';
import { MAX_OBJECTION_DAYS, outcomeNames } from './service.js';

const kindName = (k: string) => (k === 'vendor' ? '企业' : '产品');

export async function renderBatchPage(
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, number: number,
  opts: { values?: Record<string, unknown>; errors?: FieldErrors; status?: number; filed?: boolean } = {},
) {
  const batch = presentBatch(await app.listBatches.get(number));
  const entries = await app.listBatches.entries(number);
  const open = app.listBatches.objectionOpen(batch);
  const withKind = <T extends { kind: string }>(r: T) => ({ ...r, kindName: kindName(r.kind) });
  const changes = {
    added: batch.changes.added.map(withKind),
    removed: batch.changes.removed.map(withKind),
    changed: batch.changes.changed.map((c) => ({
      ...withKind(c),
      fields: c.fields.map((f) => ({ label: f.label, before: valueText(f.field, f.before), after: valueText(f.field, f.after) })),
    })),
  };
  const entryOptions = entries.flatMap(({ vendor, products }) => [
    { value: `vendor|${vendor.creditCode}`, label: `企业：${vendor.name}（${vendor.creditCode}）` },
    ...products.map((p) => ({ value: `product|${vendor.creditCode}|${p.model}`, label: `产品：${vendor.name} · ${p.name}（${p.model}）` })),
  ]);
  const selected = typeof opts.values?.entry === 'string' ? opts.values.entry : '';
  reply.code(opts.status ?? 200);
  return reply.page('list-batches/batch.hbs', {
    title: `推介清单第 ${batch.number} 批`,
    batch,
    open,
    filed: opts.filed,
    changes,
    noChanges: !changes.added.length && !changes.removed.length && !changes.changed.length,
    first: batch.number === 1,
    vendors: entries.map(({ vendor, products }) => ({
      ...vendor,
      location: [vendor.province, vendor.city, vendor.district].filter(Boolean).join(' '),
      fieldNames: (vendor.fields ?? []).map(fieldName).join('、'),
      certificationNames: (vendor.certifications ?? []).map(certificationName).join('、') || '—',
      products: products.map((p) => ({ ...p, categoryName: categoryName(p.category), price: priceText(p.priceMin, p.priceMax) })),
    })),
    entryOptions: entryOptions.map((o) => ({ ...o, selected: o.value === selected })),
    values: opts.values ?? {},
    errors: opts.errors ?? {},
  }, { csrf: open });
}

const PublishForm = z.object({
  title: z.string().trim().max(100, '标题最多 100 个字').optional(),
  objectionDays: z.preprocess((v) => (v === '' || v === undefined ? 0 : v),
    z.coerce.number('公示天数应为数字').int('公示天数应为整数').min(0, '公示天数不能为负数').max(MAX_OBJECTION_DAYS, `公示期最长 ${MAX_OBJECTION_DAYS} 天`)),
});
const AnswerForm = z.object({
  outcome: z.enum(['upheld', 'dismissed'], '请选择处理结果'),
  text: z.string().trim().min(2, '请填写答复内容').max(2000, '答复最多 2000 个字'),
});

const listBatchPages: FastifyPluginAsyncZod = async (app) => {
  const service = app.listBatches;
  const staff = { access: [...STAFF_ROLES] };

  app.get('/list-batches', { config: { access: 'public' } }, async (_request, reply) => {
    const batches = (await service.list()).map((b) => ({ ...b, open: service.objectionOpen(b) }));
    return reply.page('list-batches/index.hbs', { title: '推介清单批次', batches });
  });

  app.get('/list-batches/:number', { config: { access: 'public' }, schema: { params: NumberParams } }, async (request, reply) =>
    renderBatchPage(app, request, reply, request.params.number));

  async function organizerPage(reply: FastifyReply, values: Record<string, unknown> = {}, errors: FieldErrors = {}, status = 200) {
    const batches = await service.list();
    const counts = await app.models.ListBatchObjection.aggregate<{ _id: number; total: number; open: number }>([
      { $group: { _id: '$number', total: { $sum: 1 }, open: { $sum: { $cond: [{ $ifNull: ['$answer.at', false] }, 0, 1] } } } },
    ]);
    const byNumber = new Map(counts.map((c) => [c._id, c]));
    reply.code(status);
    return reply.page('list-batches/organizer.hbs', {
      title: '推介清单批次管理',
      batches: batches.map((b) => ({ ...b, open: service.objectionOpen(b), objections: byNumber.get(b.number)?.total ?? 0, unanswered: byNumber.get(b.number)?.open ?? 0 })),
      values, errors,
    });
  }

  app.get('/organizer/list-batches', { config: staff }, async (_request, reply) => organizerPage(reply));

  app.post('/organizer/list-batches', { config: { ...staff, audit: 'list-batch.publish' }, schema: { body: PublishForm }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    if (errors) return organizerPage(reply, request.body as Record<string, unknown>, errors, 400);
    const user = requireUser(request);
    const { number } = await service.publish({ title: request.body.title || undefined, objectionDays: request.body.objectionDays }, { id: user.id, name: user.name });
    request.flash('success', `已发布推介清单第 ${number} 批。`);
    return reply.redirect(`/list-batches/${number}`, 303);
  });

  async function objectionsPage(request: FastifyRequest, reply: FastifyReply, number: number, errors: Record<string, FieldErrors> = {}, status = 200) {
    const batch = await service.get(number);
    const list = (await service.objections(number)).map((o) => {
      const p = presentObjection(o as never);
      return { ...p, kindName: kindName(p.entry.kind), outcomeName: p.answer ? outcomeNames[p.answer.outcome] : undefined, errors: errors[p.id] ?? {} };
    });
    reply.code(status);
    return reply.page('list-batches/objections.hbs', { title: `第 ${number} 批的异议`, batch, open: service.objectionOpen(batch), objections: list });
  }

  app.get('/organizer/list-batches/:number/objections', { config: staff, schema: { params: NumberParams } }, async (request, reply) =>
    objectionsPage(request, reply, request.params.number));

  app.post('/organizer/list-batches/:number/objections/:id/answer', {
    config: { ...staff, audit: 'list-batch.objection.answer' },
    schema: { params: ObjectionParams, body: AnswerForm }, attachValidation: true,
  }, async (request, reply) => {
    const { number, id } = request.params;
    const errors = formErrors(request);
    if (errors) return objectionsPage(request, reply, number, { [id]: errors }, 400);
    const user = requireUser(request);
    try {
      await service.answer(number, id, request.body, { id: user.id, name: user.name });
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode === 404) throw err;
      return objectionsPage(request, reply, number, { [id]: { _form: err.message } }, err.statusCode);
    }
    request.flash('success', '答复已记录。');
    return reply.redirect(`/organizer/list-batches/${number}/objections`, 303);
  });
};
export default listBatchPages;
