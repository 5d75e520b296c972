/** The supplier list through its JSON API: lifecycles, ownership, revisions, history, freshness. */
import t from 'tap';
import { creditCodeCheckChar } from '../../src/suppliers/credit-code.js';
import { sweepFreshness } from '../../src/suppliers/freshness-sweep.js';
import type { FastifyInstance } from 'fastify';

// The sweep takes its dependencies explicitly; the app's are the ones the background loop uses.
const sweepDeps = (app: FastifyInstance) => ({
  conn: app.conn, models: app.models, clock: app.clock, policy: { days: app.config.FRESHNESS_DAYS, graceDays: app.config.FRESHNESS_GRACE_DAYS },
});
import { buildTestApp, createUser, login } from '../helper.js';

const code = (n: number) => {
  const prefix = `91330108MA2K${String(n).padStart(5, '0')}`;
  return prefix + creditCodeCheckChar(prefix);
};
const cjk = /[\u4e00-\u9fff]/;
const DAY = 86_400_000;

let now = new Date('2026-03-01T08:00:00Z');
const app = await buildTestApp(t, { FRESHNESS_DAYS: '90', FRESHNESS_GRACE_DAYS: '30' }, { clock: () => now, background: false });

const organizer = await createUser(app, 'organizer');
const orgCookie = await login(app, organizer.email, organizer.password);
const api = (cookie: string) => async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  app.inject({ method, url, headers: { cookie }, payload: payload ?? (method === 'GET' ? undefined : {}) });
const asOrganizer = api(orgCookie);

async function vendorAccount(n: number) {
  const user = await createUser(app, 'vendor');
  const call = api(await login(app, user.email, user.password));
  const res = await call('POST', '/api/v1/vendors', {
    name: `滨江测试科技${n}有限公司`, creditCode: code(n), province: '浙江省', city: '杭州市', district: '滨江区',
    fields: ['security'], certifications: ['ccc'], contact: { name: '张工', phone: '0571-88886666' },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  // The vendor's session picks up its new company on the next request.
  return { call, vendorId: res.json().id as string, creditCode: code(n) };
}

const productBody = (creditCode: string, extra: object = {}) => ({
  vendorCreditCode: creditCode, name: '400万像素网络摄像机', model: 'BJ-IPC-400', category: 'video-surveillance',
  priceMin: 600, priceMax: 900, capacityPerMonth: 5000, leadTimeDays: 10, specs: [{ key: '分辨率', value: '400万像素' }], ...extra,
});

t.test('a vendor registers, is rejected with a reason, fixes, resubmits and is approved', async (t) => {
  const { call, vendorId } = await vendorAccount(1);
  t.equal((await call('POST', `/api/v1/vendors/${vendorId}/approve`)).statusCode, 403, 'a vendor cannot approve itself');
  t.equal((await call('POST', `/api/v1/vendors/${vendorId}/submit`)).json().vendor.status, 'submitted');
  const badReason = await asOrganizer('POST', `/api/v1/vendors/${vendorId}/reject`, { reason: '' });
  t.equal(badReason.statusCode, 400, 'a rejection needs a reason');
  const rejected = await asOrganizer('POST', `/api/v1/vendors/${vendorId}/reject`, { reason: '营业执照地址与填写不符' });
  t.equal(rejected.json().vendor.status, 'rejected');
  const seen = await call('GET', `/api/v1/vendors/${vendorId}`);
  t.equal(seen.json().vendor.reviewNote, '营业执照地址与填写不符', 'the vendor sees why');
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/vendors/${vendorId}` })).statusCode, 404, 'the public does not see an unapproved vendor');

  const profile = seen.json().vendor;
  const fixed = await call('PUT', `/api/v1/vendors/${vendorId}`, { ...profile, address: '浙江省杭州市滨江区长河街道江南大道 1 号' });
  t.equal(fixed.statusCode, 200);
  const twice = await asOrganizer('POST', `/api/v1/vendors/${vendorId}/approve`);
  t.equal(twice.statusCode, 409, 'cannot approve before resubmission');
  t.match(twice.json().message, cjk);
  await call('POST', `/api/v1/vendors/${vendorId}/submit`);
  const approved = await asOrganizer('POST', `/api/v1/vendors/${vendorId}/approve`);
  t.equal(approved.json().vendor.status, 'approved');
  t.equal(approved.json().vendor.confirmedAt, now.toISOString(), 'approval starts the freshness clock');
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/vendors/${vendorId}` })).statusCode, 200, 'now public');

  const history = await call('GET', `/api/v1/vendors/${vendorId}/history`);
  const actions = history.json().entries.map((e: { action: string }) => e.action).reverse();
  t.same(actions, ['create', 'submit', 'reject', 'update', 'submit', 'approve']);
  const update = history.json().entries.find((e: { action: string }) => e.action === 'update');
  t.same(update.changes.map((c: { field: string }) => c.field), ['address'], 'only the changed field is recorded');
  t.ok(update.actor.name, 'who changed it');

  const codeChange = await call('PUT', `/api/v1/vendors/${vendorId}`, { ...profile, creditCode: code(999) });
  t.equal(codeChange.statusCode, 400, 'the natural key cannot change');
});

