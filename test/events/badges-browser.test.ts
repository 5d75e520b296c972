/**
 * Printed things of the event day, in real Chromium: badges (名牌) carry each participant's check-in QR,
 * two across an A4 sheet when printed; each table card carries a QR that, decoded with jsQR from a
 * screenshot, is the address of that table's list of meetings (organizers only).
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../browser.js';
import { decodeQr, logIn, publishedEvent } from './day-support.js';

t.setTimeout(240_000);

t.test('badges and table cards carry QR codes; a table card\'s QR opens that table\'s meetings', async (t) => {
  const { app, w, id, meetings } = await publishedEvent(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const org = await logIn(browser, base, w.users.organizer);
  t.teardown(() => org.context.close());
  const page = org.page;

  await page.goto(`${base}/organizer/events/${id}/badges`);
  t.equal(await page.locator('.ev-badge').count(), 6, 'one badge per approved participant');
  t.match(await page.locator('.ev-badge').first().textContent(), /供应商|采购方/);
  const participants = await app.models.EventParticipant.find({ event: id }).lean();
  const badgeCode = await decodeQr(page, '.ev-badge img');
  t.ok(participants.some((p) => p.checkInCode === badgeCode), 'the badge QR is a participant\'s code');
  await page.emulateMedia({ media: 'print' });
  const columns = await page.locator('.ev-badge-sheet').first().evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
  t.equal(columns, 2, 'two badges across an A4 sheet when printed');
  await page.emulateMedia({ media: 'screen' });

  await page.goto(`${base}/organizer/events/${id}/cards`);
  const table = meetings[0].table;
  const url = await decodeQr(page, `#table-${table} .ev-card-qr`);
  t.equal(url, `${base}/organizer/events/${id}/tables/${table}`, 'the card\'s QR is the table\'s page');
  await page.goto(url!);
  t.match(await page.locator('h1').textContent(), `${table} 号桌`);
  const names = new Map(participants.map((p) => [String(p._id), p.name]));
  const listed = (await page.locator('table.ev-table-list').textContent()) ?? '';
  for (const m of meetings.filter((x) => x.table === table)) t.match(listed, names.get(m.buyer)!, 'each meeting at the table is listed');
  const missing = await page.goto(`${base}/organizer/events/${id}/tables/99`);
  t.equal(missing?.status(), 404);
  t.same(org.errors.filter((e) => !e.includes('/tables/99')), [], 'no console, CSP or loading errors');

  const vendor = await logIn(browser, base, w.users.vendorUser);
  t.teardown(() => vendor.context.close());
  const refused = await vendor.page.goto(`${base}/organizer/events/${id}/tables/${table}`);
  t.equal(refused?.status(), 403, 'a table\'s list is for organizers');
});
