/** Demand-list import (.xlsx/.csv/JSON): happy path, every kind of row error, idempotent re-import, the page. */
import t from 'tap';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, csrfFrom } from '../helper.js';
import { multipart, tokenFor } from '../imports/fixtures.js';
import { binjiangBureau, orgOf, session } from './support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
await orgOf(app, binjiangBureau);
const organizer = await session(app, 'organizer');
const token = await tokenFor(app, organizer.cookie);

const headers = ['需求标题', '需求描述', '领域', '类别', '数量', '单位', '预算（元）', '必需认证', '优选认证', '截止日期', '采购单位', '单位类型', '层级', '省份', '城市', '区县'];

async function xlsx(rows: unknown[][], sheetName = '需求', head = headers) {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet(sheetName);
  sheet.addRow(head);
  rows.forEach((r) => sheet.addRow(r));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function runImport(app: FastifyInstance, name: string, content: Buffer | string, fields: Record<string, string> = { publish: 'true' }) {
  const body = multipart({ name, content }, fields);
  const res = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  if (res.statusCode !== 202) throw new Error(`refused: ${res.statusCode} ${res.body}`);
  await app.demandImports.runPending('test-worker');
  return (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${res.json().jobId}`, headers: { authorization: `Bearer ${token}` } })).json();
}

const provinceRows = [
  ['全省县级医院CT设备更新', '64排以上CT，含安装培训', '医疗', 'medical-imaging', 12, '台', '96,000,000', '医疗器械注册证', '省级首台（套）产品', new Date(Date.UTC(2099, 5, 30)), '浙江省卫生健康委员会', '机关单位', '省级', '浙江省', '杭州市', ''],
  ['区属学校午休课桌椅', '躺睡课桌椅', '', '课桌椅与午休设备', 3000, '套', 7500000, '', '品字标“浙江制造”、green-product', '2099-07-31', binjiangBureau.name, '', '', '', '', ''],
  ['市级机关视频监控改造', '1000 路高清', 'security', 'video-surveillance', 1000, '路', '', 'ccc', '', '2099/12/31', '杭州市公安局', 'agency', 'city', '浙江省', '杭州市', ''],
];

t.test('an .xlsx demand list imports, codes or Chinese names alike, new organizations created, and re-imports unchanged', async (t) => {
  const file = await xlsx(provinceRows);
  const job = await runImport(app, '省厅下发需求.xlsx', file);
  t.same(job.errors, []);
  t.match(job, { status: 'done', format: 'xlsx', total: 3, processed: 3, created: 3, rejected: 0 });

  const ct = await app.models.Demand.findOne({ title: '全省县级医院CT设备更新' }).lean();
  t.match(ct, {
    field: 'medical', category: 'medical-imaging', quantity: 12, unit: '台', budgetYuan: 96_000_000,
    requiredCertifications: ['medical-device-registration'], status: 'open', source: 'import',
  });
  t.equal(ct!.deadline!.toISOString(), '2099-06-30T15:59:59.999Z', 'a date cell is that day');
  t.match(await app.models.BuyerOrg.findById(ct!.buyerOrg).lean(), { name: '浙江省卫生健康委员会', type: 'agency', level: 'province' });
  const desks = await app.models.Demand.findOne({ title: '区属学校午休课桌椅' }).lean();
  t.match(desks, { field: 'education', category: 'school-furniture', preferredCertifications: ['zhejiang-made', 'green-product'] });
  t.match(await app.models.BuyerOrg.findById(desks!.buyerOrg).lean(), { name: binjiangBureau.name, level: 'district' }, 'an existing organization by its name');

  const again = await runImport(app, '省厅下发需求.xlsx', file);
  t.match(again, { status: 'done', created: 0, updated: 0, unchanged: 3 });
  t.equal(await app.models.Demand.countDocuments({ source: 'import' }), 3, 'nothing duplicated');

  const changed = await xlsx([[...provinceRows[0].slice(0, 4), 20, ...provinceRows[0].slice(5)]]);
  const third = await runImport(app, '省厅下发需求（修订）.xlsx', changed);
  t.match(third, { created: 0, updated: 1 });
  const after = await app.models.Demand.findOne({ title: '全省县级医院CT设备更新' }).lean();
  t.equal(after!.quantity, 20);
  t.match(after!.history.at(-1), { action: 'import', fields: ['quantity'], by: { name: /需求导入/ } });
});

t.test('bad rows are reported with row, column and reason and skipped; good rows are kept', async (t) => {
  const csv = [
    headers.join(','),
    '市属医院DR设备,数字X线,medical,medical-imaging,5,台,800000,,,2099-03-01,杭州市第一人民医院,医院,市级,浙江省,杭州市,', // row 2: good
    '未知类别的需求,,,flying-cars,1,台,,,,2099-03-01,杭州市第一人民医院,,,,,', // 3: unknown category
    '数量不对,,,elevator,很多,台,,,,2099-03-01,杭州市第一人民医院,,,,,', // 4: quantity not a number
    '预算为负,,,elevator,1,台,-5,,,2099-03-01,杭州市第一人民医院,,,,,', // 5: negative budget
    '截止日期已过,,,elevator,1,台,,,,2020-01-01,杭州市第一人民医院,,,,,', // 6: past deadline
    '日期写错,,,elevator,1,台,,,,下个月,杭州市第一人民医院,,,,,', // 7: not a date
    '没有单位,,,elevator,1,台,,,,2099-03-01,,,,,,', // 8: no buyer
    '新单位缺层级,,,elevator,1,台,,,,2099-03-01,某某县住建局,机关单位,,浙江省,,', // 9: new org without level
    '未知认证,,,elevator,1,台,,登月认证,,2099-03-01,杭州市第一人民医院,,,,,', // 10: unknown certification
    '市属医院DR设备,重复一行,medical,medical-imaging,5,台,800000,,,2099-03-01,杭州市第一人民医院,医院,市级,浙江省,杭州市,', // 11: duplicate of 2
    '领域与类别不符,,security,elevator,1,台,,,,2099-03-01,杭州市第一人民医院,,,,,', // 12
  ].join('\n');
  const job = await runImport(app, '市里的需求.csv', `\ufeff${csv}\n`);
  t.match(job, { status: 'done', total: 11, created: 1, rejected: 10 });
  const errorOf = (row: number) => job.errors.filter((e: { row: number }) => e.row === row);
  t.match(errorOf(3), [{ kind: 'demand', field: 'category', column: '类别', message: /未知的类别：flying-cars/ }]);
  t.match(errorOf(4), [{ field: 'quantity', column: '数量', message: /数字/ }]);
  t.match(errorOf(5), [{ field: 'budgetYuan', column: '预算（元）', message: /不能为负/ }]);
  t.match(errorOf(6), [{ field: 'deadline', column: '截止日期', message: /截止日期已过/ }]);
  t.match(errorOf(7), [{ field: 'deadline', message: /日期/ }]);
  t.match(errorOf(8), [{ field: 'buyer.name', column: '采购单位', message: /采购单位/ }]);
  t.match(errorOf(9), [{ field: 'buyer.level', column: '层级', message: /新建单位须填写/ }]);
  t.match(errorOf(10), [{ field: 'requiredCertifications', column: '必需认证', message: /未知的认证：登月认证/ }]);
  t.match(errorOf(11), [{ field: 'title', message: /与第 2 行/ }]);
  t.match(errorOf(12), [{ field: 'category', message: '所选类别不属于所选领域' }]);
  t.equal(await app.models.Demand.countDocuments({ title: '市属医院DR设备' }), 1);
  t.equal(await app.models.BuyerOrg.countDocuments({ name: '某某县住建局' }), 0, 'a rejected row creates no organization');

  const missing = await runImport(app, 'no-title.csv', '采购单位,数量\n某单位,3\n');
  t.match(missing, { status: 'failed', failure: /缺少必填列：需求标题/, errors: [{ kind: 'file', row: 1, column: '需求标题' }] });
  const empty = await runImport(app, 'empty.xlsx', await xlsx([]));
  t.match(empty, { status: 'failed', failure: /没有数据行/ });
});

t.test('JSON import through the API, drafts unless asked to open', async (t) => {
  const res = await app.inject({
    method: 'POST', url: '/api/v1/demand-imports', headers: { authorization: `Bearer ${token}` },
    payload: { demands: [{ title: 'JSON 导入的需求', category: 'elevator', quantity: 280, unit: '台', buyer: { name: '杭州市住房保障和房产管理局', type: 'agency', level: 'city', province: '浙江省', city: '杭州市' } }, 'not an object'] },
  });
  t.equal(res.statusCode, 202);
  await app.demandImports.runPending('test-worker');
  const job = (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${res.json().jobId}`, headers: { authorization: `Bearer ${token}` } })).json();
  t.match(job, { status: 'done', created: 1, rejected: 1, errors: [{ row: 2 }] });
  t.match(await app.models.Demand.findOne({ title: 'JSON 导入的需求' }).lean(), { status: 'draft', field: 'construction' });

  const emptyList = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { authorization: `Bearer ${token}` }, payload: { demands: [] } });
  t.equal(emptyList.statusCode, 400);
  const buyer = await session(app, 'buyer');
  const refused = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { cookie: buyer.cookie }, payload: { demands: [{}] } });
  t.equal(refused.statusCode, 403, 'buyers cannot import lists');
});

