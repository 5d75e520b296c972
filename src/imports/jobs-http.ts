/**
 * The HTTP side of every importer: mounting it (engine, worker loop, multipart scope), its JSON API
 * (start a job, list, progress, the error workbook, templates) and its two pages (upload with recent jobs,
 * one job), rendered by the one pair of views imports/index.hbs and imports/job.hbs.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser, type Access } from '../accounts/index.js';
import { startLoop, type Loop } from '../infra/background.js';
import { AppError, badRequest } from '../web/errors.js';
import { attachment } from '../web/download.js';
import { createJobEngine, type JobDoc, type JobEngine } from './engine.js';
import type { Importer } from './importer.js';
import { errorsXlsx, templateCsv, templateXlsx } from './template.js';
import { MAX_FILE_BYTES, readUpload, type Upload } from './upload.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The job as the API reports it (docs/api.md): queued jobs count as running. */
export function jobView(job: JobDoc) {
  const status = job.status === 'queued' ? 'running' : job.status;
  return {
    id: String(job._id),
    status: status as 'running' | 'done' | 'failed',
    stage: job.status === 'queued' ? 'queued' : job.status === 'running' ? (job.phase === 'parse' ? 'parsing' : 'importing') : job.status,
    format: job.format,
    filename: job.filename ?? '',
    publish: Boolean(job.publish ?? job.open),
    total: job.total ?? 0,
    processed: job.processed ?? 0,
    created: job.created ?? 0,
    updated: job.updated ?? 0,
    unchanged: job.unchanged ?? 0,
    rejected: job.rejected ?? 0,
    errors: (job.rowErrors ?? []).map((e) => ({
      kind: e.kind ?? 'file', row: e.row ?? 0, field: e.field ?? '', ...(e.column ? { column: e.column } : {}), message: e.message ?? '',
    })),
    errorsTruncated: (job.errorCount ?? 0) > (job.rowErrors?.length ?? 0),
    /** Rows the import left as they were because of the list's own decisions, and why. */
    skipped: (job.skippedRows ?? []).map((s) => ({ kind: s.kind ?? '', row: s.row ?? 0, message: s.message ?? '' })),
    skippedCount: job.skipped ?? 0,
    ...(job.failure ? { failure: job.failure } : {}),
    createdBy: job.createdBy?.name ?? '',
    createdAt: job.createdAt ? new Date(job.createdAt).toISOString() : '',
    finishedAt: job.finishedAt ? new Date(job.finishedAt).toISOString() : null,
  };
}
export type JobView = ReturnType<typeof jobView>;

const stageNames: Record<string, string> = { queued: '排队中', parsing: '读取文件', importing: '导入中', running: '导入中', done: '已完成', failed: '失败' };

/** Texts and links of an importer's pages (views imports/index.hbs and imports/job.hbs). */
export interface PageTexts {
  title: string;
  jobTitle: string;
  back?: { href: string; label: string };
  uploadTitle: string;
  uploadHint: string;
  publishLabel: string;
  publishHint: string;
  publishChecked?: boolean;
  publishBadge: string;
  publishMeta: string;
  draftMeta?: string;
  templatesTitle: string;
  links: Array<Array<{ href: string; label: string }>>;
  help: string;
  skippedHint: string;
  errorsHint: string;
  doneLink?: { href: string; label: string };
}

/** A template download: its path under the API, the file's ASCII and Chinese names. */
interface TemplateFile { path: string; file: string; name: string; summary: string }

export interface ImporterHttp<B> {
  api: string;
  page: string;
  access: Access;
  /** OpenAPI tags, summary and description of the POST. */
  docs: { tags: string[]; summary: string; description: string };
  /** The JSON body: its schema (one array per sheet, under the sheet's jsonKey), its flag, its largest size. */
  json: { body: z.ZodType<B>; publishFlag: keyof B & string; example: string; bodyLimit: number };
  /** The job as this importer's API reports it. */
  view(job: JobView): Record<string, unknown>;
  jobOut: z.ZodType;
  templates: { access: Access; xlsx: TemplateFile; csv: Array<TemplateFile & { kind: string }> };
  texts: PageTexts;
}

