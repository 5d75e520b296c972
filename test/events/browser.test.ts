/**
 * In real Chromium, without JavaScript: an organizer runs a 安防专场 from the pages — creates it from the
 * form (fixing an inline error first), opens registration, registers two vendors from the supplier list
 * and two buyers with their demands, sets wishes on their behalf, generates the schedule, moves a meeting
 * on the grid, publishes; a buyer then opens its agenda and sees the meeting with its time and table.
 * No console errors, CSP violations or failed loads along the way.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { launchChromium, watchErrors } from '../browser.js';
import { buildTestApp, createUser } from '../helper.js';
import { approvedVendor } from '../suppliers/pages-support.js';
import { buyerWithUser } from './pages-support.js';

// Chromium and the whole flow on a shared two-core machine.
t.setTimeout(240_000);

t.test('an organizer runs a 安防专场 from the pages; a buyer reads its agenda', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());

  const vendors = [
    (await app.models.Vendor.create(approvedVendor('杭州滨安视讯科技有限公司', 201))).toObject(),
    (await app.models.Vendor.create(approvedVendor('浙江江南安防系统有限公司', 202))).toObject(),
  ];
  const school = await buyerWithUser(app, '杭州市滨江区教育局', 'district', ['中小学校园视频监控升级']);
  const hospital = await buyerWithUser(app, '浙江省人民医院', 'province', ['院区监控高清改造']);
  const organizer = await createUser(app, 'organizer', { name: '孙主办' });

  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const errors = watchErrors(page);
  const submit = async (p: Page, url: RegExp, click: () => Promise<void>) => { await Promise.all([p.waitForURL(url), click()]); };

  await page.goto(`${base}/login?next=/organizer/events`);
  await page.getByLabel('电子邮箱').fill(organizer.email);
  await page.getByLabel('密码').fill(organizer.password);
  await submit(page, /\/organizer\/events$/, () => page.getByRole('button', { name: '登录' }).click());

  // Create the event from the form; a typo in the breaks is explained next to the field first.
  await submit(page, /\/organizer\/events\/new$/, () => page.getByRole('link', { name: '新建对接会' }).click());
  t.equal(await page.getByLabel('主题').inputValue(), '安防专场', 'the theme is suggested');
  await page.getByLabel('对接会名称').fill('滨江区设备更新供需对接会（安防专场）');
  await page.getByLabel('地点').fill('滨江区会展中心 2 号厅');
  await page.getByLabel('洽谈桌数').fill('2');
  await page.getByLabel('日期').fill('2099-03-18');
  await page.getByLabel('每个时段（分钟）').fill('20');
  await page.getByLabel('时段数').fill('5');
  await page.getByLabel('休息时间').fill('10:00-10:15, 午饭');
  await page.getByRole('button', { name: '创建对接会' }).click();
  t.match(await page.locator('#e-breaks').textContent(), /“午饭”不是有效的休息时间/, 'the bad break is explained');
  t.equal(await page.getByLabel('对接会名称').inputValue(), '滨江区设备更新供需对接会（安防专场）', 'what was typed is kept');
  await page.getByLabel('休息时间').fill('09:40-09:50');
  await submit(page, /\/organizer\/events\/[0-9a-f]{24}$/, () => page.getByRole('button', { name: '创建对接会' }).click());
  const eventId = /\/organizer\/events\/([0-9a-f]{24})/.exec(page.url())![1];
  t.match(await page.locator('h1').textContent(), /安防专场.*筹备中/s);

  await submit(page, /#phase$/, () => page.getByRole('button', { name: '开始报名' }).click());
  t.match(await page.locator('h1').textContent(), /报名中/);

  // Two vendors from the supplier list, by name and by credit code.
  for (const [i, query] of [vendors[0].name.slice(2, 6), vendors[1].creditCode].entries()) {
    await page.getByLabel('企业名称或统一社会信用代码').fill(query);
    await submit(page, /vq=/, () => page.locator('form:has(#f-vq)').getByRole('button', { name: '查找' }).click());
    const row = page.locator('.ev-results li', { hasText: vendors[i].name });
    await submit(page, /\/organizer\/events\/[0-9a-f]{24}#register$/, () => row.getByRole('button', { name: '报名' }).click());
    t.match(await page.locator('.flash-success').textContent(), `已为“${vendors[i].name}”报名`);
  }
  // Two buyers with their demands.
  for (const buyer of [school, hospital]) {
    await page.getByLabel('采购单位名称').fill(buyer.org.name);
    await submit(page, /bq=/, () => page.locator('form:has(#f-bq)').getByRole('button', { name: '查找' }).click());
    const row = page.locator('.ev-results li', { hasText: buyer.org.name });
    await row.getByRole('checkbox').first().check();
    await submit(page, /\/organizer\/events\/[0-9a-f]{24}#register$/, () => row.getByRole('button', { name: '报名' }).click());
    t.match(await page.locator('.flash-success').textContent(), /关联需求 1 条/);
  }
  t.equal(await page.locator('#participants tbody tr').count(), 4, 'four participants');

  await submit(page, /#phase$/, () => page.getByRole('button', { name: '进入意向征集' }).click());

  // Wishes, on each buyer's behalf: the school must meet both vendors; the hospital wants the first.
  // The whole list is one form: choose for every row, then one 保存全部意向.
  const wish = async (buyerName: string, choices: Array<[string, string]>, saved: string) => {
    await page.goto(`${base}/organizer/events/${eventId}`);
    await submit(page, /\/wishes\?p=/, () => page.locator('#participants tr', { hasText: buyerName }).getByRole('link', { name: '意向' }).click());
    for (const [vendorName, level] of choices) await page.locator('table.ev-wishes tr', { hasText: vendorName }).getByLabel(level).check();
    await submit(page, /\/wishes\?p=.*#all/, () => page.getByRole('button', { name: '保存全部意向' }).click());
    t.match(await page.locator('.flash-success').textContent(), saved);
  };
  await wish(school.org.name, [[vendors[0].name, '必须见'], [vendors[1].name, '必须见']], '已保存意向：必须见 2 家');
  await wish(hospital.org.name, [[vendors[0].name, '希望见']], '已保存意向：希望见 1 家');

  await page.goto(`${base}/organizer/events/${eventId}`);
  t.match(await page.locator('#wishes').textContent(), /洽谈意向（3 条）/);
  await submit(page, /#schedule$/, () => page.getByRole('button', { name: '生成日程' }).click());
  t.match(await page.locator('.flash-success').textContent(), /日程已生成：共 3 场洽谈/);
  t.match(await page.locator('#schedule').textContent(), /未能安排的意向（0）/);
  await page.screenshot({ path: '/tmp/screens/event-control.png', fullPage: true }).catch(() => {});

  // The grid: move one meeting to a free slot and table.
  await submit(page, /\/grid$/, () => page.locator('.ev-links').getByRole('link', { name: /洽谈安排/ }).click());
  t.match(await page.locator('table.ev-grid').textContent(), /09:40–09:50/, 'the break row shows');
  const meetings = await app.models.EventMeeting.find({ event: eventId }).lean();
  const moving = meetings[0];
  const taken = new Set(meetings.map((m) => `${m.slot}|${m.table}`));
  const busy = new Set(meetings.filter((m) => String(m.buyer) === String(moving.buyer) || String(m.vendor) === String(moving.vendor)).map((m) => m.slot));
  let target: { slot: number; table: number } | undefined;
  for (let slot = 0; slot < 5 && !target; slot++) {
    if (busy.has(slot)) continue;
    for (let table = 1; table <= 2; table++) if (!taken.has(`${slot}|${table}`)) { target = { slot, table }; break; }
  }
  t.ok(target, 'a free place to move to');
  await submit(page, /\?m=/, () => page.locator(`td[data-meeting="${String(moving._id)}"] a`).click());
  await page.locator('#f-move-slot').selectOption(String(target!.slot));
  await page.locator('#f-move-table').selectOption(String(target!.table));
  // The page reloads at the same address (the meeting stays selected): wait for the new document.
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: '调整', exact: true }).click()]);
  t.match(await page.locator('.flash-success').textContent(), /已调整：/);
  const moved = (await app.models.EventMeeting.findById(moving._id).lean())!;
  t.same([moved.slot, moved.table], [target!.slot, target!.table], 'the meeting moved');
  await page.screenshot({ path: '/tmp/screens/event-grid.png', fullPage: true }).catch(() => {});

  await page.goto(`${base}/organizer/events/${eventId}`);
  // 发布日程 first shows who will be told what; the organizer then confirms.
  await submit(page, /\/publish$/, () => page.getByRole('link', { name: '发布日程' }).click());
  t.match(await page.locator('#publish-preview').textContent(), /新增/, 'the preview lists the new meetings');
  await submit(page, /#phase$/, () => page.getByRole('button', { name: '确认发布' }).click());
  t.match(await page.locator('h1').textContent(), /日程已发布/);
  t.same(errors, [], 'no console, CSP or loading errors for the organizer');

  // The school's buyer reads its agenda.
  const buyerContext = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  t.teardown(() => buyerContext.close());
  const agendaPage = await buyerContext.newPage();
  const buyerErrors = watchErrors(agendaPage);
  const buyerUser = await createUser(app, 'buyer', { name: '赵老师', buyerOrg: school.org._id });
  await agendaPage.goto(`${base}/login?next=/events`);
  await agendaPage.getByLabel('电子邮箱').fill(buyerUser.email);
  await agendaPage.getByLabel('密码').fill(buyerUser.password);
  await submit(agendaPage, /\/events$/, () => agendaPage.getByRole('button', { name: '登录' }).click());
  await submit(agendaPage, /\/agenda\//, () => agendaPage.getByRole('link', { name: '我的日程' }).click());
  const event = (await app.models.Event.findById(eventId).lean())!;
  const schoolP = (await app.models.EventParticipant.findOne({ event: eventId, buyerOrg: school.org._id }).lean())!;
  const mine = await app.models.EventMeeting.find({ event: eventId, buyer: schoolP._id }).sort({ slot: 1 }).lean();
  t.equal(mine.length, 2, 'the school meets both vendors');
  const rows = agendaPage.locator('table.ev-agenda-table tbody tr');
  t.equal(await rows.count(), 2);
  for (const [i, m] of mine.entries()) {
    const start = new Date(event.slots[m.slot].start.getTime() + 8 * 3600_000).toISOString().slice(11, 16);
    const text = (await rows.nth(i).textContent()) ?? '';
    t.match(text, start, `meeting ${i + 1} shows its time`);
    t.match(text, `${m.table} 号桌`, 'and its table');
  }
  t.match(await agendaPage.locator('table.ev-agenda-table').textContent(), vendors[0].name);
  t.equal(await agendaPage.getByRole('link', { name: /下载日历文件/ }).count(), 1);
  await agendaPage.screenshot({ path: '/tmp/screens/event-agenda.png', fullPage: true }).catch(() => {});
  t.same(buyerErrors, [], 'no console, CSP or loading errors for the buyer');
});