t.test('templates and the organizer page', async (t) => {
  const tpl = await app.inject({ method: 'GET', url: '/api/v1/demand-imports/template.xlsx', headers: { cookie: organizer.cookie } });
  t.equal(tpl.statusCode, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(tpl.rawPayload as unknown as ArrayBuffer);
  const head = (wb.getWorksheet('需求')!.getRow(1).values as unknown[]).slice(1);
  t.same(head, headers, 'the template has every Chinese header');
  const fromTemplate = await runImport(app, 'template.xlsx', tpl.rawPayload);
  t.same(fromTemplate.errors, []);
  t.match(fromTemplate, { status: 'done', created: 1, rejected: 0 }, 'the template\'s example row imports as it is');
  const csvTpl = await app.inject({ method: 'GET', url: '/api/v1/demand-imports/template.csv', headers: { cookie: organizer.cookie } });
  t.match(csvTpl.body, /^\ufeff需求标题,需求描述/);

  const page = await app.inject({ method: 'GET', url: '/organizer/demands/import', headers: { cookie: organizer.cookie } });
  t.equal(page.statusCode, 200);
  t.match(page.body, /导入需求清单/);
  const body = multipart({ name: '页面上传.csv', content: `${headers.join(',')}\n页面上传的需求,,,elevator,1,台,,,,2099-03-01,${binjiangBureau.name},,,,,\n` }, { publish: 'true' });
  const posted = await app.inject({
    method: 'POST', url: `/organizer/demands/import?_csrf=${encodeURIComponent(csrfFrom(page.body))}`,
    headers: { ...body.headers, cookie: organizer.cookie }, payload: body.payload,
  });
  t.equal(posted.statusCode, 303);
  t.match(posted.headers.location, /^\/organizer\/demands\/import\/[0-9a-f]{24}$/);
  await app.demandImports.runPending('test-worker');
  const jobPage = await app.inject({ method: 'GET', url: posted.headers.location as string, headers: { cookie: organizer.cookie } });
  t.match(jobPage.body, /已完成/);
  t.match(await app.models.Demand.findOne({ title: '页面上传的需求' }).lean(), { status: 'open' });
});

t.test('a job cut off after its first batch is resumed by another worker at the committed row, with nothing doubled', async (t) => {
  const rows = Array.from({ length: 450 }, (_, i) => `批量需求第${i + 1}条,,,elevator,${i + 1},台,,,,2099-03-01,杭州市余杭区住建局,机关单位,区级,浙江省,杭州市,余杭区`);
  const body = multipart({ name: '大清单.csv', content: `${headers.join(',')}\n${rows.join('\n')}\n` }, { publish: 'true' });
  const res = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  const jobId = res.json().jobId as string;

  const job = await app.demandImports.claimJob('worker-1');
  t.equal(String(job!._id), jobId);
  t.equal(await app.demandImports.runJob(job!, 'worker-1', { maxBatches: 1 }), 'paused');
  const mid = (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${jobId}`, headers: { authorization: `Bearer ${token}` } })).json();
  t.match(mid, { status: 'running', total: 450, processed: 200, created: 200 });

  // worker-1 dies: its lease lapses and worker-2 takes over.
  await app.demandImports.Job.updateOne({ _id: jobId }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
  await app.demandImports.runPending('worker-2');
  const done = (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${jobId}`, headers: { authorization: `Bearer ${token}` } })).json();
  t.match(done, { status: 'done', total: 450, processed: 450, created: 450, rejected: 0 });
  t.equal(await app.models.Demand.countDocuments({ title: /^批量需求第/ }), 450);
  t.equal(await app.models.BuyerOrg.countDocuments({ name: '杭州市余杭区住建局' }), 1);
});
