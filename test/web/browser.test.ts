/**
 * The platform in a real browser (Chromium through playwright-core), as a vendor, an administrator and a
 * phone user would use it. Pages work without JavaScript, so the main flows run with it switched off.
 * Screenshots for a person to look at go to /tmp/screens/ (outside the repository).
 */
import t from 'tap';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchErrors } from '../browser.js';
import { buildTestApp, createUser } from '../helper.js';

const SCREENS = '/tmp/screens';
// A name the browser resolves to this machine: the platform as reached over plain http on an intranet.
const INTRANET_HOST = 'gongxu.intranet';

async function loginThroughForm(page: Page, email: string, password: string) {
  await page.getByLabel('电子邮箱').fill(email);
  await page.getByLabel(/^密码/).fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: '登录' }).click()]);
}

const nav = (page: Page) => page.getByRole('navigation', { name: '主导航' });

t.test('the platform in a browser', async (t) => {
  fs.mkdirSync(SCREENS, { recursive: true });

  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const browser: Browser = await launchChromium([`--host-resolver-rules=MAP ${INTRANET_HOST} 127.0.0.1`]);
  t.teardown(() => browser.close());

  const company = await app.models.Vendor.create({
    name: '杭州滨江智能装备有限公司',
    creditCode: '91330108MA2BAT5T3J',
    province: '浙江省', city: '杭州市', district: '滨江区',
    fields: ['industry'], status: 'approved',
  });
  const vendor = await createUser(app, 'vendor', { name: '王供应', vendor: company._id });
  const admin = await createUser(app, 'admin', { name: '李管理' });

  t.test('a vendor logs in from the home page without JavaScript, sees their nav, is kept out of admin pages, logs out', async (t) => {
    const context: BrowserContext = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);

    const home = await page.goto(`${base}/`);
    t.equal(home?.status(), 200);
    t.equal(await page.title(), '首页 · 供需对接平台');
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), '滨江区设备更新供需对接平台');
    t.match(await page.locator('.stat', { hasText: '入库供应商' }).textContent(), /1\s*入库供应商/, 'the approved vendor is counted');
    // The stylesheet applies: the header is the deep-blue band, not an unstyled page.
    const headerBg = await page.locator('.site-header').evaluate((el) => getComputedStyle(el).backgroundImage);
    t.match(headerBg, /linear-gradient/, 'the stylesheet is loaded and applied');
    await page.screenshot({ path: `${SCREENS}/home.png`, fullPage: true });

    await Promise.all([page.waitForURL(/\/login$/), page.getByRole('link', { name: '登录', exact: true }).click()]);
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), '登录');
    await page.screenshot({ path: `${SCREENS}/login.png`, fullPage: true });

    // A wrong password first: the error is shown on the form, and the email is kept.
    await page.getByLabel('电子邮箱').fill(vendor.email);
    await page.getByLabel(/^密码/).fill('wrong-passw0rd');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForLoadState();
    t.equal(await page.getByRole('alert').textContent(), '电子邮箱或密码不正确。');
    t.equal(await page.getByLabel('电子邮箱').inputValue(), vendor.email);
    await page.screenshot({ path: `${SCREENS}/login-error.png`, fullPage: true });

    await loginThroughForm(page, vendor.email, vendor.password);
    t.equal(new URL(page.url()).pathname, '/');
    t.equal(await page.getByRole('status').first().textContent(), '欢迎，王供应。');
    t.match(await page.locator('.account-name').textContent(), /王供应\s*供应商/, 'the header names the user and role');
    t.same(await nav(page).getByRole('link').allTextContents(), ['首页', '推介清单', '我的企业', '商机', '对接会', '调研考察', '消息']);
    t.equal(await page.getByRole('link', { name: '登录', exact: true }).count(), 0, 'no login button once logged in');

    await Promise.all([page.waitForURL(/\/vendor$/), nav(page).getByRole('link', { name: '我的企业' }).click()]);
    t.match(await page.getByRole('heading', { level: 2 }).first().textContent(), /杭州滨江智能装备有限公司/);
    t.equal(await nav(page).locator('[aria-current="page"]').textContent(), '我的企业', 'the current section is marked');

    const forbidden = await page.goto(`${base}/admin/users`);
    t.equal(forbidden?.status(), 403);
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), '无权访问');
    t.match(await page.locator('main').textContent(), /您的角色无权进行此操作/);
    t.equal(await page.getByText('全部用户').count(), 0, 'no user list is shown');

    await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: '退出' }).click()]);
    t.equal(await page.getByRole('link', { name: '登录', exact: true }).count(), 1, 'logged out: the login button is back');
    t.same(await nav(page).getByRole('link').allTextContents(), ['首页', '推介清单']);
    await page.goto(`${base}/vendor`);
    t.equal(new URL(page.url()).pathname, '/login', 'the vendor page now asks to log in');

    t.same(errors, [], 'no console errors or CSP violations');
  });

  t.test('an administrator creates a user through the form and that user can log in', async (t) => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);

    // Opening the page logged out leads through the login form and back to it.
    await page.goto(`${base}/admin/users`);
    t.equal(new URL(page.url()).pathname, '/login');
    await loginThroughForm(page, admin.email, admin.password);
    t.equal(new URL(page.url()).pathname, '/admin/users');
    t.same(await nav(page).getByRole('link').allTextContents(), ['首页', '推介清单', '工作台', '审核队列', '信息待更新企业', '采购需求', '对接会', '调研考察', '清单批次', '用户管理', '批量导入', '审计日志', '统计报表', '消息']);
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), '用户管理');

    // A too-short password is refused on the form, in Chinese, keeping what was typed.
    const form = page.locator('form[action="/admin/users"]');
    await form.getByLabel('电子邮箱').fill('zhao.organizer@test.cn');
    await form.getByLabel('姓名').fill('赵主办');
    await form.getByLabel('初始密码').fill('abc1');
    await form.getByLabel('角色').selectOption({ label: '主办方' });
    await form.getByRole('button', { name: '创建' }).click();
    await page.waitForLoadState();
    t.match(await page.locator('#e-password').textContent(), /密码至少 8 位/);
    t.equal(await form.getByLabel('姓名').inputValue(), '赵主办', 'the typed name is kept');
    t.equal(await form.getByLabel('初始密码').inputValue(), '', 'the password is not echoed back');

    await form.getByLabel('初始密码').fill('zhao-passw0rd');
    await form.getByLabel('角色').selectOption({ label: '主办方' });
    await Promise.all([page.waitForURL(`${base}/admin/users`), form.getByRole('button', { name: '创建' }).click()]);
    t.equal(await page.getByRole('status').first().textContent(), '已创建用户 zhao.organizer@test.cn。');
    const row = page.locator('tbody tr', { hasText: 'zhao.organizer@test.cn' });
    t.equal(await row.count(), 1, 'the new user is listed');
    t.match(await row.textContent(), /赵主办.*zhao\.organizer@test\.cn.*主办方.*正常/s);

    // A vendor account is tied to its company by 统一社会信用代码; the list shows the company.
    await form.getByLabel('电子邮箱').fill('qian.vendor@test.cn');
    await form.getByLabel('姓名').fill('钱供应');
    await form.getByLabel('初始密码').fill('qian-passw0rd');
    await form.getByLabel('角色').selectOption({ label: '供应商' });
    await form.getByLabel('所属单位').fill('91330108MA2BAT5T3J');
    await Promise.all([page.waitForURL(`${base}/admin/users`), form.getByRole('button', { name: '创建' }).click()]);
    t.match(await page.locator('tbody tr', { hasText: 'qian.vendor@test.cn' }).textContent(), /供应商.*杭州滨江智能装备有限公司/s);
    await page.screenshot({ path: `${SCREENS}/admin-users.png`, fullPage: true });

    await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: '退出' }).click()]);
    await page.goto(`${base}/login`);
    await loginThroughForm(page, 'zhao.organizer@test.cn', 'zhao-passw0rd');
    t.match(await page.locator('.account-name').textContent(), /赵主办\s*主办方/, 'the new organizer is logged in');
    t.same(await nav(page).getByRole('link').allTextContents(), ['首页', '推介清单', '工作台', '审核队列', '信息待更新企业', '采购需求', '对接会', '调研考察', '清单批次', '批量导入', '统计报表', '消息']);

    t.same(errors, [], 'no console errors or CSP violations');
  });

  t.test('on a 375px phone screen pages fit without sideways scrolling', async (t) => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);
    const scrollWidth = () => page.evaluate(() => document.documentElement.scrollWidth);

    await page.goto(`${base}/`);
    t.ok((await scrollWidth()) <= 375, `home page: scrollWidth ${await scrollWidth()} <= 375`);
    t.ok(await page.getByRole('link', { name: '登录', exact: true }).isVisible(), 'the login button is on screen');
    await page.screenshot({ path: `${SCREENS}/home-mobile.png`, fullPage: true });

    await page.goto(`${base}/login`);
    t.ok((await scrollWidth()) <= 375, `login page: scrollWidth ${await scrollWidth()} <= 375`);
    const box = await page.getByLabel('电子邮箱').boundingBox();
    t.ok(box && box.x >= 0 && box.x + box.width <= 375, 'the email field is fully on screen');
    await page.screenshot({ path: `${SCREENS}/login-mobile.png`, fullPage: true });

    await loginThroughForm(page, admin.email, admin.password);
    await page.goto(`${base}/admin/users`);
    t.ok((await scrollWidth()) <= 375, `user management: scrollWidth ${await scrollWidth()} <= 375 (the wide table scrolls inside its box)`);
    await page.screenshot({ path: `${SCREENS}/admin-users-mobile.png`, fullPage: true });

    await page.goto(`${base}/no-such-page`);
    t.ok((await scrollWidth()) <= 375, `404 page: scrollWidth ${await scrollWidth()} <= 375`);

    t.same(errors, [], 'no console errors or CSP violations');
  });

  t.test('the API documentation page renders the platform API', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}/docs`);
    const title = page.locator('.swagger-ui .info .title');
    await title.waitFor({ timeout: 15_000 });
    t.match(await title.textContent(), /供需对接平台 API/);
    t.ok(await page.getByText('/api/v1/auth/login', { exact: true }).first().isVisible(), 'lists POST /api/v1/auth/login');
  });

  // Swagger UI's own CSP carried `upgrade-insecure-requests`, which made a browser on plain http (any host but
  // localhost) fetch its assets over https and show a blank page; docs.ts strips it.
  t.test('the API documentation page renders when reached over plain http by an intranet host name', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`http://${INTRANET_HOST}:${port}/docs`);
    const shown = await page.locator('.swagger-ui .info .title').waitFor({ timeout: 20_000 }).then(() => true, () => false);
    t.ok(shown, 'Swagger UI shows the API title');
  });

  t.test('ordinary pages work over plain http by an intranet host name', async (t) => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(`http://${INTRANET_HOST}:${port}/login`);
    await loginThroughForm(page, vendor.email, vendor.password);
    t.match(await page.locator('.account-name').textContent(), /王供应/, 'the session cookie works over http');
    t.same(failed, [], 'every asset loads over http');
  });
});
