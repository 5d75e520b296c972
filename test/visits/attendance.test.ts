/**
 * Withdrawing and no-show on real MongoDB, through the API and the pages: a buyer withdraws before the
 * visit and its place goes to another organization; after the visit an organizer marks an approved
 * organization that did not come as no-show (and can clear it). Refusals are Chinese 4xx that change
 * nothing; both leave audit entries, show in the API (and its OpenAPI document) and count in 统计报表.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { getPage, postForm, textOf } from '../suppliers/pages-support.js';
import { api, approvedBuyer, cjk, createVisit, eventWorld, openVisit, visitBody } from './support.js';

t.test('withdraw and no-show', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const org = w.cookies.organizer;
  const id = await openVisit(app, w, { capacity: 1, title: '退出与缺席用调研' });
  const first = await approvedBuyer(app, w, id);
  const reg2 = await api(app, w.cookies.otherBuyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(w.demands[1]._id)] });
  const rid2 = reg2.json().registrationId as string;
  const approve2 = () => api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${rid2}/review`, { decision: 'approve' });
  t.equal((await approve2()).statusCode, 409, 'the one place is taken');
  const withdrawUrl = `/api/v1/visits/${id}/registrations/${first.rid}/withdraw`;
  const approvedCount = async () => (await app.models.Visit.findById(id).lean())!.approved;

  t.test('withdrawing: only its own buyer (or an organizer), before the visit; the place is freed once', async (t) => {
    t.equal((await api(app, w.cookies.otherBuyerUser, 'POST', withdrawUrl, {})).statusCode, 404, 'another buyer\'s registration is not found');
    t.equal((await api(app, w.cookies.vendorUser, 'POST', withdrawUrl, {})).statusCode, 403);
    t.equal((await app.models.VisitRegistration.findById(first.rid).lean())!.status, 'approved', 'unchanged');

    const res = await api(app, w.cookies.buyerUser, 'POST', withdrawUrl, {});
    t.equal(res.statusCode, 200, res.body);
    t.equal(res.json().registration.status, 'withdrawn');
    t.equal(await approvedCount(), 0, 'the place is free');
    const again = await api(app, w.cookies.buyerUser, 'POST', withdrawUrl, {});
    t.equal(again.statusCode, 200, 'withdrawing again answers the registration');
    t.equal(await approvedCount(), 0, 'and frees nothing twice');
    t.equal((await approve2()).statusCode, 200, 'another organization takes the freed place');
    t.equal(await approvedCount(), 1);
    const scan = await api(app, org, 'POST', `/api/v1/visits/${id}/check-in`, { code: first.code });
    t.equal(scan.statusCode, 404, 'a withdrawn registration\'s code no longer checks in');
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${first.rid}/review`, { decision: 'approve' })).statusCode, 409, 'nor is it approved again');
    t.ok(await app.models.AuditEntry.exists({ action: 'visit.registration.withdraw', 'target.id': id }), 'audited');
    const mine = (await api(app, w.cookies.buyerUser, 'GET', `/api/v1/visits/${id}`)).json();
    t.equal(mine.myRegistration.status, 'withdrawn', 'the API shows it');
  });

  t.test('an organization that withdrew may register again: its one registration reopens, waiting for review', async (t) => {
    const page = await app.inject({ method: 'GET', url: `/visits/${id}`, headers: { cookie: w.cookies.buyerUser } });
    t.match(page.body, `action="/visits/${id}/register"`, 'the visit page offers the registration form again');
    const again = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(w.demands[0]._id)], people: 3 });
    t.equal(again.statusCode, 201, again.body);
    t.equal(again.json().registrationId, first.rid, 'the same registration record, not a second one');
    const r = (await app.models.VisitRegistration.findById(first.rid).lean())!;
    t.match(r, { status: 'pending', people: 3 }, 'pending review again, with what was sent now');
    t.equal(await app.models.VisitRegistration.countDocuments({ visit: id, buyerOrg: w.orgs[0]._id }), 1, 'one registration per organization');
    t.equal(await approvedCount(), 1, 'it holds no place until approved');
    const twice = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${id}/registrations`, { demands: [String(w.demands[0]._id)] });
    t.equal(twice.statusCode, 409, 'registering while registered is still refused');
    const out = await api(app, w.cookies.buyerUser, 'POST', withdrawUrl, {});
    t.equal(out.json().registration.status, 'withdrawn', 'and it can withdraw again (for the no-show checks below)');
  });

  t.test('no-show: after the visit, approved organizations that did not check in', async (t) => {
    const markUrl = `/api/v1/visits/${id}/registrations/${rid2}/attendance`;
    const early = await api(app, org, 'POST', markUrl, { state: 'no_show' });
    t.equal(early.statusCode, 409);
    t.match(early.json().message, /活动结束后才能标记未到场/);
    const bad = await api(app, org, 'POST', markUrl, { state: 'absent' });
    t.equal(bad.statusCode, 400);
    t.ok(cjk.test(bad.json().message), 'a Chinese message');
    t.equal((await api(app, w.cookies.otherBuyerUser, 'POST', markUrl, { state: 'no_show' })).statusCode, 403);

    await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'confirmed' });
    await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'finished' });
    t.equal((await api(app, org, 'POST', `/api/v1/visits/${id}/registrations/${first.rid}/attendance`, { state: 'no_show' })).statusCode, 409, 'a withdrawn organization is not marked');
    const late = await api(app, w.cookies.buyerUser, 'POST', withdrawUrl.replace(first.rid, rid2), {});
    t.equal(late.statusCode, 404, 'nor withdrawn by someone else');
    const marked = await api(app, org, 'POST', markUrl, { state: 'no_show' });
    t.equal(marked.statusCode, 200, marked.body);
    t.equal(marked.json().registration.checkIn, 'no_show');
    t.ok(await app.models.AuditEntry.exists({ action: 'visit.attendance', 'target.id': id }), 'audited');
    const outcome = await api(app, org, 'POST', `/api/v1/visits/${id}/stops/0/outcomes`, { registration: rid2, outcome: 'visited' });
    t.equal(outcome.statusCode, 409, 'no outcome for an organization that did not come');
    t.match(outcome.json().message, /已标记为未到场/);
    const withdrawAfter = await api(app, w.cookies.otherBuyerUser, 'POST', `/api/v1/visits/${id}/registrations/${rid2}/withdraw`, {});
    t.equal(withdrawAfter.statusCode, 409, 'too late to withdraw');
    t.match(withdrawAfter.json().message, /已结束，不能再退出/);

    // 统计报表: taking part 1 (the no-show), arrived 0, no-show 1, withdrawn 1.
    const report = (await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-04-01&to=2027-04-30')).json();
    const table = report.sections.find((s: { id: string }) => s.id === 'visits').tables[0];
    t.equal(table.columns[8], '未到场单位');
    t.equal(table.columns[9], '退出单位');
    const row = table.rows.find((r: unknown[]) => r[0] === '退出与缺席用调研');
    t.same(row.slice(5, 10), [1, 1, 0, 1, 1], '参加单位, 人数, 到场单位, 未到场单位, 退出单位');

    t.equal((await api(app, org, 'POST', markUrl, { state: 'clear' })).json().registration.checkIn, null, 'the mark can be cleared');
    await app.models.ReportSnapshot.deleteMany({}); // the report is kept for a minute (src/reports/snapshots.ts)
    const after = (await api(app, org, 'GET', '/api/v1/reports/overview?from=2027-04-01&to=2027-04-30')).json();
    t.same(after.sections.find((s: { id: string }) => s.id === 'visits').tables[0].rows.find((r: unknown[]) => r[0] === '退出与缺席用调研').slice(8, 10), [0, 1]);
  });

  t.test('a visit under way can no longer be withdrawn from', async (t) => {
    const past = await createVisit(app, org, visitBody(w, { date: '2025-03-03', title: '已开始的调研' }));
    await api(app, org, 'POST', `/api/v1/visits/${past}/phase`, { to: 'registration' });
    const reg = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${past}/registrations`, {});
    const res = await api(app, w.cookies.buyerUser, 'POST', `/api/v1/visits/${past}/registrations/${reg.json().registrationId}/withdraw`, {});
    t.equal(res.statusCode, 409);
    t.match(res.json().message, /活动已于 2025-03-03 09:00 开始，不能再退出/);
    t.equal((await app.models.VisitRegistration.findById(reg.json().registrationId).lean())!.status, 'pending', 'unchanged');
  });

  t.test('documented in OpenAPI', async (t) => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    t.ok(doc.paths['/api/v1/visits/{id}/registrations/{rid}/withdraw']?.post, 'withdraw');
    const attendance = doc.paths['/api/v1/visits/{id}/registrations/{rid}/attendance']?.post;
    t.ok(attendance, 'attendance');
    t.match(JSON.stringify(attendance.requestBody), /no_show/);
    t.match(JSON.stringify(doc.paths['/api/v1/visits/{id}/registrations']), /withdrawn/, 'the registration status lists withdrawn');
  });
});

t.test('through the pages', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const org = w.cookies.organizer;
  const id = await openVisit(app, w);
  const first = await approvedBuyer(app, w, id);
  const second = await approvedBuyer(app, w, id, 'otherBuyerUser');

  const page = await getPage(app, `/visits/${id}`, w.cookies.buyerUser);
  t.match(textOf(page.body), /退出本次活动/);
  const done = await postForm(app, `/visits/${id}/registrations/${first.rid}/withdraw`, w.cookies.buyerUser);
  t.equal(done.statusCode, 303, done.body);
  const after = await getPage(app, `/visits/${id}`, w.cookies.buyerUser);
  t.match(textOf(after.body), /状态：\s*已退出/);
  t.notMatch(after.body, /退出本次活动<\/button>/, 'no second withdraw button');
  t.equal((await postForm(app, `/visits/${id}/registrations/${second.rid}/withdraw`, w.cookies.buyerUser)).statusCode, 404, 'not another organization\'s');

  let control = await getPage(app, `/organizer/visits/${id}`, org);
  t.notMatch(textOf(control.body), /标记未到场/, 'not before the visit is over');
  await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'confirmed' });
  await api(app, org, 'POST', `/api/v1/visits/${id}/phase`, { to: 'finished' });
  control = await getPage(app, `/organizer/visits/${id}`, org);
  t.match(textOf(control.body), /标记未到场/);
  const marked = await postForm(app, `/organizer/visits/${id}/registrations/${second.rid}/attendance`, org, { state: 'no_show' });
  t.equal(marked.statusCode, 303, marked.body);
  control = await getPage(app, `/organizer/visits/${id}`, org);
  t.match(textOf(control.body), /已通过 · 未到场/);
  t.match(textOf(control.body), /撤销未到场/);
  const bad = await postForm(app, `/organizer/visits/${id}/registrations/${second.rid}/attendance`, org, { state: 'gone' });
  t.equal(bad.statusCode, 400);
  t.match(textOf(bad.body), /到场情况应为/);
  const buyerView = await getPage(app, `/visits/${id}`, w.cookies.otherBuyerUser);
  t.match(textOf(buyerView.body), /主办方已将本单位标记为未到场/);
});
