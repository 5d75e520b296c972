/**
 * An import respects the list's decisions: `publish` never lifts a suspension or a return, and an archived
 * product is neither republished nor edited. The rows are reported as skipped, with a Chinese reason, in the
 * job (API and page). The demand import likewise leaves closed demands alone.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { cjk, creditCode, importJson, product, staffSession, vendor } from './fixtures.js';
import { binjiangBureau, orgOf } from '../demands/support.js';

const app = await buildTestApp(t, {}, { background: false });
const { cookie } = await staffSession(app, 'organizer');
const vendorOf = (n: number) => app.models.Vendor.findOne({ creditCode: creditCode(n) }).lean();
const productOf = (model: string) => app.models.Product.findOne({ model }).lean();

t.test('publish approves drafts only: suspended and returned vendors keep their status, archived products stay archived and untouched', async (t) => {
  await importJson(app, cookie, {
    vendors: [vendor(11), vendor(12), vendor(14)],
    products: [product(14, 'D-1'), product(14, 'D-3')],
    publish: true,
  });
  await importJson(app, cookie, { vendors: [vendor(13)] }); // a draft

  const suspend = await app.inject({
    method: 'POST', url: `/api/v1/vendors/${String((await vendorOf(11))!._id)}/suspend`, headers: { cookie }, payload: { reason: '资质证书过期，暂停入库' },
  });
  t.equal(suspend.statusCode, 200, 'the organizer suspends vendor 11');
  // A returned application: vendor 12 was rejected at review.
  await app.models.Vendor.updateOne({ creditCode: creditCode(12) }, { $set: { status: 'rejected', reviewNote: '营业执照信息不一致' } });
  const archive = await app.inject({ method: 'POST', url: `/api/v1/products/${String((await productOf('D-1'))!._id)}/archive`, headers: { cookie }, payload: {} });
  t.equal(archive.statusCode, 200, 'product D-1 is archived');
  const archivedBefore = await productOf('D-1');
  const archivedLogs = await app.models.ChangeLog.countDocuments({ entityId: archivedBefore!._id });

  const job = await importJson(app, cookie, {
    vendors: [
      vendor(11, { description: '暂停期间更新的简介' }),
      vendor(12, { description: '退回后更新的简介' }),
      vendor(13),
      vendor(14),
    ],
    products: [product(14, 'D-1', { name: '试图改名的已归档产品' }), product(14, 'D-2'), product(14, 'D-3', { priceMax: 999 })],
    publish: true,
  });

  const v11 = await vendorOf(11);
  t.equal(v11?.status, 'suspended', 'a suspended vendor stays suspended');
  t.equal(v11?.reviewNote, '资质证书过期，暂停入库', 'with its reason');
  t.equal(v11?.description, '暂停期间更新的简介', 'its other data is applied (it is not public meanwhile)');
  const v12 = await vendorOf(12);
  t.equal(v12?.status, 'rejected', 'a returned vendor is not approved by an import');
  t.equal(v12?.description, '退回后更新的简介');
  t.equal((await vendorOf(13))?.status, 'approved', 'a draft vendor is approved as before');

  const d1 = await productOf('D-1');
  t.equal(d1?.status, 'archived', 'an archived product stays archived');
  t.equal(d1?.name, archivedBefore?.name, 'and is not edited');
  t.same(d1?.updatedAt, archivedBefore?.updatedAt, 'not written at all');
  t.equal((await productOf('D-2'))?.status, 'published', 'a new product is published');
  t.match(await productOf('D-3'), { status: 'published', priceMax: 999 }, 'a published product is updated');
  t.equal(await app.models.ChangeLog.countDocuments({ entityId: d1!._id }), archivedLogs, 'nothing added to the archived product\'s history');

  t.match(job, { status: 'done', total: 7, processed: 7, rejected: 0, errors: [] }, 'the docs/api.md shape is unchanged');
  t.match(job, { created: 1, updated: 4, unchanged: 1, skippedCount: 3 }, 'counts: D-2 new; 11, 12 (data), 13 (approved), D-3 updated; 14 unchanged');
  t.same((job.skipped ?? []).map((s: { kind: string; row: number }) => `${s.kind}:${s.row}`), ['vendor:1', 'vendor:2', 'product:1'], 'the skipped rows, by kind and row');
  for (const s of job.skipped) t.match(s.message, cjk, 'each with a Chinese reason');
  t.match(job.skipped[0].message, /暂停.*不会恢复/);
  t.match(job.skipped[1].message, /退回/);
  t.match(job.skipped[2].message, /归档.*不会重新发布/);

  const again = await importJson(app, cookie, { products: [product(14, 'D-1', { name: '不发布也不改' })] });
  t.match(again, { updated: 0, unchanged: 0, skippedCount: 1 }, 'without publish an archived product is left alone too');
  t.equal((await productOf('D-1'))?.name, archivedBefore?.name);

  const page = await app.inject({ method: 'GET', url: `/admin/imports/${job.id}`, headers: { cookie } });
  t.equal(page.statusCode, 200);
  t.match(page.body, '保留原状的行', 'the job page lists the skipped rows');
  t.match(page.body, /该企业已被暂停，导入不会恢复其入库状态/);
  t.match(page.body, /该产品已归档，导入不会重新发布/);

  const list = await app.inject({ method: 'GET', url: '/api/v1/imports', headers: { cookie } });
  t.equal(list.statusCode, 200);
  t.match(list.json().jobs.find((j: { id: string }) => j.id === job.id), { skippedCount: 3 }, 'the job list carries the count');
});

t.test('the demand import never reopens or edits a closed demand', async (t) => {
  await orgOf(app, binjiangBureau);
  const row = (title: string, extra: Record<string, unknown> = {}) => ({
    title, description: '全区学校午休课桌椅更新', category: 'school-furniture', quantity: 3000, unit: '套', deadline: '2099-06-30',
    buyer: { name: binjiangBureau.name }, ...extra,
  });
  const post = async (body: object) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { cookie }, payload: body });
    t.equal(res.statusCode, 202, res.body);
    await app.demandImports.runPending('test-worker');
    return (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${res.json().jobId}`, headers: { cookie } })).json();
  };
  await post({ demands: [row('课桌椅（已取消）'), row('课桌椅（进行中）')], open: true });
  const cancelled = await app.models.Demand.findOne({ title: '课桌椅（已取消）' }).lean();
  const close = await app.inject({
    method: 'POST', url: `/api/v1/demands/${String(cancelled!._id)}/close`, headers: { cookie }, payload: { closedAs: 'cancelled', reason: '预算取消' },
  });
  t.equal(close.statusCode, 200, close.body);
  const closedBefore = await app.models.Demand.findById(cancelled!._id).lean();

  const job = await post({ demands: [row('课桌椅（已取消）', { quantity: 5000 }), row('课桌椅（进行中）', { quantity: 4000 })], open: true });
  t.match(job, { status: 'done', total: 2, updated: 1, rejected: 0, errors: [], skippedCount: 1 });
  t.match(job.skipped, [{ kind: 'demand', row: 1, message: /已关闭（已取消）.*不会重新开放/ }]);
  const after = await app.models.Demand.findById(cancelled!._id).lean();
  t.match(after, { status: 'closed', closedAs: 'cancelled', quantity: 3000 }, 'the closed demand is neither reopened nor edited');
  t.equal(after?.history.length, closedBefore?.history.length, 'and its history has no import step');
  t.equal((await app.models.Demand.findOne({ title: '课桌椅（进行中）' }).lean())?.quantity, 4000, 'an open demand is updated as before');

  const page = await app.inject({ method: 'GET', url: `/organizer/demands/import/${job.id}`, headers: { cookie } });
  t.match(page.body, '保留原状的行');
  t.match(page.body, '该需求已关闭（已取消）');
});
