/** Spreadsheet imports (.xlsx and .csv) and the templates. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { buildTestApp, createUser, login } from '../helper.js';
import { creditCode, importFile, staffSession, tokenFor } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
const { cookie } = await staffSession(app);
const token = await tokenFor(app, cookie);

async function workbook(vendors: unknown[][], products: unknown[][], names = ['供应商', '产品']) {
  const wb = new ExcelJS.Workbook();
  const vs = wb.addWorksheet(names[0]);
  vs.addRow(['统一社会信用代码', '企业名称', '省份', '城市', '区县', '领域', '认证', '联系人', '联系电话', '联系邮箱', '网站']);
  vendors.forEach((r) => vs.addRow(r));
  const ps = wb.addWorksheet(names[1]);
  ps.addRow(['供应商统一社会信用代码', '产品名称', '型号', '类别', '认证', '能效等级', '最低价（元）', '最高价（元）', '规格参数', '备注（不导入）']);
  products.forEach((r) => ps.addRow(r));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

t.test('an .xlsx with 供应商 and 产品 sheets imports, numbers and Chinese names included, and re-imports unchanged', async (t) => {
  const file = await workbook(
    [[creditCode(1), '海康测试科技有限公司', '浙江省', '杭州市', '滨江区', '安防', '高新技术企业、专精特新', '王经理', 13800000000, 'sales@test.cn', 'https://www.test.cn']],
    [
      [creditCode(1), '球型摄像机', 'DS-1', '视频监控前端设备', 'zhejiang-made', 1, 1200, 1500.5, '分辨率=800万像素；防护=IP67', '随便写'],
      [creditCode(1), '门禁一体机', 'AC-2', 'access-control', '', null, null, null, null, null],
    ],
  );
  const { job } = await importFile(app, token, cookie, '清单.xlsx', file, { publish: 'true' });
  t.match(job, { status: 'done', format: 'xlsx', filename: '清单.xlsx', total: 3, created: 3, rejected: 0, errors: [] }, `imported (${job.failure ?? 'no failure'})`);
  const v = await app.models.Vendor.findOne({ creditCode: creditCode(1) }).lean();
  t.match(v, { status: 'approved', fields: ['security'], certifications: ['high-tech', 'specialized-new'], contact: { name: '王经理', phone: '13800000000', email: 'sales@test.cn' }, website: 'https://www.test.cn' });
  const ds = await app.models.Product.findOne({ model: 'DS-1' }).lean();
  t.match(ds, { status: 'published', field: 'security', energyGrade: 1, priceMin: 1200, priceMax: 1500.5, specs: [{ key: '分辨率', value: '800万像素' }, { key: '防护', value: 'IP67' }] });
  const ac = await app.models.Product.findOne({ model: 'AC-2' }).lean();
  t.equal(ac?.priceMin, undefined, 'empty cells stay empty');
  t.same(ac?.specs, []);

  const again = await importFile(app, token, cookie, '清单.xlsx', file, { publish: 'true' });
  t.match(again.job, { created: 0, updated: 0, unchanged: 3 }, `re-imported unchanged (${again.job.failure ?? 'no failure'})`);

  const sheet1 = await workbook([], [[creditCode(1), '球型摄像机（新）', 'DS-1', 'video-surveillance', '', '', '', '', '']], ['Sheet1', 'Sheet2']);
  const renamed = await importFile(app, token, cookie, 'export.xlsx', sheet1);
  t.match(renamed.job, { status: 'done', total: 1, updated: 1 }, `sheets with other names are recognised by their headers (${renamed.job.failure ?? 'no failure'})`);
  const after = await app.models.Product.findOne({ model: 'DS-1' }).lean();
  t.equal(after?.name, '球型摄像机（新）');
  t.equal(after?.priceMin, undefined, 'a present but empty column clears the value');
});

t.test('.csv imports one kind per file, detected from the header; UTF-8 with BOM and GBK both read', async (t) => {
  const vendorsCsv = `\ufeff统一社会信用代码,企业名称,省份,城市\n${creditCode(2)},"逗号,测试有限公司",浙江省,宁波市\n`;
  const v = await importFile(app, token, cookie, 'vendors.csv', vendorsCsv);
  t.match(v.job, { status: 'done', created: 1 });
  t.equal((await app.models.Vendor.findOne({ creditCode: creditCode(2) }).lean())?.name, '逗号,测试有限公司');

  // Excel on a Chinese Windows saves CSV in GB18030: this header row is 型号,产品名称,类别,供应商统一社会信用代码,最高价(元)
  const gbkHeader = Buffer.from('d0cdbac52cb2fac6b7c3fbb3c62cc0e0b1f02cb9a9d3a6c9cccdb3d2bbc9e7bbe1d0c5d3c3b4fac2eb2cd7eeb8dfbcdb28d4aa290a', 'hex');
  const gbkRow = Buffer.concat([Buffer.from('NB-1,'), Buffer.from('d6c7bbdbbadab0e5', 'hex'), Buffer.from(`,smart-classroom,${creditCode(2)},5000\n`)]);
  const body = Buffer.concat([gbkHeader, gbkRow]);
  const p = await importFile(app, token, cookie, 'products.csv', body);
  t.match(p.job, { status: 'done', created: 1 });
  t.match(await app.models.Product.findOne({ model: 'NB-1' }).lean(), { name: '智慧黑板', category: 'smart-classroom', priceMax: 5000 });
});

t.test('the templates carry the Chinese headers, an example row that imports, and a 说明 sheet of codes', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/imports/template.xlsx', headers: { cookie } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-disposition'], /filename\*=UTF-8''/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  t.same(wb.worksheets.map((w) => w.name), ['供应商', '产品', '说明']);
  t.equal(wb.getWorksheet('供应商')!.getCell('A1').value, '统一社会信用代码');
  t.equal(wb.getWorksheet('产品')!.getCell('H1').value, '最低价（元）');
  const help = JSON.stringify(wb.getWorksheet('说明')!.getSheetValues());
  for (const text of ['video-surveillance', '视频监控前端设备', 'zhejiang-made', 'security']) t.ok(help.includes(text), `说明 lists ${text}`);

  const imported = await importFile(app, token, cookie, 'template.xlsx', res.rawPayload);
  t.match(imported.job, { status: 'done', total: 2, rejected: 0 }, 'the example rows are valid');

  for (const [url, first] of [['/api/v1/imports/template-vendors.csv', '统一社会信用代码'], ['/api/v1/imports/template-products.csv', '供应商统一社会信用代码']]) {
    const csv = await app.inject({ method: 'GET', url, headers: { cookie } });
    t.equal(csv.statusCode, 200);
    t.ok(csv.body.startsWith('\ufeff'), 'BOM for Excel');
    const rows = parse(csv.body, { bom: true }) as string[][];
    t.equal(rows[0][0], first);
    t.equal(rows.length, 2);
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/imports/template.xlsx' })).statusCode, 401, 'templates need a login');
  const buyer = await createUser(app, 'buyer');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/imports/template.xlsx', headers: { cookie: await login(app, buyer.email, buyer.password) } })).statusCode, 200, 'any logged-in user may download them');
});