function pageJob(importer: Importer<unknown>, job: JobView, view: Record<string, unknown>) {
  const labels = importer.fieldLabels ?? {};
  const sheetName = (kind: string) => importer.sheets.find((s) => s.kind === kind)?.name ?? (kind === 'file' ? '文件' : kind);
  return {
    ...view,
    running: job.status === 'running',
    stageName: stageNames[job.stage] ?? job.stage,
    percent: job.total ? Math.floor((job.processed / job.total) * 100) : 0,
    errors: job.errors.map((e) => ({
      ...e, kindName: sheetName(e.kind), fieldName: e.column ?? (e.field ? labels[e.field] ?? labels[e.field.split('.')[0]] ?? e.field : '—'),
    })),
    skipped: job.skipped.map((s) => ({ ...s, kindName: sheetName(s.kind) })),
    skippedTruncated: job.skippedCount > job.skipped.length,
    hasRejected: job.rejected > 0 || job.errors.length > 0,
  };
}

function jobRoutes<B>(engine: JobEngine, http: ImporterHttp<B>, kick: () => void): FastifyPluginAsyncZod {
  const importer = engine.importer as Importer<unknown>;
  const { api, page, access } = http;
  const { tags } = http.docs;
  const keys = importer.sheets.map((s) => s.jsonKey);
  /** The JSON body as the job's source, after the checks every importer shares. */
  const fromJson = (body: B | null | undefined): Upload => {
    if (!body) throw badRequest(`请提交 JSON ${http.json.example} 或上传文件。`);
    const lists = body as Record<string, unknown[] | undefined>;
    const rows = keys.reduce((n, k) => n + (lists[k]?.length ?? 0), 0);
    if (rows === 0) throw badRequest(`没有要导入的数据：${keys.join(' 和 ')} 不能${keys.length > 1 ? '都' : ''}为空。`, keys.map((k) => ({ path: k, message: '不能为空' })));
    if (rows > importer.maxRows) throw badRequest(`数据行数超过上限：一次最多导入 ${importer.maxRows.toLocaleString('zh-CN')} 行，请分批导入。`);
    const buffer = Buffer.from(JSON.stringify(Object.fromEntries(keys.map((k) => [k, lists[k] ?? []]))));
    return { format: 'json', filename: 'api.json', buffer, publish: Boolean(body[http.json.publishFlag]) };
  };
  return async (app) => {
    const start = async (upload: Upload, user: { id: string; name: string; role?: string }) => {
      const jobId = await engine.createJob({ format: upload.format, filename: upload.filename, buffer: upload.buffer, publish: upload.publish, user });
      kick();
      return jobId;
    };
    const JobParams = z.object({ jobId: z.string() });

    app.post(api, {
      config: { access }, bodyLimit: http.json.bodyLimit,
      schema: { ...http.docs, body: http.json.body.nullish(), response: { 202: z.object({ jobId: z.string() }) } },
    }, async (request, reply) => {
      const upload = request.isMultipart() ? await readUpload(request) : fromJson(request.body as B | null | undefined);
      const jobId = await start(upload, requireUser(request));
      return reply.code(202).header('location', `${api}/${jobId}`).send({ jobId });
    });

    app.get(api, {
      config: { access },
      schema: { summary: `最近的${importer.title}任务`, tags, response: { 200: z.object({ jobs: z.array(http.jobOut) }) } },
    }, async () => ({ jobs: (await engine.listJobs(50)).map((j) => http.view(jobView(j))) }));

    app.get(`${api}/:jobId`, {
      config: { access },
      schema: { summary: `${importer.title}任务的进度与被拒绝的行`, tags, params: JobParams, response: { 200: http.jobOut } },
    }, async (request) => http.view(jobView(await engine.getJob(request.params.jobId))));

    app.get(`${api}/:jobId/errors.xlsx`, {
      config: { access },
      schema: { summary: `${importer.title}被拒绝的行（.xlsx：原样的行，原因在旁；改正后可直接重新导入）`, tags, params: JobParams },
    }, async (request, reply) => {
      const job = await engine.getJob(request.params.jobId);
      const fileIssues = (job.rowErrors ?? []).filter((e) => e.kind === 'file');
      const buffer = await errorsXlsx(importer, await engine.rejectedRows(job), fileIssues);
      return reply.type(XLSX).header('content-disposition', attachment(`import-errors-${String(job._id)}.xlsx`, `被拒绝的行-${job.filename ?? ''}.xlsx`)).send(buffer);
    });

    const { xlsx, csv } = http.templates;
    app.get(`${api}/${xlsx.path}`, { config: { access: http.templates.access }, schema: { summary: xlsx.summary, tags } },
      async (_request, reply) => reply.type(XLSX).header('content-disposition', attachment(xlsx.file, xlsx.name)).send(await templateXlsx(importer)));
    for (const t of csv) {
      const columns = importer.sheets.find((s) => s.kind === t.kind)!.columns;
      app.get(`${api}/${t.path}`, { config: { access: http.templates.access }, schema: { summary: t.summary, tags } },
        async (_request, reply) => reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(t.file, t.name)).send(templateCsv(columns)));
    }

    // ---- pages (work without JavaScript) ----
    const render = (reply: FastifyReply, template: string, data: Record<string, unknown>) =>
      reply.page(template, { ...data, texts: http.texts, api, base: page });

    app.get(page, { config: { access } }, async (_request, reply) => {
      const jobs = (await engine.listJobs(20)).map((j) => { const v = jobView(j); return pageJob(importer, v, http.view(v)); });
      return render(reply, 'imports/index.hbs', {
        title: http.texts.title, jobs, maxMb: MAX_FILE_BYTES / 1024 / 1024, maxRows: importer.maxRows.toLocaleString('zh-CN'),
        showKind: importer.sheets.length > 1,
      });
    });

    app.post(page, { config: { access } }, async (request, reply) => {
      if (!request.isMultipart()) {
        request.flash('error', '请选择要上传的 .xlsx 或 .csv 文件。');
        return reply.redirect(page, 303);
      }
      try {
        const upload = await readUpload(request);
        const jobId = await start(upload, requireUser(request));
        request.flash('success', `已开始导入“${upload.filename}”，本页会自动刷新进度。`);
        return reply.redirect(`${page}/${jobId}`, 303);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
        request.flash('error', err.message);
        return reply.redirect(page, 303);
      }
    });

    app.get<{ Params: { jobId: string } }>(`${page}/:jobId`, { config: { access } }, async (request, reply) => {
      const v = jobView(await engine.getJob(request.params.jobId));
      const job = pageJob(importer, v, http.view(v));
      // Without JavaScript the page follows the job by reloading itself while it runs.
      if (job.running) reply.header('refresh', '2');
      return render(reply, 'imports/job.hbs', { title: `${http.texts.jobTitle} · ${v.filename}`, job, showKind: importer.sheets.length > 1 });
    });
  };
}

