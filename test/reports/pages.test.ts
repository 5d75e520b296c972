/**
 * The report as people get it: who may open it (organizers, admins, district leaders), bad filters as a
 * Chinese 400 page, charts from local files under the strict CSP, and the workbook read back with exceljs
 * showing the same numbers as the page's tables.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp, createUser, login } from '../helper.js';
import { NOW, loadDataset } from './dataset.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '10000' }, { clock: () => NOW, background: false });
await loadDataset(app);

const as = async (role: 'organizer' | 'admin' | 'leader' | 'vendor' | 'buyer') => {
  const user = await createUser(app, role);
  return login(app, user.email, user.password);
};
const organizer = await as('organizer');
const leader = await as('leader');

const unescape = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();

/** Every report table of a page: id → rows of cell texts (header row first). */
function pageTables(html: string): Map<string, string[][]> {
  const tables = new Map<string, string[][]>();
  for (const m of html.matchAll(/<table class="table rp-table" id="rp-t-([\w-]+)"[^>]*>([\s\S]*?)<\/table>/g)) {
    const rows = [...m[2].matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => unescape(c[1])));
    tables.set(m[1], rows);
  }
  return tables;
}

t.test('organizers, admins and leaders open the report; others may not', async (t) => {
  for (const [who, cookie] of [['organizer', organizer], ['admin', await as('admin')], ['leader', leader]] as const) {
    const res = await app.inject({ url: '/reports', headers: { cookie } });
    t.equal(res.statusCode, 200, `${who} sees /reports`);
    t.match(res.body, /<h1>统计报表/);
    t.match(res.body, /href="\/reports"[^>]*>统计报表<\/a>/, `${who} has 统计报表 in the navigation`);
  }
  for (const role of ['vendor', 'buyer'] as const) {
    const res = await app.inject({ url: '/reports', headers: { cookie: await as(role) } });
    t.equal(res.statusCode, 403, `${role} is refused`);
    t.notMatch(res.body, />统计报表<\/a>/, `${role} has no 统计报表 link`);
  }
  const guest = await app.inject({ url: '/reports?from=2026-01-01' });
  t.equal(guest.statusCode, 303);
  t.match(guest.headers.location, /^\/login\?next=%2Freports/);
});

t.test('a district leader is read-only: the reports and public pages, nothing of the workbenches', async (t) => {
  for (const url of ['/organizer', '/organizer/demands', '/admin/users', '/organizer/review', '/buyer', '/vendor', '/demands/new']) {
    const res = await app.inject({ url, headers: { cookie: leader } });
    t.equal(res.statusCode, 403, `${url} refused`);
  }
  for (const url of ['/', '/directory', '/reports/print', '/reports/report.xlsx']) {
    const res = await app.inject({ url, headers: { cookie: leader } });
    t.equal(res.statusCode, 200, `${url} open`);
  }
  const demands = await app.inject({ url: '/api/v1/demands', headers: { cookie: leader } });
  t.equal(demands.statusCode, 200);
  t.equal(demands.json().total, 0, 'no demand lists for leaders');
  const page = await app.inject({ url: '/reports', headers: { cookie: leader } });
  t.notMatch(page.body, /<form method="post"(?! action="\/logout")/, 'no forms that change anything (only logout)');
});

t.test('bad filters are a Chinese 400 page, never a 500', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['from=2026-13-01', /开始日期不是有效的日期/],
    ['from=2026/01/01', /开始日期格式应为/],
    ['from=2026-03-01&to=2026-02-01', /结束日期不能早于开始日期/],
    ['field=space', /未知的领域代码/],
    ['region=火星', /未知的地区/],
    ['from=2000-01-01&to=2026-01-01', /时间段最长 120 个月/],
    ['from=2026-01-01&from=2026-02-01', /开始日期应为日期/],
  ];
  for (const [qs, message] of cases) {
    const res = await app.inject({ url: `/reports?${qs}`, headers: { cookie: organizer } });
    t.equal(res.statusCode, 400, `${qs}: 400`);
    t.match(res.headers['content-type'], /text\/html/);
    t.match(res.body, message, `${qs}: says why`);
    const xlsx = await app.inject({ url: `/reports/report.xlsx?${qs}`, headers: { cookie: organizer } });
    t.equal(xlsx.statusCode, 400, `${qs}: the export refuses too`);
  }
  const api = await app.inject({ url: '/api/v1/reports/overview?to=yesterday', headers: { cookie: organizer } });
  t.equal(api.statusCode, 400);
  t.match(api.json(), { error: 'BAD_REQUEST', message: /结束日期/, details: [{ path: 'to' }] });
  const empty = await app.inject({ url: '/reports?from=&to=&field=&region=', headers: { cookie: organizer } });
  t.equal(empty.statusCode, 200, 'empty filters (the form sent as is) mean no filter');
});

