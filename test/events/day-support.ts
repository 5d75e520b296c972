/** A published 安防专场 for the event-day tests: 3 vendors, 3 buyers, a few wishes, schedule generated and published. */
import type { Test } from 'tap';
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
