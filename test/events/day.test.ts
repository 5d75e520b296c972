/**
 * The day itself: agendas as .ics (read back with ical.js, a real RFC 5545 parser), check-in, outcomes
 * flowing into the follow-up records, and the dashboard and its .xlsx with the same numbers.
 */
import t, { type Test } from 'tap';
import ICAL from 'ical.js';
import ExcelJS from 'exceljs';
import { buildTestApp } from '../helper.js';
import { api, createEvent, eventWorld, registerAll, savedSchedule, slotGrid, wish } from './support.js';

async function publishedWorld(t: Test) {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, { venue: '滨江区会展中心三楼' }, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  // Buyer 1 (province) → vendors 1 and 2; buyer 2 (city) → vendor 1; buyer 3 (district) wants vendor 3, who vetoes.
  await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[0], vendorIds[1], 'want');
  await wish(app, org, id, vendorIds[0], buyerIds[1], 'want');
  await wish(app, org, id, buyerIds[2], vendorIds[2], 'want');
  await wish(app, org, id, vendorIds[2], buyerIds[2], 'no');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 200);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' })).statusCode, 200);
  const meetings = (await savedSchedule(app, org, id)).meetings;
  const meeting = (b: number, v: number) => meetings.find((m) => m.buyer === buyerIds[b] && m.vendor === vendorIds[v])!;
  return { app, w, org, id, vendorIds, buyerIds, meetings, meeting };
}


t.test('a participant agenda as .ics parses with ical.js and holds exactly its published meetings', async (t) => {
  const { app, w, id, buyerIds, meetings } = await publishedWorld(t);
  const res = await api(app, w.cookies.buyerUser, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda.ics`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/calendar/);
  t.match(res.headers['content-disposition'], /attachment/);
  const calendar = new ICAL.Component(ICAL.parse(res.body));
  const events = calendar.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
  const mine = meetings.filter((m) => m.buyer === buyerIds[0]);
  t.equal(events.length, mine.length, 'one calendar entry per meeting');
  t.equal(mine.length, 2);
  const slots = slotGrid(6);
  for (const m of mine) {
    const e = events.find((x) => x.startDate.toJSDate().toISOString() === slots[m.slot].start);
    t.ok(e, `an entry at the start of slot ${m.slot}`);
    t.equal(e!.endDate.toJSDate().toISOString(), slots[m.slot].end, 'ending with the slot');
    t.match(e!.summary, new RegExp(`${m.table} 号桌`), 'the table is in the title');
    t.match(e!.summary, /滨江安防企业\d有限公司/, 'the counterpart is named');
    t.match(e!.location, /滨江区会展中心三楼/);
    t.ok(e!.uid, 'a stable uid');
  }
  t.equal(new Set(events.map((e) => e.uid)).size, events.length, 'uids are distinct');
  const again = new ICAL.Component(ICAL.parse((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda.ics`)).body));
  t.same(again.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c).uid).sort(), events.map((e) => e.uid).sort(), 'the same uids on a second download (calendars update, not duplicate)');
  t.equal((await api(app, w.cookies.otherBuyerUser, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda.ics`)).statusCode, 404, "another organization's agenda is not found");
  t.equal((await api(app, undefined, 'GET', `/api/v1/events/${id}/participants/${buyerIds[0]}/agenda.ics`)).statusCode, 401);
});

t.test('check-in and outcomes: held, intent and signed move the follow-up forward; no-show does not', async (t) => {
  const { app, w, org, id, vendorIds, buyerIds, meeting } = await publishedWorld(t);
  const checkIn = (p: string, state: string, cookie = org) => api(app, cookie, 'POST', `/api/v1/events/${id}/participants/${p}/check-in`, { state });
  t.equal((await checkIn(buyerIds[0], 'arrived')).json().participant.checkIn, 'arrived');
  t.equal((await checkIn(buyerIds[1], 'no_show')).json().participant.checkIn, 'no_show');
  t.equal((await checkIn(buyerIds[1], 'late')).statusCode, 400);
  t.equal((await checkIn(buyerIds[0], 'arrived', w.cookies.vendorUser)).statusCode, 403, 'vendors do not check people in');

  const outcome = (m: { id: string }, body: Record<string, unknown>, cookie = org) => api(app, cookie, 'POST', `/api/v1/events/${id}/meetings/${m.id}/outcome`, body);
  const followUp = async (b: number, v: number) =>
    app.models.FollowUp.findOne({ demand: w.demands[b]._id, vendor: w.vendors[v]._id }).lean();

  const m00 = meeting(0, 0);
  t.equal((await outcome(m00, { outcome: 'held' })).statusCode, 200);
  t.equal((await followUp(0, 0))?.status, 'contacted', 'a held meeting is a contact');
  t.equal((await outcome(m00, { outcome: 'signed', amountYuan: '1,280,000' })).statusCode, 200);
  const signed = await followUp(0, 0);
  t.equal(signed?.status, 'signed', 'signed flows into the follow-up');
  t.equal(signed?.amountYuan, 1_280_000, 'with the amount');
  t.same(signed?.steps.map((s) => [s.status, s.source]), [['contacted', 'event'], ['signed', 'event']], 'each step recorded, from the event');
  t.equal(signed?.steps[0].by.id, w.users.organizer.id, 'by the organizer who entered it');

  const m01 = meeting(0, 1);
  await app.followUps.advance({ id: w.users.buyerUser.id, email: w.users.buyerUser.email, name: '采购方', role: 'buyer', buyerOrgId: String(w.orgs[0]._id) }, String(w.demands[0]._id), String(w.vendors[1]._id), { to: 'intent' });
  t.equal((await outcome(m01, { outcome: 'held' })).statusCode, 200, 'an outcome behind the follow-up is recorded on the meeting');
  t.equal((await followUp(0, 1))?.status, 'intent', 'and the follow-up does not go back');

  const m10 = meeting(1, 0);
  t.equal((await outcome(m10, { outcome: 'no_show' })).statusCode, 200);
  t.equal(await followUp(1, 0), null, 'a no-show creates no follow-up');
  t.equal((await outcome(m10, { outcome: 'won' })).statusCode, 400);
  t.equal((await outcome(m10, { outcome: 'signed', amountYuan: -5 })).statusCode, 400);
  t.equal((await outcome(m10, { outcome: 'intent', demand: String(w.demands[2]._id) })).statusCode, 400, "a demand the buyer did not bring is refused");
  t.equal(await followUp(1, 0), null, 'bad input changed nothing');
  t.equal((await outcome(m10, { outcome: 'intent' }, w.cookies.buyerUser)).statusCode, 403, 'buyers do not enter event outcomes');
  t.equal((await api(app, org, 'DELETE', `/api/v1/events/${id}/meetings/${m00.id}`)).statusCode, 409, 'a meeting with an outcome cannot be cancelled');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m00.id}/move`, { slot: 5, table: 3 })).statusCode, 409, 'nor moved');
  void vendorIds;
});

