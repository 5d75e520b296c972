/**
 * In a real browser (Debian's Chromium), under the strict CSP: an organizer logs in, opens 统计报表, the
 * charts are drawn from the page's JSON by the platform's own Chart.js, nothing errs; and with JavaScript
 * off the same tables are there.
 */
import t from 'tap';
import { buildTestApp, createUser } from '../helper.js';
import { launchChromium, loginThroughLoginPage, watchErrors } from '../browser.js';
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
  await loginThroughLoginPage(page, base, user);
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

  // A table never runs under its chart, at desktop width and on a phone.
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const overlaps = await page.evaluate(() => Array.from(document.querySelectorAll('.rp-pair')).flatMap((pair) => {
      const table = pair.querySelector('.rp-table-wrap')?.getBoundingClientRect();
      const chart = pair.querySelector('.rp-chart-drawn')?.getBoundingClientRect();
      if (!table || !chart) return [];
      const apart = table.right <= chart.left + 1 || chart.right <= table.left + 1 || table.bottom <= chart.top + 1 || chart.bottom <= table.top + 1;
      return apart ? [] : [pair.closest('.rp-block')?.querySelector('h3')?.textContent ?? '?'];
    }));
    t.same(overlaps, [], `no table overlaps its chart at ${width} px`);
  }
  // Count axes show whole numbers only.
  const fractional = await page.evaluate(() => {
    type ChartLike = { data: { datasets: Array<{ data: number[] }> }; options: { indexAxis?: string }; scales: Record<string, { ticks: Array<{ value: number }> }> };
    const getChart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): ChartLike | undefined } }).Chart.getChart;
    return Array.from(document.querySelectorAll<HTMLCanvasElement>('.rp-chart-drawn canvas')).flatMap((canvas) => {
      const chart = getChart(canvas);
      if (!chart || !chart.data.datasets.every((d) => d.data.every((v) => Number.isInteger(v)))) return [];
      const axis = chart.options.indexAxis === 'y' ? 'x' : 'y';
      return chart.scales[axis].ticks.filter((tick) => !Number.isInteger(tick.value)).map((tick) => `${canvas.getAttribute('aria-label')}: ${tick.value}`);
    });
  });
  t.same(fractional, [], 'count axes: whole-number ticks');
  await page.setViewportSize({ width: 1366, height: 900 });
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
