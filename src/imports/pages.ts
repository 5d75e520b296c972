/** The organizer's import page: upload (works without JavaScript), recent jobs, a job's progress and rejected rows. */
import type { FastifyPluginAsync } from 'fastify';
import { fieldLabels } from '../suppliers/schemas.js';
import { AppError } from '../web/errors.js';
import { kindNames } from './columns.js';
import { MAX_ROWS } from './parse.js';
import { jobView, type ImportService, type JobView } from './service.js';
import { MAX_FILE_BYTES, readUpload } from './upload.js';

const staff = ['admin', 'organizer'] as const;
const stageNames: Record<string, string> = { queued: '排队中', parsing: '读取文件', importing: '导入中', done: '已完成', failed: '失败' };

function pageJob(job: JobView) {
  return {
    ...job,
    running: job.status === 'running',
    stageName: stageNames[job.stage] ?? job.stage,
    percent: job.total ? Math.floor((job.processed / job.total) * 100) : 0,
    errors: job.errors.map((e) => ({
      ...e,
      kindName: kindNames[e.kind] ?? e.kind,
      fieldName: e.column ?? (e.field ? fieldLabels[e.field.split('.')[0]] ?? e.field : '—'),
    })),
    skipped: job.skipped.map((s) => ({ ...s, kindName: kindNames[s.kind] ?? s.kind })),
    skippedTruncated: job.skippedCount > job.skipped.length,
  };
}

export function importPages(service: ImportService, kick: () => void): FastifyPluginAsync {
  return async (app) => {
    app.get('/admin/imports', { config: { access: staff } }, async (_request, reply) => {
      const jobs = (await service.listJobs(20)).map((j) => pageJob(jobView(j)));
      return reply.page('imports/index.hbs', {
        title: '批量导入',
        jobs,
        maxMb: MAX_FILE_BYTES / 1024 / 1024,
        maxRows: MAX_ROWS.toLocaleString('zh-CN'),
      });
    });

    app.post('/admin/imports', { config: { access: staff } }, async (request, reply) => {
      if (!request.isMultipart()) {
        request.flash('error', '请选择要上传的 .xlsx 或 .csv 文件。');
        return reply.redirect('/admin/imports', 303);
      }
      try {
        const upload = await readUpload(request);
        const jobId = await service.createJob({ ...upload, user: request.user! });
        kick();
        request.flash('success', `已开始导入“${upload.filename}”，本页会自动刷新进度。`);
        return reply.redirect(`/admin/imports/${jobId}`, 303);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
        request.flash('error', err.message);
        return reply.redirect('/admin/imports', 303);
      }
    });

    app.get<{ Params: { jobId: string } }>('/admin/imports/:jobId', { config: { access: staff } }, async (request, reply) => {
      const job = pageJob(jobView(await service.getJob(request.params.jobId)));
      // Without JavaScript the page follows the job by reloading itself while it runs.
      if (job.running) reply.header('refresh', '2');
      return reply.page('imports/job.hbs', { title: `导入任务 · ${job.filename}`, job });
    });
  };
}
