/** The demand-list import's API and pages: the job engine's (src/imports/jobs-http.ts), with these texts. */
import { z } from 'zod';
import type { ImporterHttp } from '../imports/index.js';
import { demandColumns } from './import.js';

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

export const demandImportHttp: ImporterHttp<z.infer<typeof ImportBody>> = {
  api: '/api/v1/demand-imports',
  page: '/organizer/demands/import',
  access: ['organizer', 'admin'],
  docs: {
    tags: ['采购需求'],
    summary: '导入需求清单（省、市下发的需求表；后台任务）',
    description: 'JSON `{demands: [...], open}`（每项同 POST /api/v1/demands 的字段，`buyer` 必填），或 multipart/form-data 上传 `file`（.xlsx 或 .csv，表头见模板），可带 `publish` 字段。新需求在 JSON 的 `open` 或上传的 `publish` 为 true 时直接开放征集，否则为草稿；已有需求只更新内容、不改状态。返回 202 与任务编号；用 GET /api/v1/demand-imports/{jobId} 查看进度与被拒绝的行，GET /api/v1/demand-imports/{jobId}/errors.xlsx 下载被拒绝的行及原因。按“采购单位名称 + 需求标题”去重：再次导入即更新。',
  },
  json: { body: ImportBody, publishFlag: 'open', example: '{demands: [...]}', bodyLimit: 32 * 1024 * 1024 },
  // The demand API names the flag `open` and reports row kinds as 'demand'.
  view: ({ publish, ...job }) => ({
    ...job, open: publish,
    errors: job.errors.map((e) => ({ ...e, kind: e.kind === 'file' ? 'file' : 'demand' })),
    skipped: job.skipped.map((s) => ({ ...s, kind: 'demand' })),
  }),
  jobOut: JobOut,
  templates: {
    access: ['organizer', 'admin'],
    xlsx: { path: 'template.xlsx', file: 'demand-template.xlsx', name: '需求清单导入模板.xlsx', summary: '下载需求导入模板（.xlsx，含“说明”表与下拉选项）' },
    csv: [{ kind: 'demand', path: 'template.csv', file: 'demand-template.csv', name: '需求清单导入模板.csv', summary: '下载需求导入模板（.csv）' }],
  },
  texts: {
    title: '导入需求清单',
    jobTitle: '需求导入',
    back: { href: '/organizer/demands', label: '← 采购需求' },
    uploadTitle: '上传省、市下发的需求表',
    uploadHint: '第一行为表头，须包含“需求标题”和“采购单位”。',
    publishLabel: '新需求导入后直接开放征集',
    publishHint: '不勾选时，新需求为草稿；已有需求只更新内容，不改变状态。',
    publishChecked: true,
    publishBadge: '直接开放',
    publishMeta: '，新需求直接开放征集',
    draftMeta: '，新需求为草稿',
    templatesTitle: '模板',
    links: [
      [{ href: '/api/v1/demand-imports/template.xlsx', label: '下载需求导入模板（.xlsx，含代码说明）' }],
      [{ href: '/api/v1/demand-imports/template.csv', label: '需求导入模板（.csv）' }],
    ],
    help: `列：${demandColumns.map((c) => c.header).join('、')}。同一采购单位的同一需求标题再次导入时会更新原需求，不会重复创建；平台上还没有的采购单位会按表中的类型、层级和地区新建。有误的行会被跳过并列出原因，其余行照常导入。`,
    skippedHint: '这些需求在平台上已关闭（已完成、已取消或已过期），导入不会修改或重新开放它们。',
    errorsHint: '这些行没有导入，其余行已照常处理。改正后可以重新导入整个文件：已导入的需求不会重复创建。',
    doneLink: { href: '/organizer/demands', label: '到采购需求看板查看 →' },
  },
};
