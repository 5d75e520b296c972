/**
 * Exports that cannot attack their readers: a vendor named =HYPERLINK(...) must not become a live formula
 * in the public suppliers.csv / .xlsx, nor in the reports and event workbooks or any template; every text
 * cell starting with = + - @ tab or CR is written with a leading ', and importing the export gives the
 * original text back (supplier import and demand import alike).
 */
import t, { type Test } from 'tap';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { buildTestApp } from '../helper.js';
import { creditCode, importFile, importJson, multipart, product, staffSession, tokenFor, vendor } from './fixtures.js';
import { api, createEvent, eventWorld, registerAll, savedSchedule, wish } from '../events/support.js';
import { neutralizeFormula, restoreFormulaText } from '../../src/web/spreadsheet-safety.js';

const TRIGGER = /^[=+\-@\t\r]/;

/** Every text cell of a workbook, as [sheet!address, text]. */
async function xlsxTexts(buffer: Buffer): Promise<Array<[string, string]>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buffer as never);
  const out: Array<[string, string]> = [];
  for (const sheet of wb.worksheets) {
    sheet.eachRow((row) => row.eachCell((cell) => {
      const v = cell.value as unknown;
      if (typeof v === 'string') out.push([`${sheet.name}!${cell.address}`, v]);
      else if (v && typeof v === 'object') out.push([`${sheet.name}!${cell.address}`, `[object ${Object.keys(v).join(',')}]`]);
    }));
  }
  return out;
}

function noFormulaCells(t: Test, cells: Array<[string, string]>, what: string) {
  const bad = cells.filter(([, text]) => TRIGGER.test(text) || text.startsWith('[object'));
  t.same(bad, [], `${what}: no cell begins with = + - @ tab or CR (nor is a formula object)`);
}

const hostileVendor = '=HYPERLINK("http://evil.example/x","点我领奖")';
const hostileNames = {
  v1: hostileVendor,
  v2: '-某某科技有限公司',
  v3: '@abc智能装备有限公司',
  v4: "'=已带引号的企业名称",
};

