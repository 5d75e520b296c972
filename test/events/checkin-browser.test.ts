/**
 * The event day in real Chromium. A buyer's agenda page shows its check-in QR: a screenshot of it, decoded
 * with jsQR, gives back the participant's code, and the organizer checks the buyer in with it on the
 * check-in page at phone width (390 px). With the network dropped (context.setOffline) scans queue in the
 * page, are sent when it returns, and nothing is counted twice. Without JavaScript the page is a plain form.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../browser.js';
import { decodeQr, logIn, publishedEvent } from './day-support.js';

// Chromium and a whole published event on a shared two-core machine.
t.setTimeout(240_000);

t.test('a QR on the agenda decodes to the code that checks its holder in, offline scans queue, nothing counts twice', async (t) => {
  const { app, w, id, buyerIds, vendorIds } = await publishedEvent(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  await app.models.EventParticipant.updateOne({ _id: vendorIds[0] }, { $set: { contactName: '钱经理', contactPhone: '13800000001' } });
  const codeOf = async (pid: string) => (await app.models.EventParticipant.findById(pid).lean())!.checkInCode!;
  const arrived = () => app.models.EventParticipant.countDocuments({ event: id, checkIn: 'arrived' });

  // The buyer's agenda: its QR, and per meeting the counterpart's contact person and the demand.
  const buyer = await logIn(browser, base, w.users.buyerUser);
  t.teardown(() => buyer.context.close());
  await buyer.page.goto(`${base}/events/${id}/agenda/${buyerIds[0]}`);
  const agendaText = (await buyer.page.locator('table.ev-agenda-table').textContent()) ?? '';
  t.match(agendaText, '钱经理', 'the counterpart\'s contact person');
  t.match(agendaText, '视频监控更新1', 'the demand the meeting is about');
  const decoded = await decodeQr(buyer.page, '#checkin-qr');
  t.equal(decoded, await codeOf(buyerIds[0]), 'the QR on the agenda decodes to the buyer\'s code');
  t.same(buyer.errors, [], 'no console, CSP or loading errors on the agenda');

  // The organizer at the door, on a phone.
  const org = await logIn(browser, base, w.users.organizer, { phone: true });
  t.teardown(() => org.context.close());
  const page = org.page;
  await page.goto(`${base}/organizer/events/${id}/check-in`);
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'fits a 390 px screen without sideways scrolling');
  t.ok(await page.locator('#scanner').isVisible(), 'the camera scanner is offered where the browser has a camera API');
  t.equal(await page.locator('#arrived-count').textContent(), '0');
  t.equal(await page.locator('#expected-count').textContent(), '6');

  await page.getByLabel('签到码').fill(decoded!);
  await page.getByRole('button', { name: '签到', exact: true }).click();
  await page.locator('#arrived-count', { hasText: '1' }).waitFor();
  t.match(await page.locator('#checkin-message').textContent(), /签到成功：采购单位1/);
  t.match(await page.locator('#arrived-list').textContent(), '采购单位1', 'listed as arrived');
  t.equal(await arrived(), 1);

  // The network drops: two scans (one of them twice, once as printed with dashes) wait in the page.
  const vendorCode = await codeOf(vendorIds[1]);
  const otherCode = await codeOf(buyerIds[1]);
  await org.context.setOffline(true);
  for (const code of [vendorCode, otherCode, vendorCode.replace(/(.{4})(?=.)/g, '$1-').toLowerCase()]) {
    await page.getByLabel('签到码').fill(code);
    await page.getByRole('button', { name: '签到', exact: true }).click();
  }
  await page.locator('#checkin-queue', { hasText: '2 个签到码待发送' }).waitFor();
  t.same(await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? '[]'), `checkin-queue:${id}`), [vendorCode, otherCode], 'queued once each, in localStorage');
  t.equal(await arrived(), 1, 'nothing reached the server while offline');

  await org.context.setOffline(false);
  await page.locator('#arrived-count', { hasText: '3' }).waitFor({ timeout: 15_000 });
  t.ok(await page.locator('#checkin-queue').isHidden(), 'the queue is empty once sent');
  t.equal(await arrived(), 3, 'both queued scans counted, once each');
  const vendorAt = (await app.models.EventParticipant.findById(vendorIds[1]).lean())!.checkInAt;

  // Scanned again after it was sent: this phone knows, and the server would not count it either.
  await page.getByLabel('签到码').fill(vendorCode);
  await page.getByRole('button', { name: '签到', exact: true }).click();
  await page.locator('#checkin-message', { hasText: '已在本机签到过' }).waitFor();
  t.equal(await page.locator('#arrived-count').textContent(), '3');
  t.same((await app.models.EventParticipant.findById(vendorIds[1]).lean())!.checkInAt, vendorAt, 'the arrival time is the first one');

  // A code from nowhere (or another event): the server's Chinese 404, nothing counted.
  await page.getByLabel('签到码').fill('AAAA-BBBB-CCCC-DDDD');
  await page.getByRole('button', { name: '签到', exact: true }).click();
  await page.locator('#checkin-message .flash-error').waitFor();
  t.match(await page.locator('#checkin-message').textContent(), /未找到该签到码/);
  t.equal(await arrived(), 3);
  await page.screenshot({ path: '/tmp/screens/event-checkin-phone.png', fullPage: true }).catch(() => {});
  // Expected: the scans sent while offline, and the unknown code's 404.
  t.same(org.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e) && !/^404 .*\/check-in$/.test(e)), [], 'no console, CSP or loading errors besides those');

  // Without JavaScript the same page is a form.
  const plain = await logIn(browser, base, w.users.organizer2, { javaScriptEnabled: false, phone: true });
  t.teardown(() => plain.context.close());
  await plain.page.goto(`${base}/organizer/events/${id}/check-in`);
  t.ok(await plain.page.locator('#scanner').isHidden(), 'no scanner without JavaScript');
  await plain.page.getByLabel('签到码').fill(await codeOf(buyerIds[2]));
  await Promise.all([plain.page.waitForURL(/\/check-in$/), plain.page.getByRole('button', { name: '签到', exact: true }).click()]);
  t.match(await plain.page.locator('.flash-success').textContent(), /签到成功：采购单位3（已到 4 \/ 应到 6）/);
  await plain.page.getByLabel('签到码').fill(await codeOf(buyerIds[2]));
  await Promise.all([plain.page.waitForURL(/\/check-in$/), plain.page.getByRole('button', { name: '签到', exact: true }).click()]);
  t.match(await plain.page.locator('div.flash-info[role="status"]').textContent(), /已签到过，不重复计数/);
  t.equal(await arrived(), 4);
});
