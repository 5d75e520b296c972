/**
 * In real Chromium, without JavaScript: a vendor that said 有意向 opens the conversation, sees the notice
 * that organizers can read it, posts a message with a PDF quote; the buyer reads it, accepts the interest
 * and then sees the vendor's contact.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { launchChromium, watchErrors } from '../browser.js';
import { buildTestApp } from '../helper.js';
import { followUpWorld, move } from '../followups/fixtures.js';

t.test('a vendor posts a quote in the conversation; the buyer accepts and sees the contact', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const w = await followUpWorld(app);
  await app.models.Vendor.updateOne({ _id: w.v1._id }, { $set: { contact: { name: '李经理', phone: '0571-88886666', email: 'li@anfang.example.cn' } } });
  t.equal((await move(app, w.cookies.vendor1, w.demandId, { vendorId: w.v1Id, to: 'intent' })).statusCode, 200);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const quote = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'thread-')), '报价单.pdf');
  fs.writeFileSync(quote, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

  const login = async (email: string, password: string, next: string) => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('电子邮箱').fill(email);
    await page.getByLabel('密码').fill(password);
    await Promise.all([page.waitForURL((u) => u.pathname === next), page.getByRole('button', { name: '登录' }).click()]);
    return page;
  };

  const threadPath = `/demands/${w.demandId}/threads/${w.v1Id}`;
  const vendor = await login(w.users.vendor1.email, w.users.vendor1.password, threadPath);
  const errors = watchErrors(vendor);
  t.match(await vendor.locator('.th-notice').textContent(), '本对话对平台组织方可见，用于跟进对接进展');
  await vendor.getByLabel(/给.*发消息/).fill('您好，附上 200 路摄像机的报价单。');
  await vendor.locator('input[type=file]').setInputFiles(quote);
  await Promise.all([vendor.waitForURL((u) => u.pathname === threadPath), vendor.getByRole('button', { name: '发送' }).click()]);
  t.match(await vendor.locator('.th-msg').first().textContent(), '附上 200 路摄像机的报价单');
  t.match(await vendor.locator('.th-file a').textContent(), '报价单.pdf');
  t.same(errors, [], 'no console, CSP or loading errors');

  const buyer = await login(w.users.buyerA.email, w.users.buyerA.password, threadPath);
  t.match(await buyer.locator('.th-msg').first().textContent(), '报价单');
  t.notMatch(await buyer.content(), '0571-88886666', 'no contact before the buyer accepts');
  await Promise.all([buyer.waitForURL((u) => u.pathname === threadPath), buyer.getByRole('button', { name: '接受' }).click()]);
  t.match(await buyer.locator('.th-contacts').textContent(), /李经理.*0571-88886666/s, 'the vendor’s contact after accepting');
  await buyer.screenshot({ path: '/tmp/screens/thread.png', fullPage: true }).catch(() => {});
});
