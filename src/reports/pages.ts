/**
 * /reports (overview page), /reports/print (printable), /reports/report.xlsx (workbook),
 * GET /api/v1/reports/overview (the same report as JSON) and the Chart.js build the page draws with,
 * served from the platform itself. Organizers, admins and district leaders (read-only) only.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { taxonomy } from '../taxonomy/index.js';
import { attachment } from '../web/download.js';
import { badRequest, zodDetails } from '../web/errors.js';
import { formErrors } from '../web/forms.js';
import { ReportQuery, regionValues, OUTSIDE } from './schemas.js';
import { scriptJson, type Report } from './figures.js';
import { reportXlsx } from './xlsx.js';
import { chinaDay } from '../web/china-time.js';

export const reportReaders = ['organizer', 'admin', 'leader'] as const;

const chartJsFile = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const badFilters = (details: Array<{ path: string; message: string }>) =>
  badRequest(`筛选条件有误：${details.map((d) => d.message).join('；')}`, details);

/** The report's filters on a page, validated by the route's querystring schema: a bad filter is a 400 naming what is wrong. */
function parseQuery(request: FastifyRequest): ReportQuery {
  const errors = formErrors(request);
  if (errors) throw badFilters(Object.entries(errors).map(([path, message]) => ({ path, message })));
  return request.query as ReportQuery;
}

/** The same filters for the JSON API, whose declared querystring stays the plain one the API docs show. */
function apiQuery(query: unknown): ReportQuery {
  const parsed = ReportQuery.safeParse(query ?? {});
  if (!parsed.success) throw badFilters(zodDetails(parsed.error));
  return parsed.data;
}
const filtered = { querystring: ReportQuery };

const queryString = (q: ReportQuery) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
};

const fmtCell = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('zh-CN') : String(v ?? ''));

function pageData(report: Report, query: ReportQuery, print: boolean) {
  const charts: Record<string, unknown> = {};
  const sections = report.sections.map((s) => ({
    ...s,
    tables: s.tables.map((t) => {
      if (t.chart) charts[t.id] = { title: t.title, ...t.chart };
      const last = t.rows.length - 1;
      return {
        ...t,
        hasChart: !!t.chart,
        body: t.rows.map((row, i) => ({
          total: !!t.totalRow && i === last,
          head: fmtCell(row[0]),
          cells: row.slice(1).map((v) => ({ text: fmtCell(v), num: typeof v === 'number' })),
        })),
        empty: t.rows.length === 0 || (t.totalRow && t.rows.length === 1 && t.rows[0].slice(1).every((v) => !v)),
      };
    }),
  }));
  const qs = queryString(query);
  return {
    title: print ? '统计报表（打印版）' : '统计报表',
    print,
    report,
    sections,
    chartJson: scriptJson(charts),
    query,
    fieldOptions: taxonomy.fields.map((f) => ({ code: f.code, name: f.name, selected: f.code === query.field })),
    regionGroups: [
      { label: '省', options: [taxonomy.regions.home.province, OUTSIDE] },
      { label: '浙江省各市', options: taxonomy.regions.zhejiangCities },
      { label: '杭州市各区县', options: taxonomy.regions.hangzhouDistricts },
    ].map((g) => ({ label: g.label, options: g.options.filter((o) => regionValues.includes(o)).map((o) => ({ name: o, selected: o === query.region })) })),
    xlsxHref: `/reports/report.xlsx${qs}`,
    printHref: `/reports/print${qs}`,
    backHref: `/reports${qs}`,
  };
}

const CellOut = z.union([z.string(), z.number()]);
const ReportOut = z.object({
  generatedAt: z.date(),
  computedAt: z.date().optional(),
  periodText: z.string(),
  filters: z.array(z.object({ label: z.string(), value: z.string() })),
  sections: z.array(z.object({
    id: z.string(), title: z.string(), intro: z.string(),
    headline: z.array(z.object({ label: z.string(), value: z.string() })),
    tables: z.array(z.object({
      id: z.string(), title: z.string(), note: z.string().optional(), columns: z.array(z.string()),
      rows: z.array(z.array(CellOut)), totalRow: z.boolean().optional(),
      chart: z.object({
        kind: z.enum(['bar', 'line']), labels: z.array(z.string()),
        series: z.array(z.object({ label: z.string(), data: z.array(z.number()) })),
        stacked: z.boolean().optional(), horizontal: z.boolean().optional(),
      }).optional(),
    })),
  })),
});

const reportPages: FastifyPluginAsyncZod = async (app) => {
  const access = reportReaders;
  const overview = (_app: unknown, query: ReportQuery) => app.reportSnapshots.get(query);

  app.get('/reports', { config: { access }, schema: filtered, attachValidation: true }, async (request, reply) => {
    const query = parseQuery(request);
    return reply.page('reports/overview.hbs', pageData(await overview(app, query), query, false));
  });

  app.get('/reports/print', { config: { access }, schema: filtered, attachValidation: true }, async (request, reply) => {
    const query = parseQuery(request);
    return reply.page('reports/overview.hbs', pageData(await overview(app, query), query, true));
  });

  app.get('/reports/report.xlsx', { config: { access }, schema: filtered, attachValidation: true }, async (request, reply) => {
    const query = parseQuery(request);
    const report = await overview(app, query);
    const day = chinaDay(report.generatedAt);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', attachment(`report-${day}.xlsx`, `统计报表-${day}.xlsx`))
      .send(await reportXlsx(report));
  });

  app.get('/api/v1/reports/overview', {
    config: { access },
    schema: {
      summary: '统计报表（与 /reports 页面同一组数字）', tags: ['统计报表'],
      description: '供应商清单（按领域、类别、地区、资质认证、信息时效）、采购需求（按层级、领域、状态）、对接跟进漏斗、逐月趋势与对接会成果。from/to 为中国时间的日期（含两端），field 为领域代码，region 为省、市或杭州市区县名称（“省外”为浙江省外）。',
      querystring: z.object({ from: z.string().optional(), to: z.string().optional(), field: z.string().optional(), region: z.string().optional() }),
      response: { 200: ReportOut },
    },
  }, async (request) => overview(app, apiQuery(request.query)));

  // Chart.js (pinned in package.json), from the platform itself: no CDN, nothing from outside.
  app.get('/public/vendor/chart.umd.min.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(fs.createReadStream(chartJsFile)));
};
export default reportPages;