t.test('bad input is refused in Chinese and writes nothing', async (t) => {
  const { call, creditCode } = await vendorAccount(2);
  const before = await app.models.Product.countDocuments();
  const logs = await app.models.ChangeLog.countDocuments();
  const bad = await call('POST', '/api/v1/products', productBody(creditCode, { category: 'no-such', priceMin: 900, priceMax: 100, energyGrade: 9, certifications: ['ccc', '$gt'] }));
  t.equal(bad.statusCode, 400);
  const paths = bad.json().details.map((d: { path: string }) => d.path);
  t.ok(paths.includes('category') && paths.includes('energyGrade') && paths.includes('certifications.1'), JSON.stringify(paths));
  t.ok(bad.json().details.every((d: { message: string }) => cjk.test(d.message)));
  const badCode = await call('POST', '/api/v1/vendors', { name: '某某公司', creditCode: '91330108MA2K000010', province: '浙江省' });
  t.equal(badCode.statusCode, 400);
  t.match(JSON.stringify(badCode.json().details), '校验位');
  const operator = await call('PUT', `/api/v1/products/${'a'.repeat(24)}`, { $set: { status: 'published' } });
  t.equal(operator.statusCode, 400);
  t.equal(await app.models.Product.countDocuments(), before);
  t.equal(await app.models.ChangeLog.countDocuments(), logs);
});

t.test('vendors cannot read or change each other\'s listings; buyers cannot list products', async (t) => {
  const a = await vendorAccount(3);
  const b = await vendorAccount(4);
  const draft = await b.call('POST', '/api/v1/products', productBody(b.creditCode));
  t.equal(draft.statusCode, 201);
  const id = draft.json().id;
  t.equal((await a.call('GET', `/api/v1/products/${id}`)).statusCode, 404, 'A cannot read B\'s draft');
  t.equal((await a.call('PUT', `/api/v1/products/${id}`, productBody(b.creditCode, { name: '被篡改' }))).statusCode, 404, 'A cannot edit it');
  t.equal((await a.call('POST', `/api/v1/products/${id}/archive`)).statusCode, 404);
  t.equal((await a.call('POST', '/api/v1/products', productBody(b.creditCode, { model: 'X-1' }))).statusCode, 404, 'A cannot add products to B');
  t.equal((await a.call('GET', `/api/v1/vendors/${b.vendorId}/history`)).statusCode, 404);
  t.equal((await a.call('PUT', `/api/v1/vendors/${b.vendorId}`, { name: '改名', creditCode: b.creditCode, province: '浙江省' })).statusCode, 404);
  const buyer = await createUser(app, 'buyer');
  const asBuyer = api(await login(app, buyer.email, buyer.password));
  t.equal((await asBuyer('POST', '/api/v1/products', productBody(b.creditCode))).statusCode, 403);
  t.equal((await app.models.Product.findById(id).lean())?.name, '400万像素网络摄像机', 'unchanged');
});

