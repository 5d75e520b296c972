/**
 * After a refused form the address bar shows the page the form came from, not the POST's address: in
 * Chromium, a wrong current password on 修改密码 (posted to /account/password) re-renders the account
 * page with its error, and the address bar reads /account, so a reload opens the page again. The rule
 * itself (same site only, refused posts only) is checked without a browser.
 */
import t from 'tap';
import { buildTestApp, createUser } from '../helper.js';
import { launchChromium, loginThroughLoginPage, watchErrors } from '../browser.js';
import { returnToAfterPost } from '../../src/web/views.js';

t.test('the rule: the same-site page a refused form was posted from', async (t) => {
  const req = (referer: string | undefined, method = 'POST', url = '/account/password') => ({ method, url, host: 'gx.example.cn', headers: { referer } });
  t.equal(returnToAfterPost(req('https://gx.example.cn/account?tab=1')), '/account?tab=1');
  t.equal(returnToAfterPost(req('https://evil.example.com/account')), undefined, 'another site: nothing');
  t.equal(returnToAfterPost(req('javascript:alert(1)')), undefined, 'not a web address');
  t.equal(returnToAfterPost(req('not a url')), undefined);
  t.equal(returnToAfterPost(req(undefined)), undefined, 'no referer (privacy settings): nothing');
  t.equal(returnToAfterPost(req('https://gx.example.cn/account', 'GET')), undefined, 'a GET is already at its address');
  t.equal(returnToAfterPost(req('https://gx.example.cn/account/password')), undefined, 'posted from its own address');
});


const app = await buildTestApp(t, {}, { background: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const user = await createUser(app, 'buyer');
const browser = await launchChromium();
t.teardown(() => browser.close());

t.test('pages send the page address to the same site only (Referrer-Policy: same-origin)', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/login' });
  t.equal(res.headers['referrer-policy'], 'same-origin');
});

t.test('a refused password change leaves the address bar on /account', async (t) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const errors = watchErrors(page);
  await loginThroughLoginPage(page, base, user);
  await page.goto(`${base}/account`);

  const form = page.locator('form[action="/account/password"]');
  await form.getByLabel('当前密码').fill('not-my-passw0rd');
  await form.getByLabel('新密码').fill('new-passw0rd-1');
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/account/password')), form.getByRole('button', { name: '修改密码' }).click()]);
  t.equal(response.status(), 400, 'refused');
  await page.waitForFunction(() => location.pathname === '/account', undefined, { timeout: 10_000 });
  t.equal(new URL(page.url()).pathname, '/account', 'the address bar is back on the page');
  t.ok(await page.getByText(/当前密码不正确|密码不正确/).count(), 'the error is shown');
  const reloaded = await page.reload();
  t.equal(reloaded?.status(), 200, 'a reload opens the page (no re-post)');
  t.same(errors, [], 'no console errors or CSP violations');
});
