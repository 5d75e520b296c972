/**
 * The role × route matrix: every route the app registers, called by a guest and by each role, must
 * let in exactly the roles its declared access names, and never answer 500.
 */
import t from 'tap';
import { Types } from 'mongoose';
import { roles, type Role } from '../../src/accounts/model.js';
import type { Access } from '../../src/accounts/access.js';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { buildTestApp, cookiesOf, createUser, csrfFrom } from '../helper.js';

const withCheckChar = (prefix: string) => prefix + creditCodeCheckChar(prefix);

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' });
const vendor = await app.models.Vendor.create({
  name: '矩阵测试科技有限公司', creditCode: withCheckChar('91330108MA2H00000'), province: '浙江省', city: '杭州市', district: '滨江区',
});

type Caller = 'guest' | Role;
interface Session { cookie: string; csrf: string; token: string }
const sessions = new Map<Caller, Session>();

async function sessionFor(caller: Caller): Promise<Session> {
  if (caller === 'guest') {
    const page = await app.inject({ method: 'GET', url: '/login' });
    return { cookie: cookiesOf(page), csrf: csrfFrom(page.body), token: '' };
  }
  const user = await createUser(app, caller, caller === 'vendor' ? { vendor: vendor._id } : {});
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } });
  const cookie = cookiesOf(res);
  const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  const tokenRes = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: {} });
  return { cookie, csrf: csrfFrom(page.body), token: tokenRes.json().token };
}

for (const caller of ['guest', ...roles] as Caller[]) sessions.set(caller, await sessionFor(caller));
// The audit trail as it was before every route was called by everyone (see the last test).
const auditBefore = await app.models.AuditEntry.find().lean();

function allowed(access: Access, caller: Caller): boolean {
  if (access === 'public') return true;
  if (caller === 'guest') return false;
  return access === 'user' || access.includes(caller);
}

t.test('every route lets in exactly the roles it declares', async (t) => {
  const someId = new Types.ObjectId().toHexString();
  // Logging out would end the session the rest of the matrix uses, so those routes run last.
  const routes = [...app.routeTable].sort((a, b) => Number(a.url.includes('logout')) - Number(b.url.includes('logout')));
  t.ok(routes.length >= 25, `the matrix covers every route (${routes.length})`);

  for (const route of routes) {
    const url = route.url.replace(/:[A-Za-z]+/g, someId).replace('*', 'x.css');
    const isApi = url.startsWith('/api/');
    for (const caller of ['guest', ...roles] as Caller[]) {
      const session = sessions.get(caller)!;
      const headers: Record<string, string> = {};
      let payload: unknown;
      if (isApi) {
        if (session.token) headers.authorization = `Bearer ${session.token}`;
        if (route.method !== 'GET' && route.method !== 'DELETE') payload = {};
      } else {
        headers.cookie = session.cookie;
        if (route.method === 'POST') {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          payload = `_csrf=${encodeURIComponent(session.csrf)}`;
        }
      }
      const res = await app.inject({ method: route.method as 'GET', url, headers, payload: payload as string });
      const label = `${caller} ${route.method} ${route.url} → ${res.statusCode}`;
      t.ok(res.statusCode < 500, `${label}: no server error`);
      if (allowed(route.access, caller)) {
        t.notOk([401, 403].includes(res.statusCode) || (!isApi && res.headers.location?.startsWith('/login?')), `${label}: let in`);
      } else if (caller === 'guest') {
        if (isApi) t.equal(res.statusCode, 401, `${label}: asked to log in`);
        else t.match(res.headers.location ?? '', /^\/login\?next=/, `${label}: sent to the login page`);
      } else {
        t.equal(res.statusCode, 403, `${label}: refused`);
        if (isApi) t.match(res.json(), { error: 'FORBIDDEN', message: /[\u4e00-\u9fff]/ }, `${label}: Chinese error body`);
      }
    }
  }
});

t.test('no route changes or removes audit entries: after the whole matrix the trail has only grown', async (t) => {
  t.ok(auditBefore.length >= roles.length, 'the logins of the matrix were recorded');
  const after = await app.models.AuditEntry.find({ _id: { $in: auditBefore.map((e) => e._id) } }).lean();
  t.same(after, auditBefore, 'every earlier entry is still there, unchanged');
  t.ok(await app.models.AuditEntry.countDocuments() >= auditBefore.length);
  const auditRoutes = app.routeTable.filter((r) => r.url.includes('audit'));
  t.same(auditRoutes.map((r) => `${r.method} ${r.url}`).sort(), ['GET /admin/audit', 'GET /admin/audit/export.xlsx', 'GET /api/v1/audit'], 'the audit routes only read');
  for (const r of auditRoutes) t.same(r.access, ['admin'], `${r.url}: admins only`);
});
