/**
 * The main pages on a desktop (1366 px) and on a phone (390 px), as a guest and as each role, in real
 * Chromium: axe-core (node_modules/axe-core, injected into the page) finds no serious or critical
 * violation, nothing scrolls sideways, the navigation is reachable (on a phone through 菜单, which shows
 * 消息), and on a phone the first /directory result is above the fold, the filters fold into a drawer,
 * controls are thumb-sized and the 洽谈安排 grid scrolls inside its own box. No page repeats a role word
 * (“采购方采购方”). Screenshots of every page
 * go to test-artifacts/phone-browser/ (git-ignored).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchErrors } from '../browser.js';
import { createUser, login } from '../helper.js';
import { publishedEvent } from '../events/day-support.js';
import { api } from '../events/support.js';
import { addProduct } from '../search/fixtures.js';

// ~50 pages × 2 widths with axe on a shared two-core machine.
t.setTimeout(1_200_000);

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ARTIFACTS = path.resolve('test-artifacts/phone-browser');
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

type Role = 'guest' | 'vendor' | 'buyer' | 'organizer' | 'admin' | 'leader';
type Width = 'desktop' | 'phone';
interface Violation { id: string; impact: string; help: string; nodes: string[] }

/** Runs axe-core in the page; only serious and critical violations are returned. */
async function axe(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }> } };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 200)}`) }));
  });
}

/** Buttons, fields and selects in the page's main area smaller than a thumb (44 px high) or past the screen's edge. */
async function smallControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const selector = 'main button, main .button, main select, main textarea, main input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"]):not([type="file"])';
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not shown
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} “${(el.textContent || (el as HTMLInputElement).value || '').trim().slice(0, 12)}”`;
      if (r.height < 43.5) out.push(`${name}: ${Math.round(r.height)} px high`);
      if (r.right > window.innerWidth + 0.5) out.push(`${name}: ends at ${Math.round(r.right)} px`);
    }
    return out;
  });
}

const sideways = (page: Page) => page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }));
const slug = (url: string) => url.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').slice(0, 60) || 'home';

