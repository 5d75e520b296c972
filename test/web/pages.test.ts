/**
 * The web shell as a person and as another system meet it: pages, error pages, login form, escaping,
 * security headers, request ids, health check, API docs and the JSON error shape (docs/api.md).
 */
import t from 'tap';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { connectMongo } from '../../src/infra/db.js';
import { createMeili } from '../../src/infra/meili.js';
import { freePort } from '../infra/proc.js';
import { buildTestApp, createUser, csrfFrom, isolationName, login, testServers } from '../helper.js';

const CJK = /[\u4e00-\u9fff]/;

/** A tiny cookie jar: keeps the latest value of each cookie and forgets cleared ones. */
class Jar {
  private cookies = new Map<string, string>();
  take(res: LightMyRequestResponse): this {
    for (const c of res.cookies as Array<{ name: string; value: string; expires?: Date; maxAge?: number }>) {
      const cleared = c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now());
      if (cleared) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return this;
  }
  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Opens the login form as a browser would and returns the jar holding its session and the CSRF token. */
async function openLoginForm(app: FastifyInstance, url = '/login') {
  const res = await app.inject({ method: 'GET', url });
  const jar = new Jar().take(res);
  return { res, jar, csrf: csrfFrom(res.body) };
}

async function approvedVendor(app: FastifyInstance, name = '滨江测试设备有限公司') {
  return app.models.Vendor.create({
    name,
    creditCode: '91330108MA2BAT5T3J',
    province: '浙江省',
    city: '杭州市',
    district: '滨江区',
    fields: ['industry'],
    status: 'approved',
  });
}

// A port nobody listens on: a Meilisearch that is down.
const closedPort = freePort;

t.test('pages', async (t) => {
  // Many logins in one file: the per-minute login limit is not what this file is about.
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' });
  const company = await approvedVendor(app);

  t.test('home page is a Chinese page with a way to log in', async (t) => {
    await app.models.Vendor.create({ name: '草稿企业', creditCode: '913301087583996335', province: '浙江省', status: 'draft' });
    const res = await app.inject({ method: 'GET', url: '/' });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /text\/html; charset=utf-8/);
    t.match(res.body, /<html lang="zh-CN">/);
    t.match(res.body, /<title>首页 · 供需对接平台<\/title>/);
    t.match(res.body, /<h1>滨江区设备更新供需对接平台<\/h1>/);
    t.match(res.body, /<a [^>]*href="\/login"[^>]*>登录/);
    // Only approved vendors count as listed; the draft one does not.
    t.match(res.body, /<span class="stat-value">1<\/span><span class="stat-label">入库供应商<\/span>/);
    // A guest's navigation holds the home page only.
    t.notMatch(res.body, /用户管理|我的企业|工作台<\/a>/);
  });

  t.test('an unknown page is a Chinese 404 page', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/no-such-page' });
    t.equal(res.statusCode, 404);
    t.match(res.headers['content-type'], /text\/html/);
    t.match(res.body, /<html lang="zh-CN">/);
    t.match(res.body, /页面不存在/);
    t.match(res.body, /您访问的页面不存在或已被移除/);
    t.match(res.body, /href="\/"[^>]*>返回首页/);
  });