t.test('dashboard figures by field and buyer level, and the .xlsx has the same numbers', async (t) => {
  const { app, w, org, id, meeting, meetings } = await publishedWorld(t);
  await app.models.Vendor.updateOne({ _id: w.vendors[1]._id }, { $set: { fields: ['medical', 'security'] } });
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${meeting(0, 0).id}/outcome`, { outcome: 'signed', amountYuan: 500000 });
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${meeting(0, 1).id}/outcome`, { outcome: 'intent' });
  await api(app, org, 'POST', `/api/v1/events/${id}/meetings/${meeting(1, 0).id}/outcome`, { outcome: 'held' });
  t.equal(meetings.length, 3, 'three meetings: the veto left one wish out');

  const res = await api(app, org, 'GET', `/api/v1/events/${id}/dashboard`);
  t.equal(res.statusCode, 200);
  const d = res.json().dashboard;
  t.match(d.total, { wishes: 3, scheduled: 3, held: 3, intents: 2, signed: 1, amountYuan: 500000 });
  const field = (k: string) => d.byField.find((r: { key: string }) => r.key === k);
  t.match(field('security'), { wishes: 2, scheduled: 2, held: 2, intents: 1, signed: 1, amountYuan: 500000 });
  t.match(field('medical'), { wishes: 1, scheduled: 1, held: 1, intents: 1, signed: 0 }, "a pair counts under the vendor's first field");
  const level = (k: string) => d.byLevel.find((r: { key: string }) => r.key === k);
  t.match(level('province'), { wishes: 2, scheduled: 2, held: 2, intents: 2, signed: 1 });
  t.match(level('city'), { wishes: 1, scheduled: 1, held: 1, intents: 0, signed: 0 });
  t.notOk(level('district'), 'the district buyer only had a vetoed wish');
  t.match(d.participants, { vendors: 3, buyers: 3, pending: 0 });
  t.equal((await api(app, w.cookies.vendorUser, 'GET', `/api/v1/events/${id}/dashboard`)).statusCode, 403);

  const xlsx = await api(app, org, 'GET', `/api/v1/events/${id}/report.xlsx`);
  t.equal(xlsx.statusCode, 200);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const rows = (name: string) => {
    const sheet = book.getWorksheet(name)!;
    const out: unknown[][] = [];
    sheet.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
    return out;
  };
  t.same(rows('按领域')[0], ['领域', '意向对数', '已安排洽谈', '已洽谈', '达成意向', '签约', '签约金额（元）'], 'Chinese headers');
  t.same(rows('按领域').find((r) => r[0] === '安防')?.slice(1), [2, 2, 2, 1, 1, 500000]);
  t.same(rows('按领域').find((r) => r[0] === '合计')?.slice(1), [3, 3, 3, 2, 1, 500000]);
  t.same(rows('按采购方层级').find((r) => r[0] === '省级')?.slice(1), [2, 2, 2, 2, 1, 500000]);
  const detail = rows('洽谈明细');
  t.equal(detail.length, 4, 'a header and one row per meeting');
  t.ok(detail.some((r) => r.includes('已签约') && r.includes(500000)));
});
