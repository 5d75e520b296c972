/**
 * Shapes the aggregation rows (aggregate.ts) into the report: sections of tables with Chinese headers,
 * each chart drawn from its table's own rows, so the page, the charts and the workbook show one set of
 * numbers. Pure: no I/O, the clock is an argument.
 */
import { fieldName, certificationName, taxonomy } from '../taxonomy/index.js';
import type { FreshnessPolicy } from '../suppliers/index.js';
import type { DemandRows, EventRows, FunnelRows, ReportScope, SupplierRows, VisitRows } from './aggregate.js';
import type { ReportQuery } from './schemas.js';
import { chinaDay } from '../web/china-time.js';
import {
  num, key, sumBy, pct, fmt, yuan, freshnessNames, freshnessKeys, tierNames, tierKeys, levelNames, levelKeys, demandStatusNames, phaseNames, categoryNames, categoryOrder, fieldOrder, fieldsShown, chartOf, freshnessSplit,
  type Doc, type Cell, type Table, type Section, type Report,
} from './parts.js';
export type { Cell, ChartSpec, Table, Headline, Section, Report } from './parts.js';

// ---------------------------------------------------------------- period

const TZ_OFFSET = 8 * 3_600_000; // China Standard Time, no daylight saving
const dayStart = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - TZ_OFFSET);
const monthKey = (d: Date) => new Date(d.getTime() + TZ_OFFSET).toISOString().slice(0, 7);
const monthStart = (key: string) => dayStart(`${key}-01`);
const nextMonth = (key: string) => {
  const [y, m] = key.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};

/** The months (YYYY-MM, China time) from one month key to another, inclusive. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let k = first; k <= last; k = nextMonth(k)) out.push(k);
  return out;
}

/** The scope of a report: period bounds (China days), the trend window, field and region. */
export function scopeOf(query: ReportQuery, now: Date, policy: FreshnessPolicy): ReportScope & { months: string[] } {
  const from = query.from ? dayStart(query.from) : undefined;
  const toEnd = query.to ? new Date(dayStart(query.to).getTime() + 86_400_000) : undefined;
  const lastMonth = monthKey(toEnd ? new Date(toEnd.getTime() - 1) : now);
  let firstMonth = from ? monthKey(from) : undefined;
  if (!firstMonth) {
    // No start: the twelve months up to the end.
    const [y, m] = lastMonth.split('-').map(Number);
    const back = y * 12 + (m - 1) - 11;
    firstMonth = `${Math.floor(back / 12)}-${String((back % 12) + 1).padStart(2, '0')}`;
  }
  const months = firstMonth <= lastMonth ? monthsBetween(firstMonth, lastMonth) : [lastMonth];
  return {
    now, policy, from, toEnd, field: query.field, region: query.region,
    trendFrom: from ?? monthStart(months[0]),
    trendToEnd: toEnd ?? monthStart(nextMonth(lastMonth)),
    months,
  };
}

// ---------------------------------------------------------------- sections

