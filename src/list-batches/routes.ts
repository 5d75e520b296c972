/** JSON API of the numbered batches (第 N 批): publish, read, download, and the organizers' side of objections. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAFF_ROLES, requireUser } from '../accounts/index.js';
import { attachment } from '../web/download.js';
import { AnswerBody, BatchOut, BatchSummary, NumberParams, ObjectionOut, ObjectionParams, PublishBody } from './schemas.js';
import { presentBatch, presentObjection } from './present.js';
import { batchXlsx } from './xlsx.js';
import { apiRoute } from '../web/api-route.js';

const route = apiRoute('推介清单批次');

const listBatchRoutes: FastifyPluginAsyncZod = async (app) => {
  const service = app.listBatches;

  app.post('/api/v1/list-batches', route([...STAFF_ROLES], {
    summary: '发布一批推介清单（第 N 批）：冻结当前已入库企业及其已发布产品', description: '批次号自动顺延，并发发布也不会重号。`objectionDays` 为公示期天数（0 或不填：不设公示期，最长 60 天）；`title` 不填时为“滨江区设备更新供应商推介清单（第 N 批）”。',
    body: PublishBody,
    response: { 201: z.object({ id: z.string(), number: z.number() }) },
  }, { audit: 'list-batch.publish' }), async (request, reply) => {
    const user = requireUser(request);
    const result = await service.publish(request.body, { id: user.id, name: user.name });
    return reply.code(201).send(result);
  });

  app.get('/api/v1/list-batches', route('public', { summary: '已发布的批次，最新在前', response: { 200: z.object({ batches: z.array(BatchSummary) }) } }), async () => ({
    batches: (await service.list()).map((b) => ({
      number: b.number, title: b.title, publishedAt: b.publishedAt, objectionUntil: b.objectionUntil ?? null,
      counts: { vendors: b.counts?.vendors ?? 0, products: b.counts?.products ?? 0 },
    })),
  }));

  app.get('/api/v1/list-batches/:number', route('public', {
    summary: '一个批次：数量与相对上一批的变化（新增、移出及原因、变更字段）', params: NumberParams, response: { 200: BatchOut },
  }), async (request) => presentBatch(await service.get(request.params.number)));

  app.get('/api/v1/list-batches/:number/suppliers.xlsx', route('public', { summary: '下载该批次清单（.xlsx：说明、供应商、产品）', params: NumberParams }), async (request, reply) => {
    const batch = await service.get(request.params.number);
    const buffer = await batchXlsx(batch, await service.entries(batch.number));
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', attachment(`list-batch-${batch.number}.xlsx`, `推介清单第${batch.number}批.xlsx`))
      .send(buffer);
  });

  app.get('/api/v1/list-batches/:number/objections', route([...STAFF_ROLES], { summary: '该批次收到的异议（主办方）', params: NumberParams, response: { 200: z.object({ objections: z.array(ObjectionOut) }) } }),
    async (request) => ({ objections: (await service.objections(request.params.number)).map((o) => presentObjection(o as never)) }));

  app.post('/api/v1/list-batches/:number/objections/:id/answer', route([...STAFF_ROLES], {
    summary: '答复一条异议（主办方）：处理结果与答复内容；每条异议答复一次', params: ObjectionParams, body: AnswerBody, response: { 200: ObjectionOut },
  }, { audit: 'list-batch.objection.answer' }), async (request) => {
    const user = requireUser(request);
    const o = await service.answer(request.params.number, request.params.id, request.body, { id: user.id, name: user.name });
    return presentObjection(o as never);
  });

  app.get('/api/v1/list-batches/:number/objections/:id/file', route([...STAFF_ROLES], { summary: '异议附件（主办方）', params: ObjectionParams }), async (request, reply) => {
    const file = await service.objectionFile(request.params.number, request.params.id);
    const ext = file.contentType === 'application/pdf' ? 'pdf' : file.contentType.split('/')[1] ?? 'bin';
    return reply.type(file.contentType).header('content-disposition', attachment(`objection.${ext}`, file.filename)).send(file.stream);
  });
};
export default listBatchRoutes;
