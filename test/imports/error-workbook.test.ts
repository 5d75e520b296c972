/**
 * The rejected rows come back as an .xlsx (GET …/:jobId/errors.xlsx) for both importers: one row per bad
 * row, as it was sent, with its original row number and the reasons beside it; text that a spreadsheet
 * would run as a formula stays text.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp } from '../helper.js';
import { binjiangBureau, orgOf } from '../demands/support.js';
import { badCreditCode, creditCode, importFile, multipart, staffSession, tokenFor } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
await orgOf(app, binjiangBureau);
const { cookie } = await staffSession(app);
const token = await tokenFor(app, cookie);

async function workbook(url: string) {
  const res = await app.inject({ method: 'GET', url, headers: { cookie } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  return { res, wb };
}
const rowsOf = (sheet: ExcelJS.Worksheet) => {
  const out: unknown[][] = [];
  sheet.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
};

t.test('the supplier import: bad vendor and product rows with their reasons, one row each', async (t) => {
  const csv = [
    '统一社会信用代码,企业名称,省份,城市,领域',
    `${creditCode(301)},好企业有限公司,浙江省,杭州市,安防`,
    `${badCreditCode(302)},=HYPERLINK("http://x"),浙江省,杭州市,安防`,
    `${creditCode(303)},未知领域有限公司,浙江省,杭州市,航天`,
  ].join('\n');
  const { job } = await importFile(app, token, cookie, '供应商.csv', csv);
  t.match(job, { status: 'done', created: 1, rejected: 2 });

  const { res, wb } = await workbook(`/api/v1/imports/${job.id}/errors.xlsx`);
  t.match(res.headers['content-type'], /spreadsheetml/);
  t.match(res.headers['content-disposition'], /filename\*=UTF-8''/);
  const sheet = wb.getWorksheet('供应商')!;
  const rows = rowsOf(sheet);
  const head = rows[0] as string[];
  t.equal(head.at(-1), '错误原因', 'the reason is the last column');
  t.equal(head.at(-2), '原行号');
  t.equal(head[0], '统一社会信用代码', 'the template\'s columns first');
  t.equal(rows.length, 3, 'one row per bad row');
  const [, first, second] = rows;
  t.equal(first[0], badCreditCode(302), 'the row as it was sent');
  t.equal(first[1], '\'=HYPERLINK("http://x")', 'formula-like text stays text');
  t.equal(first.at(-2), 3, 'its row in the file');
  t.match(first.at(-1), /统一社会信用代码：.*校验/, 'the reason beside it, naming the column');
  t.equal(second[1], '未知领域有限公司');
  t.match(second.at(-1), /领域：未知的领域：航天/);
  t.notOk(wb.getWorksheet('产品'), 'no sheet for a kind without bad rows');

  const buyer = await app.inject({ method: 'GET', url: `/api/v1/imports/${job.id}/errors.xlsx` });
  t.equal(buyer.statusCode, 401, 'staff only');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/imports/000000000000000000000000/errors.xlsx', headers: { cookie } })).statusCode, 404);

  const page = await app.inject({ method: 'GET', url: `/admin/imports/${job.id}`, headers: { cookie } });
  t.match(page.body, new RegExp(`/api/v1/imports/${job.id}/errors\\.xlsx`), 'the job page links the workbook');
});

t.test('the demand import: the same workbook, and a failed file lists its reason', async (t) => {
  const headers = '需求标题,类别,数量,单位,截止日期,采购单位';
  const csv = [
    headers,
    `好需求,elevator,1,台,2099-03-01,${binjiangBureau.name}`,
    `数量不对,elevator,很多,台,2099-03-01,${binjiangBureau.name}`,
    `已过期,elevator,1,台,2020-01-01,${binjiangBureau.name}`,
  ].join('\n');
  const body = multipart({ name: '需求.csv', content: csv }, { publish: 'true' });
  const res = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  t.equal(res.statusCode, 202);
  await app.demandImports.runPending('test-worker');
  const jobId = res.json().jobId as string;
  const job = (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${jobId}`, headers: { cookie } })).json();
  t.match(job, { status: 'done', created: 1, rejected: 2 });

  const { wb } = await workbook(`/api/v1/demand-imports/${jobId}/errors.xlsx`);
  const rows = rowsOf(wb.getWorksheet('需求')!);
  t.equal(rows.length, 3, 'header and one row per bad row');
  t.equal(rows[0][0], '需求标题');
  t.equal(rows[0].at(-1), '错误原因');
  t.same([rows[1][0], rows[1].at(-2)], ['数量不对', 3]);
  t.match(rows[1].at(-1), /数量：/);
  t.same([rows[2][0], rows[2].at(-2)], ['已过期', 4]);
  t.match(rows[2].at(-1), /截止日期：截止日期已过/, 'a row refused while writing is listed too');
  const buyerOrgColumn = (rows[0] as string[]).indexOf('采购单位');
  t.equal(rows[1][buyerOrgColumn], binjiangBureau.name, 'nested columns are filled');

  const missing = multipart({ name: 'no-title.csv', content: '采购单位,数量\n某单位,3\n' });
  const failed = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { ...missing.headers, authorization: `Bearer ${token}` }, payload: missing.payload });
  await app.demandImports.runPending('test-worker');
  const { wb: fileWb } = await workbook(`/api/v1/demand-imports/${failed.json().jobId}/errors.xlsx`);
  t.match(JSON.stringify(rowsOf(fileWb.getWorksheet('文件问题')!)), /缺少必填列“需求标题”/);
});

t.test('the templates offer dropdowns for the coded columns, listed on the 说明 sheet', async (t) => {
  for (const [url, sheetName, header, expected] of [
    ['/api/v1/imports/template.xlsx', '供应商', '领域', '安防'],
    ['/api/v1/imports/template.xlsx', '产品', '类别', '视频监控前端设备'],
    ['/api/v1/demand-imports/template.xlsx', '需求', '层级', '市级'],
    ['/api/v1/demand-imports/template.xlsx', '需求', '必需认证', 'ISO 9001 质量管理体系'],
  ] as const) {
    const { wb } = await workbook(url);
    const sheet = wb.getWorksheet(sheetName)!;
    const col = (sheet.getRow(1).values as unknown[]).indexOf(header);
    const validation = sheet.getCell(2, col).dataValidation;
    t.match(validation, { type: 'list', formulae: [/^'说明'!\$[A-Z]+\$2:\$[A-Z]+\$\d+$/] }, `${sheetName}·${header} has a dropdown`);
    const [, letter, last] = /\$([A-Z]+)\$2:\$[A-Z]+\$(\d+)$/.exec(validation.formulae![0] as string)!;
    const help = wb.getWorksheet('说明')!;
    const offered = Array.from({ length: Number(last) - 1 }, (_, i) => help.getCell(`${letter}${i + 2}`).value);
    t.ok(offered.includes(expected), `${header} offers ${expected}`);
  }
});
