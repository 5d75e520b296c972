/** JSON imports: creation, idempotent re-import, publish flag, change log, search outbox, access. */
import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { buildTestApp, createUser, login } from '../helper.js';
import { cjk, creditCode, importJson, product, staffSession, vendor } from './fixtures.js';

t.test('a JSON import creates vendors and products; importing it again creates nothing and changes nothing', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { cookie } = await staffSession(app);
  const body = { vendors: [vendor(1), vendor(2)], products: [product(1, 'A-1'), product(1, 'A-2'), product(2, 'B-1')] };

  const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload: body });
  t.equal(res.statusCode, 202, 'accepted for background processing');
  const { jobId } = res.json();
  const before = await app.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie } });
  t.equal(before.json().status, 'running', 'a queued job reports running until a worker finishes it');
  t.equal(await app.models.Product.countDocuments(), 0, 'nothing is written by the request itself');

  await app.imports.runPending('test-worker');
  const first = (await app.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie } })).json();
  t.match(first, { status: 'done', total: 5, processed: 5, created: 5, updated: 0, unchanged: 0, rejected: 0, errors: [] });
  t.equal(await app.models.Vendor.countDocuments(), 2);
  t.equal(await app.models.Product.countDocuments(), 3);
  const p = await app.models.Product.findOne({ model: 'A-1' }).lean();
  t.match(p, { status: 'draft', field: 'security', priceMin: 680, priceMax: 920, specs: [{ key: '分辨率', value: '400万像素' }] });
  t.equal((await app.models.Vendor.findOne({ creditCode: creditCode(1) }).lean())?.status, 'draft', 'without publish new vendors are drafts');

  const again = await importJson(app, cookie, body);
  t.match(again, { status: 'done', total: 5, created: 0, updated: 0, unchanged: 5, rejected: 0 }, 're-import is idempotent');
  t.equal(await app.models.Product.countDocuments(), 3);

  const changed = await importJson(app, cookie, { products: [product(1, 'A-1', { priceMax: 999 })] });
  t.match(changed, { created: 0, updated: 1, unchanged: 0 });
  t.equal((await app.models.Product.findOne({ model: 'A-1' }).lean())?.priceMax, 999);
  t.equal((await app.models.Product.findOne({ model: 'A-1' }).lean())?.priceMin, 680, 'fields not in the row stay as they were');
});

t.test('every imported change is in the change log and marked for search, with the job as the actor', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { cookie } = await staffSession(app);
  const job = await importJson(app, cookie, { vendors: [vendor(3)], products: [product(3, 'C-1')] });
  const p = await app.models.Product.findOne({ model: 'C-1' }).lean();
  const v = await app.models.Vendor.findOne({ creditCode: creditCode(3) }).lean();
  const logs = await app.models.ChangeLog.find({}).lean();
  t.equal(logs.length, 2);
  for (const log of logs) {
    t.equal(log.action, 'import');
    t.equal(log.actor?.id, `import:${job.id}`);
    t.match(log.actor?.name, /^批量导入（测试organizer）$/);
  }
  const productLog = logs.find((l) => l.entity === 'product')!;
  t.equal(String(productLog.entityId), String(p!._id));
  t.equal(String(productLog.vendor), String(v!._id));
  t.ok(productLog.changes.some((c) => c.field === 'priceMax' && c.after === 920 && c.before === null), 'field-by-field before and after');
  t.ok(await app.models.SearchOutbox.exists({ _id: p!._id }), 'the new product is marked for indexing');

  await app.models.SearchOutbox.deleteMany({});
  await importJson(app, cookie, { vendors: [vendor(3, { name: '改名后的测试供应商有限公司' })] });
  const rename = await app.models.ChangeLog.findOne({ entity: 'vendor', 'changes.field': 'name' }).lean();
  t.match(rename?.changes, [{ field: 'name', before: '测试供应商3号有限公司', after: '改名后的测试供应商有限公司' }]);
  t.ok(await app.models.SearchOutbox.exists({ _id: p!._id }), 'a vendor change re-marks its products (they show the vendor name)');

  await app.models.SearchOutbox.deleteMany({});
  const unchanged = await importJson(app, cookie, { vendors: [vendor(3, { name: '改名后的测试供应商有限公司' })], products: [product(3, 'C-1')] });
  t.equal(unchanged.unchanged, 2);
  t.equal(await app.models.SearchOutbox.countDocuments(), 0, 'an unchanged row marks nothing');
  t.equal(await app.models.ChangeLog.countDocuments(), 3, 'and logs nothing');
});