t.test('the public supplier export (.csv and .xlsx) writes no formula and re-imports to the same names', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { cookie } = await staffSession(app);
  const token = await tokenFor(app, cookie);
  await importJson(app, cookie, {
    vendors: [
      vendor(1, { name: hostileNames.v1, description: '+86 0571 热线，欢迎来电' }),
      vendor(2, { name: hostileNames.v2, description: '=1+1' }),
      vendor(3, { name: hostileNames.v3, address: '@滨江区某路' }),
      vendor(4, { name: hostileNames.v4 }),
    ],
    products: [
      product(1, 'EVIL-1', { name: '=cmd|\' /C calc\'!A0', description: '-2+3' }),
      product(2, 'EVIL-2', { name: '+网络摄像机', specs: [{ key: '+分辨率', value: '400万像素' }] }),
      product(3, '-EVIL-3', { name: '@门禁一体机' }),
      product(4, 'EVIL-4', { name: '普通产品', priceMin: 0, priceMax: 10 }),
    ],
    publish: true,
  });
  const csv = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.csv' });
  t.equal(csv.statusCode, 200);
  const records = parse(csv.body, { bom: true }) as string[][];
  t.equal(records.length, 5, 'header and four products');
  noFormulaCells(t, records.flat().map((text, i) => [`csv#${i}`, text]), 'suppliers.csv');
  t.ok(csv.body.includes(`"'=HYPERLINK(""http://evil.example/x"",""点我领奖"")"`), 'the hostile name is there, behind a quote');
  const rows = parse(csv.body, { bom: true, columns: true }) as Array<Record<string, string>>;
  const evil1 = rows.find((r) => r['型号'] === 'EVIL-1')!;
  t.equal(evil1['供应商名称'], `'${hostileVendor}`);
  t.equal(evil1['描述'], "'-2+3");
  t.equal(rows.find((r) => r['型号'] === 'EVIL-4')!['供应商名称'], "''=已带引号的企业名称", 'a name that already starts with a quote gets one more');
  t.equal(rows.find((r) => r['型号'] === 'EVIL-4')!['最低价（元）'], '0', 'numbers stay numbers');

  const xlsx = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.xlsx' });
  t.equal(xlsx.statusCode, 200);
  const cells = await xlsxTexts(xlsx.rawPayload);
  noFormulaCells(t, cells, 'suppliers.xlsx');
  t.ok(cells.some(([, text]) => text === `'${hostileVendor}`), 'the hostile name is a quoted text cell');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx.rawPayload as never);
  const priceCell = wb.getWorksheet('产品')!.getRow(2).values as unknown[];
  t.ok(priceCell.some((v) => typeof v === 'number'), 'number cells are still numbers');

  // The round trip: the exported files import back to exactly the names in the database.
  const before = await app.models.Vendor.find({}, { name: 1, creditCode: 1 }).sort({ creditCode: 1 }).lean();
  const fromXlsx = await importFile(app, token, cookie, 'export.xlsx', xlsx.rawPayload);
  t.same(fromXlsx.job.errors, [], 'no row refused');
  t.match(fromXlsx.job, { status: 'done', created: 0, updated: 0, rejected: 0 }, 'nothing changes on re-import of the .xlsx');
  const fromCsv = await importFile(app, token, cookie, 'export.csv', csv.rawPayload);
  t.match(fromCsv.job, { status: 'done', created: 0, updated: 0, rejected: 0 }, 'nor of the .csv');
  const after = await app.models.Vendor.find({}, { name: 1, creditCode: 1 }).sort({ creditCode: 1 }).lean();
  t.same(after.map((v) => v.name), before.map((v) => v.name));
  t.same(after.map((v) => v.name), [hostileNames.v1, hostileNames.v2, hostileNames.v3, hostileNames.v4], 'names restored exactly');

  // Renamed in the database, an older export brings the hostile names back exactly.
  // Majority-acknowledged: the import reads inside a transaction, whose snapshot holds only majority-committed
  // writes, and on a loaded machine a plain write may not have reached that point yet.
  await app.models.Vendor.updateMany({}, { $set: { name: '临时名称有限公司' } }, { writeConcern: { w: 'majority' } });
  await app.models.Product.updateOne({ model: 'EVIL-1' }, { $set: { name: '临时产品' } }, { writeConcern: { w: 'majority' } });
  const restored = await importFile(app, token, cookie, 'export.xlsx', xlsx.rawPayload);
  t.match(restored.job, { status: 'done', updated: 5, rejected: 0 });
  t.same((await app.models.Vendor.find({}).sort({ creditCode: 1 }).lean()).map((v) => v.name), Object.values(hostileNames));
  t.match(await app.models.Product.findOne({ model: 'EVIL-1' }).lean(), { name: '=cmd|\' /C calc\'!A0', description: '-2+3' });
  t.match(await app.models.Product.findOne({ model: 'EVIL-2' }).lean(), { name: '+网络摄像机', specs: [{ key: '+分辨率', value: '400万像素' }] });
  t.ok(await app.models.Product.exists({ model: '-EVIL-3', name: '@门禁一体机' }));

  // Tab and CR cannot come in through the forms or imports (text is trimmed), but may sit in the database.
  await app.models.Product.updateOne({ model: 'EVIL-4' }, { $set: { description: '\t=1+2' } });
  await app.models.Vendor.updateOne({ creditCode: creditCode(4) }, { $set: { 'contact.name': '\r=3+4' } });
  const csv2 = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.csv' });
  const rows2 = parse(csv2.body, { bom: true, columns: true }) as Array<Record<string, string>>;
  noFormulaCells(t, rows2.flatMap((r) => Object.values(r)).map((text, i) => [`csv#${i}`, text]), 'suppliers.csv with tab and CR');
  t.equal(rows2.find((r) => r['型号'] === 'EVIL-4')!['描述'], "'\t=1+2", 'a leading tab is quoted too');
  t.equal(rows2.find((r) => r['型号'] === 'EVIL-4')!['联系人'], "'\r=3+4", 'and a leading carriage return');
  const xlsx2 = await app.inject({ method: 'GET', url: '/api/v1/exports/suppliers.xlsx' });
  const cells2 = await xlsxTexts(xlsx2.rawPayload);
  noFormulaCells(t, cells2, 'suppliers.xlsx with tab and CR');
  t.ok(cells2.some(([, text]) => text === "'\t=1+2"), 'the tab-led description is quoted in the workbook');

  // The templates go through the same writer.
  for (const url of ['/api/v1/imports/template.xlsx', '/api/v1/demand-imports/template.xlsx']) {
    const res = await app.inject({ method: 'GET', url, headers: { cookie } });
    t.equal(res.statusCode, 200);
    noFormulaCells(t, await xlsxTexts(res.rawPayload), url);
  }
});

