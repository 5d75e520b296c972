/**
 * Every kind of import error: a bad row is reported (with its spreadsheet row number, column and a
 * Chinese reason) and skipped, good rows are kept; a bad file fails the job before anything is written.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp } from '../helper.js';
import { badCreditCode, cjk, creditCode, importFile, importJson, multipart, product, staffSession, tokenFor, vendor } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
const { cookie } = await staffSession(app);
const token = await tokenFor(app, cookie);

const vendorHeader = '统一社会信用代码,企业名称,省份,城市,区县,领域,认证,联系电话';
const productHeader = '供应商统一社会信用代码,产品名称,型号,类别,认证,能效等级,最低价（元）,最高价（元）,月产能,交货期（天）,规格参数';

t.test('bad vendor rows are reported with row, column and reason; the good rows are imported', async (t) => {
  const csv = [
    vendorHeader,
    `${creditCode(101)},好企业一有限公司,浙江省,杭州市,滨江区,安防、教育,高新技术企业,0571-1234567`,
    `${badCreditCode(102)},校验位错误有限公司,浙江省,杭州市,滨江区,安防,,`,
    `${creditCode(103)},未知领域有限公司,浙江省,杭州市,滨江区,航天,,`,
    `${creditCode(104)},未知认证有限公司,浙江省,杭州市,滨江区,security,金牌企业,`,
    `${creditCode(105)},,浙江省,杭州市,滨江区,,,`,
    `${creditCode(101)},重复代码有限公司,浙江省,杭州市,滨江区,,,`,
    `${creditCode(106)},电话错误有限公司,浙江省,杭州市,滨江区,,,电话打不通`,
    `${creditCode(107)},好企业二有限公司,浙江省,,,industry,ccc;iso9001,`,
  ].join('\n');
  const { job } = await importFile(app, token, cookie, '供应商.csv', csv);
  t.match(job, { status: 'done', total: 8, processed: 8, created: 2, rejected: 6 });
  const byRow = new Map<number, Array<{ field: string; column?: string; message: string; kind: string }>>();
  for (const e of job.errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  t.match(byRow.get(3), [{ kind: 'vendor', field: 'creditCode', column: '统一社会信用代码', message: /校验位/ }], 'row 3: checksum (header is row 1)');
  t.match(byRow.get(4), [{ field: 'fields', column: '领域', message: /未知的领域：航天/ }]);
  t.match(byRow.get(5), [{ field: 'certifications', column: '认证', message: /未知的认证：金牌企业/ }]);
  t.match(byRow.get(6), [{ field: 'name', column: '企业名称', message: /企业名称/ }]);
  t.match(byRow.get(7), [{ field: 'creditCode', message: /与第 2 行.*重复/ }], 'the second occurrence of a key is the one reported');
  t.match(byRow.get(8), [{ field: 'contact.phone', column: '联系电话', message: /电话/ }]);
  t.notOk(byRow.has(2) || byRow.has(9));
  const two = await app.models.Vendor.findOne({ creditCode: creditCode(107) }).lean();
  t.same(two?.certifications, ['ccc', 'iso9001'], 'codes work as well as names, with any separator');
  t.equal((await app.models.Vendor.findOne({ creditCode: creditCode(101) }).lean())?.name, '好企业一有限公司', 'the first occurrence wins');
  t.same((await app.models.Vendor.findOne({ creditCode: creditCode(101) }).lean())?.fields, ['security', 'education'], 'field names become codes');
  t.equal(await app.models.Vendor.countDocuments({ creditCode: { $in: [creditCode(103), creditCode(104), creditCode(105), creditCode(106)] } }), 0);
  for (const e of job.errors) t.match(e.message, cjk);
});

t.test('bad product rows: category, numbers, ranges, prices, specs, missing vendor, duplicates', async (t) => {
  await importJson(app, cookie, { vendors: [vendor(200)] });
  const v = creditCode(200);
  const csv = [
    productHeader,
    `${v},好产品一,P-1,视频监控前端设备,品字标浙江制造,1,100,200,10,5,分辨率=400万像素；镜头=4mm`,
    `${v},未知类别,P-2,飞行汽车,,,,,,,`,
    `${v},价格不是数字,P-3,video-surveillance,,,一百,,,,`,
    `${v},能效超出范围,P-4,video-surveillance,,7,,,,,`,
    `${v},价格颠倒,P-5,video-surveillance,,,900,100,,,`,
    `${creditCode(299)},供应商不存在,P-6,video-surveillance,,,,,,,`,
    `${v},重复型号,P-1,video-surveillance,,,,,,,`,
    `${v},交货期为小数,P-7,video-surveillance,,,,,,2.5,`,
    `${v},规格写错,P-8,video-surveillance,,,,,,,只有名字没有值`,
    `${v},好产品二,P-9,access-control,,,"1,200 元",,,,`,
  ].join('\r\n');
  const { job } = await importFile(app, token, cookie, 'products.csv', csv);
  t.match(job, { status: 'done', total: 10, created: 2, rejected: 8 });
  const at = (row: number) => job.errors.filter((e: { row: number }) => e.row === row);
  t.match(at(3), [{ kind: 'product', field: 'category', column: '类别', message: /未知的产品类别：飞行汽车/ }]);
  t.match(at(4), [{ field: 'priceMin', column: '最低价（元）', message: /数字/ }]);
  t.match(at(5), [{ field: 'energyGrade', message: /1–5/ }]);
  t.match(at(6), [{ field: 'priceMax', message: '最低价不能高于最高价' }]);
  t.match(at(7), [{ field: 'vendorCreditCode', message: new RegExp(`${creditCode(299)}.*供应商`) }]);
  t.match(at(8), [{ field: 'model', message: /与第 2 行.*重复/ }]);
  t.match(at(9), [{ field: 'leadTimeDays', message: /整数/ }]);
  t.match(at(10), [{ field: 'specs', column: '规格参数', message: /名称=值/ }]);
  const good = await app.models.Product.findOne({ model: 'P-1' }).lean();
  t.match(good, { name: '好产品一', category: 'video-surveillance', certifications: ['zhejiang-made'], energyGrade: 1, specs: [{ key: '分辨率', value: '400万像素' }, { key: '镜头', value: '4mm' }] });
  t.equal((await app.models.Product.findOne({ model: 'P-9' }).lean())?.priceMin, 1200, 'thousands separators and units are tolerated');
  t.equal(await app.models.Product.countDocuments(), 2);
});

t.test('a product whose vendor row was rejected in the same file is reported, not attached elsewhere', async (t) => {
  const job = await importJson(app, cookie, {
    vendors: [vendor(300, { province: '' })],
    products: [product(300, 'Q-1'), { ...product(300, 'Q-2'), name: '' }, 42],
  });
  t.match(job, { total: 4, created: 0, rejected: 4 });
  t.match(job.errors, [
    { kind: 'vendor', row: 1, field: 'province' },
    { kind: 'product', row: 2, field: 'name' },
    { kind: 'product', row: 3, message: /对象/ },
    { kind: 'product', row: 1, field: 'vendorCreditCode' },
  ]);
  t.equal(job.errors.find((e: { kind: string; row: number }) => e.kind === 'product' && e.row === 1)?.field, 'vendorCreditCode');
  t.notOk(job.errors[0].column, 'JSON rows have no spreadsheet column');
});

t.test('missing required column fails the job before anything is written', async (t) => {
  const before = await app.models.Vendor.countDocuments();
  const csv = `企业名称,省份\n缺列有限公司,浙江省\n`;
  const { job } = await importFile(app, token, cookie, 'vendors.csv', csv);
  t.equal(job.status, 'failed');
  t.match(job.failure, /缺少必填列：统一社会信用代码/);
  t.match(job.errors, [{ kind: 'vendor', row: 1, field: 'creditCode', column: '统一社会信用代码' }]);

  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('供应商').addRow(['统一社会信用代码', '企业名称', '省份']);
  wb.getWorksheet('供应商')!.addRow([creditCode(310), '整表有效有限公司', '浙江省']);
  wb.addWorksheet('产品').addRow(['供应商统一社会信用代码', '产品名称', '型号']);
  wb.getWorksheet('产品')!.addRow([creditCode(310), '缺类别', 'X-1']);
  const xlsx = await importFile(app, token, cookie, 'list.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
  t.equal(xlsx.job.status, 'failed');
  t.match(xlsx.job.failure, /“产品”工作表缺少必填列：类别/);
  t.equal(await app.models.Vendor.countDocuments(), before, 'not even the valid vendor sheet was written');
});

t.test('empty files, wrong file types and unrecognized sheets', async (t) => {
  const empty = await importFile(app, token, cookie, 'vendors.csv', '');
  t.equal(empty.refused?.statusCode, 400);
  t.match(empty.refused?.json().message, /空/);

  const headerOnly = await importFile(app, token, cookie, 'vendors.csv', `${vendorHeader}\n\n`);
  t.equal(headerOnly.job.status, 'failed');
  t.match(headerOnly.job.failure, /没有数据行/);

  const blankXlsx = new ExcelJS.Workbook();
  blankXlsx.addWorksheet('Sheet1');
  const noSheets = await importFile(app, token, cookie, 'blank.xlsx', Buffer.from(await blankXlsx.xlsx.writeBuffer()));
  t.equal(noSheets.job.status, 'failed');
  t.match(noSheets.job.failure, /未找到名为“供应商”或“产品”的工作表/);

  for (const [name, content, pattern] of [
    ['list.pdf', '%PDF-1.4 ...', /仅支持 \.xlsx 或 \.csv/],
    ['list.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]), /旧版 \.xls/],
    ['fake.xlsx', 'not really a spreadsheet', /不是有效的 \.xlsx/],
    ['zip.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), /不是文本格式/],
  ] as const) {
    const res = await importFile(app, token, cookie, name, content);
    t.equal(res.refused?.statusCode, 415, name);
    t.match(res.refused?.json(), { error: 'UNSUPPORTED_MEDIA_TYPE', message: pattern });
  }

  const broken = await importFile(app, token, cookie, 'broken.xlsx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]));
  t.equal(broken.refused?.statusCode, 400, 'a corrupt .xlsx is refused at upload, before it is stored');
  t.match(broken.refused?.json().message, /无法读取该 Excel 文件/);

  const unknownHeader = await importFile(app, token, cookie, 'other.csv', '姓名,年龄\n张三,30\n');
  t.match(unknownHeader.job.failure, /无法从 CSV 表头识别/);

  const noFile = multipart(null, { publish: 'true' });
  const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...noFile.headers, authorization: `Bearer ${token}` }, payload: noFile.payload });
  t.equal(res.statusCode, 400);
  t.match(res.json().message, /请选择要上传的文件/);

  const plain = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, payload: 'a,b' });
  t.equal(plain.statusCode, 415, 'a raw CSV body is not an upload');
});

t.test('too many rows and too large files are refused', async (t) => {
  const rows = Array.from({ length: 50_001 }, (_, i) => `${creditCode(1000 + i)},企业${i},浙江省`);
  const big = await importFile(app, token, cookie, 'vendors.csv', ['统一社会信用代码,企业名称,省份', ...rows].join('\n'));
  t.equal(big.job.status, 'failed');
  t.match(big.job.failure, /超过上限.*50,000/);
  t.equal(await app.imports.ImportRow.countDocuments(), 0, 'its rows are cleaned up');

  const json = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload: { vendors: Array.from({ length: 50_001 }, () => ({})) } });
  t.equal(json.statusCode, 400);
  t.match(json.json().message, /超过上限/);

  const huge = await importFile(app, token, cookie, 'huge.csv', Buffer.alloc(20 * 1024 * 1024 + 10, 'a'));
  t.equal(huge.refused?.statusCode, 413);
  t.match(huge.refused?.json().message, /20 MB/);
});

t.test('the error list is capped; the count of rejected rows is not', async (t) => {
  const rows = Array.from({ length: 1100 }, (_, i) => `${badCreditCode(5000 + i)},错误企业${i},浙江省`);
  const { job } = await importFile(app, token, cookie, 'vendors.csv', ['统一社会信用代码,企业名称,省份', ...rows].join('\n'));
  t.match(job, { status: 'done', total: 1100, rejected: 1100, errorsTruncated: true });
  t.equal(job.errors.length, 1000);
});
