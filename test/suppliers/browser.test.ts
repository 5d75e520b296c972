/**
 * The vendor edit form in real Chromium (playwright-core), with JavaScript off: a vendor edits a
 * published product and is told the change waits for review, while the public values stay.
 */
import t from 'tap';
import { launchChromium, watchErrors } from '../browser.js';
import type { AddressInfo } from 'node:net';
import { buildTestApp, createUser } from '../helper.js';
import { approvedVendor, productDoc } from './pages-support.js';


t.test('a vendor edits a published product in the browser and sees the pending-revision notice', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  const vendor = await app.models.Vendor.create(approvedVendor('杭州滨江视界安防有限公司', 51));
  const product = await app.models.Product.create(productDoc(vendor, '人脸识别网络摄像机', 'SJ-FACE-200', {
    status: 'published', priceMin: 2000, priceMax: 3000, specs: [{ key: '分辨率', value: '200万像素' }],
  }));
  const user = await createUser(app, 'vendor', { name: '郑供应', vendor: vendor._id });

  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const errors = watchErrors(page);

  await page.goto(`${base}/vendor`);
  t.equal(new URL(page.url()).pathname, '/login');
  await page.getByLabel('电子邮箱').fill(user.email);
  await page.getByLabel(/^密码/).fill(user.password);
  await Promise.all([page.waitForURL(/\/vendor$/), page.getByRole('button', { name: '登录' }).click()]);
  t.match(await page.getByRole('heading', { level: 2 }).first().textContent(), /杭州滨江视界安防有限公司/);
  t.match(await page.locator('tbody tr', { hasText: '人脸识别网络摄像机' }).textContent(), /已发布/);

  await Promise.all([page.waitForURL(/\/edit$/), page.locator('tbody tr', { hasText: '人脸识别网络摄像机' }).getByRole('link', { name: '编辑' }).click()]);
  t.match(await page.getByRole('note').first().textContent(), /修改将在主办方审核后生效/, 'the form warns before the edit');
  t.equal(await page.getByLabel('产品名称').inputValue(), '人脸识别网络摄像机');
  t.equal(await page.getByLabel('产品类别').inputValue(), 'video-surveillance');

  // A bad value first: the error is shown next to the field and what was typed stays.
  await page.getByLabel('产品名称').fill('人脸识别全彩网络摄像机');
  await page.getByLabel('最低参考价（元）').fill('5000');
  await page.getByRole('button', { name: '提交修改' }).click();
  await page.waitForLoadState();
  t.equal(await page.locator('#e-priceMax').textContent(), '最低价不能高于最高价');
  t.equal(await page.getByLabel('产品名称').inputValue(), '人脸识别全彩网络摄像机');

  await page.getByLabel('最低参考价（元）').fill('1800');
  await page.locator('input[name="specs.1.key"]').fill('防护等级');
  await page.locator('input[name="specs.1.value"]').fill('IP67');
  await Promise.all([page.waitForURL(/\/edit$/), page.getByRole('button', { name: '提交修改' }).click()]);
  t.equal(await page.getByRole('status').first().textContent(), '修改已提交，将在主办方审核后生效。');
  const diff = page.locator('.wb-revision');
  t.ok(await diff.isVisible(), 'the pending revision is shown');
  t.match(await diff.locator('tr', { hasText: '名称' }).textContent(), /人脸识别网络摄像机\s*人脸识别全彩网络摄像机/);
  t.match(await diff.locator('tr', { hasText: '最低价' }).textContent(), /2,000 元\s*1,800 元/);
  t.match(await diff.locator('tr', { hasText: '规格参数' }).textContent(), /分辨率：200万像素；防护等级：IP67/);
  await page.screenshot({ path: '/tmp/screens/vendor-product-pending.png', fullPage: true }).catch(() => {});

  const stored = await app.models.Product.findById(product._id).lean();
  t.equal(stored?.name, '人脸识别网络摄像机', 'the public still sees the published name');
  t.equal(stored?.priceMin, 2000);

  await page.goto(`${base}/vendor`);
  t.match(await page.locator('tbody tr', { hasText: '人脸识别网络摄像机' }).textContent(), /修改待审核/);
  await page.screenshot({ path: '/tmp/screens/vendor-dashboard.png', fullPage: true }).catch(() => {});
  t.same(errors, [], 'no console errors, CSP violations or failed assets');

  // The organizer approves the revision from the review queue.
  const organizer = await createUser(app, 'organizer', { name: '冯主办' });
  const staff = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  t.teardown(() => staff.close());
  const review = await staff.newPage();
  const reviewErrors = watchErrors(review);
  await review.goto(`${base}/organizer/review`);
  await review.getByLabel('电子邮箱').fill(organizer.email);
  await review.getByLabel(/^密码/).fill(organizer.password);
  await Promise.all([review.waitForURL(/\/organizer\/review$/), review.getByRole('button', { name: '登录' }).click()]);
  const item = review.locator(`#revision-${String(product._id)}`);
  t.match(await item.locator('tr', { hasText: '名称' }).textContent(), /人脸识别网络摄像机\s*人脸识别全彩网络摄像机/);
  await review.screenshot({ path: '/tmp/screens/organizer-review.png', fullPage: true }).catch(() => {});
  await Promise.all([review.waitForURL(/\/organizer\/review$/), item.getByRole('button', { name: '通过修改' }).click()]);
  t.equal(await review.getByRole('status').first().textContent(), '修改已通过，公开信息已更新。');
  t.equal((await app.models.Product.findById(product._id).lean())?.name, '人脸识别全彩网络摄像机', 'the public now sees the new name');
  t.same(reviewErrors, [], 'no console errors on the review pages');
});
