/**
 * No 500 and no write from bad input. Every write endpoint of the OpenAPI document (POST/PUT/PATCH/DELETE
 * under /api/v1), called by a guest and by each role, with path ids of real seeded records and garbage ids,
 * and with hostile bodies: non-objects, MongoDB operators, 1 MB strings, bodies over the limit, 10,000
 * levels of nesting, wrong types for every declared property, invalid UTF-8. Every answer must be a 4xx
 * with a Chinese {error, message}, and the database (sessions, rate-limit counters and the like aside) must
 * be byte-for-byte what it was before the endpoint's round.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { LightMyRequestResponse } from 'fastify';
import { seed, sampleLogins } from '../../src/seeding/index.js';
import { buildTestApp, cookiesOf } from '../helper.js';

t.setTimeout(240_000);
// The walk posts far more than 20 messages a minute; a 429 from the message limit would hide the 413 it checks.
const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000', MESSAGE_RATE_LIMIT: '100000' }, { background: false });
await seed(app.models, true);

// ---- callers --------------------------------------------------------------------------------------------
type Caller = 'guest' | 'admin' | 'organizer' | 'vendor' | 'buyer' | 'leader';
const callers: Caller[] = ['guest', 'admin', 'organizer', 'vendor', 'buyer', 'leader'];
const cookies = new Map<Caller, string>([['guest', '']]);
const bearers = new Map<Caller, string>();
const tokenIds = new Map<Caller, string>();
for (const login of sampleLogins) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: login.email, password: login.password } });
  if (res.statusCode !== 200) throw new Error(`login ${login.role}: ${res.statusCode} ${res.body}`);
  const cookie = cookiesOf(res);
  cookies.set(login.role, cookie);
  const token = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: { name: '测试令牌' } });
  bearers.set(login.role, token.json().token);
  tokenIds.set(login.role, token.json().id);
}

// ---- real records for path ids ----------------------------------------------------------------------------
const organizer = cookies.get('organizer')!;
const vendorUser = (await app.models.User.findOne({ email: 'vendor@example.com' }).lean())!;
const buyerUser = (await app.models.User.findOne({ email: 'buyer@example.com' }).lean())!;
const event = (await app.models.Event.findOne({}).lean())!;
// Move the sample event on to a schedule, so meetings exist to aim at.
for (const to of ['preferences', 'scheduling']) {
  await app.inject({ method: 'POST', url: `/api/v1/events/${String(event._id)}/phase`, headers: { cookie: organizer }, payload: { to } });
}
await app.inject({ method: 'POST', url: `/api/v1/events/${String(event._id)}/schedule`, headers: { cookie: organizer }, payload: {} });
const someId = async (model: { findOne(q: object): { lean(): Promise<unknown> } }, q: object = {}) =>
  String(((await model.findOne(q).lean()) as { _id?: unknown } | null)?._id ?? new Types.ObjectId());
const realIds: Record<string, (caller: Caller) => string> = {};
{
  const vendorId = String(vendorUser.vendor);
  const productId = await someId(app.models.Product, { vendor: vendorUser.vendor, status: 'published' });
  const demandId = await someId(app.models.Demand, { buyerOrg: buyerUser.buyerOrg });
  const participantId = await someId(app.models.EventParticipant, { event: event._id });
  const meetingId = await someId(app.models.EventMeeting, { event: event._id });
  const notificationId = await someId(app.models.Notification);
  Object.assign(realIds, {
    tokens: (c: Caller) => tokenIds.get(c) ?? tokenIds.get('admin')!,
    users: () => String(vendorUser._id),
    vendors: () => vendorId,
    products: () => productId,
    demands: () => demandId,
    events: () => String(event._id),
    participants: () => participantId,
    meetings: () => meetingId,
    notifications: () => notificationId,
  });
  t.comment(`ids: vendor ${vendorId}, product ${productId}, demand ${demandId}, participant ${participantId}, meeting ${meetingId}`);
}
const garbageIds = ['not-an-id', 'ffffffffffffffffffffffff'];

/** The path with each {param} filled: the real record of the segment before it, or a garbage id. */
function fill(path: string, caller: Caller, garbage?: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, _name: string, offset: number) => {
    if (garbage) return garbage;
    const segment = path.slice(0, offset).split('/').filter(Boolean).pop() ?? '';
    return realIds[segment]?.(caller) ?? String(new Types.ObjectId());
  });
}

