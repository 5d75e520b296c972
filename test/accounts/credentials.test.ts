/**
 * Credentials that end when they should (trust issue, point 3): a password change or an admin reset ends
 * the account's sessions and API tokens; tokens expire (default and maximum from the configuration) and
 * show when they were last used, recorded at most once a minute.
 */
import t from 'tap';
import { buildTestApp, createUser, csrfFrom, login } from '../helper.js';

const cjk = /[\u4e00-\u9fff]/;
const DAY = 86_400_000;

/** A clock the test moves by hand. */
function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

async function newToken(app: Awaited<ReturnType<typeof buildTestApp>>, cookie: string, payload: object = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload });
  return res;
}

t.test('changing one\'s password ends the other sessions and every API token of the account', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'organizer');
  const here = await login(app, user.email, user.password);
  const elsewhere = await login(app, user.email, user.password);
  const { token } = (await newToken(app, here, { name: '对接脚本' })).json();
  const bearer = { authorization: `Bearer ${token}` };
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer })).statusCode, 200, 'the token works before');

  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie: here }, payload: { currentPassword: user.password, newPassword: 'changed-2026' } });
  t.equal(res.statusCode, 204);
  const after = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
  t.equal(after.statusCode, 401, 'the token no longer works');
  t.match(after.json().message, cjk);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: elsewhere } })).statusCode, 401, 'the other session ended');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/tokens', headers: { cookie: here } })).json().tokens.length, 0, 'no token is listed as valid');
});

t.test('the password form on /account also ends the tokens', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'vendor');
  const cookie = await login(app, user.email, user.password);
  const { token } = (await newToken(app, cookie)).json();
  const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  const res = await app.inject({
    method: 'POST', url: '/account/password', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ currentPassword: user.password, newPassword: 'changed-2026', _csrf: csrfFrom(page.body) }).toString(),
  });
  t.equal(res.statusCode, 303);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
});

t.test('an admin reset ends every session and every API token of the account', async (t) => {
  const app = await buildTestApp(t);
  const admin = await createUser(app, 'admin');
  const user = await createUser(app, 'buyer');
  const adminCookie = await login(app, admin.email, admin.password);
  const cookie = await login(app, user.email, user.password);
  const { token } = (await newToken(app, cookie)).json();

  const reset = await app.inject({ method: 'POST', url: `/api/v1/users/${user.id}/password`, headers: { cookie: adminCookie }, payload: { password: 'reset-pass-1' } });
  t.equal(reset.statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 401, 'session ended');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401, 'token ended');

  // The same through the page form of /admin/users.
  const cookie2 = await login(app, user.email, 'reset-pass-1');
  const token2 = (await newToken(app, cookie2)).json().token;
  const usersPage = await app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: adminCookie } });
  const viaPage = await app.inject({
    method: 'POST', url: `/admin/users/${user.id}/password`, headers: { cookie: adminCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ password: 'reset-pass-2', _csrf: csrfFrom(usersPage.body) }).toString(),
  });
  t.equal(viaPage.statusCode, 303);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token2}` } })).statusCode, 401, 'token ended by the page reset');
});

t.test('tokens expire: default and maximum lifetime from the configuration, 401 once expired', async (t) => {
  const clock = movableClock();
  const app = await buildTestApp(t, { API_TOKEN_DAYS: '30', API_TOKEN_MAX_DAYS: '60' }, { clock: clock.now });
  const user = await createUser(app, 'organizer');
  const cookie = await login(app, user.email, user.password);

  const created = await newToken(app, cookie, { name: '默认有效期' });
  t.equal(created.statusCode, 201);
  t.type(created.json().token, 'string', 'the docs/api.md shape: 201 {token}');
  const expiresIn = Date.parse(created.json().expiresAt) - clock.now().getTime();
  t.ok(Math.abs(expiresIn - 30 * DAY) < 60_000, `expires after API_TOKEN_DAYS (${expiresIn / DAY} days)`);

  const tooLong = await newToken(app, cookie, { days: 61 });
  t.equal(tooLong.statusCode, 400, 'longer than API_TOKEN_MAX_DAYS is refused');
  t.match(tooLong.json().message, cjk);
  const short = await newToken(app, cookie, { name: '两天', days: 2 });
  t.equal(short.statusCode, 201);
  const shortBearer = { authorization: `Bearer ${short.json().token}` };
  const longBearer = { authorization: `Bearer ${created.json().token}` };
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: shortBearer })).statusCode, 200);

  clock.advance(3 * DAY);
  const expired = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: shortBearer });
  t.equal(expired.statusCode, 401, 'an expired token is refused');
  t.match(expired.json().message, /过期/);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: longBearer })).statusCode, 200, 'the other one still works');
  const listed = (await app.inject({ method: 'GET', url: '/api/v1/auth/tokens', headers: { cookie } })).json().tokens;
  t.same(listed.map((x: { name: string }) => x.name), ['默认有效期'], 'the expired token is no longer listed as valid');

  clock.advance(28 * DAY);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: longBearer })).statusCode, 401, 'the default one expires too');
});

t.test('the /account page creates tokens with a lifetime and shows their expiry and last use', async (t) => {
  const clock = movableClock();
  const app = await buildTestApp(t, {}, { clock: clock.now });
  const user = await createUser(app, 'vendor');
  const cookie = await login(app, user.email, user.password);
  const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  const form = (fields: Record<string, string>) => app.inject({
    method: 'POST', url: '/account/tokens', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...fields, _csrf: csrfFrom(page.body) }).toString(),
  });
  const tooLong = await form({ name: '太长', days: '400' });
  t.equal(tooLong.statusCode, 400);
  t.match(tooLong.body, '有效期应为 1–365 天');
  const made = await form({ name: '报表同步', days: '7' });
  t.equal(made.statusCode, 201);
  const token = /id="new-token">([^<]+)</.exec(made.body)?.[1];
  t.ok(token, 'the new token is shown once');
  t.match(made.body, '有效期至');
  t.match(made.body, '从未', 'never used yet');

  const bearer = { authorization: `Bearer ${token}` };
  await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
  const first = (await app.models.ApiToken.findOne({ name: '报表同步' }).lean())!.lastUsedAt;
  t.ok(first, 'use is recorded');
  clock.advance(20_000);
  await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
  t.same((await app.models.ApiToken.findOne({ name: '报表同步' }).lean())!.lastUsedAt, first, 'not written again within the minute');
  clock.advance(60_000);
  await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
  const second = (await app.models.ApiToken.findOne({ name: '报表同步' }).lean())!.lastUsedAt!;
  t.ok(second.getTime() > first!.getTime(), 'written again after a minute');

  const shown = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  const chinaTime = new Date(second.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
  t.match(shown.body, chinaTime, 'the token list shows when it was last used (China time, to the minute)');
  t.notMatch(shown.body, '从未');
});