function suppliersSection(r: SupplierRows, scope: ReportScope): Section {
  const v = r.vendors ?? { byFreshness: [], byTier: [], byField: [], byCert: [] };
  const p = r.products ?? { byFreshness: [], byField: [], byCategory: [], byTier: [] };
  const vendorsBy = (f: string) => sumBy(v.byFreshness, (x) => key(x, '') === f);
  const productsBy = (f: string) => sumBy(p.byFreshness, (x) => key(x, '') === f);
  const vendorTotal = freshnessKeys.reduce((a, f) => a + vendorsBy(f), 0);
  const productTotal = freshnessKeys.reduce((a, f) => a + productsBy(f), 0);

  const freshness: Table = {
    id: 'suppliers-freshness', title: '信息时效', totalRow: true,
    note: `供应商至少每 ${scope.policy.days} 天确认一次信息；超期为“信息待更新”，再超 ${scope.policy.graceDays} 天从搜索和导出中隐藏，直到重新确认。`,
    columns: ['信息时效', '供应商', '产品'],
    rows: [...freshnessKeys.map((f) => [freshnessNames[f], vendorsBy(f), productsBy(f)]), ['合计', vendorTotal, productTotal]],
  };
  freshness.chart = chartOf(freshness, [1, 2]);

  const fields = fieldsShown([...v.byField.map((x) => key(x, 'field')), ...p.byField.map((x) => key(x, 'field'))], scope.field);
  const byField: Table = {
    id: 'suppliers-field', title: '按领域', totalRow: true,
    note: '一家供应商可属于多个领域，各领域供应商数之和可能大于合计。产品按信息时效分列。',
    columns: ['领域', '供应商', '产品', '产品·信息有效', '产品·信息待更新', '产品·已隐藏'],
    rows: [
      ...fields.map((f) => [fieldName(f), sumBy(v.byField, (x) => key(x, 'field') === f), ...freshnessSplit(p.byField, 'field', f)]),
      ['合计', vendorTotal, productTotal, ...freshnessKeys.map(productsBy)],
    ],
  };
  byField.chart = chartOf(byField, [3, 4, 5], { stacked: true, horizontal: true });

  const byTier: Table = {
    id: 'suppliers-region', title: '按地区', totalRow: true,
    note: '按供应商注册地：滨江区本地、杭州市其他区县、浙江省其他城市、省外。',
    columns: ['地区', '供应商', '供应商·信息有效', '供应商·信息待更新', '供应商·已隐藏', '产品'],
    rows: [
      ...tierKeys.map((t) => [tierNames[t], ...freshnessSplit(v.byTier, 'tier', t), sumBy(p.byTier, (x) => key(x, 'tier') === t)]),
      ['合计', vendorTotal, ...freshnessKeys.map(vendorsBy), productTotal],
    ],
  };
  byTier.chart = chartOf(byTier, [1, 5]);

  const categories = [...p.byCategory].sort((a, b) =>
    (fieldOrder.indexOf(key(a, 'field')) - fieldOrder.indexOf(key(b, 'field'))) ||
    ((categoryOrder.get(key(a, 'category')) ?? 1e9) - (categoryOrder.get(key(b, 'category')) ?? 1e9)) ||
    key(a, 'category').localeCompare(key(b, 'category')));
  const byCategory: Table = {
    id: 'suppliers-category', title: '按产品类别', totalRow: true,
    note: '只列出有已发布产品的类别。',
    columns: ['领域', '类别', '供应商', '产品'],
    rows: [
      ...categories.map((x) => [fieldName(key(x, 'field')), categoryNames.get(key(x, 'category')) ?? key(x, 'category'), num(x.vendors), num(x.n)]),
      ['合计', '', '', productTotal],
    ],
  };

  const certCodes = [...taxonomy.certifications.map((c) => c.code), ...[...new Set(v.byCert.map((x) => key(x, 'cert')))].filter((c) => !taxonomy.certifications.some((t) => t.code === c)).sort()];
  const byCert: Table = {
    id: 'suppliers-certification', title: '按资质认证',
    note: '供应商的资质认证；证书已过期的不计。',
    columns: ['资质认证', '供应商', '供应商·信息有效'],
    rows: certCodes
      .map((c) => [certificationName(c), sumBy(v.byCert, (x) => key(x, 'cert') === c), sumBy(v.byCert, (x) => key(x, 'cert') === c && key(x, 'freshness') === 'current')])
      .filter((row) => num(row[1]) > 0),
  };
  byCert.chart = chartOf(byCert, [1], { horizontal: true });

  return {
    id: 'suppliers', title: '供应商清单',
    intro: '已入库的供应商与其已发布的产品，截至当前时点（不受时间段筛选）；地区按供应商注册地。',
    headline: [
      { label: '入库供应商', value: fmt(vendorTotal) },
      { label: '其中信息有效', value: fmt(vendorsBy('current')) },
      { label: '已发布产品', value: fmt(productTotal) },
      { label: '产品信息待更新或已隐藏', value: fmt(productsBy('stale') + productsBy('hidden')) },
    ],
    tables: [freshness, byField, byTier, byCategory, byCert],
  };
}

