/** The home page in a real browser: the configured footer, the favicon, the search box, the upcoming events. */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium, watchErrors } from '../browser.js';
import { buildTestApp } from '../helper.js';
import { addProduct, addVendor } from '../search/fixtures.js';

const DAY = 86_400_000;
const slot = (daysAhead: number) => {
  const start = new Date(Date.now() + daysAhead * DAY);
  return [{ start, end: new Date(start.getTime() + 20 * 60_000) }];
};

t.test('the home page', async (t) => {
  const app = await buildTestApp(t, {
    SITE_HOST_ORG: '滨江区经济和信息化局（测试）',
    SITE_CONTACT_PHONE: '0571-87700000',
    SITE_ICP_NUMBER: '浙ICP备2026000001号-1',
  });
  const { Event } = app.models;
  await Event.create({ title: '安防专场对接会', theme: '安防专场', venue: '区政府会议中心', tables: 4, slots: slot(10), phase: 'registration' });
  await Event.create({ title: '医疗设备对接会', tables: 4, slots: slot(30), phase: 'preferences' });
  await Event.create({ title: '筹备中的对接会', tables: 4, slots: slot(5), phase: 'draft' });
  await Event.create({ title: '去年的对接会', tables: 4, slots: slot(-300), phase: 'finished' });
  const vendor = await addVendor(app, { name: '杭州澄明安防有限公司' });
  await addProduct(app, vendor, { name: '星光网络摄像机', model: 'CM-1', category: 'video-surveillance' });
  await app.searchSync.drain();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const errors = watchErrors(page);

  await page.goto(`${base}/`);
  const footer = await page.locator('footer').textContent() ?? '';
  t.match(footer, /主办单位：滨江区经济和信息化局（测试）/, 'the configured 主办单位');
  t.match(footer, /联系电话：0571-87700000/, 'the configured telephone');
  t.match(footer, /浙ICP备2026000001号-1/, 'the configured 备案号');
  t.equal(await page.locator('footer a', { hasText: '浙ICP备' }).getAttribute('href'), 'https://beian.miit.gov.cn/');
  const icon = await page.locator('link[rel="icon"]').getAttribute('href');
  t.equal(icon, '/public/favicon.svg');
  const svg = await page.request.get(`${base}${icon}`);
  t.equal(svg.status(), 200, 'the favicon is served');
  t.match(svg.headers()['content-type'], /svg/);

  const events = await page.locator('[data-test="home-events"] li').allTextContents();
  t.equal(events.length, 2, 'upcoming public events only (no drafts, nothing finished)');
  t.match(events[0], /安防专场对接会/, 'soonest first');
  t.match(events[0], /报名中/);
  t.match(events[1], /医疗设备对接会/);
  t.equal(await page.locator('[data-test="latest-batch"]').count(), 0, 'the list-batch slot stays hidden until that capability fills it');

  await page.getByLabel('在推介清单中搜索产品、型号或企业').fill('摄像头');
  await Promise.all([page.waitForURL(/\/directory\?q=/), page.getByRole('button', { name: '搜索推介清单' }).click()]);
  t.same(await page.locator('.dir-card h3').allTextContents(), ['星光网络摄像机'], 'the home search box searches the directory');
  t.match(await page.locator('footer').textContent() ?? '', /联系电话：0571-87700000/, 'the footer on every page');
  t.same(errors, [], 'no console errors or CSP violations');
});

t.test('the footer without configuration', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/directory' });
  t.match(res.body, /主办单位：杭州高新开发区（滨江）管委会/, 'the default 主办单位');
  t.notMatch(res.body, /联系电话/, 'no telephone unless configured');
  t.notMatch(res.body, /beian\.miit/, 'no 备案号 unless configured');
});
