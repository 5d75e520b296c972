/** Logging in and out, sessions, API tokens, password changes, disabling, rate limits and CSRF. */
import t from 'tap';
import { buildTestApp, cookiesOf, createUser, csrfFrom, login } from '../helper.js';

const cjk = /[\u4e00-\u9fff]/;

t.test('API login: right password gives a session; wrong password and unknown email get the same 401', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'organizer');
  const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email.toUpperCase(), password: user.password } });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().user.role, 'organizer');
  const cookie = cookiesOf(ok);
  const session = ok.cookies.find((c) => c.name === 'gx.sid');
  t.ok(session?.httpOnly, 'session cookie is httpOnly');
  t.equal(String(session?.sameSite).toLowerCase(), 'lax');
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } });
  t.equal(me.json().user.email, user.email);
  t.equal(await app.models.Session.countDocuments({ userId: user.id }), 1, 'the session lives in MongoDB');

  const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'nope-12345' } });
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@test.cn', password: 'nope-12345' } });
  t.equal(wrong.statusCode, 401);
  t.equal(unknown.statusCode, 401);
  t.same(wrong.json(), unknown.json(), 'the answer does not reveal whether the account exists');
  t.match(wrong.json().message, cjk);

  const bad = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 5, password: { $gt: '' } } });
  t.equal(bad.statusCode, 400, 'operator-shaped input is a validation error, not a query');
  t.ok(Array.isArray(bad.json().details) && bad.json().details.length > 0);

  const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'content-type': 'application/json' }, payload: '{}' });
  t.equal(out.statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 401, 'logged out');
  t.equal(await app.models.Session.countDocuments({ userId: user.id }), 0);
});