t.test('the demand import takes the export quote off again (.csv and .xlsx)', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { cookie } = await staffSession(app);
  const token = await tokenFor(app, cookie);
  const run = async (name: string, content: Buffer | string) => {
    const body = multipart({ name, content }, { publish: 'true' });
    const res = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
    t.equal(res.statusCode, 202, res.body);
    await app.demandImports.runPending('test-worker');
    return (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${res.json().jobId}`, headers: { cookie } })).json();
  };
  const csv = `\ufeff需求标题,需求描述,领域,数量,单位,采购单位,单位类型,层级,省份\n"'=SUM(A1:A9)","'-3 套，含安装",安防,3,套,"'@滨江区某局",机关单位,区级,浙江省\n`;
  const job = await run('needs.csv', csv);
  t.match(job, { status: 'done', created: 1, rejected: 0 });
  const demand = await app.models.Demand.findOne({}).lean();
  t.match(demand, { title: '=SUM(A1:A9)', description: '-3 套，含安装' });
  t.equal((await app.models.BuyerOrg.findById(demand!.buyerOrg).lean())?.name, '@滨江区某局');

  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('需求');
  sheet.addRow(['需求标题', '需求描述', '领域', '数量', '单位', '采购单位', '单位类型', '层级', '省份']);
  sheet.addRow(["'+投影仪更新", "''=两个引号", '教育', 5, '台', "'@滨江区某局", '机关单位', '区级', '浙江省']);
  const fromXlsx = await run('needs.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
  t.match(fromXlsx, { status: 'done', created: 1, rejected: 0 });
  t.match(await app.models.Demand.findOne({ title: '+投影仪更新' }).lean(), { description: "'=两个引号" }, 'exactly one quote comes off');
  t.equal(await app.models.BuyerOrg.countDocuments({ name: '@滨江区某局' }), 1, 'the same organization, found by its restored name');
});

t.test('the event workbook and the report workbook quote hostile names', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  await app.models.Vendor.updateOne({ _id: w.vendors[0]._id }, { $set: { name: hostileVendor } });
  await app.models.Vendor.updateOne({ _id: w.vendors[1]._id }, { $set: { name: '-负号开头的企业' } });
  // Registration finds the buyer organization by name: rename it in the database and in the world.
  for (const [i, name] of ['@采购单位甲', '+采购单位乙'].entries()) {
    await app.models.BuyerOrg.updateOne({ _id: w.orgs[i]._id }, { $set: { name } });
    w.orgs[i].name = name;
  }
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, { title: '=1+1 安防对接会' }, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[1], vendorIds[1], 'must');
  await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' });
  const meetings = (await savedSchedule(app, org, id)).meetings;
  t.equal(meetings.length, 2);
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${meetings[0].id}/outcome`, { outcome: 'signed', amountYuan: 1000 });

  const events = await api(app, org, 'GET', `/api/v1/events/${id}/report.xlsx`);
  t.equal(events.statusCode, 200);
  const eventCells = await xlsxTexts(events.rawPayload);
  noFormulaCells(t, eventCells, 'event report.xlsx');
  for (const name of [hostileVendor, '-负号开头的企业', '@采购单位甲', '+采购单位乙']) {
    t.ok(eventCells.some(([, text]) => text === `'${name}`), `${name} is a quoted text cell`);
  }
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(events.rawPayload as never);
  const signedRow = (book.getWorksheet('洽谈明细')!.getSheetValues() as unknown[][]).find((r) => r && r.includes(1000));
  t.ok(signedRow, 'the amount is still a number');

  const report = await api(app, org, 'GET', '/reports/report.xlsx?from=2027-03-01&to=2027-03-31');
  t.equal(report.statusCode, 200);
  const reportCells = await xlsxTexts(report.rawPayload);
  noFormulaCells(t, reportCells, 'reports/report.xlsx');
  t.ok(reportCells.some(([, text]) => text === "'=1+1 安防对接会"), 'the event title is a quoted text cell');
});

t.test('the rule itself: triggers, non-triggers, and exact restoration', async (t) => {
  for (const text of ['=A1', '+1', '-1', '@x', '\tx', '\rx', "'=x", "''+x"]) {
    t.equal(neutralizeFormula(text), `'${text}`, JSON.stringify(text));
    t.equal(restoreFormulaText(neutralizeFormula(text)), text, `${JSON.stringify(text)} round-trips`);
  }
  for (const text of ['', '普通文本', "'普通", '1-2', 'a=b', ' =x', '＝全角']) {
    t.equal(neutralizeFormula(text), text, `${JSON.stringify(text)} is left alone`);
    t.equal(restoreFormulaText(text), text);
  }
});
