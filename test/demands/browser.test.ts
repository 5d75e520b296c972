/**
 * In real Chromium, without JavaScript: a buyer posts a demand (fixing an inline error first), sees the
 * matched suppliers with their reasons and marks one 已联系; that vendor finds the demand in its 商机
 * feed with the same status.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium, watchErrors } from '../browser.js';
import { buildTestApp, createUser } from '../helper.js';
import { seedSampleData } from '../../src/seeding/index.js';

t.test('a buyer posts a demand and follows up a match; the vendor sees it', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  await seedSampleData(app.models);
  await app.searchSync.drain();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  const bureau = (await app.models.BuyerOrg.findOne({ name: '杭州市滨江区教育局' }).lean())!;
  const buyer = await createUser(app, 'buyer', { name: '赵采购', buyerOrg: bureau._id });
  const buyerContext = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  t.teardown(() => buyerContext.close());
  const page = await buyerContext.newPage();
  const errors = watchErrors(page);

  await page.goto(`${base}/login?next=/demands/new`);
  await page.getByLabel('电子邮箱').fill(buyer.email);
  await page.getByLabel('密码').fill(buyer.password);
  await Promise.all([page.waitForURL(/\/demands\/new$/), page.getByRole('button', { name: '登录' }).click()]);

  const title = '学校监控摄像机更新';
  await page.getByLabel('需求标题').fill(title);
  await page.getByLabel('需求描述').fill('校园周界和走廊的老旧模拟摄像头要换成高清网络摄像机，大约200路，要能夜视，最好是本地企业，售后快。');
  await page.locator('#f-category').selectOption('video-surveillance');
  await page.getByLabel('数量', { exact: true }).fill('-5');
  await page.getByRole('button', { name: '发布并开放征集' }).click();
  t.match(await page.locator('#e-quantity').textContent(), /[\u4e00-\u9fff]/, 'the wrong quantity is explained next to the field');
  t.equal(await page.getByLabel('需求标题').inputValue(), title, 'what was typed is kept');

  await page.getByLabel('数量', { exact: true }).fill('200');
  await page.getByLabel('单位', { exact: true }).fill('路');
  await Promise.all([page.waitForURL(/\/demands\/[0-9a-f]{24}$/), page.getByRole('button', { name: '发布并开放征集' }).click()]);
  const demandUrl = page.url();
  t.match(await page.locator('h1').textContent(), title);

  const matches = page.locator('article.dm-match');
  t.ok(await matches.count() >= 3, 'matched suppliers are listed');
  const first = matches.first();
  const reasons = await first.locator('.dm-reasons li').allTextContents();
  t.ok(reasons.length >= 3 && reasons.every((r) => /[\u4e00-\u9fff]/.test(r)), `each match explains itself: ${reasons.join(' / ')}`);
  t.ok(reasons.some((r) => r.includes('滨江区本地企业')), 'the best match is a Binjiang company, and says so');
  const vendorId = ((await first.getAttribute('id')) ?? '').replace(/^m-/, '');
  t.match(vendorId, /^[0-9a-f]{24}$/);

  await Promise.all([page.waitForURL(/\/demands\//), first.getByRole('button', { name: '已联系' }).click()]);
  t.match(await page.locator(`#m-${vendorId} .fu-status`).textContent(), '已联系', 'the follow-up status shows on the match');
  await page.screenshot({ path: '/tmp/screens/demand-matches.png', fullPage: true }).catch(() => {});
  t.same(errors, [], 'no console, CSP or loading errors');

  const step = await app.models.FollowUp.findOne({ vendor: vendorId }).lean();
  t.equal(step?.status, 'contacted');
  t.equal(step?.steps[0].by.name, '赵采购', 'who moved it is recorded');

  // The vendor's side: the feed lists the demand with the buyer's move.
  const vendorUser = await createUser(app, 'vendor', { name: '钱供应', vendor: vendorId });
  const vendorContext = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  t.teardown(() => vendorContext.close());
  const feed = await vendorContext.newPage();
  await feed.goto(`${base}/login?next=/vendor/opportunities`);
  await feed.getByLabel('电子邮箱').fill(vendorUser.email);
  await feed.getByLabel('密码').fill(vendorUser.password);
  await Promise.all([feed.waitForURL(/\/vendor\/opportunities$/), feed.getByRole('button', { name: '登录' }).click()]);
  const card = feed.locator('li.op-item', { hasText: title });
  t.equal(await card.count(), 1, 'the new demand is in the vendor\'s opportunity feed');
  t.match(await card.textContent(), '已联系', 'with the follow-up status the buyer set');
  t.ok(demandUrl.startsWith(base));
});
