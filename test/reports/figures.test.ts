/**
 * Every number of the report on a known data set (test/reports/dataset.ts), with and without filters.
 * The expected rows are counted by hand from the data set.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { overview } from '../../src/reports/service.js';
import { ReportQuery } from '../../src/reports/schemas.js';
import { monthsBetween, scopeOf, type Report } from '../../src/reports/figures.js';
import { freshnessOf } from '../../src/suppliers/freshness.js';
import { NOW, loadDataset } from './dataset.js';

const app = await buildTestApp(t, {}, { clock: () => NOW, background: false });
await loadDataset(app);

const policy = { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS };
const run = (q: Record<string, string> = {}) => overview({ models: app.models, clock: app.clock, policy }, ReportQuery.parse(q));
const rows = (report: Report, id: string) => {
  const table = report.sections.flatMap((s) => s.tables).find((x) => x.id === id);
  if (!table) throw new Error(`no table ${id}`);
  return table.rows;
};

t.test('supplier list: freshness, fields, regions, categories, certifications', async (t) => {
  const r = await run();
  t.same(rows(r, 'suppliers-freshness'), [
    ['信息有效', 2, 6], ['信息待更新', 1, 2], ['已隐藏（超期未确认）', 2, 1], ['合计', 5, 9],
  ]);
  t.same(rows(r, 'suppliers-field'), [
    ['工业', 2, 3, 3, 0, 0], ['能源', 0, 0, 0, 0, 0], ['环保', 0, 0, 0, 0, 0], ['建筑与市政', 0, 0, 0, 0, 0],
    ['医疗', 1, 1, 0, 0, 1], ['教育', 1, 0, 0, 0, 0], ['安防', 2, 5, 3, 2, 0], ['文旅', 0, 0, 0, 0, 0],
    ['合计', 5, 9, 6, 2, 1],
  ]);
  t.same(rows(r, 'suppliers-region'), [
    ['滨江区', 2, 1, 0, 1, 4], ['杭州市其他区县', 1, 0, 1, 0, 2], ['浙江省其他城市', 1, 0, 0, 1, 1], ['浙江省外', 1, 1, 0, 0, 2],
    ['合计', 5, 2, 1, 2, 9],
  ]);
  t.same(rows(r, 'suppliers-category'), [
    ['工业', '数控机床与工业母机', 2, 3],
    ['医疗', '医学影像设备', 1, 1],
    ['安防', '视频监控前端设备', 2, 4],
    ['安防', '视频图像智能分析与存储', 1, 1],
    ['合计', '', '', 9],
  ]);
  t.equal(rows(r, 'suppliers-category').length, 5, 'only categories with published products');
  // 专精特新's only certificate expired: it no longer counts.
  t.same(rows(r, 'suppliers-certification'), [['高新技术企业', 2, 1], ['ISO 9001 质量管理体系', 1, 1]]);
  t.same(r.sections[0].headline.map((h) => h.value), ['5', '2', '9', '3']);
});

t.test('supplier list filtered by field and by region', async (t) => {
  const security = await run({ field: 'security' });
  t.same(rows(security, 'suppliers-freshness'), [['信息有效', 1, 3], ['信息待更新', 1, 2], ['已隐藏（超期未确认）', 0, 0], ['合计', 2, 5]]);
  t.same(rows(security, 'suppliers-field'), [['安防', 2, 5, 3, 2, 0], ['合计', 2, 5, 3, 2, 0]]);
  const binjiang = await run({ region: '滨江区' });
  t.same(rows(binjiang, 'suppliers-freshness'), [['信息有效', 1, 4], ['信息待更新', 0, 0], ['已隐藏（超期未确认）', 1, 0], ['合计', 2, 4]]);
  const hangzhou = await run({ region: '杭州市' });
  t.same(rows(hangzhou, 'suppliers-freshness').at(-1), ['合计', 3, 6]);
  const outside = await run({ region: '省外' });
  t.same(rows(outside, 'suppliers-region'), [
    ['滨江区', 0, 0, 0, 0, 0], ['杭州市其他区县', 0, 0, 0, 0, 0], ['浙江省其他城市', 0, 0, 0, 0, 0], ['浙江省外', 1, 1, 0, 0, 2], ['合计', 1, 1, 0, 0, 2],
  ]);
  const zhejiang = await run({ region: '浙江省' });
  t.same(rows(zhejiang, 'suppliers-freshness').at(-1), ['合计', 4, 7]);
});

t.test('freshness in the aggregation is freshnessOf() exactly, at the boundaries', async (t) => {
  const policy = { days: 90, graceDays: 30 };
  const D = 86_400_000;
  // The aggregation's cut-offs: confirmed exactly 90 days ago is current, a millisecond more is stale.
  t.equal(freshnessOf(new Date(NOW.getTime() - 90 * D), NOW, policy), 'current');
  t.equal(freshnessOf(new Date(NOW.getTime() - 90 * D - 1), NOW, policy), 'stale');
  t.equal(freshnessOf(new Date(NOW.getTime() - 120 * D), NOW, policy), 'stale');
  t.equal(freshnessOf(new Date(NOW.getTime() - 120 * D - 1), NOW, policy), 'hidden');
  const { Vendor } = app.models;
  const base = await Vendor.findOne({ name: /企业1有限/ }).lean();
  const make = async (n: number, confirmedAt: Date) => {
    const { _id: _ignored, ...rest } = base!;
    await Vendor.collection.insertOne({ ...rest, name: `边界${n}`, creditCode: `B${n}`, district: '临平区', confirmedAt } as never);
  };
  await make(1, new Date(NOW.getTime() - 90 * D));
  await make(2, new Date(NOW.getTime() - 90 * D - 1));
  await make(3, new Date(NOW.getTime() - 120 * D));
  await make(4, new Date(NOW.getTime() - 120 * D - 1));
  const r = await run({ region: '临平区' });
  t.same(rows(r, 'suppliers-freshness'), [['信息有效', 1, 0], ['信息待更新', 2, 0], ['已隐藏（超期未确认）', 1, 0], ['合计', 4, 0]]);
  await Vendor.deleteMany({ name: /^边界/ });
});

t.test('demands by level, field and status; drafts never count', async (t) => {
  const r = await run();
  t.same(rows(r, 'demands-level'), [
    ['省级', 2, 150_000, 1, 0, 1, 0, 0],
    ['市级', 3, 7_000, 1, 1, 0, 1, 0],
    ['区级', 1, 20_000, 0, 0, 0, 0, 1],
    ['合计', 6, 177_000, 2, 1, 1, 1, 1],
  ]);
  t.same(rows(r, 'demands-field'), [
    ['工业', 1, 50_000], ['能源', 0, 0], ['环保', 0, 0], ['建筑与市政', 0, 0], ['医疗', 1, 20_000], ['教育', 1, 0], ['安防', 2, 100_000], ['文旅', 0, 0],
    ['未填领域', 1, 7_000], ['合计', 6, 177_000],
  ]);
  t.same(rows(r, 'demands-status'), [
    ['征集中', 2, '33.3%'], ['对接中', 1, '16.7%'], ['已关闭·已完成', 1, '16.7%'], ['已关闭·已取消', 1, '16.7%'], ['已关闭·已过期', 1, '16.7%'], ['合计', 6, '100.0%'],
  ]);
});

t.test('demand filters: period in China days, field, region', async (t) => {
  // D4 was posted 2026-04-01 01:00 China time (still 31 March in UTC): not in March.
  const march = await run({ from: '2026-03-01', to: '2026-03-31' });
  t.same(rows(march, 'demands-level').at(-1), ['合计', 1, 0, 0, 1, 0, 0, 0]);
  const april = await run({ from: '2026-04-01', to: '2026-04-30' });
  t.same(rows(april, 'demands-level').at(-1), ['合计', 1, 20_000, 0, 0, 0, 0, 1]);
  const security = await run({ field: 'security' });
  t.same(rows(security, 'demands-field'), [['安防', 2, 100_000], ['合计', 2, 100_000]]);
  const binjiang = await run({ region: '滨江区' });
  t.same(rows(binjiang, 'demands-level').map((x) => x.slice(0, 3)), [['省级', 0, 0], ['市级', 0, 0], ['区级', 1, 20_000], ['合计', 1, 20_000]]);
  const ningbo = await run({ region: '宁波市' });
  t.same(rows(ningbo, 'demands-level').at(-1)?.slice(0, 3), ['合计', 1, 7_000]);
});

t.test('follow-up funnel and results by buyer level', async (t) => {
  const r = await run();
  t.same(rows(r, 'funnel'), [
    ['推荐（有跟进记录）', 6, '100.0%', ''],
    ['已联系', 5, '83.3%', ''],
    ['有意向', 4, '66.7%', ''],
    ['已签约', 2, '33.3%', 80_000],
    ['不合适（另列）', 2, '33.3%', ''],
  ]);
  t.same(rows(r, 'funnel-level'), [
    ['省级', 2, 1, 3, 3, 2, 1, 80_000],
    ['市级', 1, 0, 2, 1, 1, 0, 0],
    ['区级', 1, 1, 1, 1, 1, 1, 0],
    ['合计', 4, 2, 6, 5, 4, 2, 80_000],
  ]);
  const funnelHeadline = r.sections.find((s) => s.id === 'funnel')!.headline.map((h) => h.value);
  t.same(funnelHeadline, ['6', '2', '80,000 元（1 项填了金额）', '4']);
});

t.test('funnel filters: cohort of the period, stages reached by its end; field; region', async (t) => {
  const janFeb = await run({ from: '2026-01-01', to: '2026-02-28' });
  t.same(rows(janFeb, 'funnel').map((x) => x.slice(0, 2)), [['推荐（有跟进记录）', 3], ['已联系', 3], ['有意向', 1], ['已签约', 0], ['不合适（另列）', 1]]);
  const security = await run({ field: 'security' });
  t.same(rows(security, 'funnel').map((x) => x[1]), [4, 3, 2, 1, 2]);
  t.equal(rows(security, 'funnel')[3][3], 80_000);
  const binjiang = await run({ region: '滨江区' });
  t.same(rows(binjiang, 'funnel').map((x) => x[1]), [1, 1, 1, 1, 0]);
});

t.test('trends per month, China time, last 12 months by default', async (t) => {
  const r = await run();
  const months = monthsBetween('2025-07', '2026-06');
  const demandCounts: Record<string, number> = { '2025-12': 1, '2026-01': 1, '2026-02': 1, '2026-03': 1, '2026-04': 1 };
  t.same(rows(r, 'trend-demands'), [...months.map((m) => [m, demandCounts[m] ?? 0]), ['合计', 5]]);
  const steps: Record<string, number[]> = {
    '2026-01': [2, 0, 0, 0], '2026-02': [1, 1, 0, 0], '2026-03': [0, 1, 1, 80_000], '2026-04': [1, 0, 1, 0], '2026-05': [0, 1, 0, 0],
  };
  t.same(rows(r, 'trend-followups'), [...months.map((m) => [m, ...(steps[m] ?? [0, 0, 0, 0])]), ['合计', 4, 3, 2, 80_000]]);
  const q1 = await run({ from: '2026-01-01', to: '2026-03-31' });
  t.same(rows(q1, 'trend-demands'), [['2026-01', 1], ['2026-02', 1], ['2026-03', 1], ['合计', 3]]);
  t.same(rows(q1, 'trend-followups'), [['2026-01', 2, 0, 0, 0], ['2026-02', 1, 1, 0, 0], ['2026-03', 0, 1, 1, 80_000], ['合计', 3, 2, 1, 80_000]]);
});

t.test('events and their outcomes', async (t) => {
  const r = await run();
  // The draft (筹备中) event is the organizers' own: it is not reported.
  t.same(rows(r, 'events'), [
    ['安防专场对接会', '2026-03-20', '已结束', 2, 2, 2, 1, 5, 3, 1, 2, 1, 80_000],
    ['医疗设备对接会', '2026-07-01', '报名中', 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    ['合计', '', '', 2, 3, 2, 1, 5, 3, 1, 2, 1, 80_000],
  ]);
  t.same(rows(r, 'events-outcome'), [['安排洽谈', 5], ['已洽谈', 3], ['洽谈未到场', 1], ['有意向', 2], ['已签约', 1], ['未登记结果', 1]]);
  const march = await run({ from: '2026-03-01', to: '2026-03-31' });
  t.same(rows(march, 'events').map((x) => x[0]), ['安防专场对接会', '合计']);
  const medical = await run({ field: 'medical' });
  t.same(rows(medical, 'events').map((x) => x[0]), ['医疗设备对接会', '合计']);
});

t.test('the scope: periods in China days, twelve months by default', async (t) => {
  const s = scopeOf({ from: '2026-03-01', to: '2026-03-31' }, NOW, { days: 90, graceDays: 30 });
  t.same(s.from, new Date('2026-02-28T16:00:00Z'));
  t.same(s.toEnd, new Date('2026-03-31T16:00:00Z'));
  t.same(s.months, ['2026-03']);
  const d = scopeOf({}, NOW, { days: 90, graceDays: 30 });
  t.equal(d.months.length, 12);
  t.same([d.months[0], d.months[11]], ['2025-07', '2026-06']);
  t.same(d.trendFrom, new Date('2025-06-30T16:00:00Z'));
  t.same(d.trendToEnd, new Date('2026-06-30T16:00:00Z'));
  t.same(scopeOf({ to: '2026-01-15' }, NOW, { days: 90, graceDays: 30 }).months.at(-1), '2026-01');
});
