/**
 * A visit's day in real Chromium, as the 对接会's (test/events/checkin-browser.test.ts). The buyer's itinerary
 * shows its check-in QR, which decodes (jsQR) to the buyer's code. The organizer prints badges: one per
 * approved organization with its QR, two across an A4 sheet. On a phone (390 px) the organizer opens the
 * check-in page: the camera (a fake one showing the buyer's QR, decoded in the page by the locally served
 * decoder) checks the buyer in; with the network dropped a typed code queues in the page, is sent when it
 * returns, and nothing counts twice. Without JavaScript the page is a plain form. No console, CSP or
 * loading errors besides the expected ones.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../browser.js';
import { buildTestApp } from '../helper.js';
import { decodeQr, logIn } from '../events/day-support.js';
import { qrVideo } from './qr-camera.js';
import { approvedBuyer, eventWorld, openVisit } from './support.js';

t.setTimeout(240_000);

t.test('itinerary QR, badges, camera check-in, offline queue, nothing counted twice', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const id = await openVisit(app, w);
  const first = await approvedBuyer(app, w, id);
  const second = await approvedBuyer(app, w, id, 'otherBuyerUser');
  await app.models.VisitRegistration.updateOne({ _id: first.rid }, { $set: { contactName: '赵处长' } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const codeOf = async (rid: string) => (await app.models.VisitRegistration.findById(rid).lean())!.checkInCode!;
  const arrived = () => app.models.VisitRegistration.countDocuments({ visit: id, checkIn: 'arrived' });
  // The phone's camera shows the first buyer's QR (as printed on its itinerary and badge).
  const browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${qrVideo(await codeOf(first.rid))}`]);
  t.teardown(() => browser.close());

  const buyer = await logIn(browser, base, w.users.buyerUser);
  t.teardown(() => buyer.context.close());
  await buyer.page.goto(`${base}/visits/${id}/itinerary/${first.rid}`);
  const decoded = await decodeQr(buyer.page, '#itinerary-qr');
  t.equal(decoded, await codeOf(first.rid), 'the QR on the itinerary is the buyer\'s code');
  t.match(await buyer.page.locator('#check-in-code').textContent(), /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  t.same(buyer.errors, [], 'no errors on the itinerary');

  // Badges: one per approved organization, name, organization, role and QR; 2 across when printed.
  const desk = await logIn(browser, base, w.users.organizer);
  t.teardown(() => desk.context.close());
  await desk.page.goto(`${base}/organizer/visits/${id}`);
  await desk.page.getByRole('link', { name: '打印名牌' }).first().click();
  // The click starts a navigation: count once the badge page is there, not on the page before it.
  await desk.page.locator('.ev-badge').first().waitFor();
  t.equal(await desk.page.locator('.ev-badge').count(), 2, 'one badge per approved organization');
  const badge = desk.page.locator('.ev-badge', { hasText: '采购单位1' });
  t.equal(await badge.locator('.ev-badge-person').textContent(), '赵处长', 'the person, large');
  t.equal(await badge.locator('.ev-badge-org').textContent(), '采购单位1', 'the organization');
  t.match(await badge.locator('.ev-badge-role').textContent(), /采购方 · 有随行领导/, 'the role');
  t.match(await badge.locator('.ev-badge-event').textContent(), '企业调研 · 滨江区安防企业调研');
  t.equal(await decodeQr(desk.page, '.ev-badge:has-text("采购单位1") img'), await codeOf(first.rid), 'the badge QR is the organization\'s code');
  await desk.page.emulateMedia({ media: 'print' });
  t.equal(await desk.page.locator('.ev-badge-sheet').first().evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length), 2, 'two across an A4 sheet');
  t.same(desk.errors, [], 'no errors on the badges');

  // The organizer at the first stop, on a phone: the camera scans the buyer's QR.
  const org = await logIn(browser, base, w.users.organizer, { phone: true });
  t.teardown(() => org.context.close());
  const page = org.page;
  await page.goto(`${base}/organizer/visits/${id}`);
  await page.getByRole('link', { name: '扫码签到' }).click();
  await page.waitForURL(/\/check-in$/);
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'fits a 390 px screen');
  t.equal(await page.locator('#arrived-count').textContent(), '0');
  t.equal(await page.locator('#expected-count').textContent(), '2');
  await page.getByRole('button', { name: '打开摄像头扫码' }).click();
  await page.locator('#arrived-count', { hasText: '1' }).waitFor({ timeout: 30_000 });
  t.match(await page.locator('#checkin-message').textContent(), /签到成功：采购单位1/);
  t.match(await page.locator('#arrived-list').textContent(), '采购单位1', 'listed as arrived');
  t.ok(await page.evaluate(() => Boolean((window as unknown as { jsQR?: unknown }).jsQR) || 'BarcodeDetector' in window), 'decoded in the page (BarcodeDetector or the locally served jsQR)');
  // The QR stays in view: the page takes it again now and then, the phone and the server count it once.
  await page.waitForTimeout(4_000);
  t.ok(await page.locator('#scan-start').isHidden(), 'while the camera runs, only its off button shows');
  await page.getByRole('button', { name: '关闭摄像头' }).click();
  t.ok(await page.locator('#scan-stop').isHidden(), 'and once off, only the on button');
  t.equal(await page.locator('#arrived-count').textContent(), '1');
  t.equal(await page.locator('#waiting-count').textContent(), '1', 'still expected: one');
  t.equal(await arrived(), 1);

  // The network drops: the second buyer's code, typed twice (once as printed), waits in the page.
  const code2 = await codeOf(second.rid);
  await org.context.setOffline(true);
  for (const code of [code2, code2.replace(/(.{4})(?=.)/g, '$1-').toLowerCase()]) {
    await page.getByLabel('签到码').fill(code);
    await page.getByRole('button', { name: '签到', exact: true }).click();
  }
  await page.locator('#checkin-queue', { hasText: '1 个签到码待发送' }).waitFor();
  t.same(await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? '[]'), `checkin-queue:visit:${id}`), [code2], 'queued once, in localStorage');
  t.equal(await arrived(), 1, 'nothing reached the server while offline');
  await org.context.setOffline(false);
  await page.locator('#arrived-count', { hasText: '2' }).waitFor({ timeout: 15_000 });
  t.ok(await page.locator('#checkin-queue').isHidden(), 'the queue is empty once sent');
  t.equal(await arrived(), 2, 'the queued code counted once');
  t.equal(await page.locator('#waiting-count').textContent(), '0', 'nobody still expected');

  // A code of no registration of this visit: the server's Chinese 404, nothing counted.
  await page.getByLabel('签到码').fill('AAAA-BBBB-CCCC-DDDD');
  await page.getByRole('button', { name: '签到', exact: true }).click();
  await page.locator('#checkin-message .flash-error').waitFor();
  t.match(await page.locator('#checkin-message').textContent(), /未找到该签到码/);
  t.equal(await arrived(), 2);
  await page.screenshot({ path: '/tmp/screens/visit-checkin-phone.png', fullPage: true }).catch(() => {});
  t.same(org.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e) && !/^404 .*\/check-in$/.test(e)), [], 'no console, CSP or loading errors besides those');

  // Without JavaScript the same page is a form; a second check-in does not count twice.
  const plain = await logIn(browser, base, w.users.organizer2, { javaScriptEnabled: false, phone: true });
  t.teardown(() => plain.context.close());
  await plain.page.goto(`${base}/organizer/visits/${id}/check-in`);
  t.ok(await plain.page.locator('#scanner').isHidden(), 'no scanner without JavaScript');
  await plain.page.getByLabel('签到码').fill(decoded!.toLowerCase());
  await Promise.all([plain.page.waitForURL(/\/check-in$/), plain.page.getByRole('button', { name: '签到', exact: true }).click()]);
  t.match(await plain.page.locator('div.flash-info[role="status"]').textContent(), /采购单位1 已签到过，不重复计数（已到 2 \/ 应到 2）/);
  t.equal(await arrived(), 2);
});
