/**
 * Freshness as the pages show it, with an injected clock: the vendor's panel and reminders, the confirm
 * button, and the organizers' list of overdue vendors in order.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { approvedVendor, getPage, postForm, sectionAfter, textOf } from './pages-support.js';

const DAY = 86_400_000;
const START = new Date('2025-03-01T02:00:00Z');

t.test('the freshness panel turns stale, then hidden, and confirming clears it', async (t) => {
  let now = START;
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000', FRESHNESS_DAYS: '90', FRESHNESS_GRACE_DAYS: '30' }, { clock: () => now, background: false });
  const vendor = await app.models.Vendor.create(approvedVendor('庚环保设备有限公司', 21, {
    confirmedAt: START,
    certifications: ['zhejiang-made', 'iso9001'],
    qualifications: [
      { certification: 'zhejiang-made', number: 'ZJ-OLD', expiresAt: new Date(START.getTime() + 10 * DAY) },
      { certification: 'iso9001', number: 'ISO-1', expiresAt: new Date(START.getTime() + 200 * DAY) },
    ],
  }));
  const user = await createUser(app, 'vendor', { vendor: vendor._id });
  const cookie = await login(app, user.email, user.password);
  const panel = async () => textOf(sectionAfter((await getPage(app, '/vendor', cookie)).body, 'id="freshness-title"', 1500));
  const reminders = async () => textOf(sectionAfter((await getPage(app, '/vendor', cookie)).body, 'id="reminders-title"', 3000));

  let text = await panel();
  t.match(text, '信息有效');
  t.match(text, '上次确认 2025-03-01');
  t.match(text, '下次确认截止 2025-05-30（还有 90 天）');
  t.match(await reminders(), '资质证书 品字标“浙江制造”（ZJ-OLD） 将于 2025-03-11 到期', 'a certificate expiring within 30 days is a reminder');
  t.notMatch(await reminders(), 'ISO-1', 'one expiring in 200 days is not');

  now = new Date(START.getTime() + 100 * DAY);
  text = await panel();
  t.match(text, '待更新', 'after 100 days the listings are stale');
  t.match(text, '产品在推介清单中标记为“待更新”并排序靠后');
  const stale = await reminders();
  t.match(stale, '企业信息已超过 90 天未确认');
  t.match(stale, '资质证书 品字标“浙江制造”（ZJ-OLD） 已于 2025-03-11 过期，不再计入认证', 'the expired certificate stops counting');
  const company = textOf(sectionAfter((await getPage(app, '/vendor', cookie)).body, '有效认证', 600));
  t.match(company, '有效认证 ISO 9001');
  t.match(company, '已失效认证 品字标“浙江制造”（证书已过期）');

  now = new Date(START.getTime() + 125 * DAY);
  text = await panel();
  t.match(text, '已暂停展示', 'past the grace period the listings leave search');
  t.match(await reminders(), '产品已暂停在推介清单中展示');

  const confirmed = await postForm(app, '/vendor/confirm', cookie);
  t.equal(confirmed.statusCode, 303);
  const after = await app.models.Vendor.findById(vendor._id).lean();
  t.equal(after?.confirmedAt?.getTime(), now.getTime(), 'the confirmation is recorded at the platform clock');
  t.equal(after?.freshness, 'current');
  text = await panel();
  t.match(text, '信息有效');
  t.notMatch(text, '已暂停展示');
  t.match(text, '（还有 90 天）');
  t.notMatch(await reminders(), '未确认');
  const history = textOf((await getPage(app, '/vendor/history', cookie)).body);
  t.match(history, '确认信息有效');
});

t.test('the stale list shows listed vendors past due, most overdue first', async (t) => {
  const now = new Date('2025-06-01T04:00:00Z');
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000', FRESHNESS_DAYS: '90', FRESHNESS_GRACE_DAYS: '30' }, { clock: () => now, background: false });
  const { Vendor } = app.models;
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  await Vendor.create([
    approvedVendor('一百天未确认公司', 31, { confirmedAt: ago(100), contact: { name: '钱经理', phone: '13800000001' } }),
    approvedVendor('两百天未确认公司', 32, { confirmedAt: ago(200) }),
    approvedVendor('九十五天未确认公司', 33, { confirmedAt: ago(95) }),
    approvedVendor('十天前确认公司', 34, { confirmedAt: ago(10) }),
    approvedVendor('草稿很久公司', 35, { status: 'draft', confirmedAt: ago(300) }),
    approvedVendor('已暂停公司', 36, { status: 'suspended', confirmedAt: ago(300) }),
  ]);
  const organizer = await createUser(app, 'organizer');
  const cookie = await login(app, organizer.email, organizer.password);
  const page = await getPage(app, '/organizer/stale', cookie);
  t.equal(page.statusCode, 200);
  const table = textOf(sectionAfter(page.body, '<tbody>', 5000));
  const order = ['两百天未确认公司', '一百天未确认公司', '九十五天未确认公司'].map((name) => table.indexOf(name));
  t.ok(order.every((i) => i >= 0), 'every overdue vendor is listed');
  t.same([...order].sort((a, b) => a - b), order, 'most overdue first');
  for (const name of ['十天前确认公司', '草稿很久公司', '已暂停公司']) t.notMatch(table, name, `${name} is not listed`);
  t.match(table, '两百天未确认公司 91330108MA0000032');
  t.match(table, /两百天未确认公司 \S+ 2024-11-13 110 天 已暂停展示/, 'confirmed date, days overdue and state');
  t.match(table, /一百天未确认公司 \S+ 2025-02-21 10 天 待更新 钱经理 13800000001/, 'with the contact to call');
  t.match(table, /九十五天未确认公司 \S+ 2025-02-26 5 天 待更新/);

  const admin = await createUser(app, 'admin');
  const adminCookie = await login(app, admin.email, admin.password);
  const adminPage = await getPage(app, '/organizer/stale', adminCookie);
  t.equal(adminPage.statusCode, 200, 'admins see the list too');
  t.match(adminPage.body, 'href="/organizer/stale" aria-current="page"', 'the nav marks the list');
});
