/** Demand-list import: JSON API, templates, and the organizer's upload page (works without JavaScript). */
import type { FastifyPluginAsync } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { attachment } from '../imports/export.js';
import { MAX_FILE_BYTES, readUpload, type Upload } from '../imports/upload.js';
import { AppError, badRequest } from '../web/errors.js';
import { fieldLabels } from './schemas.js';
import {
  demandJobView, demandTemplateCsv, demandTemplateXlsx, MAX_DEMAND_ROWS, type DemandImportService, type DemandJobView,
} from './import.js';

const staff = ['organizer', 'admin'] as const;
const tags = ['采购需求'];

const ImportBody = z.object({
  demands: z.array(z.unknown(), '需求（demands）应为数组'),
  open: z.boolean('open 应为 true 或 false').default(false),
});
const JobOut = z.object({
  id: z.string(), status: z.enum(['running', 'done', 'failed']), stage: z.string(), format: z.string(), filename: z.string(),
  open: z.boolean(), total: z.number(), processed: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(),
  rejected: z.number(),
  errors: z.array(z.object({ kind: z.enum(['demand', 'file']), row: z.number(), field: z.string(), column: z.string().optional(), message: z.string() })),
  errorsTruncated: z.boolean(), failure: z.string().optional(), createdBy: z.string(), createdAt: z.string(), finishedAt: z.string().nullable(),
  skipped: z.array(z.object({ kind: z.literal('demand'), row: z.number(), message: z.string() }))
    .describe('已关闭的需求不会因导入而被修改或重新开放：这些行列在这里，最多 1000 条'),
  skippedCount: z.number(),
});

const stageNames: Record<string, string> = { queued: '排队中', running: '导入中', done: '已完成', failed: '失败' };

function pageJob(job: DemandJobView) {
  return {
    ...job,
    running: job.status === 'running',
    stageName: stageNames[job.stage] ?? job.stage,
    percent: job.total ? Math.floor((job.processed / job.total) * 100) : 0,
    errors: job.errors.map((e) => ({ ...e, fieldName: e.column ?? (e.field ? fieldLabels[e.field] ?? e.field : '—') })),
  };
}

export function demandImportRoutes(service: DemandImportService, kick: () => void): FastifyPluginAsync {
  return async (parent) => {
    const app = parent.withTypeProvider<ZodTypeProvider>();
    await app.register(fastifyMultipart, { limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 20 }, throwFileSizeLimit: true });
    // Multipart bodies are parsed in the handler, after the CSRF check: the page form carries its token in the query string.
    app.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) return;
      const token = (request.query as Record<string, unknown> | undefined)?._csrf;
      if (typeof token === 'string' && !request.headers['x-csrf-token']) request.headers['x-csrf-token'] = token;
    });

    const start = async (upload: Upload, open: boolean, user: { id: string; name: string; role: string }) => {
      const jobId = await service.createJob({ format: upload.format, filename: upload.filename, buffer: upload.buffer, open, user });
      kick();
      return jobId;
    };

    app.post('/api/v1/demand-imports', {
      config: { access: staff },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        summary: '导入需求清单（省、市下发的需求表；后台任务）', tags,
        description: 'JSON `{demands: [...], open}`（每项同 POST /api/v1/demands 的字段，`buyer` 必填），或 multipart/form-data 上传 `file`（.xlsx 或 .csv，表头见模板），可带 `publish` 字段。新需求在 JSON 的 `open` 或上传的 `publish` 为 true 时直接开放征集，否则为草稿；已有需求只更新内容、不改状态。返回 202 与任务编号；用 GET /api/v1/demand-imports/{jobId} 查看进度与被拒绝的行。按“采购单位名称 + 需求标题”去重：再次导入即更新。',
        body: ImportBody.nullish(),
        response: { 202: z.object({ jobId: z.string() }) },
      },
    }, async (request, reply) => {
      let jobId: string;
      if (request.isMultipart()) {
        const upload = await readUpload(request);
        jobId = await start(upload, upload.publish, request.user!);
      } else {
        const body = request.body;
        if (!body) throw badRequest('请提交 JSON {demands: [...]} 或上传文件。');
        if (!body.demands.length) throw badRequest('没有要导入的需求：demands 不能为空。', [{ path: 'demands', message: '不能为空' }]);
        if (body.demands.length > MAX_DEMAND_ROWS) throw badRequest(`一次最多导入 ${MAX_DEMAND_ROWS.toLocaleString('zh-CN')} 条需求，请分批导入。`);
        const buffer = Buffer.from(JSON.stringify({ demands: body.demands }));
        jobId = await start({ format: 'json', filename: 'api.json', buffer, publish: body.open }, body.open, request.user!);
      }
      return reply.code(202).header('location', `/api/v1/demand-imports/${jobId}`).send({ jobId });
    });

    app.get('/api/v1/demand-imports', {
      config: { access: staff },
      schema: { summary: '最近的需求导入任务', tags, response: { 200: z.object({ jobs: z.array(JobOut) }) } },
    }, async () => ({ jobs: (await service.listJobs(50)).map(demandJobView) }));

    app.get('/api/v1/demand-imports/:jobId', {
      config: { access: staff },
      schema: { summary: '需求导入任务的进度与被拒绝的行', tags, params: z.object({ jobId: z.string() }), response: { 200: JobOut } },
    }, async (request) => demandJobView(await service.getJob(request.params.jobId)));

    app.get('/api/v1/demand-imports/template.xlsx', {
      config: { access: staff },
      schema: { summary: '下载需求导入模板（.xlsx，含“说明”表）', tags },
    }, async (_request, reply) => reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', attachment('demand-template.xlsx', '需求清单导入模板.xlsx'))
      .send(await demandTemplateXlsx()));

    app.get('/api/v1/demand-imports/template.csv', {
      config: { access: staff },
      schema: { summary: '下载需求导入模板（.csv）', tags },
    }, async (_request, reply) => reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', attachment('demand-template.csv', '需求清单导入模板.csv'))
      .send(demandTemplateCsv()));

    // ---- pages ----
    app.get('/organizer/demands/import', { config: { access: staff } }, async (_request, reply) => {
      const jobs = (await service.listJobs(20)).map((j) => pageJob(demandJobView(j)));
      return reply.page('demands/import.hbs', {
        title: '导入需求清单', jobs, maxMb: MAX_FILE_BYTES / 1024 / 1024, maxRows: MAX_DEMAND_ROWS.toLocaleString('zh-CN'),
      });
    });

    app.post('/organizer/demands/import', { config: { access: staff } }, async (request, reply) => {
      if (!request.isMultipart()) {
        request.flash('error', '请选择要上传的 .xlsx 或 .csv 文件。');
        return reply.redirect('/organizer/demands/import', 303);
      }
      try {
        const upload = await readUpload(request);
        const jobId = await start(upload, upload.publish, request.user!);
        request.flash('success', `已开始导入“${upload.filename}”，本页会自动刷新进度。`);
        return reply.redirect(`/organizer/demands/import/${jobId}`, 303);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
        request.flash('error', err.message);
        return reply.redirect('/organizer/demands/import', 303);
      }
    });

    app.get<{ Params: { jobId: string } }>('/organizer/demands/import/:jobId', { config: { access: staff } }, async (request, reply) => {
      const job = pageJob(demandJobView(await service.getJob(request.params.jobId)));
      if (job.running) reply.header('refresh', '2');
      return reply.page('demands/import-job.hbs', { title: `需求导入 · ${job.filename}`, job });
    });
  };
}
