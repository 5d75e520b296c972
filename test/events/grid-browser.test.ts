/**
 * The 洽谈安排 grid in real Chromium: meetings carry their kind (must / want / hand-placed / filled in) in
 * words beside the colour, with a legend; the filter by participant works without JavaScript (?p=) and,
 * with it, at once on change; dragging a meeting onto a free cell moves it through the same move form
 * (the saved meeting changes, the flash names the new place), and without JavaScript the 调整 form does it.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../browser.js';
import { logIn, publishedEvent } from './day-support.js';
import { savedSchedule } from './support.js';

t.setTimeout(240_000);

t.test('the grid: kinds with a legend, the participant filter, drag-and-drop to a free cell', async (t) => {
  const { app, w, org, id, vendorIds, buyerIds } = await publishedEvent(t, { publish: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const grid = `${base}/organizer/events/${id}/grid`;
  const before = (await savedSchedule(app, org, id)).meetings;
  const mustMeeting = before.find((m) => m.buyer === buyerIds[0] && m.vendor === vendorIds[0])!;
  t.ok(mustMeeting, 'the must pair was scheduled');

  await t.test('the event page\'s timeline: a break takes no slot number', async (t) => {
    const { context, page } = await logIn(browser, base, w.users.vendorUser, { javaScriptEnabled: false });
    t.teardown(() => context.close());
    await page.goto(`${base}/events/${id}`);
    const items = page.locator('.ev-timeline li');
    const texts = (await items.allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
    t.match(texts[3], /^10:00–10:15 休息$/, 'the break, by its time');
    t.match(texts[4], /^第 4 时段 10:15–10:35$/, 'the slot after it is the fourth');
    const markers = await items.evaluateAll((lis) => lis.map((li) => getComputedStyle(li).listStyleType));
    t.ok(markers.every((m) => m === 'none'), 'no list numbers beside the slot numbers (an ordered list counted the break as a slot)');
    t.equal(await page.locator('ol.ev-timeline').count(), 0);
  });

  await t.test('without JavaScript: marks, legend, filter by ?p=', async (t) => {
    const { context, page, errors } = await logIn(browser, base, w.users.organizer, { javaScriptEnabled: false });
    t.teardown(() => context.close());
    await page.goto(grid);
    t.match(await page.locator('h1 .ev-phase').textContent(), /排期中|编排|日程/, 'the phase is a badge in the heading');
    t.same(await page.locator('.ev-legend li .ev-kind').allTextContents(), ['手工', '必见', '希望', '补位'], 'the legend names every colour');
    const mustCell = page.locator(`td[data-meeting="${mustMeeting.id}"]`);
    t.equal(await mustCell.locator('.ev-kind').textContent(), '必见', 'the must meeting says so in words');
    t.not(await mustCell.evaluate((el) => getComputedStyle(el).backgroundColor), await page.locator('td.ev-kind-other, td.ev-kind-want').first().evaluate((el) => getComputedStyle(el).backgroundColor), 'and in colour');
    const border = await mustCell.evaluate((el) => getComputedStyle(el).borderRightWidth);
    t.equal(border, '1px', 'cells have visible borders');

    await page.getByLabel('只看参会方').selectOption({ label: w.orgs[0].name });
    await Promise.all([page.waitForURL(/[?&]p=/), page.getByRole('button', { name: '筛选' }).click()]);
    const shown = await page.locator('td.ev-taken:not(.ev-filtered) .ev-buyer').allTextContents();
    t.ok(shown.length > 0 && shown.every((b) => b === w.orgs[0].name), `only ${w.orgs[0].name}'s meetings are shown (${shown.join('、')})`);
    t.ok(await page.locator('td.ev-filtered').count() > 0, 'the others are folded to 其他洽谈');
    t.match(await page.locator('#ev-filter-status').textContent(), `只显示“${w.orgs[0].name}”`);
    t.same(errors, []);
  });

  await t.test('with JavaScript: the filter applies on change; a drag moves the meeting', async (t) => {
    const { context, page, errors } = await logIn(browser, base, w.users.organizer);
    t.teardown(() => context.close());
    await page.goto(grid);
    t.notOk(await page.getByRole('button', { name: '筛选' }).isVisible(), 'no 筛选 button needed');
    await page.getByLabel('只看参会方').selectOption({ label: w.orgs[1].name });
    await page.waitForURL(/[?&]p=/);
    const shown = await page.locator('td.ev-taken:not(.ev-filtered) .ev-buyer').allTextContents();
    t.ok(shown.length > 0 && shown.every((b) => b === w.orgs[1].name), 'only the chosen buyer\'s meetings');
    await page.getByLabel('只看参会方').selectOption('');
    t.equal(await page.locator('td.ev-filtered').count(), 0, 'all shown again');

    // A free cell in a slot where neither side of the must meeting is busy.
    const busy = new Set(before.filter((m) => m.buyer === mustMeeting.buyer || m.vendor === mustMeeting.vendor).map((m) => m.slot));
    const taken = new Set(before.map((m) => `${m.slot}|${m.table}`));
    let target: { slot: number; table: number } | undefined;
    for (let slot = 0; slot < 6 && !target; slot++) {
      for (let table = 1; table <= 3 && !target; table++) if (!busy.has(slot) && !taken.has(`${slot}|${table}`)) target = { slot, table };
    }
    t.ok(target, 'a free cell to move to');
    const to = page.locator(`td.ev-free[data-slot="${target!.slot}"][data-table="${target!.table}"]`);
    await Promise.all([page.waitForURL(/\/grid\?m=/), page.locator(`td[data-meeting="${mustMeeting.id}"]`).dragTo(to)]);
    t.match(await page.locator('.flash-success').textContent(), `已调整：${w.orgs[0].name}`, 'the move is confirmed');
    t.match(await page.locator('.flash-success').textContent(), `${target!.table} 号桌`);
    const after = (await savedSchedule(app, org, id)).meetings.find((m) => m.id === mustMeeting.id)!;
    t.same({ slot: after.slot, table: after.table }, target, 'the meeting is saved in the new cell');
    t.equal(after.pinned, true, 'and is now hand-placed');
    t.equal(await page.locator(`td[data-meeting="${mustMeeting.id}"] .ev-kind`).textContent(), '手工');
    t.same(errors, []);
  });
});