t.test('charts: data as escaped JSON, Chart.js and the drawing script from the platform, tables beside', async (t) => {
  const res = await app.inject({ url: '/reports', headers: { cookie: organizer } });
  const csp = String(res.headers['content-security-policy']);
  t.match(csp, /script-src 'self'/);
  t.notMatch(csp, /unsafe-inline/);
  t.match(res.body, /<script src="\/public\/vendor\/chart\.umd\.min\.js" defer><\/script>/);
  t.match(res.body, /<script src="\/public\/js\/reports\.js" defer><\/script>/);
  t.notMatch(res.body, /<script>(?!<)/, 'no inline script');
  t.notMatch(res.body, /https?:\/\/(?!www\.w3\.org)[^"'\s]*\.(js|css)/, 'nothing from outside');
  const json = /<script type="application\/json" id="rp-chart-data">([\s\S]*?)<\/script>/.exec(res.body);
  t.ok(json, 'chart data in a JSON script element');
  const charts = JSON.parse(json![1]) as Record<string, { labels: string[]; series: Array<{ label: string; data: number[] }> }>;
  const tables = pageTables(res.body);
  for (const [id, chart] of Object.entries(charts)) {
    t.ok(res.body.includes(`data-rp-chart="${id}"`), `${id}: a place for the chart`);
    const table = tables.get(id)!;
    t.ok(table, `${id}: the numbers as a table`);
    const header = table[0];
    for (const series of chart.series) {
      const col = header.indexOf(series.label);
      t.ok(col > 0, `${id}: series ${series.label} is a column`);
      chart.labels.forEach((label, i) => {
        const row = table.find((r) => r[0] === label)!;
        t.equal(row[col].replace(/,/g, ''), String(series.data[i]), `${id} ${label} ${series.label}`);
      });
    }
  }
  const lib = await app.inject({ url: '/public/vendor/chart.umd.min.js' });
  t.equal(lib.statusCode, 200);
  t.match(lib.headers['content-type'], /javascript/);
  t.match(lib.body.slice(0, 400), /Chart\.js v4\.6\.1/);
  const script = await app.inject({ url: '/public/js/reports.js' });
  t.equal(script.statusCode, 200);
  // Something that tries to close the script element in a label stays inert.
  const { scriptJson } = await import('../../src/reports/figures.js');
  t.equal(scriptJson({ a: '</script><b>&' }), '{"a":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}');
});

t.test('the workbook has the same numbers as the page, with Chinese headers', async (t) => {
  for (const qs of ['', '?from=2026-01-01&to=2026-03-31&field=security', '?region=滨江区']) {
    const page = await app.inject({ url: `/reports${encodeURI(qs)}`, headers: { cookie: organizer } });
    t.equal(page.statusCode, 200);
    const tables = pageTables(page.body);
    t.ok(tables.size >= 12, `${qs || '(no filter)'}: ${tables.size} tables on the page`);
    const res = await app.inject({ url: `/reports/report.xlsx${encodeURI(qs)}`, headers: { cookie: organizer } });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /spreadsheetml/);
    t.match(res.headers['content-disposition'], /filename\*=UTF-8''%E7%BB%9F%E8%AE%A1%E6%8A%A5%E8%A1%A8/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    t.equal(workbook.worksheets[0].name, '说明');
    t.equal(workbook.worksheets.length, tables.size + 1, 'one sheet per table, plus 说明');
    const ids = [...tables.keys()];
    workbook.worksheets.slice(1).forEach((sheet, i) => {
      const expected = tables.get(ids[i])!;
      const got: string[][] = [];
      sheet.eachRow({ includeEmpty: false }, (row) => {
        const values = (row.values as unknown[]).slice(1);
        while (values.length < expected[0].length) values.push('');
        got.push(values.map((v) => (typeof v === 'number' ? v.toLocaleString('zh-CN') : String(v ?? ''))));
      });
      t.same(got, expected, `${qs || '(no filter)'}: sheet ${sheet.name} = table ${ids[i]}`);
    });
  }
  // And the numbers really are numbers in the spreadsheet.
  const res = await app.inject({ url: '/reports/report.xlsx', headers: { cookie: organizer } });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  const level = workbook.worksheets.find((s) => s.name.includes('按采购方层级') && s.name.startsWith('采购需求'))!;
  t.same(level.getRow(1).values, [undefined, '层级', '需求', '预算合计（元）', '征集中', '对接中', '已关闭·已完成', '已关闭·已取消', '已关闭·已过期']);
  t.same(level.getRow(5).values, [undefined, '合计', 6, 177_000, 2, 1, 1, 1, 1]);
});

t.test('the printable page and the JSON API carry the same report', async (t) => {
  const print = await app.inject({ url: '/reports/print?field=security', headers: { cookie: organizer } });
  t.equal(print.statusCode, 200);
  t.match(print.body, /统计报表（打印版）/);
  t.notMatch(print.body, /<form method="get" action="\/reports"/, 'no filter form on paper');
  const page = await app.inject({ url: '/reports?field=security', headers: { cookie: organizer } });
  t.same(pageTables(print.body), pageTables(page.body));
  const api = await app.inject({ url: '/api/v1/reports/overview?field=security', headers: { cookie: organizer } });
  t.equal(api.statusCode, 200);
  const funnel = api.json().sections.find((s: { id: string }) => s.id === 'funnel').tables[0];
  t.same(funnel.rows.map((r: unknown[]) => r[1]), [4, 3, 2, 1, 2]);
  const css = await app.inject({ url: '/public/css/app.css' });
  t.match(css.body, /@media print[\s\S]*\.rp-/, 'a print stylesheet for the report');
});

t.test('an empty platform reports zeros, not errors', async (t) => {
  await Promise.all(['vendors', 'products', 'demands', 'follow_ups', 'buyerorgs', 'events', 'event_participants', 'event_meetings'].map((c) => app.conn.collection(c).deleteMany({})));
  const res = await app.inject({ url: '/reports?from=2026-01-01&to=2026-06-30&field=medical&region=杭州市', headers: { cookie: organizer } });
  t.equal(res.statusCode, 200);
  const tables = pageTables(res.body);
  t.same(tables.get('funnel')!.slice(1).map((r) => r[1]), ['0', '0', '0', '0', '0']);
  t.same(tables.get('events')!.slice(1), [['合计', '', '', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0']]);
  await app.conn.collection('events').drop().catch(() => {});
  const noCollection = await app.inject({ url: '/reports', headers: { cookie: organizer } });
  t.equal(noCollection.statusCode, 200, 'events collections that do not exist yet');
});

t.test('snapshots: a report is kept for a minute and shared; without one it is computed afresh', async (t) => {
  const url = '/reports/report.xlsx?region=宁波市';
  await app.inject({ url: encodeURI(url), headers: { cookie: organizer } });
  const Snapshots = app.conn.collection('report_snapshots');
  t.equal(await Snapshots.countDocuments({ _id: JSON.stringify(['', '', '', '宁波市']) as never }), 1, 'kept');
  await app.models.BuyerOrg.collection.insertOne({ name: '宁波市新单位', type: 'school', level: 'city', province: '浙江省', city: '宁波市' });
  const org = await app.models.BuyerOrg.findOne({ name: '宁波市新单位' }).lean();
  await app.models.Demand.collection.insertOne({ buyerOrg: org!._id, title: '新需求', status: 'open', createdAt: NOW, updatedAt: NOW });
  const api = (async () => (await app.inject({ url: encodeURI('/api/v1/reports/overview?region=宁波市'), headers: { cookie: organizer } })).json());
  const total = (body: { sections: Array<{ id: string; tables: Array<{ id: string; rows: unknown[][] }> }> }) =>
    body.sections.find((s) => s.id === 'demands')!.tables[0].rows.at(-1)![1];
  t.equal(total(await api()), 0, 'within the minute: the snapshot (the page says when it was computed)');
  await Snapshots.deleteMany({});
  t.equal(total(await api()), 1, 'recomputed');
});
