/** /admin/audit (审计日志): the filterable, paginated trail for admins, and its .xlsx download. */
import { xlsxBuffer } from '../web/spreadsheet-safety.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import ExcelJS from 'exceljs';
import { roleNames, type Role } from '../accounts/index.js';
import { badRequest } from '../web/errors.js';
import { formErrors } from '../web/forms.js';
import { filterableActions } from './actions.js';
import { AuditQuery, EXPORT_LIMIT, type AuditEntryJson } from './service.js';
import { chinaDateTime, chinaDay } from '../web/china-time.js';

const access = { access: ['admin'] as const };
const who = (e: AuditEntryJson) => (e.actor ? `${e.actor.name}（${e.actor.email}）` : e.email ? `${e.email}（未登录）` : '—');
const roleOf = (e: AuditEntryJson) => (e.actor?.role ? roleNames[e.actor.role as Role] ?? e.actor.role : '');
const targetOf = (e: AuditEntryJson) => (e.target ? `${e.target.kindLabel}${e.target.label ? `：${e.target.label}` : ''}` : '');

function queryString(q: Record<string, unknown>, page?: number): string {
  const params = new URLSearchParams();
  for (const key of ['action', 'user', 'from', 'to'] as const) if (q[key]) params.set(key, String(q[key]));
  if (page && page > 1) params.set('page', String(page));
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function workbook(entries: AuditEntryJson[], filters: string): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('审计日志', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [
    { header: '时间（北京时间）', width: 20 }, { header: '操作', width: 18 }, { header: '操作代码', width: 24 },
    { header: '用户', width: 34 }, { header: '角色', width: 10 }, { header: '对象', width: 30 }, { header: '对象编号', width: 26 },
    { header: '说明', width: 40 }, { header: '来源 IP', width: 16 }, { header: '客户端', width: 40 },
  ];
  sheet.getRow(1).font = { bold: true };
  for (const e of entries) {
    sheet.addRow([chinaDateTime(e.at), e.actionLabel, e.action, who(e), roleOf(e), targetOf(e), e.target?.id ?? '', e.description, e.ip, e.userAgent]);
  }
  const about = book.addWorksheet('说明');
  about.columns = [{ width: 16 }, { width: 80 }];
  about.addRow(['供需对接平台 审计日志']).font = { bold: true, size: 14 };
  about.addRow(['筛选条件', filters || '全部']);
  about.addRow(['条数', `${entries.length}${entries.length >= EXPORT_LIMIT ? `（最多导出 ${EXPORT_LIMIT} 条最新记录，请缩小筛选范围）` : ''}`]);
  return xlsxBuffer(book);
}

const auditPages: FastifyPluginAsyncZod = async (app) => {
  app.get('/admin/audit', { config: access, schema: { querystring: AuditQuery }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    const query = request.query;
    const actionOptions = filterableActions.map((a) => ({ ...a, selected: a.code === query.action }));
    if (errors) {
      return reply.code(400).page('audit/list.hbs', { title: '审计日志', query, actionOptions, errors, entries: [] });
    }
    const result = await app.audit.list(query);
    const last = Math.max(1, Math.ceil(result.total / result.pageSize));
    const entries = result.entries.map((e) => ({ ...e, who: who(e), roleName: roleOf(e), targetText: targetOf(e) }));
    return reply.page('audit/list.hbs', {
      title: '审计日志',
      query,
      actionOptions,
      entries,
      total: result.total,
      page: result.page,
      last,
      prev: result.page > 1 ? `/admin/audit${queryString(query, result.page - 1)}` : null,
      next: result.page < last ? `/admin/audit${queryString(query, result.page + 1)}` : null,
      xlsxHref: `/admin/audit/export.xlsx${queryString(query)}`,
    });
  });

  app.get('/admin/audit/export.xlsx', { config: access, schema: { querystring: AuditQuery }, attachValidation: true }, async (request, reply) => {
    const errors = formErrors(request);
    if (errors) throw badRequest('筛选条件有误。', Object.entries(errors).map(([path, message]) => ({ path, message })));
    const query = request.query;
    const entries = await app.audit.forExport(query);
    const filters = [
      query.action && `操作：${filterableActions.find((a) => a.code === query.action)?.label ?? query.action}`,
      query.user && `用户：${query.user}`,
      query.from && `自 ${query.from}`,
      query.to && `至 ${query.to}`,
    ].filter(Boolean).join('；');
    const day = chinaDay(app.clock());
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="audit-${day}.xlsx"; filename*=UTF-8''${encodeURIComponent(`审计日志-${day}.xlsx`)}`)
      .send(await workbook(entries, filters));
  });
};
export default auditPages;
