/**
 * The supplier import's API and pages (docs/api.md: POST /api/v1/imports, GET /api/v1/imports/:jobId; the
 * engine serves them, src/imports/jobs-http.ts) and the exports of the published list.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ExportQuery, exportCsv, exportXlsx, publishedList } from './export.js';
import { attachment } from '../web/download.js';
import { STAFF_ROLES } from '../accounts/index.js';
import type { ImporterHttp } from './jobs-http.js';
import { chinaDay } from '../web/china-time.js';

const staff = STAFF_ROLES;
const tags = ['批量导入'];

const ImportBody = z.object({
  vendors: z.array(z.unknown(), '供应商（vendors）应为数组').default([]),
  products: z.array(z.unknown(), '产品（products）应为数组').default([]),
  publish: z.boolean('publish 应为 true 或 false').default(false),
});

const ErrorOut = z.object({ kind: z.enum(['vendor', 'product', 'file']), row: z.number(), field: z.string(), column: z.string().optional(), message: z.string() });
const JobOut = z.object({
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

export const supplierHttp: ImporterHttp<z.infer<typeof ImportBody>> = {
  api: '/api/v1/imports',
  page: '/admin/imports',
  access: staff,
  docs: {
    tags,
    summary: '批量导入供应商和产品（后台任务）',
    description: 'JSON `{vendors, products, publish}`，或 multipart/form-data 上传 `file`（.xlsx：工作表“供应商”“产品”；.csv：每个文件一种，按表头识别），可带 `publish` 字段。返回 202 与任务编号；用 GET /api/v1/imports/{jobId} 查看进度与被拒绝的行，GET /api/v1/imports/{jobId}/errors.xlsx 下载被拒绝的行及原因。按统一社会信用代码、供应商加型号去重：再次导入即更新。',
  },
  json: { body: ImportBody, publishFlag: 'publish', example: '{vendors, products, publish}', bodyLimit: 64 * 1024 * 1024 },
  view: (job) => job,
  jobOut: JobOut,
  templates: {
    access: 'user',
    xlsx: { path: 'template.xlsx', file: 'import-template.xlsx', name: '供应商清单导入模板.xlsx', summary: '下载导入模板（.xlsx，含“说明”表与下拉选项）' },
    csv: [
      { kind: 'vendor', path: 'template-vendors.csv', file: 'template-vendors.csv', name: '供应商导入模板.csv', summary: '下载供应商导入模板（.csv）' },
      { kind: 'product', path: 'template-products.csv', file: 'template-products.csv', name: '产品导入模板.csv', summary: '下载产品导入模板（.csv）' },
    ],
  },
  texts: {
    title: '批量导入',
    jobTitle: '导入任务',
    uploadTitle: '上传文件',
    uploadHint: '.xlsx 用“供应商”“产品”两个工作表；.csv 每个文件一种，按表头识别。',
    publishLabel: '导入后直接发布（供应商审核通过、产品发布到推介清单）',
    publishHint: '不勾选时，新记录为草稿，已有记录保持原状态。',
    publishBadge: '直接发布',
    publishMeta: '，导入后直接发布',
    templatesTitle: '模板与导出',
    links: [
      [{ href: '/api/v1/imports/template.xlsx', label: '下载导入模板（.xlsx，含代码说明）' }],
      [{ href: '/api/v1/imports/template-vendors.csv', label: '供应商模板（.csv）' }, { href: '/api/v1/imports/template-products.csv', label: '产品模板（.csv）' }],
      [{ href: '/api/v1/exports/suppliers.xlsx', label: '导出推介清单（.xlsx）' }, { href: '/api/v1/exports/suppliers.csv', label: '（.csv）' }],
    ],
    help: '同一统一社会信用代码的供应商、同一供应商同一型号的产品再次导入时会更新原记录，不会重复创建。有误的行会被跳过并列出原因，其余行照常导入。',
    skippedHint: '清单上已有的决定优先于导入：被暂停或退回的企业不会因导入而入库，已归档的产品不会被修改或重新发布。如需改变，请在审核或产品页面操作。',
    errorsHint: '这些行没有导入，其余行已照常处理。改正后可以重新导入整个文件：已导入的行不会重复创建。',
  },
};

/** The published list as .xlsx and .csv (public). */
export function exportRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    const exportSchema = (format: string) => ({
      summary: `导出推介清单（${format}）`, tags: ['批量导入'],
      description: '已审核通过企业的已发布产品，可按领域、类别、省市区县、认证筛选。导出的文件可直接再次导入。',
      querystring: ExportQuery,
    });
    const stamp = () => chinaDay(app.clock());

    // The same list in either format: only the content type and the encoder differ.
    const formats = [
      { ext: 'xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', encode: exportXlsx },
      { ext: 'csv', type: 'text/csv; charset=utf-8', encode: exportCsv },
    ] as const;
    for (const { ext, type, encode } of formats) {
      app.get(`/api/v1/exports/suppliers.${ext}`, { config: { access: 'public' }, schema: exportSchema(`.${ext}`) }, async (request, reply) => {
        const list = await publishedList(app.models, request.query, app.clock());
        return reply
          .type(type)
          .header('content-disposition', attachment(`suppliers-${stamp()}.${ext}`, `推介清单-${stamp()}.${ext}`))
          .send(encode(list));
      });
    }
  };
}
