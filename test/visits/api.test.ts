/**
 * 企业调研 / 现场考察 through the API on real MongoDB: the route rule, registration → approval → code →
 * check-in, the itinerary .ics, outcomes reaching the follow-ups (a signing once) and 统计报表, bad input
 * and access control.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { seedSampleIndex } from '../../bench/relevance.js';
import { api, approvedBuyer, cjk, createVisit, eventWorld, openVisit, visitBody } from './support.js';

const counts = async (app: Awaited<ReturnType<typeof buildTestApp>>) => ({
  visits: await app.models.Visit.countDocuments(),
  registrations: await app.models.VisitRegistration.countDocuments(),
  outcomes: await app.models.VisitOutcome.countDocuments(),
  followUps: await app.models.FollowUp.countDocuments(),
});

t.test('visits', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const w = await eventWorld(app, { vendors: 3, buyers: 3 });
  const org = w.cookies.organizer;

  t.test('a route with overlapping stops, or too little time between them, is refused naming the stops; nothing is written', async (t) => {
    const before = await counts(app);
    const overlap = visitBody(w);
    overlap.stops[1] = { ...overlap.stops[1], start: '09:40', end: '10:30' };
    const res = await api(app, org, 'POST', '/api/v1/visits', overlap);
    t.equal(res.statusCode, 400, res.body);
    const body = res.json();
    t.match(body.message, /行程安排不可行/);
    t.match(body.message, new RegExp(`第 2 站“${w.vendors[1].name}”.*与第 1 站“${w.vendors[0].name}”.*时间重叠`));
    t.equal(body.details[0].path, 'stops.1.start');

    const tight = visitBody(w);
    tight.stops[1] = { ...tight.stops[1], start: '10:15', end: '11:00', travelMinutes: undefined };
    const res2 = await api(app, org, 'POST', '/api/v1/visits', tight);
    t.equal(res2.statusCode, 400);
    t.match(res2.json().message, /中间只有 15 分钟，不足路程所需的 30 分钟/);
    t.same(await counts(app), before);
  });

  t.test('bad input is a Chinese 4xx and writes nothing', async (t) => {
    const before = await counts(app);
    const cases: Array<[unknown, number]> = [
      [{ ...visitBody(w), kind: 'tour' }, 400],
      [{ ...visitBody(w), title: '' }, 400],
      [{ ...visitBody(w), date: '2027-02-30' }, 400],
      [{ ...visitBody(w), capacity: 0 }, 400],
      [{ ...visitBody(w), stops: [] }, 400],
      [{ ...visitBody(w), stops: [{ ...visitBody(w).stops[0], start: '9点' }] }, 400],
      [{ ...visitBody(w), stops: [{ ...visitBody(w).stops[0], vendorCreditCode: undefined }] }, 400],
      [{ ...visitBody(w), stops: [{ ...visitBody(w).stops[0], vendorCreditCode: undefined, vendor: String(w.draftVendor._id) }] }, 400],
      [{ ...visitBody(w), title: { $gt: '' } }, 400],
      [{ ...visitBody(w), extra: 1 }, 400],
      [[1, 2], 400],
    ];
    for (const [payload, status] of cases) {
      const res = await api(app, org, 'POST', '/api/v1/visits', payload);
      t.equal(res.statusCode, status, JSON.stringify(payload).slice(0, 80));
      t.match(res.json().message, cjk);
    }
    t.same(await counts(app), before);
  });

  t.test('access: only organizers create, approve, check in and record outcomes', async (t) => {
    t.equal((await api(app, w.cookies.buyerUser, 'POST', '/api/v1/visits', visitBody(w))).statusCode, 403);
    t.equal((await api(app, w.cookies.vendorUser, 'POST', '/api/v1/visits', visitBody(w))).statusCode, 403);
    t.equal((await api(app, undefined, 'GET', '/api/v1/visits')).statusCode, 401);
    const draft = await createVisit(app, org, visitBody(w, { title: '筹备中的调研' }));
    t.equal((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${draft}`)).statusCode, 404, 'a draft is not shown to buyers');
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${draft}/registrations`, {})).statusCode, 404);
    const id = await openVisit(app, w, { title: '访问控制用调研' });
    const reg = await api(app, w.cookies.otherBuyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(w.demands[1]._id)] });
    t.equal(reg.statusCode, 201, reg.body);
    const rid = reg.json().registrationId;
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations/${rid}/review`, { decision: 'approve' })).statusCode, 403, 'a buyer cannot approve');
    t.equal((await api(app, w.cookies.otherBuyerUser, 'POST', `/api/v1/visits/${id}/registrations/${rid}/review`, { decision: 'approve' })).statusCode, 403, 'not even its own registration');
    t.equal((await api(app, w.cookies.vendorUser, 'POST', `/api/v1/visits/${id}/registrations`, {})).statusCode, 403, 'a vendor does not register');
    t.equal((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/registrations/${rid}`)).statusCode, 404, "another buyer's registration does not exist for it");
    t.equal((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/registrations`)).json().registrations.length, 0, 'a buyer lists only its own');
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/check-in`, { code: 'AAAA-BBBB-CCCC-DDDD' })).statusCode, 403);
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/stops/0/outcomes`, { registration: rid, outcome: 'visited' })).statusCode, 403);
    t.equal((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/invitees`)).statusCode, 403);
    t.equal((await api(app, w.cookies.draftVendorUser, 'GET', `/api/v1/visits/${id}/invitees`)).statusCode, 403, 'a vendor not hosting the visit');
    t.equal((await api(app, w.cookies.vendorUser, 'GET', `/api/v1/visits/${id}/invitees`)).statusCode, 200, 'a host vendor sees whom to invite');
    const hostList = (await api(app, w.cookies.vendorUser, 'GET', '/api/v1/visits?host=true')).json().visits;
    t.ok(hostList.some((v: { id: string }) => v.id === id), 'the host vendor sees the visits to its company');
    t.notOk((await api(app, w.cookies.draftVendorUser, 'GET', '/api/v1/visits?host=true')).json().visits.length);
  });

  t.test('registration → approval → check-in code → check-in, idempotent; a foreign code is a 404', async (t) => {
    const id = await openVisit(app, w, { title: '签到用调研', capacity: 1 });
    const other = await openVisit(app, w, { title: '另一场调研' });
    // Bad registrations write nothing.
    const before = await counts(app);
    const foreignDemand = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(w.demands[1]._id)] });
    t.equal(foreignDemand.statusCode, 400);
    t.match(foreignDemand.json().message, /本单位/);
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: { $ne: null } })).statusCode, 400);
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { people: 0 })).statusCode, 400);
    t.same(await counts(app), before);

    const reg = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(w.demands[0]._id)], officials: '区经信局 陈科长' });
    t.equal(reg.statusCode, 201, reg.body);
    t.equal(reg.json().status, 'pending');
    const rid = reg.json().registrationId;
    t.equal((await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, {})).statusCode, 409, 'once per organization');
    const pending = (await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/registrations/${rid}`)).json().registration;
    t.equal(pending.checkInCode, undefined, 'no code before approval');
    t.equal((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/registrations/${rid}/itinerary.ics`)).statusCode, 409);

    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${rid}/review`, { decision: 'reject' })).statusCode, 400, 'a rejection needs a reason');
    const approved = await api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${rid}/review`, { decision: 'approve' });
    t.equal(approved.statusCode, 200, approved.body);
    const code: string = approved.json().registration.checkInCode;
    t.match(code, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/, '16 base32 characters: 80 bits');
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${rid}/review`, { decision: 'approve' })).statusCode, 200, 'approving again is harmless');
    t.equal((await app.models.Visit.findById(id).lean())!.approved, 1, 'and takes no second place');
    t.equal((await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/registrations/${rid}`)).json().registration.checkInCode, code, 'the buyer sees its code');

    // Capacity 1: a second organization waits.
    const second = await api(app, w.cookies.otherBuyerUser, 'POST', `/api/v1/visits/${id}/registrations`, {});
    const full = await api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${second.json().registrationId}/review`, { decision: 'approve' });
    t.equal(full.statusCode, 409);
    t.match(full.json().message, /名额已满/);

    // A code of another visit's participant.
    const foreign = await approvedBuyer(app, w, other);
    const first = await api(app, org, 'POST', `/api/v1/visits/${id}/check-in`, { code });
    t.equal(first.statusCode, 200, first.body);
    t.same({ ...first.json(), checkInAt: undefined }, { participant: { id: rid, name: w.orgs[0].name, kind: 'buyer' }, first: true, firstScan: true, checkInAt: undefined, arrived: 1, expected: 1 });
    const again = await api(app, org, 'POST', `/api/v1/visits/${id}/check-in`, { code: code.toLowerCase().replace(/-/g, ' ') });
    t.equal(again.statusCode, 200);
    t.equal(again.json().first, false, 'idempotent: the second check-in is not the first');
    t.equal(again.json().checkInAt, first.json().checkInAt);
    t.equal(again.json().arrived, 1);
    const wrong = await api(app, org, 'POST', `/api/v1/visits/${id}/check-in`, { code: foreign.code });
    t.equal(wrong.statusCode, 404);
    t.match(wrong.json().message, /不属于本次活动/);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/check-in`, { code: 'not a code' })).statusCode, 404);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/check-in`, { code: { $ne: '' } })).statusCode, 400);
    t.equal((await app.models.VisitRegistration.findOne({ visit: other }).lean())!.checkIn, null, 'the foreign participant is not checked in');

    // The itinerary .ics: one entry per stop, with the check-in code.
    const ics = await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}/registrations/${rid}/itinerary.ics`);
    t.equal(ics.statusCode, 200);
    t.match(ics.headers['content-type'], /text\/calendar/);
    t.equal((ics.body.match(/BEGIN:VEVENT/g) ?? []).length, 2);
    t.match(ics.body, /DTSTART:20270408T010000Z/, '09:00 Beijing time');
    t.match(ics.body.replace(/\r\n /g, ''), new RegExp(code));
    t.equal((await api(app, w.cookies.otherBuyerUser, 'GET', `/api/v1/visits/${id}/registrations/${rid}/itinerary.ics`)).statusCode, 404);

    // The 审计日志 names the visit.
    t.match(await app.models.AuditEntry.findOne({ action: 'visit.registration.approve', 'target.id': id }).lean(), { target: { kind: 'visit', id, label: '签到用调研' } });
    t.ok(await app.models.AuditEntry.exists({ action: 'visit.check-in', 'target.id': id }));
  });

  t.test('outcomes per stop move the follow-ups; a signing is kept once and counts in 统计报表', async (t) => {
    const id = await openVisit(app, w, { title: '成果用调研' });
    const { rid, demand } = await approvedBuyer(app, w, id);
    const v0 = String(w.vendors[0]._id);
    const v1 = String(w.vendors[1]._id);
    const before = await counts(app);
    // Bad outcomes write nothing.
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/5/outcomes`, { registration: rid, outcome: 'visited' })).statusCode, 404);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/0/outcomes`, { registration: rid, outcome: 'visited', amountYuan: 5 })).statusCode, 400);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/0/outcomes`, { registration: rid, outcome: 'won' })).statusCode, 400);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/abc/outcomes`, { registration: rid, outcome: 'visited' })).statusCode, 400);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/0/outcomes`, { registration: String(w.demands[0]._id), outcome: 'visited' })).statusCode, 404);
    t.same(await counts(app), before);

    const visited = await api(app, org, 'POST', `/api/v1/visits/${id}/stops/0/outcomes`, { registration: rid, outcome: 'visited' });
    t.equal(visited.statusCode, 200, visited.body);
    t.equal((await app.models.FollowUp.findOne({ demand, vendor: v0 }).lean())!.status, 'contacted', 'visited → 已联系');

    const signed = await api(app, org, 'POST', `/api/v1/visits/${id}/stops/1/outcomes`, { registration: rid, outcome: 'signed', amountYuan: '1,200,000', note: '现场签约' });
    t.equal(signed.statusCode, 200, signed.body);
    t.equal(signed.json().outcome.amountYuan, 1200000, 'the amount is read from the follow-up');
    const fu = (await app.models.FollowUp.findOne({ demand, vendor: v1 }).lean())!;
    t.equal(fu.status, 'signed');
    t.equal(fu.amountYuan, 1200000);
    t.equal(fu.steps.filter((s) => s.status === 'signed').length, 1);
    t.equal(fu.steps[0].source, 'visit');
    t.equal(String(fu.steps[0].visit), id);
    t.equal((await app.models.VisitOutcome.findOne({ visit: id, stop: 1 }).lean() as Record<string, unknown>).amountYuan, undefined, 'no amount kept on the outcome');
    t.equal((await app.models.Demand.findById(demand).lean())!.status, 'in_progress', 'a signing puts the demand in 对接中');

    // Recording the same signing again changes nothing; a different amount or a step back is refused.
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/1/outcomes`, { registration: rid, outcome: 'signed' })).statusCode, 200);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/1/outcomes`, { registration: rid, outcome: 'signed', amountYuan: 5 })).statusCode, 409);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/stops/1/outcomes`, { registration: rid, outcome: 'intent' })).statusCode, 409);
    t.equal((await app.models.FollowUp.findOne({ demand, vendor: v1 }).lean())!.steps.length, 1, 'still one step, one signing');

    // The same pair on another visit: signed already, so refused naming the signing.
    const other = await openVisit(app, w, { title: '第二次调研' });
    const second = await approvedBuyer(app, w, other);
    const twice = await api(app, org, 'POST', `/api/v1/visits/${other}/stops/1/outcomes`, { registration: second.rid, outcome: 'signed', amountYuan: 99 });
    t.equal(twice.statusCode, 409);
    t.match(twice.json().message, /已于 .* 签约，金额 1,200,000 元（调研考察登记）/);
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${other}/stops/1/outcomes`, { registration: second.rid, outcome: 'intent' })).statusCode, 200, 'an intent behind the signing is recorded on the visit only');
    t.equal((await app.models.FollowUp.findOne({ demand, vendor: v1 }).lean())!.steps.length, 1);

    const list = (await api(app, org, 'GET', `/api/v1/visits/${id}/outcomes`)).json().outcomes;
    t.same(list.map((o: { stop: number; outcome: string; amountYuan?: number }) => [o.stop, o.outcome, o.amountYuan]), [[0, 'visited', undefined], [1, 'signed', 1200000]]);

    // 统计报表: the visit's row, and the follow-up funnel counts the signing once.
    await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'confirmed' });
    await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'finished' });
    const report = await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-04-01&to=2027-04-30');
    t.equal(report.statusCode, 200, report.body);
    const section = report.json().sections.find((s: { id: string }) => s.id === 'visits');
    t.ok(section, 'a section of its own');
    t.equal(section.title, '企业调研与现场考察');
    const row = section.tables[0].rows.find((r: unknown[]) => r[0] === '成果用调研');
    // 活动, 类型, 日期, 阶段, 站点, 参加单位, 人数, 到场单位, 未到场单位, 退出单位, 考察记录, 有意向, 已签约, 签约金额
    t.same(row, ['成果用调研', '企业调研', '2027-04-08', '已结束', 2, 1, 2, 0, 0, 0, 2, 1, 1, 1200000]);
    const secondRow = section.tables[0].rows.find((r: unknown[]) => r[0] === '第二次调研');
    t.same(secondRow.slice(10), [1, 1, 0, 0], 'the second visit has an intent and no signing');
    const total = section.tables[0].rows.at(-1);
    t.equal(total[12], 1, 'one signing in all');
    t.equal(total[13], 1200000);
    const outside = (await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-05-01&to=2027-05-31')).json();
    t.same(outside.sections.find((s: { id: string }) => s.id === 'visits').tables[0].rows.slice(0, -1), [], 'outside the period: not counted');
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const funnel = (await api(app, org, 'GET', `/api/v1/reports/overview?from=${today}&to=${today}`)).json().sections.find((s: { id: string }) => s.id === 'funnel').tables[0];
    t.equal(funnel.rows[3][1], 1, 'the funnel counts one signing');
  });

  t.test('suggestions: a buyer sees visits that fit its demands; organizers see whom to invite', async (t) => {
    const id = await openVisit(app, w, { title: '推荐用调研' });
    const s = await api(app, w.cookies.buyerUser, 'GET', '/api/v1/visits/suggestions');
    t.equal(s.statusCode, 200, s.body);
    t.ok(Array.isArray(s.json().suggestions));
    for (const x of s.json().suggestions) t.ok(x.reasons.every((r: { text: string }) => cjk.test(r.text)));
    t.equal((await api(app, org, 'GET', '/api/v1/visits/suggestions')).statusCode, 403);
    const inv = await api(app, org, 'GET', `/api/v1/visits/${id}/invitees`);
    t.equal(inv.statusCode, 200, inv.body);
    t.ok(Array.isArray(inv.json().invitees));
  });
});

t.test('suggestions come from the matching engine with its reasons: visits for a buyer, buyers to invite for a visit', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  await seedSampleIndex(app);
  const demand = (await app.models.Demand.findOne({ title: '公共视频监控前端设备更新（第一批1000路）' }).lean())!;
  await app.models.Demand.updateOne({ _id: demand._id }, { $set: { status: 'open' } });
  const matches = await app.matching.matchDemand(demand, { limit: 100 });
  t.ok(matches.length >= 1, 'the sample data has camera makers');
  const elevator = (await app.models.Vendor.findOne({ creditCode: '91330108MA2GXJ138R' }).lean())!; // elevators
  const organizer = await createUser(app, 'organizer');
  const org = await login(app, organizer.email, organizer.password);
  const buyer = await createUser(app, 'buyer', { buyerOrg: demand.buyerOrg });
  const buyerCookie = await login(app, buyer.email, buyer.password);
  const res = await api(app, org, 'POST', '/api/v1/visits', {
    kind: 'survey', title: '视频监控企业调研', date: '2027-06-01', field: 'security', capacity: 10,
    stops: [
      { vendorCreditCode: elevator.creditCode, address: '滨江区 1 号', start: '09:00', end: '10:00' },
      { vendorCreditCode: matches[0].vendor.creditCode, address: '滨江区 2 号', start: '10:30', end: '11:30' },
    ],
  });
  t.equal(res.statusCode, 201, res.body);
  const id = res.json().id;
  t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'registration' })).statusCode, 200);

  const s = await api(app, buyerCookie, 'GET', '/api/v1/visits/suggestions');
  t.equal(s.statusCode, 200, s.body);
  const mine = s.json().suggestions.find((x: { visit: { id: string } }) => x.visit.id === id);
  t.ok(mine, 'the visit to a camera maker is suggested to the buyer of camera demands');
  t.equal(mine.vendor.id, matches[0].vendor.id);
  t.ok(mine.reasons.length > 0 && mine.reasons.every((r: { text: string }) => cjk.test(r.text)), 'with the reasons in Chinese');

  const inv = await api(app, org, 'GET', `/api/v1/visits/${id}/invitees`);
  t.equal(inv.statusCode, 200, inv.body);
  const invited = inv.json().invitees.find((x: { buyerOrg: { id: string } }) => x.buyerOrg.id === String(demand.buyerOrg));
  t.ok(invited, 'the buyer with a matching demand is suggested for invitation');
  t.equal(invited.vendor.id, matches[0].vendor.id, 'because of the camera maker, not the elevator maker');
  t.ok(invited.reasons.every((r: { text: string }) => cjk.test(r.text)));

  // Once registered, it is no longer suggested for invitation.
  t.equal((await api(app, buyerCookie, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(demand._id)] })).statusCode, 201);
  const after = (await api(app, org, 'GET', `/api/v1/visits/${id}/invitees`)).json().invitees;
  t.notOk(after.some((x: { buyerOrg: { id: string } }) => x.buyerOrg.id === String(demand.buyerOrg)));
});
