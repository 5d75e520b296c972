/**
 * Login that cannot be walked around (trust issue, point 4): a per-account limit whatever the client
 * address claims, TRUST_PROXY by hops or addresses, a JSON-only login API, a `next` that stays on the
 * site, and no stored session for anonymous page views.
 */
import t from 'tap';
import fc from 'fast-check';
import { buildTestApp, cookiesOf, createUser, csrfFrom } from '../helper.js';
import { safeNext } from '../../src/accounts/next.js';

const limited = /^登录尝试过多，请于 \d+ 分钟后再试。$/;

t.test('rotating X-Forwarded-For gets no more than the per-account limit, known or unknown email alike', async (t) => {
  const app = await buildTestApp(t, { TRUST_PROXY: '1', LOGIN_RATE_LIMIT: '5', LOGIN_ACCOUNT_RATE_LIMIT: '10' });
  const user = await createUser(app, 'organizer');
  let n = 0;
  const attempt = (email: string, password = 'guess-1234') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': `203.0.113.${++n % 250}` }, payload: { email, password } });

  for (const email of [user.email, 'nobody-here@test.cn']) {
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 25; i++) {
      last = await attempt(i % 2 ? email.toUpperCase() : ` ${email}`);
      codes.push(last.statusCode);
    }
    t.same(codes.slice(0, 10), Array(10).fill(401), `${email}: the first 10 attempts are answered`);
    t.same(codes.slice(10), Array(15).fill(429), `${email}: every later one is refused, from any address`);
    t.match(last!.json(), { error: 'TOO_MANY_REQUESTS', message: limited });
    const retry = Number(last!.headers['retry-after']);
    t.ok(retry > 0 && retry <= 15 * 60, `Retry-After says when (${retry} s)`);
  }
  const right = await attempt(user.email, user.password);
  t.equal(right.statusCode, 429, 'even the right password waits: guessing cannot be confirmed');
  t.ok(await app.models.RateLimit.countDocuments({ _id: /^login-account:/ }) >= 2, 'the counters live in MongoDB');
  t.notOk(await app.models.RateLimit.exists({ _id: new RegExp(user.email) }), 'the counter key does not show the email');
});

t.test('the per-account counter is shared by every instance and successful logins do not count', async (t) => {
  const env = { TRUST_PROXY: '1', LOGIN_ACCOUNT_RATE_LIMIT: '4' };
  const a = await buildTestApp(t, env);
  const b = await buildTestApp(t, env);
  const user = await createUser(a, 'buyer');
  const post = (app: typeof a, password: string, ip: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': ip }, payload: { email: user.email, password } });
  for (let i = 0; i < 6; i++) t.equal((await post(i % 2 ? a : b, user.password, `198.51.100.${i}`)).statusCode, 200, `login ${i + 1} succeeds`);
  for (let i = 0; i < 4; i++) t.equal((await post(i % 2 ? a : b, 'wrong-pass-1', `198.51.100.${i + 20}`)).statusCode, 401);
  t.equal((await post(a, 'wrong-pass-1', '198.51.100.99')).statusCode, 429, 'instance A sees the failures counted on B');
  t.equal((await post(b, user.password, '198.51.100.98')).statusCode, 429, 'and so does B');
});

t.test('the /login page form is limited per account too, with the message on the page', async (t) => {
  const app = await buildTestApp(t, { TRUST_PROXY: '1', LOGIN_ACCOUNT_RATE_LIMIT: '3' });
  const user = await createUser(app, 'vendor');
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 5; i++) {
    const headers = { 'x-forwarded-for': `192.0.2.${i + 1}` };
    const page = await app.inject({ method: 'GET', url: '/login', headers });
    last = await app.inject({
      method: 'POST', url: '/login', headers: { ...headers, cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: user.email, password: 'wrong-pass-1', _csrf: csrfFrom(page.body) }).toString(),
    });
    statuses.push(last.statusCode);
  }
  t.same(statuses, [401, 401, 401, 429, 429]);
  t.match(last!.body, /登录尝试过多，请于 \d+ 分钟后再试/);
  t.ok(Number(last!.headers['retry-after']) > 0);
  t.match(last!.body, `value="${user.email}"`, 'the form is shown again, filled in');
});

