/**
 * The report's events section on an event run through the real events API (not hand-inserted documents):
 * participants, check-ins, meetings and outcomes, and the follow-up funnel fed by the event's outcomes.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { api, createEvent, eventWorld, registerAll, savedSchedule, wish } from '../events/support.js';

t.test('an event run through the API shows in the report with exact figures', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, {}, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[1], vendorIds[1], 'must');
  await wish(app, org, id, buyerIds[2], vendorIds[2], 'want');
  await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
  await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' });
  await api(app, org, 'POST', `/api/v1/events/${id}/participants/${buyerIds[0]}/check-in`, { state: 'arrived' });
  await api(app, org, 'POST', `/api/v1/events/${id}/participants/${buyerIds[2]}/check-in`, { state: 'no_show' });
  const meetings = (await savedSchedule(app, org, id)).meetings;
  t.equal(meetings.length, 3);
  const of = (b: number) => meetings.find((m) => m.buyer === buyerIds[b])!;
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${of(0).id}/outcome`, { outcome: 'signed', amountYuan: 800000 });
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${of(1).id}/outcome`, { outcome: 'intent' });
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${of(2).id}/outcome`, { outcome: 'no_show' });

  const res = await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-03-01&to=2027-03-31');
  t.equal(res.statusCode, 200, res.body);
  const section = res.json().sections.find((s: { id: string }) => s.id === 'events');
  const table = section.tables.find((x: { id: string }) => x.id === 'events');
  const row = table.rows.find((r: unknown[]) => r[0] === '滨江区安防产业供需对接会');
  // 对接会, 首个时段, 阶段, 供应商, 采购方, 到场, 缺席, 安排洽谈, 已洽谈, 洽谈未到场, 有意向, 已签约, 签约金额
  t.same(row, ['滨江区安防产业供需对接会', '2027-03-18', '日程已发布', 3, 3, 1, 1, 3, 2, 1, 2, 1, 800000]);

  // The event's outcomes are follow-up steps: the funnel counts them (its period is when they were recorded: now).
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const funnel = (await api(app, org, 'GET', `/api/v1/reports/overview?from=${today}&to=${today}`)).json()
    .sections.find((s: { id: string }) => s.id === 'funnel').tables[0];
  t.same(funnel.rows.slice(0, 4).map((r: unknown[]) => r[1]), [2, 2, 2, 1], 'recommended/contacted 2, intent 2 (signed counts as intent), signed 1');

  const outside = (await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-04-01&to=2027-04-30')).json();
  t.same(outside.sections.find((s: { id: string }) => s.id === 'events').tables[0].rows.slice(0, -1), [], 'an event outside the period is not counted');
});
