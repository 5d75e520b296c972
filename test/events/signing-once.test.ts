/**
 * Every signing counts once, everywhere: a (demand, vendor) pair has at most one signing with one amount,
 * whether a buyer marks it on the follow-up or an organizer enters it as an event outcome, and the
 * follow-up funnel, the event dashboard, the event .xlsx and the report .xlsx all read that one record.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp } from '../helper.js';
import { api, createEvent, eventWorld, registerAll, savedSchedule, wish } from './support.js';

const sheetRows = async (payload: Buffer, name: string) => {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(payload as unknown as ArrayBuffer);
  const out: unknown[][] = [];
  book.getWorksheet(name)?.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
};

t.test('a pair signed by the buyer cannot be signed again at the event; the figures agree to the yuan', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org, {}, 6, 3);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[1], vendorIds[0], 'must');
  await wish(app, org, id, buyerIds[0], vendorIds[1], 'want');
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 200);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' })).statusCode, 200);
  const meetings = (await savedSchedule(app, org, id)).meetings;
  const meeting = (b: number, v: number) => meetings.find((m) => m.buyer === buyerIds[b] && m.vendor === vendorIds[v])!;
  const outcome = (m: { id: string }, body: Record<string, unknown>) => api(app, org, 'POST', `/api/v1/events/${id}/meetings/${m.id}/outcome`, body);
  const followUp = (b: number, v: number) => app.models.FollowUp.findOne({ demand: w.demands[b]._id, vendor: w.vendors[v]._id }).lean();
  const demandStatus = async (b: number) => (await app.models.Demand.findById(w.demands[b]._id).lean())?.status;

  // 1. The buyer marks 已签约 450,000 on its follow-up.
  const signedByBuyer = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/demands/${String(w.demands[0]._id)}/follow-ups`, {
    vendorId: String(w.vendors[0]._id), to: 'signed', amountYuan: 450000,
  });
  t.equal(signedByBuyer.statusCode, 200, signedByBuyer.body);
  t.equal(await demandStatus(0), 'in_progress', 'a signing moves the demand to 对接中');
  const history = (await app.models.Demand.findById(w.demands[0]._id).lean())!.history;
  t.match(history.at(-1), { action: 'start', from: 'open', to: 'in_progress' }, 'and the demand history says so');

  // 2. The event then tries a second 已签约 of 120,000 for the same pair: refused, naming the first.
  const second = await outcome(meeting(0, 0), { outcome: 'signed', amountYuan: 120000 });
  t.equal(second.statusCode, 409);
  t.match(second.json().message, /已于 \d{4}-\d{2}-\d{2} 签约，金额 450,000 元/, 'the existing signing is shown');
  const noAmount = await outcome(meeting(0, 0), { outcome: 'signed' });
  t.equal(noAmount.statusCode, 409, 'also without an amount: it was not signed at this meeting');
  const afterRefusal = await followUp(0, 0);
  t.equal(afterRefusal?.amountYuan, 450000, 'the amount is unchanged');
  t.equal(afterRefusal?.steps.filter((s) => s.status === 'signed').length, 1, 'one signing step');
  t.equal((await app.models.EventMeeting.findById(meeting(0, 0).id).lean())?.outcome, null, 'the meeting got no outcome');
  t.equal((await outcome(meeting(0, 0), { outcome: 'held' })).statusCode, 200, 'the meeting itself can be recorded as held');
  t.equal((await followUp(0, 0))?.status, 'signed', 'which does not move the signed follow-up back');

  // 3. Another pair signs at the event: the amount is kept on the follow-up, once.
  t.equal((await outcome(meeting(1, 0), { outcome: 'signed', amountYuan: '200,000' })).statusCode, 200);
  const atEvent = await followUp(1, 0);
  t.equal(atEvent?.status, 'signed');
  t.equal(atEvent?.amountYuan, 200000);
  t.equal(await demandStatus(1), 'in_progress');
  t.equal((await outcome(meeting(1, 0), { outcome: 'signed', amountYuan: 300000 })).statusCode, 409, 'one signing has one amount');
  t.equal((await outcome(meeting(1, 0), { outcome: 'signed', note: '补记：合同已盖章' })).statusCode, 200, 'entering it again is harmless');
  t.equal((await followUp(1, 0))?.steps.filter((s) => s.status === 'signed').length, 1, 'still one signing step');
  t.equal((await outcome(meeting(1, 0), { outcome: 'intent' })).statusCode, 409, 'a signing made here is final');
  const schedule = await savedSchedule(app, org, id);
  t.equal((schedule.meetings.find((m) => m.id === meeting(1, 0).id) as { amountYuan?: number }).amountYuan, 200000, 'the schedule shows the amount from the follow-up');

  // 4. Every figure reads the same records.
  const dash = (await api(app, org, 'GET', `/api/v1/events/${id}/dashboard`)).json().dashboard;
  t.match(dash.total, { signed: 1, amountYuan: 200000 }, 'the event counts the signing made at it');
  const eventXlsx = await api(app, org, 'GET', `/api/v1/events/${id}/report.xlsx`);
  t.same((await sheetRows(eventXlsx.rawPayload, '按领域')).find((r) => r[0] === '合计')?.slice(5), [1, 200000]);
  const detail = await sheetRows(eventXlsx.rawPayload, '洽谈明细');
  t.equal(detail.filter((r) => r.includes('已签约')).length, 1, 'one signed meeting in the detail');
  t.ok(detail.some((r) => r.includes('已签约') && r.includes(200000)));
  t.notOk(detail.some((r) => r.includes(120000) || r.includes(450000)), 'the refused amount appears nowhere; the buyer’s signing is not the event’s');

  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const overview = (await api(app, org, 'GET', `/api/v1/reports/overview?from=${today}&to=${today}`)).json();
  const section = (sid: string) => overview.sections.find((s: { id: string }) => s.id === sid);
  const funnel = section('funnel').tables.find((x: { id: string }) => x.id === 'funnel');
  t.same(funnel.rows.find((r: unknown[]) => r[0] === '已签约').slice(1, 2), [2], 'two signings in the funnel');
  t.equal(funnel.rows.find((r: unknown[]) => r[0] === '已签约')[3], 650000, '450,000 + 200,000, each once');
  const byStatus = section('demands').tables.find((x: { id: string }) => x.id === 'demands-status');
  t.equal(byStatus.rows.find((r: unknown[]) => r[0] === '对接中')[1], 2, 'both signed demands are 对接中');
  const events = (await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-03-01&to=2027-03-31')).json()
    .sections.find((s: { id: string }) => s.id === 'events').tables[0];
  const row = events.rows.find((r: unknown[]) => r[0] === '滨江区安防产业供需对接会');
  t.same(row.slice(11), [1, 200000], 'the report’s event row: one signing, 200,000');

  const book = await app.inject({ url: `/reports/report.xlsx?from=${today}&to=${today}`, headers: { cookie: org } });
  t.equal(book.statusCode, 200);
  const names = new ExcelJS.Workbook();
  await names.xlsx.load(book.rawPayload as unknown as ArrayBuffer);
  const funnelSheet = names.worksheets.find((s) => s.name.includes('对接漏斗'));
  t.ok(funnelSheet, 'the workbook has the funnel');
  const signedRow: unknown[] = [];
  funnelSheet!.eachRow((r) => { const v = (r.values as unknown[]).slice(1); if (v[0] === '已签约') signedRow.push(...v); });
  t.equal(signedRow[3], 650000, 'the workbook’s funnel agrees with the page');
});

t.test('two events record a signing of the same pair at once: exactly one signing, one amount', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const org = w.cookies.organizer;
  const ids: string[] = [];
  const meetingIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const id = await createEvent(app, org, { title: `对接会${i + 1}` }, 3, 1);
    const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
    await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
    await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {});
    await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' });
    ids.push(id);
    meetingIds.push((await savedSchedule(app, org, id)).meetings.find((m) => m.buyer === buyerIds[0] && m.vendor === vendorIds[0])!.id);
  }
  for (let round = 0; round < 3; round++) {
    if (round > 0) {
      // Start over: a fresh demand the buyer brings to both events.
      const demand = await app.models.Demand.create({ title: `视频监控更新·第${round + 1}轮`, field: 'security', buyerOrg: w.orgs[0]._id, status: 'open' });
      await app.models.EventParticipant.updateMany({ buyerOrg: w.orgs[0]._id }, { $set: { demands: [demand._id] } });
      await app.models.EventMeeting.updateMany({ _id: { $in: meetingIds } }, { $set: { outcome: null }, $unset: { demand: 1 } });
    }
    const results = await Promise.all(ids.map((id, i) => api(app, org, 'POST', `/api/v1/events/${id}/meetings/${meetingIds[i]}/outcome`, { outcome: 'signed', amountYuan: (i + 1) * 100000 })));
    const codes = results.map((r) => r.statusCode).sort();
    t.same(codes, [200, 409], `round ${round}: one wins, the other is told`);
    const demandId = (await app.models.EventParticipant.findOne({ buyerOrg: w.orgs[0]._id }).lean())!.demands![0];
    const f = await app.models.FollowUp.findOne({ demand: demandId }).lean();
    t.equal(f?.steps.filter((s) => s.status === 'signed').length, 1, 'one signing step');
    const winner = results.findIndex((r) => r.statusCode === 200);
    t.equal(f?.amountYuan, (winner + 1) * 100000, 'the amount of the one that won');
    const signedMeetings = await app.models.EventMeeting.countDocuments({ _id: { $in: meetingIds }, outcome: 'signed' });
    t.equal(signedMeetings, 1, 'only the winning meeting says 已签约');
  }
});
