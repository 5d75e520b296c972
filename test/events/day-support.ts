/** A published 安防专场 for the event-day tests: 3 vendors, 3 buyers, a few wishes, schedule generated and published. */
import type { Test } from 'tap';
import jsQRModule from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { watchErrors } from '../browser.js';
import { buildTestApp } from '../helper.js';
import { api, createEvent, eventWorld, registerAll, savedSchedule, wish } from './support.js';

export async function publishedEvent(t: Test, options: { listen?: boolean; publish?: boolean } = {}) {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' }, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, { venue: '滨江区会展中心三楼' }, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[0], vendorIds[1], 'want');
  await wish(app, org, id, vendorIds[0], buyerIds[1], 'want');
  await wish(app, org, id, buyerIds[2], vendorIds[2], 'want');
  const run = await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  if (run.statusCode !== 200) throw new Error(`schedule failed: ${run.body}`);
  if (options.publish !== false) {
    const pub = await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' });
    if (pub.statusCode !== 200) throw new Error(`publish failed: ${pub.body}`);
  }
  const meetings = (await savedSchedule(app, org, id)).meetings;
  return { app, w, org, id, vendorIds, buyerIds, meetings };
}

export async function codeOf(app: Awaited<ReturnType<typeof publishedEvent>>['app'], cookie: string, id: string, pid: string): Promise<string> {
  const res = await api(app, cookie, 'GET', `/api/v1/events/${id}/participants/${pid}/agenda`);
  if (res.statusCode !== 200) throw new Error(`agenda failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { checkInCode: string }).checkInCode;
}

type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = ((jsQRModule as unknown as { default?: Decode }).default ?? jsQRModule) as unknown as Decode;

/** Screenshots the element in Chromium, reads the PNG's pixels back through a canvas, and decodes them with jsQR. */
export async function decodeQr(page: Page, selector: string): Promise<string | null> {
  const png = await page.locator(selector).first().screenshot();
  const { width, height, data } = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    return { width: canvas.width, height: canvas.height, data: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data) };
  }, png.toString('base64'));
  return jsQR(Uint8ClampedArray.from(data), width, height)?.data ?? null;
}

export async function logIn(browser: Browser, base: string, user: { email: string; password: string }, options: { javaScriptEnabled?: boolean; phone?: boolean } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScriptEnabled ?? true, locale: 'zh-CN',
    ...(options.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${base}/login?next=/`);
  await page.getByLabel('电子邮箱').fill(user.email);
  await page.getByLabel('密码').fill(user.password);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: '登录' }).click()]);
  return { context, page, errors };
}

