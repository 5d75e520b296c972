/** The published list (推介清单) as .xlsx and .csv: contents, filters, exclusions, and a clean round trip. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { buildTestApp } from '../helper.js';
import { creditCode, importFile, importJson, product, staffSession, tokenFor, vendor } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
const { cookie } = await staffSession(app);
const token = await tokenFor(app, cookie);

// Two published vendors in different districts, one draft vendor, one draft product.
await importJson(app, cookie, {
  vendors: [
    vendor(1, { name: '滨江安防有限公司', district: '滨江区', certifications: ['high-tech'] }),
    vendor(2, { name: '余杭教育装备有限公司', district: '余杭区', fields: ['education'], certifications: [], contact: { name: '李老师', email: 'li@test.cn' } }),
  ],
  products: [
    product(1, 'S-1', { specs: [{ key: '分辨率', value: '400万像素' }, { key: '比例', value: '16:9' }] }),
    product(1, 'S-2', { category: 'access-control', certifications: [], energyGrade: undefined, priceMin: undefined, priceMax: undefined }),
    product(2, 'E-1', { name: '午休课桌椅', category: 'school-furniture', certifications: ['green-product'], description: '含 "引号" 与，逗号' }),
  ],
  publish: true,
});
await importJson(app, cookie, { vendors: [vendor(3, { name: '草稿企业有限公司' })], products: [product(3, 'D-1'), product(1, 'S-3')] });

async function xlsx(query = '') {
  const res = await app.inject({ method: 'GET', url: `/api/v1/exports/suppliers.xlsx${query}` });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  const rows = (name: string) => {
    const sheet = wb.getWorksheet(name)!;
    const out: Array<Record<string, unknown>> = [];
    const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      const values = (row.values as unknown[]).slice(1);
      out.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? ''])));
    });
    return out;
  };
  return { res, vendors: rows('供应商'), products: rows('产品'), buffer: res.rawPayload };
}

t.test('the .xlsx holds the published products of approved vendors, with the numbers from the database', async (t) => {
  const { res, vendors, products } = await xlsx();
  t.equal(res.statusCode, 200, 'public: it is the published list');
  t.match(res.headers['content-type'], /spreadsheetml/);
  t.match(res.headers['content-disposition'], /filename\*=UTF-8''%E6%8E%A8%E4%BB%8B%E6%B8%85%E5%8D%95/);
  t.same(vendors.map((v) => v['企业名称']).sort(), ['余杭教育装备有限公司', '滨江安防有限公司']);
  t.same(products.map((p) => p['型号']).sort(), ['E-1', 'S-1', 'S-2'], 'draft products and draft vendors are left out');
  const s1 = products.find((p) => p['型号'] === 'S-1')!;
  const db = await app.models.Product.findOne({ model: 'S-1' }).lean();
  t.match(s1, {
    供应商统一社会信用代码: creditCode(1), 供应商名称: '滨江安防有限公司', 产品名称: db!.name, 类别: '视频监控前端设备', 领域: '安防',
    认证: '品字标“浙江制造”', 能效等级: db!.energyGrade, '最低价（元）': db!.priceMin, '最高价（元）': db!.priceMax,
    月产能: db!.capacityPerMonth, '交货期（天）': db!.leadTimeDays, 规格参数: '分辨率=400万像素；比例=16:9',
  });
  const yh = vendors.find((v) => v['企业名称'] === '余杭教育装备有限公司')!;
  t.match(yh, { 统一社会信用代码: creditCode(2), 区县: '余杭区', 领域: '教育', 联系人: '李老师', 联系邮箱: 'li@test.cn' });
});

t.test('filters: field, category, district, certification (product or valid vendor certificate)', async (t) => {
  t.same((await xlsx('?field=education')).products.map((p) => p['型号']), ['E-1']);
  t.same((await xlsx('?category=access-control')).products.map((p) => p['型号']), ['S-2']);
  const district = await xlsx(`?district=${encodeURIComponent('滨江区')}`);
  t.same(district.products.map((p) => p['型号']).sort(), ['S-1', 'S-2']);
  t.same(district.vendors.map((v) => v['企业名称']), ['滨江安防有限公司'], 'vendors sheet follows the products');
  t.same((await xlsx('?certification=green-product')).products.map((p) => p['型号']), ['E-1'], 'product certification');
  t.same((await xlsx('?certification=high-tech')).products.map((p) => p['型号']).sort(), ['S-1', 'S-2'], 'vendor certification covers its products');

  await app.models.Vendor.updateOne({ creditCode: creditCode(1) }, { $set: { qualifications: [{ certification: 'high-tech', expiresAt: new Date('2020-01-01') }] } });
  t.same((await xlsx('?certification=high-tech')).products, [], 'an expired certificate stops counting');
  await app.models.Vendor.updateOne({ creditCode: creditCode(1) }, { $set: { qualifications: [] } });

  const bad = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.csv?field=space&certification=gold' });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().details, [{ path: 'field', message: /未知的领域代码/ }, { path: 'certification', message: /未知的认证代码/ }]);
});

t.test('the .csv is UTF-8 with a BOM, products with vendor columns, quoting intact', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.csv' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/csv; charset=utf-8/);
  t.ok(res.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'BOM');
  const rows = parse(res.body, { bom: true, columns: true }) as Array<Record<string, string>>;
  t.equal(rows.length, 3);
  const e1 = rows.find((r) => r['型号'] === 'E-1')!;
  t.match(e1, { 产品名称: '午休课桌椅', 描述: '含 "引号" 与，逗号', 供应商名称: '余杭教育装备有限公司', 区县: '余杭区', 联系人: '李老师', '最低价（元）': '680' });
});

t.test('an export imports back cleanly: nothing created, nothing changed', async (t) => {
  const productsBefore = await app.models.Product.countDocuments();
  const { buffer } = await xlsx();
  const again = await importFile(app, token, cookie, 'export.xlsx', buffer);
  t.match(again.job, { status: 'done', total: 5, created: 0, updated: 0, unchanged: 5, rejected: 0 });
  const csv = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.csv' });
  const fromCsv = await importFile(app, token, cookie, 'export.csv', csv.rawPayload);
  t.match(fromCsv.job, { status: 'done', total: 3, created: 0, updated: 0, unchanged: 3, rejected: 0 });
  t.equal(await app.models.Product.countDocuments(), productsBefore);
});
