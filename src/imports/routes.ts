/** JSON API of bulk import and export (docs/api.md: POST /api/v1/imports, GET /api/v1/imports/:jobId). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { badRequest } from '../web/errors.js';
import { attachment, ExportQuery, exportCsv, exportXlsx, publishedList, templateCsv, templateXlsx } from './export.js';
import { MAX_ROWS } from './parse.js';
import { jobView, type ImportService } from './service.js';
import { readUpload, type Upload } from './upload.js';

const staff = ['admin', 'organizer'] as const;

const ImportBody = z.object({
  vendors: z.array(z.unknown(), '供应商（vendors）应为数组').default([]),
  products: z.array(z.unknown(), '产品（products）应为数组').default([]),
  publish: z.boolean('publish 应为 true 或 false').default(false),
});

const ErrorOut = z.object({ kind: z.enum(['vendor', 'product', 'file']), row: z.number(), field: z.string(), column: z.string().optional(), message: z.string() });
export const JobOut = z.object({
  id: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  stage: z.string().describe('queued | parsing | importing | done | failed'),
  format: z.string(),
  filename: z.string(),
  publish: z.boolean(),
  total: z.number(),
  processed: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  rejected: z.number(),
  errors: z.array(ErrorOut),
  errorsTruncated: z.boolean(),
  skipped: z.array(z.object({ kind: z.enum(['vendor', 'product']), row: z.number(), message: z.string() }))
    .describe('按清单既有决定未改动的行（被暂停或退回的企业不会因导入而入库；已归档的产品不会被修改或重新发布），最多列出 1000 条'),
  skippedCount: z.number(),
  failure: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
const JobParams = z.object({ jobId: z.string() });

/** Creates the job from a multipart upload or a JSON body. */
export async function startImport(service: ImportService, upload: Upload, user: { id: string; name: string }) {
  return service.createJob({ ...upload, user });
}

export function importRoutes(service: ImportService, kick: () => void): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/api/v1/imports', {
      config: { access: staff },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        summary: '批量导入供应商和产品（后台任务）', tags: ['批量导入'],
        description: 'JSON `{vendors, products, publish}`，或 multipart/form-data 上传 `file`（.xlsx：工作表“供应商”“产品”；.csv：每个文件一种，按表头识别），可带 `publish` 字段。返回 202 与任务编号；用 GET /api/v1/imports/{jobId} 查看进度与被拒绝的行。按统一社会信用代码、供应商加型号去重：再次导入即更新。',
        body: ImportBody.nullish(),
        response: { 202: z.object({ jobId: z.string() }) },
      },
    }, async (request, reply) => {
      let upload: Upload;
      if (request.isMultipart()) {
        upload = await readUpload(request);
      } else {
        const body = request.body;
        if (!body) throw badRequest('请提交 JSON {vendors, products, publish} 或上传文件。');
        const rows = body.vendors.length + body.products.length;
        if (rows === 0) throw badRequest('没有要导入的数据：vendors 和 products 不能都为空。');
        if (rows > MAX_ROWS) throw badRequest(`数据行数超过上限：一次最多导入 ${MAX_ROWS.toLocaleString('zh-CN')} 行，请分批导入。`);
        upload = { format: 'json', filename: 'api.json', publish: body.publish, buffer: Buffer.from(JSON.stringify({ vendors: body.vendors, products: body.products })) };
      }
      const jobId = await startImport(service, upload, request.user!);
      kick();
      return reply.code(202).header('location', `/api/v1/imports/${jobId}`).send({ jobId });
    });

    app.get('/api/v1/imports', {
      config: { access: staff },
      schema: { summary: '最近的导入任务', tags: ['批量导入'], response: { 200: z.object({ jobs: z.array(JobOut) }) } },
    }, async () => ({ jobs: (await service.listJobs(50)).map(jobView) }));

    app.get('/api/v1/imports/:jobId', {
      config: { access: staff },
      schema: { summary: '导入任务的进度与被拒绝的行', tags: ['批量导入'], params: JobParams, response: { 200: JobOut } },
    }, async (request) => jobView(await service.getJob(request.params.jobId)));

    app.get('/api/v1/imports/template.xlsx', {
      config: { access: 'user' },
      schema: { summary: '下载导入模板（.xlsx，含“说明”表）', tags: ['批量导入'] },
    }, async (_request, reply) => reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', attachment('import-template.xlsx', '供应商清单导入模板.xlsx'))
      .send(await templateXlsx()));

    for (const [kind, file, name] of [['vendor', 'template-vendors.csv', '供应商导入模板.csv'], ['product', 'template-products.csv', '产品导入模板.csv']] as const) {
      app.get(`/api/v1/imports/${file}`, {
        config: { access: 'user' },
        schema: { summary: `下载${kind === 'vendor' ? '供应商' : '产品'}导入模板（.csv）`, tags: ['批量导入'] },
      }, async (_request, reply) => reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', attachment(file, name))
        .send(templateCsv(kind)));
    }

    const exportSchema = (format: string) => ({
      summary: `导出推介清单（${format}）`, tags: ['批量导入'],
      description: '已审核通过企业的已发布产品，可按领域、类别、省市区县、认证筛选。导出的文件可直接再次导入。',
      querystring: ExportQuery,
    });
    const stamp = () => new Date(app.clock()).toISOString().slice(0, 10);

    app.get('/api/v1/exports/suppliers.xlsx', { config: { access: 'public' }, schema: exportSchema('.xlsx') }, async (request, reply) => {
      const list = await publishedList(app.models, request.query, app.clock());
      return reply
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', attachment(`suppliers-${stamp()}.xlsx`, `推介清单-${stamp()}.xlsx`))
        .send(exportXlsx(list));
    });

    app.get('/api/v1/exports/suppliers.csv', { config: { access: 'public' }, schema: exportSchema('.csv') }, async (request, reply) => {
      const list = await publishedList(app.models, request.query, app.clock());
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', attachment(`suppliers-${stamp()}.csv`, `推介清单-${stamp()}.csv`))
        .send(exportCsv(list));
    });
  };
}