t.test('POST /api/v1/auth/login accepts JSON only; the page form keeps working with its CSRF token', async (t) => {
  const app = await buildTestApp(t);
  const user = await createUser(app, 'organizer');
  const fields = new URLSearchParams({ email: user.email, password: user.password }).toString();
  const boundary = 'xyzBOUNDARY';
  const multipart = [`--${boundary}`, 'Content-Disposition: form-data; name="email"', '', user.email,
    `--${boundary}`, 'Content-Disposition: form-data; name="password"', '', user.password, `--${boundary}--`, ''].join('\r\n');
  const cases: Array<[string, string]> = [
    ['application/x-www-form-urlencoded', fields],
    [`multipart/form-data; boundary=${boundary}`, multipart],
    ['text/plain', JSON.stringify({ email: user.email, password: user.password })],
    ['text/plain;charset=UTF-8', `{"email":"${user.email}","password":"${user.password}"}`],
  ];
  for (const [type, payload] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': type }, payload });
    t.equal(res.statusCode, 415, `${type}: refused`);
    t.match(res.json(), { error: 'UNSUPPORTED_MEDIA_TYPE', message: /JSON/ });
    t.match(res.json().message, /[\u4e00-\u9fff]/);
    t.notOk(res.cookies.some((c) => c.name === 'gx.sid'), `${type}: no session`);
  }
  t.equal(await app.models.Session.countDocuments(), 0, 'no cross-site form logged anyone in');
  const json = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: JSON.stringify({ email: user.email, password: user.password }) });
  t.equal(json.statusCode, 200, 'JSON still logs in');

  const page = await app.inject({ method: 'GET', url: '/login' });
  const noToken = await app.inject({ method: 'POST', url: '/login', headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' }, payload: fields });
  t.equal(noToken.statusCode, 403, 'the page form without its CSRF token is refused');
  const otherCookie = cookiesOf(await app.inject({ method: 'GET', url: '/login' }));
  const stolen = await app.inject({ method: 'POST', url: '/login', headers: { cookie: otherCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `${fields}&_csrf=${encodeURIComponent(csrfFrom(page.body))}` });
  t.equal(stolen.statusCode, 403, 'a token only works with the cookie it was made for');
  const ok = await app.inject({ method: 'POST', url: '/login', headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' }, payload: `${fields}&_csrf=${encodeURIComponent(csrfFrom(page.body))}` });
  t.equal(ok.statusCode, 303, 'the page form logs in');
  t.ok(ok.cookies.some((c) => c.name === 'gx.sid'));
});

// Values a `next` may carry that must never lead off the site (as sent in the form, i.e. already form-decoded).
const hostile = [
  '//evil.example', '///evil.example', '////evil.example', '/\\evil.example', '\\\\evil.example', '\\/evil.example',
  'https://evil.example', 'http:evil.example', 'javascript:alert(1)', 'data:text/html,x', 'evil.example', '',
  '/\t/evil.example', '\t//evil.example', '/\n/evil.example', '/\r\n/evil.example', ' //evil.example', '/ /evil.example',
  '/%09/evil.example', '/%0a/evil.example', '/%0d%0a/evil.example', '/%2f/evil.example', '/%2F%2Fevil.example',
  '/%5cevil.example', '/%5C%5Cevil.example', '%2f%2fevil.example', '/%252f%252fevil.example', '/%25252f/evil.example',
  '/\u0000/evil.example', '/\u007f/evil.example', '/\u2028/evil.example', '/\u00a0/evil.example', '/account\\..\\..\\evil',
  '/%', '/%zz', '/\u3000/evil.example', '/\ufeff/evil.example',
];
const fine = ['/account', '/organizer/review?tab=1', '/directory?q=%E6%91%84%E5%83%8F%E5%A4%B4', '/events/abc#agenda', '/a/b/c'];

t.test('the next redirect after login stays on the site whatever it contains', async (t) => {
  // Labels percent-encoded: raw control characters would garble the TAP output.
  for (const value of hostile) t.equal(safeNext(value), '/', `${encodeURIComponent(value)} → /`);
  for (const value of fine) t.equal(safeNext(value), value, `${value} is followed`);

  // Any string: either the default, or a path that resolves to this site and has no control character or backslash.
  const dangerous = fc.constantFrom('/', '\\', '//', '/\\', '%2f', '%5c', '%09', '\t', '\n', ':', 'http:', '.', '%25', ' ', '@', '#', '?');
  fc.assert(fc.property(fc.array(fc.oneof(dangerous, fc.string({ maxLength: 4 })), { maxLength: 8 }).map((parts) => parts.join('')), (value) => {
    const out = safeNext(value);
    if (out === '/') return true;
    const decoded = decodeURIComponent(decodeURIComponent(out));
    // eslint-disable-next-line no-control-regex -- the property is about control characters
    return out === value && new URL(out, 'http://site.test').host === 'site.test' && /^\/[^/\\]/.test(decoded) && !/[\u0000-\u001f\u007f\\]/.test(decoded);
  }), { numRuns: 3000 });

  // End to end through the /login form, for a sample of the hostile values.
  const app = await buildTestApp(t);
  const user = await createUser(app, 'organizer');
  for (const value of ['//evil.example', '/\\evil.example', '/%09/evil.example', '/\t//evil.example', '/%5cevil.example', 'https://evil.example', '/account']) {
    const page = await app.inject({ method: 'GET', url: `/login?next=${encodeURIComponent(value)}` });
    const res = await app.inject({
      method: 'POST', url: '/login', headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: user.email, password: user.password, next: value, _csrf: csrfFrom(page.body) }).toString(),
    });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, value === '/account' ? '/account' : '/', `${encodeURIComponent(value)}: redirected to ${res.headers.location}`);
  }
});