function demandsSection(r: DemandRows, scope: ReportScope & { months: string[] }): { section: Section; trend: Table } {
  const total = sumBy(r.byLevel, () => true);
  const budget = sumBy(r.byLevel, () => true, 'budget');
  const statusKeys = Object.keys(demandStatusNames);
  const levels = [...levelKeys, ...(r.byLevel.some((x) => key(x, '') === 'unknown') ? ['unknown'] : [])];
  const byLevel: Table = {
    id: 'demands-level', title: '按采购方层级', totalRow: true,
    columns: ['层级', '需求', '预算合计（元）', ...statusKeys.map((s) => demandStatusNames[s])],
    rows: [
      ...levels.map((l) => [
        levelNames[l], sumBy(r.byLevel, (x) => key(x, '') === l), sumBy(r.byLevel, (x) => key(x, '') === l, 'budget'),
        ...statusKeys.map((s) => sumBy(r.byLevelStatus, (x) => key(x, 'level') === l && key(x, 'status') === s)),
      ]),
      ['合计', total, budget, ...statusKeys.map((s) => sumBy(r.byStatus, (x) => key(x, '') === s))],
    ],
  };
  byLevel.chart = chartOf(byLevel, [3, 4, 5, 6, 7], { stacked: true });

  const fields = fieldsShown(r.byField.map((x) => key(x, '')), scope.field);
  const noField = r.byField.some((x) => key(x, '') === '') && !scope.field;
  const byField: Table = {
    id: 'demands-field', title: '按领域', totalRow: true,
    columns: ['领域', '需求', '预算合计（元）'],
    rows: [
      ...fields.map((f) => [fieldName(f), sumBy(r.byField, (x) => key(x, '') === f), sumBy(r.byField, (x) => key(x, '') === f, 'budget')]),
      ...(noField ? [['未填领域', sumBy(r.byField, (x) => key(x, '') === ''), sumBy(r.byField, (x) => key(x, '') === '', 'budget')]] : []),
      ['合计', total, budget],
    ],
  };
  byField.chart = chartOf(byField, [1], { horizontal: true });

  const byStatus: Table = {
    id: 'demands-status', title: '按状态', totalRow: true,
    columns: ['状态', '需求', '占比'],
    rows: [
      ...statusKeys.map((s) => { const n = sumBy(r.byStatus, (x) => key(x, '') === s); return [demandStatusNames[s], n, pct(n, total)]; }),
      ['合计', total, pct(total, total)],
    ],
  };

  const trend: Table = {
    id: 'trend-demands', title: '每月发布的需求', totalRow: true,
    columns: ['月份', '发布需求'],
    rows: [...scope.months.map((m) => [m, sumBy(r.perMonth, (x) => key(x, '') === m)]), ['合计', sumBy(r.perMonth, (x) => scope.months.includes(key(x, '')))]],
  };
  trend.chart = chartOf(trend, [1], { kind: 'line' });

  return {
    section: {
      id: 'demands', title: '采购需求',
      intro: '时间段内发布的需求（按发布时间；草稿不计），按采购方层级、领域和状态；地区按采购单位所在地。状态为当前状态。',
      headline: [
        { label: '发布需求', value: fmt(total) },
        { label: '省级 / 市级 / 区级', value: levelKeys.map((l) => fmt(sumBy(r.byLevel, (x) => key(x, '') === l))).join(' / ') },
        { label: '预算合计', value: yuan(budget) },
      ],
      tables: [byLevel, byField, byStatus],
    },
    trend,
  };
}