t.test('publish: true approves vendors and publishes products; without it existing records keep their status', async (t) => {
  const now = new Date('2026-03-01T08:00:00Z');
  const app = await buildTestApp(t, {}, { background: false, clock: () => now });
  const { cookie } = await staffSession(app, 'admin');
  await importJson(app, cookie, { vendors: [vendor(5)], products: [product(5, 'E-1')], publish: true });
  const v = await app.models.Vendor.findOne({ creditCode: creditCode(5) }).lean();
  t.equal(v?.status, 'approved');
  t.same(v?.confirmedAt, now, 'publishing counts as a confirmation of the listing');
  t.equal((await app.models.Product.findOne({ model: 'E-1' }).lean())?.status, 'published');

  const edit = await importJson(app, cookie, { products: [product(5, 'E-1', { name: '新名称的网络摄像机' }), product(5, 'E-2')] });
  t.match(edit, { created: 1, updated: 1 });
  const e1 = await app.models.Product.findOne({ model: 'E-1' }).lean();
  t.equal(e1?.status, 'published', 'a published product stays published');
  t.equal(e1?.name, '新名称的网络摄像机', 'a staff import applies to a published product directly');
  t.notOk(e1?.pendingRevision, 'no revision to review: the organizer imported it');
  t.equal((await app.models.Product.findOne({ model: 'E-2' }).lean())?.status, 'draft', 'new records without publish are drafts');

  const draftVendor = await importJson(app, cookie, { vendors: [vendor(6)] });
  t.equal(draftVendor.created, 1);
  const publishLater = await importJson(app, cookie, { vendors: [vendor(6)], publish: true });
  t.equal(publishLater.updated, 1, 'publishing an unchanged draft vendor is an update (its status changes)');
  t.equal((await app.models.Vendor.findOne({ creditCode: creditCode(6) }).lean())?.status, 'approved');
});

t.test('only organizers and admins may import; vendors and buyers get 403, guests 401', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const body = { vendors: [vendor(7)] };
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/imports', payload: body })).statusCode, 401);
  for (const role of ['vendor', 'buyer'] as const) {
    const u = await createUser(app, role);
    const cookie = await login(app, u.email, u.password);
    const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload: body });
    t.equal(res.statusCode, 403, `${role} refused`);
    t.match(res.json().message, cjk);
  }
  const { cookie } = await staffSession(app);
  const job = await importJson(app, cookie, body);
  const vendorUser = await createUser(app, 'vendor');
  const vendorCookie = await login(app, vendorUser.email, vendorUser.password);
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/imports/${job.id}`, headers: { cookie: vendorCookie } })).statusCode, 403, 'nor read a job');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/imports/not-an-id', headers: { cookie } })).statusCode, 404);
  t.equal(await app.models.Vendor.countDocuments(), 1, 'refused imports wrote nothing');
});

t.test('a JSON body that is not an import gets a Chinese 400, never a 500', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { cookie } = await staffSession(app);
  for (const payload of [{}, { vendors: [], products: [] }, { vendors: 'x' }, { products: [{}], publish: 'yes' }]) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie }, payload });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.json().message, cjk);
  }
  t.equal(await app.imports.ImportJob.countDocuments(), 0, 'no job was created');
});

t.test('new products go in as plain documents, stored exactly as mongoose would store them', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const { cookie } = await staffSession(app);
  const job = await importJson(app, cookie, {
    vendors: [vendor(7)], publish: true,
    products: [product(7, 'FULL-1'), product(7, 'BARE-1', { description: undefined, certifications: [], energyGrade: undefined, priceMin: undefined, priceMax: undefined, capacityPerMonth: undefined, leadTimeDays: undefined, specs: [] })],
  });
  t.match(job, { status: 'done', created: 3 });
  const stored = await app.conn.db!.collection('products').find({ vendorCreditCode: creditCode(7) }).sort({ model: 1 }).toArray();
  t.equal(stored.length, 2);
  for (const raw of stored) {
    // Casting the stored document through the schema changes nothing: same keys, same BSON types, defaults
    // present, no stray null for an absent value, sub-documents shaped as the schema shapes them.
    const cast = new app.models.Product(raw).toObject({ depopulate: true, virtuals: false, getters: false });
    t.same(Object.keys(raw).sort(), Object.keys(cast).sort(), `${String(raw.model)}: the keys mongoose would store`);
    t.ok(isDeepStrictEqual(raw, cast), `${String(raw.model)}: the values and types mongoose would store`);
    t.equal(new app.models.Product(raw).validateSync(), undefined, `${String(raw.model)}: valid under the schema`);
    t.equal(raw.__v, 0);
    t.ok(raw.createdAt instanceof Date && raw.updatedAt instanceof Date, 'timestamps as dates');
  }
});