t.test('every main page, each role, desktop and phone: axe-clean, no sideways scroll, navigation reachable', async (t) => {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  // A published 安防专场 (3 vendors, 3 buyers, schedule published), products in the directory, a list batch,
  // the notices of the publication in the inboxes.
  const { app, w, org, id, vendorIds, buyerIds } = await publishedEvent(t);
  const products = [];
  const names = ['400万像素筒型网络摄像机', '32路网络硬盘录像机', '人脸识别门禁一体机', '周界入侵报警主机', '智能视频分析服务器', '球型网络摄像机'];
  for (const [i, name] of names.entries()) {
    products.push(await addProduct(app, w.vendors[i % 3], { name, model: `BJ-${100 + i}`, category: 'video-surveillance', description: '适用于学校、医院和园区的安防改造，支持国标 GB/T 28181 接入。', priceMin: 1200 + i * 300, priceMax: 3000 + i * 500 }));
  }
  await app.searchSync.drain();
  const batch = await api(app, org, 'POST', '/api/v1/list-batches', { title: '第一批推介清单', objectionDays: 7 });
  if (batch.statusCode !== 201) throw new Error(`list batch: ${batch.statusCode} ${batch.body}`);
  await app.notifications.drain();
  const leader = await createUser(app, 'leader', { name: '区领导' });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser: Browser = await launchChromium();
  t.teardown(() => browser.close());

  const demand = String(w.demands[0]._id);
  const vendorId = String(w.vendors[0]._id);
  const pages: Record<Role, string[]> = {
    guest: ['/', '/directory', '/directory?tab=vendors', `/directory/vendors/${vendorId}`, `/directory/products/${products[0]._id}`,
      `/directory/compare?ids=${products[0]._id},${products[1]._id}`, '/list-batches', '/list-batches/1', '/login', '/no-such-page'],
    vendor: ['/', '/vendor', '/vendor/profile', '/vendor/products/new', `/vendor/products/${products[0]._id}/edit`, '/vendor/opportunities',
      '/events', `/events/${id}`, `/events/${id}/wishes`, `/events/${id}/agenda/${vendorIds[0]}`, `/demands/${demand}`, '/inbox', '/account'],
    buyer: ['/buyer', '/demands/new', `/demands/${demand}`, `/demands/${demand}/edit`, `/events/${id}`, `/events/${id}/wishes`,
      `/events/${id}/agenda/${buyerIds[0]}`, '/inbox', '/account'],
    organizer: ['/organizer', '/organizer/review', '/organizer/stale', '/organizer/demands', '/demands/new', `/organizer/vendors/${vendorId}`,
      '/organizer/events', '/organizer/events/new', `/organizer/events/${id}`, `/organizer/events/${id}/grid`, `/organizer/events/${id}/grid?p=${buyerIds[0]}`,
      `/events/${id}/wishes?p=${buyerIds[0]}`, `/organizer/events/${id}/check-in`, `/organizer/events/${id}/dashboard`,
      `/organizer/events/${id}/publish`, '/organizer/list-batches', '/reports', '/inbox'],
    admin: ['/admin/users', '/admin/audit', '/admin/imports', '/reports', '/inbox'],
    leader: ['/reports'],
  };
  // Pages a person fills in or reads standing at the door: every control thumb-sized on a phone.
  const thumbPages = new Set(['/login', '/demands/new', '/vendor/products/new', '/vendor/profile', '/account', '/inbox',
    `/organizer/events/${id}/check-in`, `/events/${id}/agenda/${vendorIds[0]}`, `/events/${id}/agenda/${buyerIds[0]}`, `/events/${id}/wishes`]);
  const users = { vendor: w.users.vendorUser, buyer: w.users.buyerUser, organizer: w.users.organizer, admin: w.users.admin, leader };

  for (const width of ['desktop', 'phone'] as Width[]) {
    for (const role of Object.keys(pages) as Role[]) {
      await t.test(`${role} on a ${width === 'phone' ? '390 px phone' : '1366 px desktop'}`, async (t) => {
        const context: BrowserContext = await browser.newContext({
          locale: 'zh-CN',
          // axe-core is added as a <script>; the platform's CSP (script-src 'self') would refuse it.
          bypassCSP: true,
          ...(width === 'phone' ? { viewport: PHONE, isMobile: true, hasTouch: true } : { viewport: DESKTOP }),
        });
        t.teardown(() => context.close());
        if (role !== 'guest') {
          const cookies = (await login(app, users[role].email, users[role].password)).split('; ').map((c) => {
            const at = c.indexOf('=');
            return { name: c.slice(0, at), value: c.slice(at + 1), url: base };
          });
          await context.addCookies(cookies);
        }
        const page = await context.newPage();
        const errors = watchErrors(page);
        const viewport = width === 'phone' ? PHONE : DESKTOP;

        for (const url of pages[role]) {
          const res = await page.goto(`${base}${url}`, { waitUntil: 'load', timeout: 60_000 });
          const expected = url === '/no-such-page' ? 404 : 200;
          t.equal(res?.status(), expected, `${url}: HTTP ${expected}`);
          t.equal(await page.locator('html').getAttribute('lang'), 'zh-CN', `${url}: lang="zh-CN"`);
          // No role word twice in a row (“采购方采购方”), however the page is put together.
          // (Within one line or cell of text: a label above a name such as “采购单位1” is not doubled.)
          const doubled = await page.evaluate(() => document.body.innerText.split(/[\n\t]+/)
            .map((line) => /(采购方|供应商|主办方|采购单位|参会方)\1/.exec(line.replace(/\s+/g, ''))?.[0] ?? '').find(Boolean) ?? '');
          t.equal(doubled, '', `${url}: no doubled role word`);
          const violations = await axe(page);
          t.same(violations, [], `${url}: no serious or critical axe-core violation`);
          // Against the screen's width too: a phone browser widens its layout viewport to fit a page that is too wide.
          const { scroll, inner } = await sideways(page);
          t.ok(scroll <= Math.min(inner, viewport.width), `${url}: no sideways scroll (scrollWidth ${scroll} <= ${Math.min(inner, viewport.width)})`);
          if (width === 'phone' && thumbPages.has(url)) {
            t.same(await smallControls(page), [], `${url}: buttons and fields are at least 44 px high and on screen`);
          }
          await page.screenshot({ path: path.join(ARTIFACTS, `${width}-${role}-${slug(url)}.png`), fullPage: width === 'phone' });
        }

        // The navigation: on a desktop in plain view; on a phone behind 菜单, opened by keyboard.
        await page.goto(`${base}/`);
        const nav = page.getByRole('navigation', { name: '主导航' });
        const toggle = page.locator('[data-test="nav-toggle"]');
        const inbox = nav.getByRole('link', { name: /^消息/ });
        if (width === 'desktop') {
          t.notOk(await toggle.isVisible(), 'desktop: no menu button');
          t.ok(await nav.getByRole('link', { name: '推介清单' }).isVisible(), 'desktop: the navigation is in view');
          if (role !== 'guest') t.ok(await inbox.isVisible(), 'desktop: 消息 is in view');
        } else {
          t.ok(await toggle.isVisible(), 'phone: the 菜单 button is shown');
          t.notOk(await nav.getByRole('link', { name: '推介清单' }).isVisible(), 'phone: the navigation is folded away');
          // Keyboard only: Tab to 菜单, Space opens it; the focus ring shows where the keyboard is.
          let reached = false;
          for (let i = 0; i < 8 && !reached; i++) {
            await page.keyboard.press('Tab');
            reached = await page.evaluate(() => document.activeElement?.classList.contains('nav-toggle-input') ?? false);
          }
          t.ok(reached, 'phone: 菜单 is reachable with Tab');
          const ring = await toggle.evaluate((el) => getComputedStyle(el).outlineStyle);
          t.not(ring, 'none', 'phone: the focused 菜单 shows a focus ring');
          await page.keyboard.press('Space');
          t.ok(await nav.getByRole('link', { name: '推介清单' }).isVisible(), 'phone: 菜单 opens the navigation');
          await page.screenshot({ path: path.join(ARTIFACTS, `${width}-${role}-menu-open.png`) });
          if (role !== 'guest') {
            t.ok(await inbox.isVisible(), 'phone: the open menu shows 消息');
            await Promise.all([page.waitForURL(/\/inbox$/), inbox.click()]);
            t.equal(new URL(page.url()).pathname, '/inbox', 'phone: 消息 leads to the inbox');
          }
        }
        t.same(errors, [], 'no console errors or failed sub-resources');
      });
    }
  }

  await t.test('the directory on a phone: the first result above the fold, the filters in a drawer', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2, javaScriptEnabled: false });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}/directory`);
    const first = await page.locator('.dir-card').first().boundingBox();
    t.ok(first && first.y < PHONE.height, `the first result starts at ${Math.round(first?.y ?? -1)} px, within the ${PHONE.height} px screen`);
    const facet = page.locator('.dir-facets').getByRole('link', { name: '滨江区' });
    t.notOk(await facet.isVisible(), 'the filters are folded away');
    await page.getByText('筛选', { exact: true }).click();
    t.ok(await facet.isVisible(), '筛选 opens them (without JavaScript)');
    await Promise.all([page.waitForURL(/district=/), facet.click()]);
    t.match(await page.locator('.dir-filter-toggle').textContent() ?? '', /筛选（已选 1 项）/, 'the button counts the chosen filters');
    await page.goto(`${base}/directory`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'readme-directory-phone.png') });

    const desktop = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1366, height: 820 }, javaScriptEnabled: false });
    t.teardown(() => desktop.close());
    const big = await desktop.newPage();
    await big.goto(`${base}/directory`);
    t.ok(await big.locator('.dir-facets').getByRole('link', { name: '滨江区' }).isVisible(), 'desktop: the filters stay in view beside the results');
    t.notOk(await big.locator('.dir-filter-toggle').isVisible(), 'desktop: no 筛选 button');
    await big.screenshot({ path: path.join(ARTIFACTS, 'readme-directory-desktop.png') });
  });

  await t.test('洽谈安排 on a phone: the grid scrolls in its own box, one table across, the time column stays', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    t.teardown(() => context.close());
    await context.addCookies((await login(app, w.users.organizer.email, w.users.organizer.password)).split('; ').map((c) => {
      const at = c.indexOf('=');
      return { name: c.slice(0, at), value: c.slice(at + 1), url: base };
    }));
    const page = await context.newPage();
    await page.goto(`${base}/organizer/events/${id}/grid`);
    const { scroll } = await sideways(page);
    t.ok(scroll <= PHONE.width, `the page itself does not scroll sideways (${scroll} <= ${PHONE.width})`);
    const wrap = page.locator('.ev-grid-wrap');
    const box = await wrap.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    t.ok(box.scroll > box.client, 'the grid scrolls inside its box');
    const cell = await page.locator('.ev-grid td.ev-cell').first().boundingBox();
    t.ok(cell && cell.width >= 200, `a table's column is wide enough to read (${Math.round(cell?.width ?? 0)} px)`);
    const timeBefore = await page.locator('.ev-grid tbody th').first().boundingBox();
    await wrap.evaluate((el) => { el.scrollLeft = el.scrollWidth; });
    const timeAfter = await page.locator('.ev-grid tbody th').first().boundingBox();
    t.equal(Math.round(timeAfter?.x ?? -1), Math.round(timeBefore?.x ?? -2), 'the time column stays in place while the tables scroll');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-organizer-grid-scrolled.png') });
  });

  await t.test('a form completed by keyboard alone on a phone: logging in', async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE, isMobile: true, hasTouch: true });
    t.teardown(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    const focusIs = (id: string) => page.evaluate((want) => document.activeElement?.id === want, id);
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await focusIs('f-email');
    }
    t.ok(found, 'Tab reaches the email field');
    t.not(await page.locator('#f-email').evaluate((el) => getComputedStyle(el).outlineStyle), 'none', 'the focused field is outlined');
    await page.keyboard.type(w.users.buyerUser.email);
    await page.keyboard.press('Tab');
    t.ok(await focusIs('f-password'), 'Tab moves on to the password');
    await page.keyboard.type(w.users.buyerUser.password);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.keyboard.press('Enter')]);
    t.match(await page.locator('.account-name').textContent() ?? '', /采购方/, 'logged in by keyboard');
  });
});