// ---- the database, minus what every request may touch ----------------------------------------------------
const volatile = /^(sessions|ratelimits|leases|report_snapshots)$|audit|login|^system\./;
async function snapshot(): Promise<Map<string, string>> {
  const db = app.conn.db!;
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => !volatile.test(n)).sort();
  const out = new Map<string, string>();
  await Promise.all(names.map(async (name) => {
    const docs = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
    const hash = createHash('sha1');
    for (const doc of docs) {
      if (name === 'apitokens') { delete doc.lastUsedAt; delete doc.updatedAt; } // a token records its use
      hash.update(JSON.stringify(doc));
    }
    out.set(name, `${docs.length}:${hash.digest('hex')}`);
  }));
  return out;
}
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).map((n) => `${n} ${before.get(n)?.split(':')[0] ?? '∅'}→${after.get(n)?.split(':')[0] ?? '∅'}`);
}

// ---- the endpoints and their bodies -----------------------------------------------------------------------
interface JsonSchema { type?: string | string[]; properties?: Record<string, JsonSchema>; required?: string[]; anyOf?: JsonSchema[]; items?: JsonSchema }
interface Operation { requestBody?: { content: Record<string, { schema: JsonSchema }> } }
const docs = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, Operation>> };
const endpoints: Array<{ method: string; path: string; schema?: JsonSchema }> = [];
for (const [path, ops] of Object.entries(docs.paths)) {
  if (!path.startsWith('/api/v1/')) continue;
  for (const [method, op] of Object.entries(ops)) {
    if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
    endpoints.push({ method: method.toUpperCase(), path, schema: op.requestBody?.content['application/json']?.schema });
  }
}
// Logging out ends the session the other rounds use: it goes last.
endpoints.sort((a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')));
// Routes that take files: their body limit is the file's, and they also get bodies that are not multipart.
const uploads = new Set(['/api/v1/imports', '/api/v1/demand-imports']);

const MB = 1024 * 1024;
const huge = 'x'.repeat(MB);
const typeOf = (s: JsonSchema): string | undefined => {
  const types = [s.type ?? [], ...(s.anyOf ?? []).map((a) => a.type ?? [])].flat().filter((x) => x !== 'null');
  return new Set(types).size === 1 ? types[0] : undefined;
};
const wrongValue = (s: JsonSchema): unknown => {
  switch (typeOf(s)) {
    case 'string': return 12345;
    case 'number': case 'integer': return '不是数字';
    case 'boolean': return '是';
    case 'array': return '不是列表';
    case 'object': return '不是对象';
    default: return [[[]]];
  }
};

interface Body { label: string; payload: string | Buffer; type?: string; status?: number[] }
function bodiesFor(endpoint: { path: string; schema?: JsonSchema }): { generic: Body[]; perProperty: Body[] } {
  const json = (label: string, value: unknown): Body => ({ label, payload: JSON.stringify(value) });
  const props = endpoint.schema?.properties ?? {};
  const names = Object.keys(props);
  const required = endpoint.schema?.required?.length ? endpoint.schema.required : names;
  const generic: Body[] = [
    { label: 'null', payload: 'null' }, json('[]', []), json('[{}]', [{}]), json('"str"', 'str'), json('123', 123), json('true', true),
    json('{$gt}', { $gt: '' }), json('{email:{$ne:null}}', { email: { $ne: null } }),
    { label: '10,000 levels deep', payload: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` },
    { label: 'invalid UTF-8', payload: Buffer.concat([Buffer.from(`{"${names[0] ?? 'a'}":"`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]) },
    {
      label: 'over the body limit', payload: `{"${names[0] ?? 'a'}":"${'x'.repeat(2 * MB + 16)}"}`,
      status: uploads.has(endpoint.path) ? [400] : [413],
    },
  ];
  if (names.length) generic.push(json('required → {$where}', Object.fromEntries(required.map((n) => [n, { $where: '1' }]))));
  // No body and no content type: the schema itself sees `undefined` (no JSON parser in between).
  if (endpoint.schema?.required?.length) generic.push({ label: 'no body', payload: '', type: 'none' });
  if (uploads.has(endpoint.path)) {
    generic.push({ label: 'text/plain', payload: 'vendors=1', type: 'text/plain' });
    generic.push({ label: 'form', payload: 'file=x&publish=true', type: 'application/x-www-form-urlencoded' });
    generic.push({ label: 'broken multipart', payload: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end', type: 'multipart/form-data; boundary=x' });
  }
  const perProperty: Body[] = [];
  for (const name of names) {
    perProperty.push(json(`${name}: wrong type`, { [name]: wrongValue(props[name]) }));
    if (typeOf(props[name]) === 'string' || typeOf(props[name]) === undefined) perProperty.push(json(`${name}: 1 MB`, { [name]: huge }));
  }
  return { generic, perProperty };
}

/** With a garbage id, a few bodies are enough: the id is refused whatever the body. */
const garbageBodies = new Set(['null', '[{}]', '{$gt}', 'invalid UTF-8', 'required → {$where}', 'no body']);

interface Call { caller: Caller; url: string; body: Body; session?: boolean }
const cjk = /[\u4e00-\u9fff]/;

async function send(method: string, call: Call): Promise<string | undefined> {
  const headers: Record<string, string> = call.body.type === 'none' ? {} : { 'content-type': call.body.type ?? 'application/json' };
  if (call.session) headers.cookie = cookies.get(call.caller)!;
  else if (bearers.has(call.caller)) headers.authorization = `Bearer ${bearers.get(call.caller)!}`;
  let res: LightMyRequestResponse;
  try {
    res = await app.inject({ method: method as 'POST', url: call.url, headers, ...(call.body.type === 'none' ? {} : { payload: call.body.payload }) });
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
  const expected = call.body.status;
  if (res.statusCode < 400 || res.statusCode >= 500 || (expected && call.caller !== 'guest' && !expected.includes(res.statusCode) && res.statusCode !== 403 && res.statusCode !== 401)) {
    return `${res.statusCode} ${res.body.slice(0, 160)}`;
  }
  let body: { error?: unknown; message?: unknown };
  try {
    body = res.json();
  } catch {
    return `${res.statusCode}, not JSON: ${res.body.slice(0, 80)}`;
  }
  if (typeof body.error !== 'string' || typeof body.message !== 'string' || !cjk.test(body.message)) return `${res.statusCode}, body ${res.body.slice(0, 160)}`;
  return undefined;
}

t.test('every write endpoint answers hostile input with a Chinese 4xx and writes nothing', async (t) => {
  t.ok(endpoints.length >= 40, `the walk covers every write endpoint of /docs/json (${endpoints.length})`);
  let total = 0;
  for (const endpoint of endpoints) {
    const { generic, perProperty } = bodiesFor(endpoint);
    const calls: Call[] = [];
    for (const caller of callers) {
      for (const body of [...generic, ...perProperty]) calls.push({ caller, url: fill(endpoint.path, caller), body });
      if (endpoint.path.includes('{')) {
        for (const garbage of garbageIds) for (const body of generic.filter((b) => garbageBodies.has(b.label))) calls.push({ caller, url: fill(endpoint.path, caller, garbage), body });
      }
      // The browser's way in: a session cookie (and the CSRF check for bodies that are not JSON).
      if (caller !== 'guest') for (const body of generic.filter((b) => garbageBodies.has(b.label) || b.type)) calls.push({ caller, url: fill(endpoint.path, caller), body, session: true });
    }
    const before = await snapshot();
    const failures: string[] = [];
    for (let i = 0; i < calls.length; i += 12) {
      const group = calls.slice(i, i + 12);
      const results = await Promise.all(group.map((call) => send(endpoint.method, call)));
      results.forEach((r, j) => { if (r) failures.push(`${group[j].caller}${group[j].session ? ' (cookie)' : ''} ${group[j].url.slice(0, 90)} [${group[j].body.label}] → ${r}`); });
    }
    total += calls.length;
    const writes = changed(before, await snapshot());
    t.same(failures.slice(0, 20), [], `${endpoint.method} ${endpoint.path}: ${calls.length} calls, each a Chinese 4xx`);
    t.same(writes, [], `${endpoint.method} ${endpoint.path}: nothing written`);
  }
  t.comment(`${total} hostile calls`);
});

t.test('a JSON null body is a Chinese 400 on the routes that answered 500', async (t) => {
  const cookie = cookies.get('admin')!;
  const product = realIds.products('admin');
  for (const [method, url] of [['POST', '/api/v1/products'], ['PUT', `/api/v1/products/${product}`], ['POST', '/api/v1/demands'], ['POST', '/api/v1/vendors']]) {
    const res = await app.inject({ method: method as 'POST', url, headers: { cookie, 'content-type': 'application/json' }, payload: 'null' });
    t.equal(res.statusCode, 400, `${method} ${url}`);
    t.match(res.json(), { error: String, message: cjk });
  }
});

t.test('zod messages that reach people are plain Chinese', async (t) => {
  const cookie = cookies.get('admin')!;
  const vendor = await app.models.Vendor.findById(vendorUser.vendor).lean();
  const res = await app.inject({
    method: 'POST', url: '/api/v1/products', headers: { cookie },
    payload: { vendorCreditCode: vendor!.creditCode, name: '测试产品', model: 'T-1', category: 'video-surveillance', capacityPerMonth: -1, specs: 'x' },
  });
  t.equal(res.statusCode, 400);
  const details = res.json().details as Array<{ path: string; message: string }>;
  t.match(details, [{ path: 'capacityPerMonth', message: '不能小于 0' }, { path: 'specs', message: '应为列表（数组）' }]);
  for (const d of details) t.notMatch(d.message, /期望|number|string|>=|<=/, `"${d.message}" reads as a sentence`);
});
