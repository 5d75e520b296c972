/**
 * In a real browser (Debian's Chromium), under the strict CSP: an organizer logs in, opens 统计报表, the
 * charts are drawn from the page's JSON by the platform's own Chart.js, nothing errs; and with JavaScript
 * off the same tables are there.
 */
import t from 'tap';
import { buildTestApp, createUser } from '../helper.js';
import { launchChromium, watchErrors } from '../browser.js';
import { NOW, loadDataset } from './dataset.js';

const app = await buildTestApp(t, {}, { clock: () => NOW, background: false });
await loadDataset(app);
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const user = await createUser(app, 'organizer');
const browser = await launchChromium();
t.teardown(() => browser.close());

async function loggedIn(javaScriptEnabled: boolean) {
  const context = await browser.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${base}/login`);
  await page.fill('input[name="email"]', user.email);
  await page.fill('input[name="password"]', user.password);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type="submit"]')]);
  return { page, errors, context };
}

t.test('charts are drawn, with no CSP or script error', async (t) => {
  const { page, errors, context } = await loggedIn(true);
  await page.goto(`${base}/reports`);
  await page.waitForSelector('.rp-chart-drawn canvas');
  const holders = await page.locator('[data-rp-chart]').count();
  const drawn = await page.locator('.rp-chart-drawn canvas').count();
  t.ok(holders >= 8, `${holders} charts on the page`);
  t.equal(drawn, holders, 'every chart drawn');
  await page.selectOption('#rp-field', 'security');
  await Promise.all([page.waitForURL(/field=security/), page.click('.rp-filters button[type="submit"]')]);
  t.match(await page.locator('.rp-meta').innerText(), /领域：安防/);
  t.same(errors, [], 'no errors');
  await context.close();
});

t.test('without JavaScript the tables are all there', async (t) => {
  const { page, errors, context } = await loggedIn(false);
  await page.goto(`${base}/reports`);
  t.ok((await page.locator('table.rp-table').count()) >= 12);
  t.equal(await page.locator('.rp-chart canvas').count(), 0);
  t.match(await page.locator('#rp-t-funnel').innerText(), /已签约\s+2/);
  t.same(errors, []);
  await context.close();
});
