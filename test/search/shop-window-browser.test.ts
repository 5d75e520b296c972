/** The shop window in a real browser: sort select, vendor tab, compare four products without JavaScript. */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium, watchErrors } from '../browser.js';
import { buildTestApp } from '../helper.js';
import { addProduct, addVendor } from './fixtures.js';

t.test('the shop window in a browser', async (t) => {
  const app = await buildTestApp(t);
  const hk = await addVendor(app, { name: '杭州海康威视数字技术股份有限公司', certifications: ['zhejiang-made'] });
  await addProduct(app, hk, { name: '400万像素筒型网络摄像机', model: 'DS-2CD3T46', category: 'video-surveillance', priceMin: 680, leadTimeDays: 15, capacityPerMonth: 5000, specs: [{ key: '分辨率', value: '2560×1440' }] });
  await addProduct(app, hk, { name: '200万像素半球网络摄像机', model: 'DS-2CD1123', category: 'video-surveillance', priceMin: 320, specs: [{ key: '分辨率', value: '1920×1080' }] });
  const nb = await addVendor(app, { name: '宁波甬安视讯有限公司', city: '宁波市', district: '鄞州区' });
  await addProduct(app, nb, { name: '800万像素枪型网络摄像机', model: 'YA-800', category: 'video-surveillance', priceMin: 1500, specs: [{ key: '防护等级', value: 'IP66' }] });
  await addProduct(app, nb, { name: '热成像网络摄像机', model: 'YA-T1', category: 'video-surveillance', priceMin: 9800, leadTimeDays: 45, specs: [{ key: '测温范围', value: '-20～150℃' }] });
  await app.searchSync.drain();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const errors = watchErrors(page);

  await page.goto(`${base}/directory`);
  await page.getByLabel('搜索产品、型号或企业').fill('网络摄像机');
  await page.getByLabel('排序').selectOption({ label: '价格从低到高' });
  await Promise.all([page.waitForURL(/sort=price/), page.getByRole('button', { name: '搜索' }).click()]);
  const prices = (await page.locator('.dir-price').allTextContents()).map((p) => Number(p.split('元')[0].replace(/[^0-9]/g, '')));
  t.same(prices, [...prices].sort((a, b) => a - b), `cards by price: ${prices.join(',')}`);

  // 加入对比 on each card, with links only (no JavaScript in this browser).
  for (let i = 0; i < 4; i++) {
    await Promise.all([page.waitForURL(/compare=/), page.locator('.dir-card').filter({ has: page.locator('a.dir-compare-add') }).first().locator('a.dir-compare-add').click()]);
  }
  t.match(await page.locator('[data-test="compare-bar"]').textContent() ?? '', /已选 4\/4 个产品/);
  t.equal(await page.locator('a.dir-compare-add').count(), 0, 'no more than four');
  await Promise.all([page.waitForURL(/\/directory\/compare\?ids=/), page.getByRole('link', { name: '开始对比' }).click()]);
  const table = await page.locator('[data-test="compare"]').textContent() ?? '';
  for (const text of ['400万像素筒型网络摄像机', '200万像素半球网络摄像机', '800万像素枪型网络摄像机', '热成像网络摄像机', '2560×1440', '1920×1080', 'IP66', '-20～150℃', '5000 台（套）/月', '45 天', '品字标']) {
    t.ok(table.includes(text), `compare shows ${text}`);
  }
  t.equal(await page.locator('[data-test="compare"] thead th').count(), 5, 'four products side by side');
  await Promise.all([page.waitForURL(/ids=/), page.getByRole('link', { name: '移出对比' }).first().click()]);
  t.equal(await page.locator('[data-test="compare"] thead th').count(), 4, 'one removed');

  // The vendor tab: one card per company, found by credit code.
  await page.goto(`${base}/directory?q=${nb.creditCode}`);
  await Promise.all([page.waitForURL(/tab=vendors/), page.getByRole('navigation', { name: '搜索范围' }).getByRole('link', { name: '企业' }).click()]);
  t.same(await page.locator('.dir-vendor-card h3').allTextContents(), ['宁波甬安视讯有限公司']);
  t.match(await page.locator('.dir-vendor-card').textContent() ?? '', /推介产品 2 项/);
  t.same(errors, [], 'no console errors or CSP violations');
});