/**
 * Mounts an importer on the app: its engine, a worker loop on instances that run background work, and its
 * API and pages inside a scope that alone accepts multipart uploads. Returns the engine.
 */
export async function mountImporter<V, B>(app: FastifyInstance, importer: Importer<V>, http: ImporterHttp<B>, options: { batchSize?: number } = {}) {
  const engine = createJobEngine(importer, { conn: app.conn, models: app.models, clock: app.clock, log: app.log, ...options });
  await Promise.all([engine.ImportJob.init(), engine.ImportRow.init(), engine.RejectedRow.init()]);
  let loop: Loop | undefined;
  if (app.runsBackground) {
    loop = startLoop({ name: `${importer.kind}-imports`, intervalMs: 1000, round: () => engine.runPending(), log: app.log });
    app.addHook('onClose', async () => {
      engine.stop();
      await loop?.stop();
    });
  }
  // Start a new job now rather than at the next tick of the loop.
  const kick = () => { if (loop) void loop.runOnce(); };
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, { limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 20 }, throwFileSizeLimit: true });
    // A multipart body is parsed in the handler, after the CSRF check: take the token from the query
    // string (the page form's action carries it) where @fastify/csrf-protection reads headers.
    scope.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) return;
      const token = (request.query as Record<string, unknown> | undefined)?._csrf;
      if (typeof token === 'string' && !request.headers['x-csrf-token']) request.headers['x-csrf-token'] = token;
    });
    await scope.register(jobRoutes(engine as unknown as JobEngine, http, kick));
  });
  return engine;
}