t.test('API tokens work on the API with the user role, are stored hashed, and stop working when revoked', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'admin');
  const cookie = await login(app, user.email, user.password);
  const created = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: { name: '对接脚本' } });
  t.equal(created.statusCode, 201);
  const { id, token } = created.json();
  t.ok(token.length >= 32);
  const stored = await app.models.ApiToken.findById(id).lean();
  t.not(stored?.tokenHash, token, 'the token itself is not stored');
  t.notMatch(JSON.stringify(stored), token);

  const bearer = { authorization: `Bearer ${token}` };
  const users = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer });
  t.equal(users.statusCode, 200, 'an admin token reaches admin endpoints');
  const listed = await app.inject({ method: 'GET', url: '/api/v1/auth/tokens', headers: { cookie } });
  t.equal(listed.json().tokens[0].name, '对接脚本');

  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/auth/tokens/${id}`, headers: { cookie } })).statusCode, 204);
  const after = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer });
  t.equal(after.statusCode, 401);
  t.match(after.json().message, cjk);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: 'Bearer made-up' } })).statusCode, 401);
});

t.test('changing the password ends the other sessions and keeps this one', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'buyer');
  const here = await login(app, user.email, user.password);
  const elsewhere = await login(app, user.email, user.password);
  const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: here }, payload: { currentPassword: 'wrong-123', newPassword: 'newpass-2026' } });
  t.equal(wrong.statusCode, 400);
  const weak = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: here }, payload: { currentPassword: user.password, newPassword: 'short' } });
  t.equal(weak.statusCode, 400);
  t.match(weak.json().details[0], { path: 'newPassword', message: cjk });
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: here }, payload: { currentPassword: user.password, newPassword: 'newpass-2026' } });
  t.equal(res.statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: here } })).statusCode, 200, 'this session stays');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: elsewhere } })).statusCode, 401, 'the other session ended');
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } })).statusCode, 401, 'old password no longer works');
  await login(app, user.email, 'newpass-2026');
});

t.test('an admin disables a user: their sessions and tokens stop at once, and they cannot log in', async (t) => {
  const app = await buildTestApp(t);
  const admin = await createUser(app, 'admin');
  const vendorUser = await createUser(app, 'organizer');
  const adminCookie = await login(app, admin.email, admin.password);
  const cookie = await login(app, vendorUser.email, vendorUser.password);
  const { token } = (await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: {} })).json();

  const self = await app.inject({ method: 'PATCH', url: `/api/v1/users/${admin.id}`, headers: { cookie: adminCookie }, payload: { disabled: true } });
  t.equal(self.statusCode, 400, 'an admin cannot lock themselves out');

  const res = await app.inject({ method: 'PATCH', url: `/api/v1/users/${vendorUser.id}`, headers: { cookie: adminCookie }, payload: { disabled: true } });
  t.equal(res.statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: vendorUser.email, password: vendorUser.password } })).statusCode, 401);

  await app.inject({ method: 'PATCH', url: `/api/v1/users/${vendorUser.id}`, headers: { cookie: adminCookie }, payload: { disabled: false } });
  const reset = await app.inject({ method: 'POST', url: `/api/v1/users/${vendorUser.id}/password`, headers: { cookie: adminCookie }, payload: { password: 'reset-pass-1' } });
  t.equal(reset.statusCode, 204);
  await login(app, vendorUser.email, 'reset-pass-1');
});

t.test('admin creates users over the API; a vendor user needs its company and duplicates are refused', async (t) => {
  const app = await buildTestApp(t);
  const admin = await createUser(app, 'admin');
  const cookie = await login(app, admin.email, admin.password);
  const make = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie }, payload });
  const created = await make({ email: 'new.org@test.cn', name: '新主办', password: 'abcdefg12', role: 'organizer' });
  t.equal(created.statusCode, 201);
  const dup = await make({ email: 'NEW.ORG@test.cn', name: '重复', password: 'abcdefg12', role: 'organizer' });
  t.equal(dup.statusCode, 409);
  t.match(dup.json().message, cjk);
  const orphan = await make({ email: 'v@test.cn', name: '供应商', password: 'abcdefg12', role: 'vendor' });
  t.equal(orphan.statusCode, 400, 'a vendor user must name its company');
  t.equal(await app.models.User.countDocuments({ email: 'v@test.cn' }), 0, 'nothing half-written');
});

t.test('login is rate-limited per client, with a Chinese 429', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '3' });
  const attempt = () => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'x@test.cn', password: 'guess-123' } });
  for (let i = 0; i < 3; i++) t.equal((await attempt()).statusCode, 401);
  const limited = await attempt();
  t.equal(limited.statusCode, 429);
  t.match(limited.json(), { error: String, message: cjk });
  t.ok(Number(limited.headers['retry-after']) > 0, 'says when to try again');
  t.ok(await app.models.RateLimit.countDocuments() > 0, 'the counter lives in MongoDB, shared by every instance');
});

t.test('pages: login form, CSRF on every form post, cookie-authenticated API writes must be JSON', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'organizer');
  const loginPage = await app.inject({ method: 'GET', url: '/login?next=/account' });
  const guestCookie = cookiesOf(loginPage);
  const csrf = csrfFrom(loginPage.body);
  const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
  const formHeaders = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' });

  const noToken = await app.inject({ method: 'POST', url: '/login', headers: formHeaders(guestCookie), payload: form({ email: user.email, password: user.password }) });
  t.equal(noToken.statusCode, 403, 'a form post without its CSRF token is refused');
  t.match(noToken.body, cjk);
  t.notOk(noToken.headers.location);

  const wrong = await app.inject({ method: 'POST', url: '/login', headers: formHeaders(guestCookie), payload: form({ email: user.email, password: 'bad-pass-1', _csrf: csrf }) });
  t.equal(wrong.statusCode, 401);
  t.match(wrong.body, '电子邮箱或密码不正确');
  t.match(wrong.body, `value="${user.email}"`, 'the email stays filled in');

  const ok = await app.inject({ method: 'POST', url: '/login', headers: formHeaders(guestCookie), payload: form({ email: user.email, password: user.password, next: '/account', _csrf: csrf }) });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/account');
  const cookie = cookiesOf(ok);
  t.not(cookie, guestCookie, 'a new session id after login');
  const secondPage = await app.inject({ method: 'GET', url: '/login' });
  const offsite = await app.inject({ method: 'POST', url: '/login', headers: formHeaders(cookiesOf(secondPage)), payload: form({ email: user.email, password: user.password, next: '//evil.example', _csrf: csrfFrom(secondPage.body) }) });
  t.equal(offsite.headers.location, '/', 'never redirected to another host');

  const account = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  t.equal(account.statusCode, 200);
  t.match(account.body, '欢迎', 'flash message shown once');
  const again = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  t.notMatch(again.body, '欢迎，');

  const crossSite = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: formHeaders(cookie), payload: form({ name: 'x' }) });
  t.equal(crossSite.statusCode, 403, 'a form-encoded API write riding on the cookie is refused');
  t.equal(await app.models.ApiToken.countDocuments(), 0);

  const badPassword = await app.inject({ method: 'POST', url: '/account/password', headers: formHeaders(cookie), payload: form({ currentPassword: user.password, newPassword: 'short', _csrf: csrfFrom(account.body) }) });
  t.equal(badPassword.statusCode, 400);
  t.match(badPassword.body, '密码至少 8 位', 'inline form error');

  const out = await app.inject({ method: 'POST', url: '/logout', headers: formHeaders(cookie), payload: form({ _csrf: csrfFrom(account.body) }) });
  t.equal(out.statusCode, 303);
  t.match((await app.inject({ method: 'GET', url: '/account', headers: { cookie } })).headers.location, /^\/login/);
});

t.test('a session slides: reading pages does not rewrite it, but after ten minutes its twelve hours start again', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'organizer');
  const cookie = cookiesOf(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } }));
  const stored = async () => (await app.models.Session.findOne({ userId: user.id }).lean())!;
  const first = await stored();
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 200);
  t.same((await stored()).expiresAt, first.expiresAt, 'requests within ten minutes leave the stored session alone');

  // The session as it would be eleven minutes after its last renewal.
  const aged = new Date(first.expiresAt.getTime() - 11 * 60_000);
  const data = first.data as { cookie: { expires: string } };
  await app.models.Session.updateOne({ _id: first._id }, { $set: { expiresAt: aged, 'data.cookie.expires': aged.toISOString() } });
  const before = Date.now();
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } });
  t.equal(res.statusCode, 200, 'still signed in');
  const renewed = await stored();
  t.ok(renewed.expiresAt.getTime() >= before + 12 * 60 * 60_000 - 5000, 'the stored session runs twelve hours from this use');
  const sent = res.cookies.find((c) => c.name === 'gx.sid') as { expires?: Date } | undefined;
  t.ok(sent?.expires && sent.expires.getTime() >= before + 12 * 60 * 60_000 - 5000, 'and the browser is given the new expiry');
  t.ok(data.cookie.expires, 'the session keeps its cookie details');
});
