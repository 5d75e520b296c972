/** With background loops on (as in production), a posted import runs by itself. */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { product, staffSession, vendor } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: true });
const staff = await staffSession(app);

t.test('the background worker picks up a job by itself when the app runs its loops', async (t) => {
  const live = app;
  const res = await live.inject({ method: 'POST', url: '/api/v1/imports', headers: { cookie: staff.cookie }, payload: { vendors: [vendor(960)], products: [product(960, 'L-1')] } });
  let job;
  for (let i = 0; i < 100; i++) {
    job = (await live.inject({ method: 'GET', url: `/api/v1/imports/${res.json().jobId}`, headers: { cookie: staff.cookie } })).json();
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.match(job, { status: 'done', created: 2 });
});