t.test('anonymous page views store no session', async (t) => {
  const app = await buildTestApp(t);
  for (const url of ['/', '/directory', '/login', '/login?next=/account', '/account']) {
    const res = await app.inject({ method: 'GET', url });
    t.notOk(res.cookies.some((c) => c.name === 'gx.sid'), `${url}: no session cookie`);
  }
  // A failed login on the page does not start one either.
  const page = await app.inject({ method: 'GET', url: '/login' });
  const guestCookie = page.cookies.find((c) => c.name === 'gx.csrf');
  t.ok(guestCookie?.httpOnly, 'the login form has an HttpOnly CSRF cookie');
  t.equal(String(guestCookie?.sameSite).toLowerCase(), 'lax');
  await app.inject({
    method: 'POST', url: '/login', headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: 'nobody@test.cn', password: 'wrong-pass-1', _csrf: csrfFrom(page.body) }).toString(),
  });
  t.equal(await app.models.Session.countDocuments(), 0, 'the sessions collection is empty');
});

t.test('TRUST_PROXY: a hop count believes only that many proxies; addresses believe only those proxies', async (t) => {
  const probe = async (env: Record<string, string>, xff: string) => {
    const app = await buildTestApp(t, env);
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': xff }, payload: { email: 'probe@test.cn', password: 'x-123456' } });
    const entry = await app.models.AuditEntry.findOne({ action: 'auth.login.fail' }).sort({ at: -1 }).lean();
    await app.models.AuditEntry.collection.drop();
    return entry?.ip;
  };
  t.equal(await probe({ TRUST_PROXY: '1' }, '6.6.6.6, 198.51.100.7'), '198.51.100.7', 'one hop: the address the proxy saw, not the forged one');
  t.equal(await probe({ TRUST_PROXY: '2' }, '6.6.6.6, 198.51.100.7'), '6.6.6.6');
  t.equal(await probe({ TRUST_PROXY: '127.0.0.1' }, '6.6.6.6, 198.51.100.7'), '198.51.100.7', 'only the listed proxy is believed');
  t.equal(await probe({ TRUST_PROXY: '10.0.0.0/8' }, '6.6.6.6'), '127.0.0.1', 'a client not in the list cannot claim an address');
  t.equal(await probe({}, '6.6.6.6'), '127.0.0.1', 'by default nobody is believed');
});
