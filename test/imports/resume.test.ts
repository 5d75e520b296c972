/** Import jobs survive their instance: resumed from the last committed batch, or clearly failed. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp } from '../helper.js';
import { finish, multipart, product, staffSession, tokenFor, vendor } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
const staff = await staffSession(app);

t.test('a job whose instance died is resumed from its last committed batch by another worker', async (t) => {
  const resumeApp = app;
  const products = Array.from({ length: 1200 }, (_, i) => product(900, `R-${i}`));
  const res = await resumeApp.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie: staff.cookie }, payload: { vendors: [vendor(900)], products } });
  const { jobId } = res.json();

  const claimed = await resumeApp.imports.claimJob('instance-a');
  t.equal(String(claimed?._id), jobId);
  t.equal(await resumeApp.imports.runJob(jobId, 'instance-a', { maxBatches: 1 }), 'paused');
  const mid = (await resumeApp.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie: staff.cookie } })).json();
  t.match(mid, { status: 'running', stage: 'importing', total: 1201, processed: 500, created: 500 }, 'progress is visible after each batch');
  t.equal(await resumeApp.models.Product.countDocuments(), 499);

  t.equal(await resumeApp.imports.claimJob('instance-b'), null, 'a live lease keeps other workers away');
  // instance-a dies: its lease lapses.
  await resumeApp.imports.ImportJob.updateOne({ _id: jobId }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
  const taken = await resumeApp.imports.claimJob('instance-b');
  t.equal(String(taken?._id), jobId, 'another instance takes it over');
  t.equal(await resumeApp.imports.runJob(jobId, 'instance-a'), 'lost', 'the dead owner cannot write any more');
  t.equal(await resumeApp.imports.runJob(jobId, 'instance-b'), 'done');

  const done = await finish(resumeApp, staff.cookie, jobId);
  t.match(done, { status: 'done', total: 1201, processed: 1201, created: 1201, updated: 0, unchanged: 0, rejected: 0 });
  t.equal(await resumeApp.models.Product.countDocuments(), 1200, 'every row exactly once');
  t.equal(await resumeApp.models.ChangeLog.countDocuments(), 1201);
  t.equal(await resumeApp.imports.ImportRow.countDocuments(), 0, 'job rows are removed when it ends');
});

t.test('a job that keeps losing its workers is marked failed, never left running', async (t) => {
  const app2 = app;
  const res = await app2.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie: staff.cookie }, payload: { vendors: [vendor(950)] } });
  const { jobId } = res.json();
  for (let i = 0; i < 5; i++) {
    t.ok(await app2.imports.claimJob(`crashing-${i}`));
    await app2.imports.ImportJob.updateOne({ _id: jobId }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
  }
  t.equal(await app2.imports.claimJob('survivor'), null);
  const job = (await app2.inject({ method: 'GET', url: `/api/v1/imports/${jobId}`, headers: { cookie: staff.cookie } })).json();
  t.equal(job.status, 'failed');
  t.match(job.failure, /多次中断/);
});


t.test('a demand-list job whose instance died mid-file is resumed from its last committed batch', async (t) => {
  const token = await tokenFor(app, staff.cookie);
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('需求');
  sheet.addRow(['需求标题', '类别', '数量', '单位', '截止日期', '采购单位', '单位类型', '层级', '省份']);
  for (let i = 1; i <= 450; i++) sheet.addRow([`续传需求第${i}条`, 'elevator', i, '台', new Date(Date.UTC(2099, 2, 1)), '杭州市续传测试局', '机关单位', '区级', '浙江省']);
  const body = multipart({ name: '续传.xlsx', content: Buffer.from(await wb.xlsx.writeBuffer()) }, { publish: 'true' });
  const res = await app.inject({ method: 'POST', url: '/api/v1/demand-imports', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  t.equal(res.statusCode, 202);
  const { jobId } = res.json();
  const progress = async () => (await app.inject({ method: 'GET', url: `/api/v1/demand-imports/${jobId}`, headers: { cookie: staff.cookie } })).json();

  const claimed = await app.demandImports.claimJob('instance-a');
  t.equal(String(claimed?._id), jobId);
  t.equal(await app.demandImports.runJob(jobId, 'instance-a', { maxBatches: 1 }), 'paused');
  t.match(await progress(), { status: 'running', stage: 'importing', total: 450, processed: 200, created: 200 }, 'the first batch is committed and visible');
  t.equal(await app.models.Demand.countDocuments({ title: /^续传需求/ }), 200);
  t.equal(await app.demandImports.ImportRow.countDocuments({ job: jobId }), 450, 'the rows are staged: the file is not read again');
  t.equal(await app.conn.db!.collection('demandImports.files').countDocuments(), 0, 'the uploaded file is gone once staged');

  t.equal(await app.demandImports.claimJob('instance-b'), null, 'a live lease keeps other workers away');
  // instance-a dies: its lease lapses.
  await app.demandImports.ImportJob.updateOne({ _id: jobId }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
  t.equal(String((await app.demandImports.claimJob('instance-b'))?._id), jobId, 'another instance takes it over');
  t.equal(await app.demandImports.runJob(jobId, 'instance-a'), 'lost', 'the dead owner cannot write any more');
  t.equal(await app.demandImports.runJob(jobId, 'instance-b'), 'done');

  t.match(await progress(), { status: 'done', total: 450, processed: 450, created: 450, updated: 0, rejected: 0 });
  t.equal(await app.models.Demand.countDocuments({ title: /^续传需求/ }), 450, 'every row exactly once');
  t.equal(await app.models.BuyerOrg.countDocuments({ name: '杭州市续传测试局' }), 1);
  t.equal(await app.demandImports.ImportRow.countDocuments({ job: jobId }), 0, 'staged rows are removed when it ends');
});
