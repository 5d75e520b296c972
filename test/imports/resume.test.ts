/** Import jobs survive their instance: resumed from the last committed batch, or clearly failed. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { finish, product, staffSession, vendor } from './fixtures.js';

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