function funnelSection(r: FunnelRows, scope: ReportScope & { months: string[] }): { section: Section; trend: Table } {
  const all = (k: string) => sumBy(r.byLevel, () => true, k);
  const pairs = all('pairs');
  const funnel: Table = {
    id: 'funnel', title: '对接漏斗',
    note: '“推荐”指得到跟进记录的需求×供应商对；各阶段含已走到更后阶段的（如已签约也计入已联系、有意向）。“不合适”为在时间段末处于不合适状态的，另列，不属于漏斗。',
    columns: ['阶段', '需求×供应商对', '占推荐', '签约金额（元）'],
    rows: [
      ['推荐（有跟进记录）', pairs, pct(pairs, pairs), ''],
      ['已联系', all('contacted'), pct(all('contacted'), pairs), ''],
      ['有意向', all('intent'), pct(all('intent'), pairs), ''],
      ['已签约', all('signed'), pct(all('signed'), pairs), all('amount')],
      ['不合适（另列）', all('declined'), pct(all('declined'), pairs), ''],
    ],
  };
  funnel.chart = { ...chartOf({ ...funnel, rows: funnel.rows.slice(0, 4) }, [1], { horizontal: true }) };

  const levels = [...levelKeys, ...(r.byLevel.some((x) => key(x, '') === 'unknown') ? ['unknown'] : [])];
  const cols = ['demands', 'demandsSigned', 'pairs', 'contacted', 'intent', 'signed', 'amount'];
  const byLevel: Table = {
    id: 'funnel-level', title: '按采购方层级的对接结果', totalRow: true,
    note: '“有跟进的需求”指至少一家供应商有跟进记录的需求；“已签约的需求”指至少签约一家的需求。',
    columns: ['层级', '有跟进的需求', '已签约的需求', '推荐（对）', '已联系', '有意向', '已签约', '签约金额（元）'],
    rows: [
      ...levels.map((l) => [levelNames[l], ...cols.map((c) => sumBy(r.byLevel, (x) => key(x, '') === l, c))]),
      ['合计', ...cols.map((c) => all(c))],
    ],
  };
  byLevel.chart = chartOf(byLevel, [4, 5, 6]);

  const step = (m: string, s: string, k = 'n') => sumBy(r.stepsPerMonth, (x) => key(x, 'm') === m && key(x, 's') === s, k);
  const trend: Table = {
    id: 'trend-followups', title: '每月的跟进进展', totalRow: true,
    note: '按步骤发生的月份：这个月标为已联系、有意向、已签约的次数（重新打开不计）。',
    columns: ['月份', '已联系', '有意向', '已签约', '签约金额（元）'],
    rows: [
      ...scope.months.map((m) => [m, step(m, 'contacted'), step(m, 'intent'), step(m, 'signed'), step(m, 'signed', 'amount')]),
    ],
  };
  const col = (i: number) => trend.rows.reduce((a, row) => a + num(row[i]), 0);
  trend.rows.push(['合计', col(1), col(2), col(3), col(4)]);
  trend.chart = chartOf(trend, [1, 2, 3], { kind: 'line' });

  return {
    section: {
      id: 'funnel', title: '匹配与对接跟进',
      intro: '平台的匹配结果按需实时计算、不留存，所以“推荐”只能统计有跟进记录的需求×供应商对（供应商、采购方或主办方至少标记过一步，含直接标为不合适的）；从未被任何人处理的推荐不计。统计时间段内首次记录的跟进，阶段为截至时间段末走到的最远一步；领域、地区按需求及其采购单位。',
      headline: [
        { label: '推荐（有跟进记录）', value: fmt(pairs) },
        { label: '已签约', value: fmt(all('signed')) },
        { label: '签约金额', value: all('amountKnown') < all('signed') ? `${yuan(all('amount'))}（${fmt(all('amountKnown'))} 项填了金额）` : yuan(all('amount')) },
        { label: '有跟进的需求', value: fmt(all('demands')) },
      ],
      tables: [funnel, byLevel],
    },
    trend,
  };
}

