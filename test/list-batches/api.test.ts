/**
 * Numbered batches on real MongoDB: the changes of a batch computed exactly against the previous one, a
 * published batch (API, page and .xlsx) unchanged by later edits to the live list, objections filed,
 * answered and refused after the 公示期, concurrent publishes numbered apart, bad input answered in Chinese.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp, createUser, csrfFrom, login, cookiesOf } from '../helper.js';
import { addProduct, addVendor } from '../search/fixtures.js';

let now = new Date('2026-03-02T02:00:00Z');
const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { clock: () => now, background: false });
const organizer = await createUser(app, 'organizer');
const vendorUser = await createUser(app, 'vendor');
const cookie = await login(app, organizer.email, organizer.password);
const vendorCookie = await login(app, vendorUser.email, vendorUser.password);
const cjk = /[\u4e00-\u9fff]/;

const api = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = { cookie }) =>
  app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

async function sheets(buffer: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buffer as never);
  return wb.worksheets.map((ws) => ({ name: ws.name, rows: ws.getSheetValues().filter(Boolean).map((r) => JSON.stringify(r)) }));
}

// The live list: A (2 products), B (1), L (1, will lapse); a draft vendor that never counts.
const a = await addVendor(app, { name: '甲安防科技有限公司', certifications: ['ccc'] });
const b = await addVendor(app, { name: '乙智能设备有限公司' });
const l = await addVendor(app, { name: '丙电子有限公司' });
await addVendor(app, { name: '草稿企业有限公司', status: 'submitted' });
const a1 = await addProduct(app, a, { name: '网络摄像机', model: 'A-100', category: 'video-surveillance', priceMin: 1000 });
const a2 = await addProduct(app, a, { name: '硬盘录像机', model: 'A-200', category: 'video-surveillance' });
await addProduct(app, b, { name: '门禁一体机', model: 'B-1', category: 'video-surveillance' });
await addProduct(app, l, { name: '报警主机', model: 'L-1', category: 'video-surveillance' });
await addProduct(app, a, { name: '未发布产品', model: 'A-DRAFT', category: 'video-surveillance', status: 'draft' });

let first: Record<string, unknown>;
let firstSheets: Awaited<ReturnType<typeof sheets>>;
let firstPage: string;

t.test('the first batch: everything added, numbered 1', async (t) => {
  const res = await api('POST', '/api/v1/list-batches', { title: '第一批推介清单', objectionDays: 7 });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().number, 1);
  t.match(res.json().id, /^[0-9a-f]{24}$/);
  const got = await api('GET', '/api/v1/list-batches/1', undefined, {});
  t.equal(got.statusCode, 200);
  first = got.json();
  t.same(first.counts, { vendors: 3, products: 4 });
  const changes = first.changes as { added: Array<{ kind: string; creditCode: string; name: string }>; removed: unknown[]; changed: unknown[] };
  t.same(changes.added.filter((e) => e.kind === 'vendor').map((e) => e.creditCode).sort(), [a.creditCode, b.creditCode, l.creditCode].sort());
  t.ok(changes.added.every((e) => e.creditCode && e.name), 'each entry carries creditCode and name');
  t.equal(changes.added.length, 7);
  t.same([changes.removed, changes.changed], [[], []]);
  t.equal(first.objectionUntil, new Date(now.getTime() + 7 * 86_400_000).toISOString());
  const xlsx = await api('GET', '/api/v1/list-batches/1/suppliers.xlsx', undefined, {});
  t.equal(xlsx.statusCode, 200);
  t.match(xlsx.headers['content-disposition'], /attachment/);
  firstSheets = await sheets(xlsx.rawPayload);
  t.same(firstSheets.map((s) => s.name), ['说明', '供应商', '产品']);
  t.equal(firstSheets[2].rows.length, 5, 'header and 4 products');
  firstPage = (await api('GET', '/list-batches/1', undefined, {})).body;
  t.match(firstPage, '甲安防科技有限公司');
  t.match(firstPage, '提出异议', 'the objection form during the 公示期');
  const list = await api('GET', '/api/v1/list-batches', undefined, {});
  t.same(list.json().batches.map((x: { number: number }) => x.number), [1]);
  const home = (await api('GET', '/', undefined, {})).body;
  t.match(home, /最新一批推介清单[\s\S]*href="\/list-batches\/1">第 1 批：第一批推介清单/, 'the home page cites the latest batch');
});

t.test('the next batch lists exactly what changed since the previous one', async (t) => {
  now = new Date(now.getTime() + 86_400_000);
  await app.models.Vendor.updateOne({ _id: a._id }, { $set: { name: '甲安防科技股份有限公司', city: '宁波市' } });
  await app.models.Product.updateOne({ _id: a1._id }, { $set: { priceMin: 1200, leadTimeDays: 15 } });
  await app.models.Product.updateOne({ _id: a2._id }, { $set: { status: 'archived' } });
  await app.models.Vendor.updateOne({ _id: b._id }, { $set: { status: 'suspended', reviewNote: '资质待核' } });
  await app.models.Vendor.updateOne({ _id: l._id }, { $set: { freshness: 'hidden' } });
  const c = await addVendor(app, { name: '丁环保设备有限公司' });
  await addProduct(app, c, { name: '除尘设备', model: 'C-1', category: 'video-surveillance' });

  const res = await api('POST', '/api/v1/list-batches', {});
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().number, 2);
  const second = (await api('GET', '/api/v1/list-batches/2', undefined, {})).json();
  t.match(second.title, '第 2 批', 'a default title naming the batch');
  t.equal(second.objectionUntil, null, 'no 公示期 unless asked');
  t.same(second.counts, { vendors: 2, products: 2 });
  const key = (e: { kind: string; creditCode: string; model?: string }) => `${e.kind}:${e.creditCode}:${e.model ?? ''}`;
  t.same(second.changes.added.map(key).sort(), [`vendor:${c.creditCode}:`, `product:${c.creditCode}:C-1`].sort());
  t.same(second.changes.removed.map((e: { kind: string; creditCode: string; model?: string; reason: string }) => `${key(e)}:${e.reason}`).sort(), [
    `vendor:${b.creditCode}::suspended`, `product:${b.creditCode}:B-1:suspended`,
    `vendor:${l.creditCode}::lapsed`, `product:${l.creditCode}:L-1:lapsed`,
    `product:${a.creditCode}:A-200:withdrawn`,
  ].sort());
  t.ok(second.changes.removed.every((e: { reasonName: string }) => cjk.test(e.reasonName)));
  const changed = Object.fromEntries(second.changes.changed.map((e: { kind: string; creditCode: string; model?: string; fields: Array<{ field: string; before: unknown; after: unknown }> }) =>
    [key(e), e.fields.map((f) => [f.field, f.before, f.after])]));
  t.same(changed, {
    [`vendor:${a.creditCode}:`]: [['city', '杭州市', '宁波市'], ['name', '甲安防科技有限公司', '甲安防科技股份有限公司']],
    [`product:${a.creditCode}:A-100`]: [['leadTimeDays', null, 15], ['priceMin', 1000, 1200]],
  });
  const page = (await api('GET', '/list-batches/2', undefined, {})).body;
  t.match(page, '已暂停');
  t.match(page, '逾期未确认信息');
  t.match(page, '名称：甲安防科技有限公司 → 甲安防科技股份有限公司');
  t.notMatch(page, '提出异议', 'no objection form without a 公示期');
});

t.test('a published batch never changes, whatever happens to the live list', async (t) => {
  await app.models.Vendor.updateOne({ _id: a._id }, { $set: { name: '又改名了有限公司', status: 'suspended' } });
  await app.models.Product.updateOne({ _id: a1._id }, { $set: { name: '改过的产品', priceMin: 1 } });
  await app.models.Product.deleteOne({ _id: a2._id });
  const again = (await api('GET', '/api/v1/list-batches/1', undefined, {})).json();
  t.same(again, first, 'the API answer is the same');
  const xlsx = await api('GET', '/api/v1/list-batches/1/suppliers.xlsx', undefined, {});
  t.same(await sheets(xlsx.rawPayload), firstSheets, 'the workbook holds the same cells');
  const page = (await api('GET', '/list-batches/1', undefined, {})).body;
  t.match(page, '甲安防科技有限公司');
  t.notMatch(page, '又改名了有限公司');
  t.notMatch(page, '改过的产品');
});

const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
function multipart(fields: Record<string, string>, file?: { name: string; type: string; data: Buffer }) {
  const boundary = '----lbtest';
  const parts: Buffer[] = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

t.test('objections: filed by anyone during the 公示期, answered by organizers, refused afterwards', async (t) => {
  const json = await api('POST', '/api/v1/list-batches/1/objections', { kind: 'vendor', creditCode: a.creditCode, reason: '该企业营业执照已吊销，不应入选。', contact: '张先生 13800000000' }, {});
  t.equal(json.statusCode, 201, json.body);
  t.equal(json.json().entry.name, '甲安防科技有限公司', 'the entry as the batch cites it');
  t.notOk('contact' in json.json(), 'the contact is not echoed');
  const m = multipart({ kind: 'product', creditCode: a.creditCode, model: 'A-100', reason: '该产品实际价格与清单不符。', contact: 'li@example.cn' }, { name: '证明.pdf', type: 'application/pdf', data: pdf });
  const withFile = await app.inject({ method: 'POST', url: '/api/v1/list-batches/1/objections', headers: { 'content-type': m.type }, payload: m.payload });
  t.equal(withFile.statusCode, 201, withFile.body);
  t.ok(withFile.json().file, 'the file is kept');

  const fake = multipart({ kind: 'vendor', creditCode: a.creditCode, reason: '附件是伪装的文本文件。', contact: 'x@example.cn' }, { name: 'a.pdf', type: 'application/pdf', data: Buffer.from('just text, not a pdf at all') });
  const refused = await app.inject({ method: 'POST', url: '/api/v1/list-batches/1/objections', headers: { 'content-type': fake.type }, payload: fake.payload });
  t.equal(refused.statusCode, 415);
  t.match(refused.json().message, cjk);
  const big = multipart({ kind: 'vendor', creditCode: a.creditCode, reason: '附件太大了一些。', contact: 'x@example.cn' }, { name: 'a.pdf', type: 'application/pdf', data: Buffer.alloc(6 * 1024 * 1024, 0x25) });
  const tooBig = await app.inject({ method: 'POST', url: '/api/v1/list-batches/1/objections', headers: { 'content-type': big.type }, payload: big.payload });
  t.equal(tooBig.statusCode, 413);
  t.match(tooBig.json().message, '5 MB');

  for (const [body, status] of [
    [{ kind: 'vendor', creditCode: '91330108MA00000000', reason: '不在清单里的企业。', contact: 'x@example.cn' }, 400],
    [{ kind: 'product', creditCode: a.creditCode, reason: '没写型号的产品异议。', contact: 'x@example.cn' }, 400],
    [{ kind: 'product', creditCode: a.creditCode, model: 'NOPE', reason: '型号不在清单里。', contact: 'x@example.cn' }, 400],
    [{ kind: 'vendor', creditCode: a.creditCode, reason: '短', contact: 'x@example.cn' }, 400],
    [{ kind: 'company', creditCode: a.creditCode, reason: '类型不对的异议。', contact: 'x@example.cn' }, 400],
  ] as const) {
    const res = await api('POST', '/api/v1/list-batches/1/objections', body, {});
    t.equal(res.statusCode, status, res.body);
    t.match(res.json().message, cjk);
  }
  const noPeriod = await api('POST', '/api/v1/list-batches/2/objections', { kind: 'vendor', creditCode: a.creditCode, reason: '第二批没有公示期。', contact: 'x@example.cn' }, {});
  t.equal(noPeriod.statusCode, 409);
  t.match(noPeriod.json().message, '未设公示期');

  // Organizers read and answer; others may not.
  t.equal((await api('GET', '/api/v1/list-batches/1/objections', undefined, {})).statusCode, 401);
  t.equal((await api('GET', '/api/v1/list-batches/1/objections', undefined, { cookie: vendorCookie })).statusCode, 403);
  const list = (await api('GET', '/api/v1/list-batches/1/objections')).json().objections;
  t.equal(list.length, 2, 'the refused ones left nothing');
  const file = await api('GET', list.find((o: { file?: unknown }) => o.file).file.url);
  t.equal(file.statusCode, 200);
  t.same(file.rawPayload, pdf);
  const id = list[0].id as string;
  const bad = await api('POST', `/api/v1/list-batches/1/objections/${id}/answer`, { outcome: 'maybe', text: '' });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, cjk);
  t.equal((await api('POST', `/api/v1/list-batches/1/objections/${id}/answer`, { outcome: 'upheld', text: '经核实属实。' }, { cookie: vendorCookie })).statusCode, 403);
  const answered = await api('POST', `/api/v1/list-batches/1/objections/${id}/answer`, { outcome: 'upheld', text: '经核实属实，下一批移出。' });
  t.equal(answered.statusCode, 200, answered.body);
  t.equal(answered.json().answer.outcome, 'upheld');
  t.equal(answered.json().answer.by.name, '测试organizer');
  t.equal(answered.json().answer.at, now.toISOString());
  const twice = await api('POST', `/api/v1/list-batches/1/objections/${id}/answer`, { outcome: 'dismissed', text: '改主意了。' });
  t.equal(twice.statusCode, 409);
  t.equal((await api('POST', '/api/v1/list-batches/1/objections/ffffffffffffffffffffffff/answer', { outcome: 'dismissed', text: '没有这条。' })).statusCode, 404);

  // The objections page of the organizers shows both, one answered.
  const page = (await api('GET', '/organizer/list-batches/1/objections')).body;
  t.match(page, '异议成立');
  t.match(page, '提交答复');

  // After the 公示期: refused, in Chinese; the page no longer offers the form.
  now = new Date(now.getTime() + 7 * 86_400_000);
  const late = await api('POST', '/api/v1/list-batches/1/objections', { kind: 'vendor', creditCode: a.creditCode, reason: '公示期过了才提出。', contact: 'x@example.cn' }, {});
  t.equal(late.statusCode, 409);
  t.match(late.json().message, '公示期已于');
  t.notMatch((await api('GET', '/list-batches/1', undefined, {})).body, '提交异议');

  const audit = await app.models.AuditEntry.find({ action: { $in: ['list-batch.publish', 'list-batch.objection.answer'] } }).lean();
  t.same(audit.map((e) => e.action).sort(), ['list-batch.objection.answer', 'list-batch.publish', 'list-batch.publish']);
});

t.test('the batch page form: a guest files an objection with a file, and sees inline errors', async (t) => {
  const res = await api('POST', '/api/v1/list-batches', { objectionDays: 3 });
  const number = res.json().number as number;
  const get = await api('GET', `/list-batches/${number}`, undefined, {});
  const guest = cookiesOf(get);
  const token = csrfFrom(get.body);
  const c = await app.models.Vendor.findOne({ name: '丁环保设备有限公司' }).lean();
  const wrong = multipart({ _csrf: token, entry: '', reason: '短', contact: '' });
  const invalid = await app.inject({ method: 'POST', url: `/list-batches/${number}/objections`, headers: { cookie: guest, 'content-type': wrong.type }, payload: wrong.payload });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.body, '请选择异议针对的企业或产品');
  t.match(invalid.body, '异议理由至少 5 个字');
  const m = multipart({ _csrf: token, entry: `product|${c!.creditCode}|C-1`, reason: '该设备并非本地生产。', contact: '王女士 0571-88888888' }, { name: '照片.png', type: 'image/png', data: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') });
  const ok = await app.inject({ method: 'POST', url: `/list-batches/${number}/objections`, headers: { cookie: guest, 'content-type': m.type }, payload: m.payload });
  t.equal(ok.statusCode, 200, ok.body.slice(0, 300));
  t.match(ok.body, '异议已收到');
  const stored = await app.models.ListBatchObjection.findOne({ number }).lean();
  t.equal(stored?.entry?.model, 'C-1');
  t.equal(stored?.file?.contentType, 'image/png');
  const forged = await app.inject({ method: 'POST', url: `/list-batches/${number}/objections`, headers: { 'content-type': m.type }, payload: m.payload });
  t.equal(forged.statusCode, 403, 'no cookie, no CSRF match');
});

t.test('concurrent publishes get distinct, consecutive numbers', async (t) => {
  const before = (await api('GET', '/api/v1/list-batches', undefined, {})).json().batches.length as number;
  const results = await Promise.all(Array.from({ length: 5 }, () => api('POST', '/api/v1/list-batches', {})));
  t.same(results.map((r) => r.statusCode), [201, 201, 201, 201, 201]);
  const numbers = results.map((r) => r.json().number as number).sort((x, y) => x - y);
  t.same(numbers, [1, 2, 3, 4, 5].map((n) => before + n));
  const batches = await app.models.ListBatch.find().lean();
  t.equal(new Set(batches.map((x) => x.number)).size, batches.length);
  // Each of them compares with the batch before it: nothing changed in between.
  const last = (await api('GET', `/api/v1/list-batches/${numbers[4]}`, undefined, {})).json();
  t.same(last.changes, { added: [], removed: [], changed: [] });
});

t.test('bad input: Chinese 4xx, nothing published', async (t) => {
  const count = await app.models.ListBatch.countDocuments();
  for (const [payload, path] of [
    [{ objectionDays: 99 }, 'objectionDays'], [{ objectionDays: -1 }, 'objectionDays'], [{ objectionDays: 1.5 }, 'objectionDays'],
    [{ title: 'x'.repeat(101) }, 'title'], [{ title: 12 }, 'title'], [{ title: '标题', extra: 1 }, ''],
  ] as const) {
    const res = await api('POST', '/api/v1/list-batches', payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.json().message, cjk);
    if (path) t.equal(res.json().details[0].path, path);
  }
  t.equal((await api('POST', '/api/v1/list-batches', {}, { cookie: vendorCookie })).statusCode, 403);
  t.equal((await api('POST', '/api/v1/list-batches', {}, {})).statusCode, 401);
  t.equal(await app.models.ListBatch.countDocuments(), count);
  for (const [url, status] of [['/api/v1/list-batches/abc', 400], ['/api/v1/list-batches/0', 400], ['/api/v1/list-batches/999', 404], ['/api/v1/list-batches/999/suppliers.xlsx', 404]] as const) {
    const res = await api('GET', url, undefined, {});
    t.equal(res.statusCode, status, url);
    t.match(res.json().message, cjk);
  }
  t.equal((await api('GET', '/list-batches/999', undefined, {})).statusCode, 404);
});

t.test('organizer pages: publish from the form, the navigation links there', async (t) => {
  const page = await api('GET', '/organizer/list-batches');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'href="/organizer/list-batches"');
  const token = csrfFrom(page.body);
  const bad = await app.inject({ method: 'POST', url: '/organizer/list-batches', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(token)}&objectionDays=abc` });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, '公示天数应为数字');
  const ok = await app.inject({ method: 'POST', url: '/organizer/list-batches', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(token)}&title=${encodeURIComponent('表单发布的一批')}&objectionDays=5` });
  t.equal(ok.statusCode, 303);
  t.match(ok.headers.location, /^\/list-batches\/\d+$/);
  const index = (await api('GET', '/list-batches', undefined, {})).body;
  t.match(index, '表单发布的一批');
  t.match(index, '公示中');
});