t.test('an edit to a published product waits for review; the public keeps seeing the published values', async (t) => {
  const v = await vendorAccount(5);
  await v.call('POST', `/api/v1/vendors/${v.vendorId}/submit`);
  await asOrganizer('POST', `/api/v1/vendors/${v.vendorId}/approve`);
  const id = (await v.call('POST', '/api/v1/products', productBody(v.creditCode))).json().id;
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/products/${id}` })).statusCode, 404, 'a draft is not public');
  t.equal((await v.call('POST', `/api/v1/products/${id}/publish`)).statusCode, 403, 'a vendor cannot publish');
  await v.call('POST', `/api/v1/products/${id}/submit`);
  t.equal((await asOrganizer('POST', `/api/v1/products/${id}/publish`)).json().product.status, 'published');

  const edit = await v.call('PUT', `/api/v1/products/${id}`, productBody(v.creditCode, { priceMax: 1200, leadTimeDays: undefined }));
  t.equal(edit.statusCode, 200);
  t.equal(edit.json().pending, true);
  t.same(edit.json().product.pendingRevision.changes, { priceMax: 1200, leadTimeDays: null });
  const publicView = (await app.inject({ method: 'GET', url: `/api/v1/products/${id}` })).json().product;
  t.equal(publicView.priceMax, 900, 'the public still sees the published price');
  t.equal(publicView.leadTimeDays, 10);
  t.notOk(publicView.pendingRevision, 'and not the pending revision');

  const queue = (await asOrganizer('GET', '/api/v1/review')).json();
  t.ok(queue.revisions.some((p: { id: string }) => p.id === id), 'the organizer sees it in the review queue');
  const rejected = await asOrganizer('POST', `/api/v1/products/${id}/revision/reject`, { reason: '价格需附报价依据' });
  t.equal(rejected.json().product.reviewNote, '价格需附报价依据');
  t.equal(rejected.json().product.priceMax, 900);

  await v.call('PUT', `/api/v1/products/${id}`, productBody(v.creditCode, { priceMax: 1100 }));
  const marksBefore = await app.models.SearchOutbox.findById(id).lean();
  const approved = await asOrganizer('POST', `/api/v1/products/${id}/revision/approve`);
  t.equal(approved.json().product.priceMax, 1100, 'approved: the new value is what everyone sees');
  t.notOk(approved.json().product.pendingRevision);
  const marksAfter = await app.models.SearchOutbox.findById(id).lean();
  t.ok(marksAfter && marksAfter.version > (marksBefore?.version ?? 0), 'the change is queued for search');

  const staffEdit = await asOrganizer('PUT', `/api/v1/products/${id}`, productBody(v.creditCode, { priceMax: 1000 }));
  t.equal(staffEdit.json().pending, false, 'an organizer\'s own edit applies at once');

  const history = (await v.call('GET', `/api/v1/products/${id}/history`)).json().entries.map((e: { action: string }) => e.action).reverse();
  t.same(history, ['create', 'submit', 'publish', 'propose', 'reject-revision', 'propose', 'approve-revision', 'update']);
});

t.test('freshness: current → stale → hidden with the clock; confirming restores it', async (t) => {
  const v = await vendorAccount(6);
  await v.call('POST', `/api/v1/vendors/${v.vendorId}/submit`);
  await asOrganizer('POST', `/api/v1/vendors/${v.vendorId}/approve`);
  const freshness = async () => (await app.models.Vendor.findById(v.vendorId).lean())?.freshness;
  const start = now;
  t.equal(await freshness(), 'current');

  now = new Date(start.getTime() + 90 * DAY);
  await sweepFreshness(sweepDeps(app));
  t.equal(await freshness(), 'current', 'still current on day 90');
  now = new Date(start.getTime() + 91 * DAY);
  await sweepFreshness(sweepDeps(app));
  t.equal(await freshness(), 'stale', 'stale on day 91');
  const stale = (await asOrganizer('GET', '/api/v1/vendors/stale')).json().vendors;
  t.match(stale.find((s: { id: string }) => s.id === v.vendorId), { freshness: 'stale', daysSinceConfirmed: 91 });

  now = new Date(start.getTime() + 121 * DAY);
  await sweepFreshness(sweepDeps(app));
  t.equal(await freshness(), 'hidden', 'hidden after the 30-day grace period');
  const log = await app.models.ChangeLog.find({ vendor: v.vendorId, action: 'freshness' }).sort({ at: 1 }).lean();
  t.same(log.map((l) => l.changes[0].after), ['stale', 'hidden'], 'each transition recorded');
  t.equal(await sweepFreshness(sweepDeps(app)) >= 0, true);
  t.equal(await app.models.ChangeLog.countDocuments({ vendor: v.vendorId, action: 'freshness' }), 2, 'a second sweep changes nothing');

  await v.call('POST', `/api/v1/vendors/${v.vendorId}/confirm`);
  t.equal(await freshness(), 'current');
  await sweepFreshness(sweepDeps(app));
  t.equal(await freshness(), 'current');
  t.notOk((await asOrganizer('GET', '/api/v1/vendors/stale')).json().vendors.some((s: { id: string }) => s.id === v.vendorId));
});
