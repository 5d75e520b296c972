/**
 * The audit trail (trust issue, point 10): logins, tokens, passwords, account changes, reviews and event
 * publishing are recorded with who, when, from where and what; admins read it at /admin/audit (filters,
 * pages, China time, .xlsx) and GET /api/v1/audit; nothing can change or delete it.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp, cookiesOf, createUser, csrfFrom, login } from '../helper.js';
import { approvedVendor, postForm, productDoc } from '../suppliers/pages-support.js';
import { api, createEvent, eventWorld, registerAll, wish } from '../events/support.js';

const cjk = /[\u4e00-\u9fff]/;
const UA = 'Mozilla/5.0 (审计测试)';

t.test('account events: logins (success and failure), tokens, passwords, disabling — who, when, from where, what', async (t) => {
  const app = await buildTestApp(t, { TRUST_PROXY: '1' }, { background: false });
  const { AuditEntry } = app.models;
  const admin = await createUser(app, 'admin');
  const user = await createUser(app, 'organizer');
  const from = (ip: string) => ({ 'x-forwarded-for': ip, 'user-agent': UA });

  const fail = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: from('203.0.113.9'), payload: { email: 'Nobody@Test.cn', password: 'guess-1234' } });
  t.equal(fail.statusCode, 401);
  const failed = await AuditEntry.findOne({ action: 'auth.login.fail' }).lean();
  t.match(failed, { email: 'nobody@test.cn', ip: '203.0.113.9', userAgent: UA, description: cjk }, 'a failed login: the email typed, the address, the browser');
  t.notOk(failed?.actor?.id, 'no user for a failed login');
  t.notMatch(JSON.stringify(failed), 'guess-1234', 'never the password');

  const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: from('203.0.113.10'), payload: { email: user.email, password: user.password } });
  const cookie = cookiesOf(ok);
  const success = await AuditEntry.findOne({ action: 'auth.login' }).lean();
  t.match(success, { actor: { id: user.id, email: user.email, role: 'organizer' }, ip: '203.0.113.10', userAgent: UA });
  t.ok(success!.at.getTime() <= Date.now() && success!.at.getTime() > Date.now() - 60_000, 'when');

  const page = await app.inject({ method: 'GET', url: '/login', headers: from('203.0.113.11') });
  await app.inject({
    method: 'POST', url: '/login', headers: { ...from('203.0.113.11'), cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: user.email, password: user.password, _csrf: csrfFrom(page.body) }).toString(),
  });
  t.equal(await AuditEntry.countDocuments({ action: 'auth.login', ip: '203.0.113.11' }), 1, 'the /login page form is recorded too');

  const created = (await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: { name: '数据同步' } })).json();
  t.match(await AuditEntry.findOne({ action: 'token.create' }).lean(), { actor: { id: user.id }, target: { kind: 'token', id: created.id, label: '数据同步' } });
  await app.inject({ method: 'DELETE', url: `/api/v1/auth/tokens/${created.id}`, headers: { cookie } });
  t.match(await AuditEntry.findOne({ action: 'token.revoke' }).lean(), { target: { kind: 'token', id: created.id, label: '数据同步' } });
  const missing = await app.inject({ method: 'DELETE', url: `/api/v1/auth/tokens/${created.id}`, headers: { cookie } });
  t.equal(missing.statusCode, 404);
  t.equal(await AuditEntry.countDocuments({ action: 'token.revoke' }), 1, 'a refused call is not recorded');

  await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: { currentPassword: 'wrong-123', newPassword: 'changed-2026' } });
  t.equal(await AuditEntry.countDocuments({ action: 'password.change' }), 0, 'a wrong current password changes nothing and records nothing');
  await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: { currentPassword: user.password, newPassword: 'changed-2026' } });
  t.match(await AuditEntry.findOne({ action: 'password.change' }).lean(), { actor: { id: user.id }, target: { kind: 'user', id: user.id } });

  const adminCookie = await login(app, admin.email, admin.password);
  await app.inject({ method: 'POST', url: `/api/v1/users/${user.id}/password`, headers: { cookie: adminCookie }, payload: { password: 'reset-pass-1' } });
  t.match(await AuditEntry.findOne({ action: 'password.reset' }).lean(), { actor: { id: admin.id, role: 'admin' }, target: { kind: 'user', id: user.id, label: user.email } });
  await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: { cookie: adminCookie }, payload: { disabled: true } });
  t.match(await AuditEntry.findOne({ action: 'user.disable' }).lean(), { target: { id: user.id, label: user.email }, description: '停用账号' });

  // The page forms of /admin/users: a refusal (disabling oneself) is flashed, not recorded.
  const usersPage = await app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: adminCookie } });
  const post = (url: string, fields: Record<string, string> = {}) => app.inject({
    method: 'POST', url, headers: { cookie: adminCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...fields, _csrf: csrfFrom(usersPage.body) }).toString(),
  });
  t.equal((await post(`/admin/users/${admin.id}/disable`)).statusCode, 303);
  t.equal(await AuditEntry.countDocuments({ action: 'user.disable', 'target.id': admin.id }), 0, 'a refused page action (flashed error) is not recorded');
  t.equal((await post(`/admin/users/${user.id}/enable`)).statusCode, 303);
  t.equal(await AuditEntry.countDocuments({ action: 'user.enable', 'target.id': user.id }), 1);
  await post(`/admin/users/${user.id}/password`, { password: 'short' });
  t.equal(await AuditEntry.countDocuments({ action: 'password.reset' }), 1, 'an invalid reset on the page is not recorded');
});

t.test('reviews: approvals, rejections, suspensions and publications through the API and the organizer pages', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { AuditEntry, Vendor, Product } = app.models;
  const organizer = await createUser(app, 'organizer', { name: '审核员甲' });
  const cookie = await login(app, organizer.email, organizer.password);
  const a = await Vendor.create({ ...approvedVendor('甲安防科技有限公司', 101), status: 'submitted' });
  const b = await Vendor.create({ ...approvedVendor('乙环保设备有限公司', 102), status: 'submitted' });
  const c = await Vendor.create(approvedVendor('丙医疗器械有限公司', 103));
  const product = await Product.create(productDoc(c, '网络摄像机', 'IPC-200', { status: 'submitted' }));

  t.equal((await app.inject({ method: 'POST', url: `/api/v1/vendors/${a._id}/approve`, headers: { cookie }, payload: {} })).statusCode, 200);
  t.match(await AuditEntry.findOne({ action: 'vendor.approve' }).lean(), { actor: { name: '审核员甲', role: 'organizer' }, target: { kind: 'vendor', id: String(a._id), label: '甲安防科技有限公司' } });
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/vendors/${a._id}/approve`, headers: { cookie }, payload: {} })).statusCode, 409);
  t.equal(await AuditEntry.countDocuments({ action: 'vendor.approve' }), 1, 'a conflict is not recorded');

  // Page forms: a missing reason re-renders (400), nothing recorded; then the real rejection with its reason.
  t.equal((await postForm(app, `/organizer/vendors/${b._id}/reject`, cookie, { reason: ' ' })).statusCode, 400);
  t.equal(await AuditEntry.countDocuments({ action: 'vendor.reject' }), 0);
  t.equal((await postForm(app, `/organizer/vendors/${b._id}/reject`, cookie, { reason: '营业执照照片不清晰' })).statusCode, 303);
  t.match(await AuditEntry.findOne({ action: 'vendor.reject' }).lean(), { target: { label: '乙环保设备有限公司' }, description: '退回企业，原因：营业执照照片不清晰' });
  // Approving the rejected vendor fails (flash error + redirect, like a success): not recorded.
  t.equal((await postForm(app, `/organizer/vendors/${b._id}/approve`, cookie)).statusCode, 303);
  t.equal(await AuditEntry.countDocuments({ action: 'vendor.approve', 'target.id': String(b._id) }), 0, 'a refused page action is not recorded');

  t.equal((await postForm(app, `/organizer/vendors/${c._id}/suspend`, cookie, { reason: '资质证书过期' })).statusCode, 303);
  t.equal(await AuditEntry.countDocuments({ action: 'vendor.suspend', 'target.id': String(c._id) }), 1);
  await app.inject({ method: 'POST', url: `/api/v1/vendors/${c._id}/approve`, headers: { cookie }, payload: {} });
  t.equal((await postForm(app, `/organizer/products/${product._id}/publish`, cookie)).statusCode, 303);
  t.match(await AuditEntry.findOne({ action: 'product.publish' }).lean(), { target: { kind: 'product', id: String(product._id), label: '网络摄像机 IPC-200' } });
});

t.test('events: publishing the schedule and reviewing registrations are recorded', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { AuditEntry } = app.models;
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const org = w.cookies.organizer;
  const id = await createEvent(app, org);
  const { vendorIds, buyerIds } = await registerAll(app, org, id, w);
  for (const to of ['registration', 'preferences']) t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to })).statusCode, 200);
  await wish(app, org, id, buyerIds[0], vendorIds[0], 'must');
  const early = await postForm(app, `/organizer/events/${id}/phase`, org, { to: 'published' });
  t.equal(early.statusCode, 409, 'publishing before scheduling is refused on the page');
  t.equal(await AuditEntry.countDocuments({ action: 'event.publish' }), 0, 'and not recorded');
  for (const to of ['scheduling']) t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/phase`, { to })).statusCode, 200);
  t.equal((await api(app, org, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 200);
  t.equal(await AuditEntry.countDocuments({ action: 'event.phase' }), 3);
  const review = await api(app, org, 'POST', `/api/v1/events/${id}/participants/${vendorIds[1]}/review`, { decision: 'reject', reason: '不在本次专场范围' });
  t.equal(review.statusCode, 200);
  t.match(await AuditEntry.findOne({ action: 'event.participant.reject' }).lean(), { target: { kind: 'event', id }, description: `参会报名不通过，原因：不在本次专场范围（报名编号 ${vendorIds[1]}）` });
  t.match(await AuditEntry.findOne({ action: 'event.phase' }).sort({ at: -1, _id: -1 }).lean(), { target: { kind: 'event', id, label: '滨江区安防产业供需对接会' }, description: '对接会进入“排期中”阶段' });
  const publish = await postForm(app, `/organizer/events/${id}/phase`, org, { to: 'published' });
  t.equal(publish.statusCode, 303);
  t.match(await AuditEntry.findOne({ action: 'event.publish' }).lean(), { target: { id }, description: '对接会进入“日程已发布”阶段' });
  const again = await postForm(app, `/organizer/events/${id}/phase`, org, { to: 'scheduling' });
  t.equal(again.statusCode, 409, 'going back after publishing is refused on the page');
  t.equal(await AuditEntry.countDocuments({ action: { $in: ['event.phase', 'event.publish'] } }), 4, 'and not recorded');
});

t.test('/admin/audit: filters, pages, Chinese labels, China time, .xlsx of the filtered list; GET /api/v1/audit', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { AuditEntry } = app.models;
  const admin = await createUser(app, 'admin', { name: '管理员张' });
  const organizer = await createUser(app, 'organizer');
  const adminCookie = await login(app, admin.email, admin.password);
  const orgCookie = await login(app, organizer.email, organizer.password);
  // 60 failed logins of one address spread over two days (China time), to page through.
  const base = Date.parse('2026-03-01T23:30:00+08:00');
  await AuditEntry.insertMany(Array.from({ length: 60 }, (_, i) => ({
    at: new Date(base + i * 60_000), action: 'auth.login.fail', email: i % 2 ? 'mallory@test.cn' : 'eve@test.cn', ip: '198.51.100.1', description: '电子邮箱或密码不正确',
  })));

  t.equal((await app.inject({ method: 'GET', url: '/admin/audit', headers: { cookie: orgCookie } })).statusCode, 403, 'admins only');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/audit', headers: { cookie: orgCookie } })).statusCode, 403);

  const all = await app.inject({ method: 'GET', url: '/admin/audit?action=auth.login.fail', headers: { cookie: adminCookie } });
  t.equal(all.statusCode, 200);
  t.match(all.body, '共 60 条记录');
  t.match(all.body, '登录失败', 'Chinese action label');
  t.match(all.body, '第 1 / 2 页');
  t.match(all.body, '2026-03-02 00:29', 'times in China time');
  t.match(all.body, /href="\/admin\/audit\/export\.xlsx\?action(=|&#x3D;)auth\.login\.fail"/);
  t.match(all.body, '审计日志', 'the navigation has the link');
  const second = await app.inject({ method: 'GET', url: '/admin/audit?action=auth.login.fail&page=2', headers: { cookie: adminCookie } });
  t.match(second.body, '第 2 / 2 页');
  t.match(second.body, '2026-03-01 23:30', 'the oldest entry on the last page');

  const byDay = await app.inject({ method: 'GET', url: '/admin/audit?action=auth.login.fail&from=2026-03-02&to=2026-03-02&user=MALLORY', headers: { cookie: adminCookie } });
  t.match(byDay.body, '共 15 条记录', 'one China day (00:00–00:59 on 2 March), one user, case-insensitive');
  t.notMatch(byDay.body, 'eve@test.cn');

  const bad = await app.inject({ method: 'GET', url: '/admin/audit?from=2026-02-30&to=x', headers: { cookie: adminCookie } });
  t.equal(bad.statusCode, 400, 'a bad filter is a Chinese 400, not a 500');
  t.match(bad.body, '不是有效日期');

  const xlsx = await app.inject({ method: 'GET', url: '/admin/audit/export.xlsx?action=auth.login.fail&user=mallory', headers: { cookie: adminCookie } });
  t.equal(xlsx.statusCode, 200);
  t.match(xlsx.headers['content-disposition'], /attachment/);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = book.getWorksheet('审计日志')!;
  t.equal(sheet.getRow(1).getCell(1).value, '时间（北京时间）');
  t.equal(sheet.rowCount - 1, 30, 'every filtered entry, not just one page');
  t.equal(sheet.getRow(2).getCell(2).value, '登录失败');
  t.equal(sheet.getRow(2).getCell(1).value, '2026-03-02 00:29');
  t.match(String(sheet.getRow(2).getCell(4).value), 'mallory@test.cn');

  const json = await app.inject({ method: 'GET', url: '/api/v1/audit?action=auth.login.fail&user=eve&page=1', headers: { cookie: adminCookie } });
  t.equal(json.statusCode, 200);
  t.match(json.json(), { total: 30, page: 1, pageSize: 50 });
  t.match(json.json().entries[0], { action: 'auth.login.fail', actionLabel: '登录失败', email: 'eve@test.cn', ip: '198.51.100.1', actor: null });
  const badJson = await app.inject({ method: 'GET', url: '/api/v1/audit?action=drop.table', headers: { cookie: adminCookie } });
  t.equal(badJson.statusCode, 400);
  t.match(badJson.json().message, cjk);
  const docs = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  t.ok(docs.paths['/api/v1/audit']?.get, 'GET /api/v1/audit is in the OpenAPI document');
  t.ok(docs.paths['/api/v1/audit'].get.parameters.some((p: { name: string }) => p.name === 'action'), 'with its filters');
});

t.test('nothing in the trail can be changed or deleted through the platform', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { AuditEntry } = app.models;
  const routes = app.routeTable.filter((r) => /audit/.test(r.url));
  t.ok(routes.length >= 3);
  t.same([...new Set(routes.map((r) => r.method))], ['GET'], 'the audit routes only read');
  await app.audit.record({ action: 'auth.login.fail', email: 'x@test.cn' });
  const entry = await AuditEntry.findOne().lean();
  await t.rejects(AuditEntry.updateOne({ _id: entry!._id }, { $set: { email: 'y@test.cn' } }), /只能追加/);
  await t.rejects(AuditEntry.findOneAndUpdate({}, { $set: { action: 'auth.login' } }), /只能追加/);
  await t.rejects(AuditEntry.deleteMany({}), /只能追加/);
  await t.rejects(AuditEntry.findOneAndDelete({}), /只能追加/);
  const doc = await AuditEntry.findOne();
  doc!.set('description', 'changed');
  await t.rejects(doc!.save(), /只能追加/);
  await t.rejects(doc!.deleteOne(), /只能追加/);
  t.same(await AuditEntry.findById(entry!._id).lean(), entry, 'the entry is as it was written');
});
