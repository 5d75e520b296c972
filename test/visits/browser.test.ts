/**
 * A visit in real Chromium: the buyer's itinerary shows its check-in QR; decoded with jsQR it gives the
 * buyer's code, which the organizer types into the visit page's check-in form; a second check-in does not
 * count twice. No console, CSP or loading errors on either page.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../browser.js';
import { buildTestApp } from '../helper.js';
import { decodeQr, logIn } from '../events/day-support.js';
import { approvedBuyer, eventWorld, openVisit } from './support.js';

t.setTimeout(240_000);

t.test('the itinerary QR decodes to the code that checks the buyer in, once', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const id = await openVisit(app, w);
  const { rid } = await approvedBuyer(app, w, id);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  const buyer = await logIn(browser, base, w.users.buyerUser);
  t.teardown(() => buyer.context.close());
  await buyer.page.goto(`${base}/visits/${id}/itinerary/${rid}`);
  const decoded = await decodeQr(buyer.page, '#itinerary-qr');
  const stored = (await app.models.VisitRegistration.findById(rid).lean())!.checkInCode;
  t.equal(decoded, stored, 'the QR on the itinerary is the buyer\'s code');
  t.match(await buyer.page.locator('#check-in-code').textContent(), /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  t.same(buyer.errors, [], 'no errors on the itinerary');

  const org = await logIn(browser, base, w.users.organizer, { phone: true });
  t.teardown(() => org.context.close());
  await org.page.goto(`${base}/organizer/visits/${id}`);
  await org.page.getByLabel('签到码').fill(decoded!);
  await org.page.getByRole('button', { name: '签到', exact: true }).click();
  await org.page.getByText('签到成功：采购单位1').waitFor();
  t.match(await org.page.locator('body').textContent(), /签到成功：采购单位1（已到 1 \/ 应到 1）/);
  await org.page.getByLabel('签到码').fill(decoded!.toLowerCase());
  await org.page.getByRole('button', { name: '签到', exact: true }).click();
  await org.page.getByText('已签到过，不重复计数').waitFor();
  t.match(await org.page.locator('body').textContent(), /已签到过，不重复计数（已到 1 \/ 应到 1）/);
  t.equal(await app.models.VisitRegistration.countDocuments({ visit: id, checkIn: 'arrived' }), 1);
  t.same(org.errors, [], 'no errors on the visit page');
});
