/** The directory in a real browser: search, suggestions as you type, facets, a result's product page. */
import t from 'tap';
import { launchChromium, watchErrors } from '../browser.js';
import type { AddressInfo } from 'node:net';
import { buildTestApp } from '../helper.js';
import { addProduct, addVendor } from './fixtures.js';


t.test('the directory in a browser', async (t) => {
  const app = await buildTestApp(t);
  const hk = await addVendor(app, { name: '杭州海康威视数字技术股份有限公司', certifications: ['zhejiang-made'] });
  await addProduct(app, hk, { name: '400万像素筒型网络摄像机', model: 'DS-2CD3T46', category: 'video-surveillance', description: '安装简单，夜视清晰' });
  await addProduct(app, hk, { name: '32路网络硬盘录像机', model: 'DS-7932N', category: 'video-analytics' });
  const lift = await addVendor(app, { name: '宁波甬梯电梯有限公司', city: '宁波市', district: '鄞州区' });
  await addProduct(app, lift, { name: '既有住宅加装电梯', model: 'NB-AL-1', category: 'elevator' });
  await app.searchSync.drain();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${base}/`);
  await Promise.all([page.waitForURL(/\/directory$/), page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '推介清单' }).click()]);
  t.equal(await page.locator('.dir-card').count(), 3, 'the whole list shows before any search');

  // As-you-type: pinyin initials suggest the vendor (the script fills the datalist).
  await page.getByLabel('搜索产品、型号或企业').fill('hkws');
  await page.waitForFunction(() => document.querySelectorAll('#dir-suggestions option').length > 0, undefined, { timeout: 20_000 });
  const options = await page.locator('#dir-suggestions option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
  t.ok(options.includes('杭州海康威视数字技术股份有限公司'), `suggestions: ${options.join(',')}`);

  await page.getByLabel('搜索产品、型号或企业').fill('摄像头');
  await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: '搜索' }).click()]);
  t.equal(await page.locator('.dir-card').count(), 1, 'synonym search finds the camera');
  t.match(await page.locator('.dir-card mark').first().textContent(), /摄像/, 'the match is highlighted');
  t.match(await page.locator('.dir-card').first().textContent() ?? '', /品字标/);

  // A slip of the pinyin keyboard (摄象头) and an abbreviation (NVR) are read as meant, and the page says so.
  const box = page.getByLabel('搜索产品、型号或企业');
  await box.fill('监空摄象头');
  await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: '搜索' }).click()]);
  t.match(await page.locator('[data-test="understood"]').textContent() ?? '', /已按“监控摄像头”搜索（您输入的是“监空摄象头”）/);
  t.same(await page.locator('.dir-card h3').allTextContents(), ['400万像素筒型网络摄像机'], 'the slip finds the camera');
  await Promise.all([page.waitForURL(/exact=1/), page.getByRole('link', { name: '仍按原词搜索' }).click()]);
  t.equal(await page.locator('[data-test="understood"]').count(), 0, 'the words as typed: no correction shown');
  t.equal(await page.getByLabel('搜索产品、型号或企业').inputValue(), '监空摄象头');
  await page.goto(`${base}/directory?q=${encodeURIComponent('nvr')}`);
  t.match(await page.locator('[data-test="understood"]').textContent() ?? '', /nvr 已按“网络硬盘录像机”一并搜索/);
  t.same(await page.locator('.dir-card h3').allTextContents(), ['32路网络硬盘录像机'], 'the abbreviation finds the recorder');

  await page.goto(`${base}/directory`);
  await Promise.all([page.waitForURL(/city=/), page.locator('.dir-facets').getByRole('link', { name: '宁波市' }).click()]);
  t.same(await page.locator('.dir-card h3').allTextContents(), ['既有住宅加装电梯'], 'the city facet filters');
  await Promise.all([page.waitForURL(/\/directory\/products\//), page.locator('.dir-card h3 a').click()]);
  t.match(await page.locator('h1').textContent() ?? '', /既有住宅加装电梯/);
  t.same(errors, [], 'no console errors or CSP violations');
});
