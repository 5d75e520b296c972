/**
 * The 推介手册 in a real browser (Debian's Chromium): printed to PDF, a batch of N vendors gives a cover, a
 * table of contents and a page per vendor (≥ N + 1 pages, each vendor starting its own page); each vendor
 * carries a QR code to its live listing; nothing errs under the CSP. The batch page prints without the
 * site's navigation.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { launchChromium, watchErrors } from '../browser.js';
import { addProduct, addVendor } from '../search/fixtures.js';

t.setTimeout(300_000);
const app = await buildTestApp(t, {}, { background: false });
const N = 4;
for (let i = 1; i <= N; i++) {
  const v = await addVendor(app, { name: `手册测试供应商${i}号有限公司`, certifications: ['ccc'] });
  await app.models.Vendor.updateOne({ _id: v._id }, { $set: { description: '专注安防设备研发与制造。'.repeat(6) } });
  for (let j = 1; j <= 2; j++) await addProduct(app, v, { name: `网络摄像机${i}-${j}`, model: `BK-${i}-${j}`, category: 'video-surveillance', priceMin: 1000 * j });
}
const organizer = await createUser(app, 'organizer');
const cookie = await login(app, organizer.email, organizer.password);
const published = await app.inject({ method: 'POST', url: '/api/v1/list-batches', headers: { cookie }, payload: { objectionDays: 5 } });
const number = published.json().number as number;

await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const browser = await launchChromium();
t.teardown(() => browser.close());

/** Pages of a PDF: its page objects (/Type /Page, not /Pages). */
const pageCount = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;

t.test('the booklet of a batch prints to a PDF with a cover, contents and one vendor per page', async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  const res = await page.goto(`${base}/list-batches/${number}/booklet`);
  t.equal(res?.status(), 200);
  t.equal(await page.locator('.bk-vendor').count(), N);
  t.equal(await page.locator('.bk-toc li').count(), N);
  const qr = await page.locator('.bk-qr img').first().getAttribute('src');
  t.match(qr, /^data:image\/svg\+xml;base64,/);
  const svg = Buffer.from(qr!.split(',')[1], 'base64').toString();
  t.match(svg, /<svg/);
  const vendor = await app.models.Vendor.findOne({ name: '手册测试供应商1号有限公司' }).lean();
  t.match(await page.locator('.bk-url').first().innerText(), `${base}/directory/vendors/${String(vendor!._id)}`, 'the QR code leads to the live listing');
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  const pages = pageCount(pdf);
  t.ok(pages >= N + 1, `${pages} PDF pages for ${N} vendors (cover + contents + one per vendor)`);
  // Each vendor starts a page: in print media every vendor section begins right after a page break.
  await page.emulateMedia({ media: 'print' });
  const breaks = await page.locator('.bk-page').evaluateAll((els) => els.map((e) => getComputedStyle(e).breakAfter));
  t.same(breaks.slice(0, -1), Array(breaks.length - 1).fill('page'));
  t.equal(await page.locator('.site-nav').isVisible(), false, 'the site navigation does not print');
  t.same(errors, [], 'no errors');
  await context.close();
});

t.test('the booklet of a field, and the batch page, in print', async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  const res = await page.goto(`${base}/booklet/fields/security`);
  t.equal(res?.status(), 200);
  t.equal(await page.locator('.bk-vendor').count(), N);
  await page.goto(`${base}/list-batches/${number}`);
  t.equal(await page.locator('#objection form').count(), 1, 'the objection form during the 公示期');
  await page.emulateMedia({ media: 'print' });
  t.equal(await page.locator('#objection').isVisible(), false, 'the form does not print');
  t.ok(await page.locator('#list').isVisible());
  t.same(errors, [], 'no errors');
  await context.close();
});

t.test('a guest files an objection from the batch page', async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${base}/list-batches/${number}`);
  const option = await page.locator('#f-entry option').nth(2).getAttribute('value');
  await page.selectOption('#f-entry', option!);
  await page.fill('#f-reason', '该产品参数与实际不符，请核实。');
  await page.fill('#f-contact', '赵先生 13900000000');
  await Promise.all([page.waitForLoadState('load'), page.click('#objection button[type="submit"]')]);
  t.match(await page.locator('main').innerText(), '异议已收到');
  t.equal(await app.models.ListBatchObjection.countDocuments({ number }), 1);
  t.same(errors, [], 'no errors');
  await context.close();
});
