/**
 * Province, city and district on the company form, in real Chromium. Without JavaScript: plain text fields
 * with the taxonomy's regions as suggestions, required ones marked * (必填 for a screen reader). With
 * JavaScript: cascading selects (浙江省 → its cities → Hangzhou's districts), 其他（手动填写） for a place the
 * list does not know; what is chosen is what is saved.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium, loginThroughLoginPage, watchErrors } from '../browser.js';
import { buildTestApp, createUser } from '../helper.js';
import { addVendor } from '../search/fixtures.js';

t.setTimeout(180_000);

t.test('the company form: regions as plain fields without JavaScript, cascading selects with it', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const vendor = await addVendor(app, { name: '杭州滨安视讯科技有限公司', status: 'draft' });
  const user = await createUser(app, 'vendor', { vendor: vendor._id });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  await t.test('without JavaScript', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', javaScriptEnabled: false });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await loginThroughLoginPage(page, base, user);
    await page.goto(`${base}/vendor/profile`);
    t.equal(await page.locator('#f-province').evaluate((el) => el.tagName), 'INPUT', 'a plain text field');
    t.equal(await page.locator('#f-city').inputValue(), '杭州市');
    t.ok((await page.locator('#dl-city option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).includes('宁波市'), 'the cities are suggested');
    t.match(await page.locator('label[for="f-province"]').textContent(), /省份\s*\*\s*（必填）/, 'the required province is marked, with 必填 for a screen reader');
    t.equal(await page.locator('label[for="f-province"] .req').evaluate((el) => getComputedStyle(el).color), 'rgb(180, 35, 42)', 'in red');
    t.notMatch(await page.locator('label[for="f-district"]').textContent(), /必填/, 'the optional district is not');
    t.match(await page.locator('label[for="f-name"]').textContent(), /必填/);
  });

  await t.test('with JavaScript', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);
    await loginThroughLoginPage(page, base, user);
    await page.goto(`${base}/vendor/profile`);
    const province = page.getByLabel('省份', { exact: false }).first();
    t.equal(await page.locator('#f-province').evaluate((el) => el.tagName), 'SELECT', 'the province is a select');
    t.equal(await province.inputValue(), '浙江省');
    t.equal(await page.locator('#f-city').inputValue(), '杭州市');
    t.equal(await page.locator('#f-district').inputValue(), '滨江区');
    t.notOk(await page.locator('#f-city-other').isVisible(), 'the text fields are hidden while the list has the place');
    const cities = await page.locator('#f-city option').allTextContents();
    t.same(cities.slice(1, 3), ['杭州市', '宁波市'], 'the province\'s cities');
    t.equal(cities.at(-1), '其他（手动填写）');

    // Another city: its districts are not in the list, so the district is typed.
    await page.locator('#f-city').selectOption('宁波市');
    t.same(await page.locator('#f-district option').allTextContents(), ['请选择…', '其他（手动填写）'], 'the district starts again');
    await page.locator('#f-district').selectOption({ label: '其他（手动填写）' });
    t.ok(await page.locator('#f-district-other').isVisible(), '其他 shows the text field');
    await page.getByLabel('区县（手动填写）').fill('海曙区');
    await Promise.all([page.waitForURL(/\/vendor(\/profile)?$/), page.getByRole('button', { name: '保存企业资料' }).click()]);
    const saved = (await app.models.Vendor.findById(vendor._id).lean())!;
    const proposed = { ...saved, ...((saved as { pendingRevision?: { changes?: object } }).pendingRevision?.changes ?? {}) } as { city?: string; district?: string };
    t.same([proposed.city, proposed.district], ['宁波市', '海曙区'], 'what was chosen and typed is saved');

    // Back on the form: a city in the list shows in its select, a typed district in its field.
    await page.goto(`${base}/vendor/profile`);
    t.equal(await page.locator('#f-city').inputValue(), '宁波市');
    t.equal(await page.locator('#f-district').inputValue(), '__other__');
    t.equal(await page.locator('#f-district-other').inputValue(), '海曙区');
    t.same(errors, []);
  });
});
