/**
 * In Chromium: a buyer's agenda page, left open on a phone, shows a meeting placed on the spot within
 * seconds, without a reload (public/js/agenda-live.js), and the buyer asks for one from the same page.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../browser.js';
import { api } from './support.js';
import { logIn, publishedEvent } from './day-support.js';

// Chromium and a whole published event on a shared two-core machine.
t.setTimeout(240_000);

t.test('an open agenda page picks up an on-the-spot meeting without a reload', async (t) => {
  const { app, w, org, id, buyerIds, vendorIds } = await publishedEvent(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  const buyer = await logIn(browser, base, w.users.buyerUser, { phone: true });
  t.teardown(() => buyer.context.close());
  const page = buyer.page;
  await page.goto(`${base}/events/${id}/agenda/${buyerIds[0]}`);
  const table = page.locator('#agenda-live table.ev-agenda-table');
  t.notMatch((await table.textContent()) ?? '', '滨江安防企业3有限公司', 'no meeting with the third vendor yet');

  // The buyer asks from the page (no JavaScript needed for the form).
  await page.selectOption('#spot-to', vendorIds[2]);
  await Promise.all([page.waitForURL(/#spot$/), page.getByRole('button', { name: '申请约谈' }).click()]);
  t.match(await page.locator('#spot').textContent(), /待安排/);
  await page.evaluate(() => { (window as unknown as { stillHere: boolean }).stillHere = true; });

  // An organizer places it in the first free cell.
  const listed = (await api(app, org, 'GET', `/api/v1/events/${id}/meeting-requests`)).json() as { requests: Array<{ id: string; cells: Array<{ slot: number; table: number }> }> };
  const [request] = listed.requests;
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meeting-requests/${request.id}/place`, request.cells[0])).statusCode, 200);

  await page.waitForFunction(() => (document.querySelector('#agenda-live')?.textContent ?? '').includes('滨江安防企业3有限公司'), undefined, { timeout: 20_000 });
  t.ok(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere === true), 'the page was not reloaded');
  t.match((await table.textContent()) ?? '', `${request.cells[0].table} 号桌`, 'with its table');
  t.same(buyer.errors, [], 'no console, CSP or loading errors');
});