function eventsSection(r: EventRows): Section {
  const id = (x: Doc) => String((x._id as Doc)?.event ?? '');
  const rows = r.events.map((e) => {
    const eid = String(e._id);
    const part = (kind: string, pred: (x: Doc) => boolean = () => true) => sumBy(r.participants, (x) => id(x) === eid && key(x, 'kind') === kind && key(x, 'status') === 'approved' && pred(x));
    const arrived = sumBy(r.participants, (x) => id(x) === eid && key(x, 'status') === 'approved' && key(x, 'checkIn') === 'arrived');
    const absent = sumBy(r.participants, (x) => id(x) === eid && key(x, 'status') === 'approved' && key(x, 'checkIn') === 'no_show');
    const m = (outcomes: string[], k = 'n') => sumBy(r.meetings, (x) => id(x) === eid && outcomes.includes(key(x, 'outcome')), k);
    const start = chinaDay(e.start);
    return [
      String(e.title ?? ''), start, phaseNames[String(e.phase)] ?? String(e.phase ?? ''),
      part('vendor'), part('buyer'), arrived, absent,
      m(['none', 'held', 'no_show', 'intent', 'signed']), m(['held', 'intent', 'signed']), m(['no_show']), m(['intent', 'signed']), m(['signed']), m(['signed'], 'amount'),
    ] as Cell[];
  });
  const col = (i: number) => rows.reduce((a, row) => a + num(row[i]), 0);
  const events: Table = {
    id: 'events', title: '对接会及其成果', totalRow: true,
    note: '参会方为审核通过的；“已洽谈”含登记为有意向、已签约的洽谈；“有意向”含已签约。',
    columns: ['对接会', '首个时段', '阶段', '供应商', '采购方', '到场', '缺席', '安排洽谈', '已洽谈', '洽谈未到场', '有意向', '已签约', '签约金额（元）'],
    rows: [...rows, ['合计', '', '', ...[3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(col)]],
  };
  const outcome: Table = {
    id: 'events-outcome', title: '洽谈结果',
    columns: ['结果', '洽谈场次'],
    rows: [['安排洽谈', col(7)], ['已洽谈', col(8)], ['洽谈未到场', col(9)], ['有意向', col(10)], ['已签约', col(11)], ['未登记结果', col(7) - col(8) - col(9)]],
  };
  outcome.chart = chartOf(outcome, [1], { horizontal: true });
  return {
    id: 'events', title: '供需对接会',
    intro: '时间段内有时段的对接会（按领域筛选时为该领域的专场；地区不适用）。',
    headline: [
      { label: '对接会', value: fmt(rows.length) },
      { label: '安排洽谈', value: fmt(col(7)) },
      { label: '已洽谈', value: fmt(col(8)) },
      { label: '已签约', value: fmt(col(11)) },
    ],
    tables: [events, outcome],
  };
}

const visitKindNames: Record<string, string> = { survey: '企业调研', site: '现场考察' };
const visitPhaseNames: Record<string, string> = { registration: '报名中', confirmed: '行程已确定', finished: '已结束' };

function visitsSection(r: VisitRows): Section {
  const id = (x: Doc) => String((x._id as Doc)?.visit ?? '');
  const rows = r.visits.map((v) => {
    const vid = String(v._id);
    const reg = (pred: (x: Doc) => boolean = () => true, k = 'n', status = 'approved') => sumBy(r.registrations, (x) => id(x) === vid && key(x, 'status') === status && pred(x), k);
    const out = (outcomes: string[]) => sumBy(r.outcomes, (x) => id(x) === vid && outcomes.includes(key(x, 'outcome')));
    return [
      String(v.title ?? ''), visitKindNames[String(v.kind)] ?? String(v.kind ?? ''), String(v.date ?? ''), visitPhaseNames[String(v.phase)] ?? String(v.phase ?? ''),
      num(v.stops), reg(), reg(() => true, 'people'), reg((x) => key(x, 'checkIn') === 'arrived'), reg((x) => key(x, 'checkIn') === 'no_show'),
      reg(() => true, 'n', 'withdrawn'), out(['visited', 'intent', 'signed']), out(['intent', 'signed']), num(v.signed), num(v.amount),
    ] as Cell[];
  });
  const col = (i: number, list = rows) => list.reduce((a, row) => a + num(row[i]), 0);
  const visits: Table = {
    id: 'visits', title: '企业调研与现场考察及其成果', totalRow: true,
    note: '参加单位为审核通过的采购方（活动开始前退出的不计，另列“退出单位”）；“到场单位”为签到的单位，“未到场单位”为活动结束后主办方标记未到场的单位；“考察记录”为逐站逐单位登记的结果，“有意向”含已签约；签约数与金额取自对接跟进记录（每个需求与供应商只记一次）。',
    columns: ['活动', '类型', '日期', '阶段', '站点', '参加单位', '人数', '到场单位', '未到场单位', '退出单位', '考察记录', '有意向', '已签约', '签约金额（元）'],
    rows: [...rows, ['合计', '', '', '', ...[4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((i) => col(i))]],
  };
  const byKind: Table = {
    id: 'visits-kind', title: '按类型',
    columns: ['类型', '活动', '已结束', '参加单位', '有意向', '已签约', '签约金额（元）'],
    rows: ['survey', 'site'].map((k) => {
      const list = rows.filter((row) => row[1] === visitKindNames[k]);
      return [visitKindNames[k], list.length, list.filter((row) => row[3] === '已结束').length, col(5, list), col(11, list), col(12, list), col(13, list)] as Cell[];
    }),
  };
  byKind.chart = chartOf(byKind, [1, 3, 4, 5]);
  return {
    id: 'visits', title: '企业调研与现场考察',
    intro: '时间段内举行的企业调研和现场考察（筹备中、已取消的不计；按领域筛选时为该领域的活动；地区不适用）。',
    headline: [
      { label: '企业调研', value: fmt(num(byKind.rows[0][1])) },
      { label: '现场考察', value: fmt(num(byKind.rows[1][1])) },
      { label: '已举行', value: fmt(rows.filter((row) => row[3] === '已结束').length) },
      { label: '参加单位', value: fmt(col(5)) },
      { label: '有意向', value: fmt(col(11)) },
      { label: '已签约', value: fmt(col(12)) },
    ],
    tables: [visits, byKind],
  };
}

export interface ReportRows { suppliers: SupplierRows; demands: DemandRows; funnel: FunnelRows; events: EventRows; visits?: VisitRows }

export function buildReport(rows: ReportRows, scope: ReportScope & { months: string[] }, query: ReportQuery, now: Date): Report {
  const demands = demandsSection(rows.demands, scope);
  const funnel = funnelSection(rows.funnel, scope);
  const trends: Section = {
    id: 'trends', title: '趋势',
    intro: query.from || query.to ? '时间段内逐月。' : '未指定时间段时为最近 12 个月。',
    headline: [],
    tables: [demands.trend, funnel.trend],
  };
  const periodText = query.from || query.to ? `${query.from ?? '最早'} 至 ${query.to ?? '今天'}` : '全部时间';
  return {
    generatedAt: now,
    periodText,
    filters: [
      { label: '时间段', value: periodText },
      { label: '领域', value: query.field ? fieldName(query.field) : '全部' },
      { label: '地区', value: query.region ?? '全部' },
    ],
    sections: [
      suppliersSection(rows.suppliers, scope), demands.section, funnel.section, trends, eventsSection(rows.events),
      visitsSection(rows.visits ?? { visits: [], registrations: [], outcomes: [] }),
    ],
  };
}

/** Escaped JSON for a `<script type="application/json">`: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