  t.test('an unknown API path is a JSON 404 in the contract shape', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/x' });
    t.equal(res.statusCode, 404);
    t.match(res.headers['content-type'], /application\/json/);
    const body = res.json();
    t.equal(body.error, 'NOT_FOUND');
    t.type(body.message, 'string');
    t.match(body.message, CJK);
    t.same(Object.keys(body).sort(), ['error', 'message']);
  });

  t.test('a vendor opening user management gets a Chinese 403 page', async (t) => {
    const user = await createUser(app, 'vendor', { vendor: company._id });
    const cookie = await login(app, user.email, user.password);
    const res = await app.inject({ method: 'GET', url: '/admin/users', headers: { cookie } });
    t.equal(res.statusCode, 403);
    t.match(res.headers['content-type'], /text\/html/);
    t.match(res.body, /<h1>无权访问<\/h1>/);
    t.match(res.body, /您的角色无权进行此操作/);
    // Logged in already: no point offering the login button, and no user list leaks.
    t.notMatch(res.body, /class="button secondary" href="\/login"/);
    t.notMatch(res.body, /全部用户/);
    // The same user's own workbench works and names the company.
    const own = await app.inject({ method: 'GET', url: '/vendor', headers: { cookie } });
    t.equal(own.statusCode, 200);
    t.match(own.body, /滨江测试设备有限公司/);
    t.match(own.body, /<a href="\/vendor" aria-current="page">我的企业<\/a>/);
  });

  t.test('a guest opening a private page is sent to log in, and back afterwards', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/account' });
    t.equal(res.statusCode, 303);
    t.equal(res.headers.location, '/login?next=%2Faccount');

    const user = await createUser(app, 'organizer');
    const { res: page, jar, csrf } = await openLoginForm(app, res.headers.location as string);
    t.match(page.body, /<input type="hidden" name="next" value="\/account">/);
    const post = await app.inject({
      method: 'POST', url: '/login', headers: { ...FORM, cookie: jar.header },
      payload: form({ _csrf: csrf, next: '/account', email: user.email, password: user.password }),
    });
    t.equal(post.statusCode, 303);
    t.equal(post.headers.location, '/account');
    jar.take(post);
    const account = await app.inject({ method: 'GET', url: '/account', headers: { cookie: jar.header } });
    t.equal(account.statusCode, 200);
    t.match(account.body, /<h1>我的账户<\/h1>/);
    t.match(account.body, new RegExp(user.email.replace(/[.]/g, '\\.')));
    t.match(account.body, /欢迎，测试organizer。/, 'the welcome flash shows once after login');
    const again = await app.inject({ method: 'GET', url: '/account', headers: { cookie: jar.header } });
    t.notMatch(again.body, /欢迎，/, 'and not on the next page');
  });

  t.test('login never redirects to another site', async (t) => {
    const { res } = await openLoginForm(app, '/login?next=%2F%2Fevil.example%2F');
    t.match(res.body, /<input type="hidden" name="next" value="\/">/);
  });

  t.test('a wrong password re-renders the login form with a Chinese error', async (t) => {
    const user = await createUser(app, 'buyer');
    const { jar, csrf } = await openLoginForm(app);
    const res = await app.inject({
      method: 'POST', url: '/login', headers: { ...FORM, cookie: jar.header },
      payload: form({ _csrf: csrf, next: '/', email: user.email, password: 'wrong-passw0rd' }),
    });
    t.equal(res.statusCode, 401);
    t.match(res.body, /<div class="flash flash-error" role="alert">电子邮箱或密码不正确。<\/div>/);
    t.match(res.body, /<form method="post" action="\/login"/, 'the form is shown again');
    t.match(res.body, new RegExp(`name="email" type="email" value="${user.email.replace(/[.]/g, '\\.')}"`), 'the email is kept');
    t.notMatch(res.body, /wrong-passw0rd/, 'the password is not echoed');
    t.notOk(res.headers.location, 'no redirect');

    // An unknown account reads exactly the same.
    const unknown = await app.inject({
      method: 'POST', url: '/login', headers: { ...FORM, cookie: jar.header },
      payload: form({ _csrf: csrfFrom(res.body), next: '/', email: 'nobody@test.cn', password: 'wrong-passw0rd' }),
    });
    t.equal(unknown.statusCode, 401);
    t.match(unknown.body, /电子邮箱或密码不正确。/);
  });

  t.test('an empty login form names each missing field in Chinese', async (t) => {
    const { jar, csrf } = await openLoginForm(app);
    const res = await app.inject({
      method: 'POST', url: '/login', headers: { ...FORM, cookie: jar.header },
      payload: form({ _csrf: csrf, next: '/', email: '', password: '' }),
    });
    t.equal(res.statusCode, 400);
    t.match(res.body, /<p class="error-text" id="e-email">请输入电子邮箱<\/p>/);
    t.match(res.body, /<p class="error-text" id="e-password">请输入密码<\/p>/);
  });

  t.test('a login form posted without its CSRF token is refused with a Chinese page', async (t) => {
    const user = await createUser(app, 'buyer');
    const { jar } = await openLoginForm(app);
    const res = await app.inject({
      method: 'POST', url: '/login', headers: { ...FORM, cookie: jar.header },
      payload: form({ next: '/', email: user.email, password: user.password }),
    });
    t.equal(res.statusCode, 403);
    t.match(res.headers['content-type'], /text\/html/);
    t.match(res.body, /表单已过期/);
    t.notOk(res.headers.location, 'not logged in');
  });

  t.test('user-supplied text is escaped in pages', async (t) => {
    const evil = '<script>alert(1)</script>';
    const user = await createUser(app, 'organizer', { name: evil });
    const admin = await createUser(app, 'admin');
    const adminCookie = await login(app, admin.email, admin.password);
    const list = await app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: adminCookie } });
    t.equal(list.statusCode, 200);
    t.match(list.body, /<td>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td>/);
    t.notMatch(list.body, /<script>alert\(1\)<\/script>/);

    const ownCookie = await login(app, user.email, user.password);
    const account = await app.inject({ method: 'GET', url: '/account', headers: { cookie: ownCookie } });
    t.equal(account.statusCode, 200);
    t.match(account.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    t.notMatch(account.body, /<script>alert/);
  });

  t.test('responses carry security headers', async (t) => {
    for (const url of ['/', '/login', '/no-such-page', '/api/v1/x']) {
      const res = await app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy'] ?? '');
      t.match(csp, /default-src 'self'/, `${url}: CSP`);
      t.match(csp, /script-src 'self'/, `${url}: no inline or foreign script`);
      t.notMatch(csp, /script-src[^;]*'unsafe-inline'/, `${url}: no unsafe-inline script`);
      t.match(csp, /frame-ancestors 'none'/, `${url}: cannot be framed`);
      t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`);
      t.ok(res.headers['x-frame-options'], `${url}: x-frame-options`);
      t.notOk(res.headers['x-powered-by'], `${url}: no x-powered-by`);
    }
  });

  t.test('the login form\'s CSRF cookie is HttpOnly and SameSite, and viewing it starts no session', async (t) => {
    const { res } = await openLoginForm(app);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const raw = cookies.find((c) => c.startsWith('gx.csrf='));
    t.ok(raw, 'the login form sets its CSRF cookie');
    t.match(raw, /HttpOnly/i);
    t.match(raw, /SameSite=Lax/i);
    t.notOk(cookies.some((c) => c.startsWith('gx.sid=')), 'no session for a guest');
  });

  t.test('every response has a request id, echoed when supplied', async (t) => {
    const a = await app.inject({ method: 'GET', url: '/' });
    const b = await app.inject({ method: 'GET', url: '/' });
    t.match(a.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    t.not(a.headers['x-request-id'], b.headers['x-request-id'], 'ids differ between requests');

    const supplied = 'trace-abc-123';
    const page = await app.inject({ method: 'GET', url: '/no-such-page', headers: { 'x-request-id': supplied } });
    t.equal(page.headers['x-request-id'], supplied);
    t.match(page.body, /请求编号：trace-abc-123/, 'the error page shows the id to quote to an administrator');
    const api = await app.inject({ method: 'GET', url: '/api/v1/x', headers: { 'x-request-id': supplied } });
    t.equal(api.headers['x-request-id'], supplied);
  });

  t.test('GET /healthz answers ok when MongoDB and Meilisearch answer', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    t.equal(res.statusCode, 200);
    t.same(res.json(), { status: 'ok' });
  });

  t.test('/docs/json is the OpenAPI 3 document of the JSON API', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    t.equal(res.statusCode, 200);
    const doc = res.json();
    t.match(doc.openapi, /^3\./);
    t.ok(doc.paths['/api/v1/auth/login']?.post, 'documents POST /api/v1/auth/login');
    t.ok(doc.paths['/api/v1/auth/tokens']?.post, 'documents POST /api/v1/auth/tokens');
    t.ok(doc.paths['/healthz']?.get, 'documents /healthz');
    t.notOk(doc.paths['/login'], 'HTML pages are not part of the API document');
    t.notOk(doc.paths['/admin/users'], 'HTML pages are not part of the API document');
    const body = doc.paths['/api/v1/auth/login'].post.requestBody?.content?.['application/json']?.schema;
    t.ok(body?.properties?.email && body?.properties?.password, 'the login body names email and password');
  });

  t.test('/docs is a browsable HTML page', async (t) => {
    let res = await app.inject({ method: 'GET', url: '/docs' });
    for (let hops = 0; hops < 3 && res.statusCode >= 300 && res.statusCode < 400; hops++) {
      res = await app.inject({ method: 'GET', url: new URL(res.headers.location as string, 'http://x/docs').pathname });
    }
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /text\/html/);
    t.match(res.body, /swagger-ui/i);
  });

  t.test('an invalid API body is a 400 listing each problem in Chinese', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'not-an-email' } });
    t.equal(res.statusCode, 400);
    const body = res.json();
    t.equal(body.error, 'VALIDATION_FAILED');
    t.match(body.message, CJK);
    t.ok(Array.isArray(body.details) && body.details.length > 0, 'details is a non-empty list');
    for (const d of body.details) {
      t.same(Object.keys(d).sort(), ['message', 'path']);
      t.match(d.message, CJK, `message for ${d.path} is Chinese`);
    }
    t.ok(body.details.some((d: { path: string }) => d.path === 'password'), 'names the missing password');

    const broken = await app.inject({
      method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":',
    });
    t.equal(broken.statusCode, 400);
    t.equal(broken.json().error, 'BAD_REQUEST');
    t.match(broken.json().message, CJK);
  });

  t.test('wrong API credentials are a Chinese 401', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@test.cn', password: 'x1' } });
    t.equal(res.statusCode, 401);
    t.equal(res.json().error, 'UNAUTHORIZED');
    t.match(res.json().message, CJK);
  });
});

t.test('GET /healthz is 503 naming meilisearch when Meilisearch does not answer', async (t) => {
  const { mongoUri } = testServers();
  const conn = await connectMongo(mongoUri, `${isolationName()}_meili_down`);
  const meili = createMeili(`http://127.0.0.1:${await closedPort()}`, 'key-that-is-not-used-here');
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent-test-data' });
  const app = await buildApp({ config: { ...config, sessionSecret: 'test-secret-'.padEnd(40, 'x') }, conn, meili });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  });

  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 503);
  const body = res.json();
  t.equal(body.status, 'degraded');
  t.same(body.down, ['meilisearch']);
  t.match(body.message, /meilisearch/);

  // Pages that need only MongoDB keep working.
  const home = await app.inject({ method: 'GET', url: '/' });
  t.equal(home.statusCode, 200);
});
