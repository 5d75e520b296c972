/** The organizer's import page: upload without JavaScript (multipart + CSRF), progress, rejected rows, escaping. */
import t from 'tap';
import { buildTestApp, cookiesOf, createUser, csrfFrom, login } from '../helper.js';
import { creditCode, multipart, staffSession } from './fixtures.js';

const app = await buildTestApp(t, {}, { background: false });
const { cookie } = await staffSession(app);

const csv = [
  '统一社会信用代码,企业名称,省份',
  `${creditCode(1)},页面导入有限公司,浙江省`,
  '',
].join('\n');
const productsCsv = [
  '供应商统一社会信用代码,产品名称,型号,类别',
  `${creditCode(1)},好产品,G-1,video-surveillance`,
  `${creditCode(1)},坏类别,G-2,<img src=x onerror=alert(1)>`,
].join('\n');

async function formToken() {
  const page = await app.inject({ method: 'GET', url: '/admin/imports', headers: { cookie } });
  return { page, token: csrfFrom(page.body) };
}

t.test('the page offers the upload form, the templates and the nav entry', async (t) => {
  const { page, token } = await formToken();
  t.equal(page.statusCode, 200);
  t.match(page.body, /<form method="post" action="\/admin\/imports\?_csrf=[^"]+" enctype="multipart\/form-data"/);
  t.ok(page.body.includes(`action="/admin/imports?_csrf=${token}"`), 'the token travels in the query string');
  t.match(page.body, /href="\/api\/v1\/imports\/template\.xlsx"/);
  t.match(page.body, /<a href="\/admin\/imports"[^>]*>批量导入<\/a>/, 'nav entry');
  t.match(page.body, /还没有导入任务/);
});

t.test('uploading a file starts a job; its page follows progress and lists rejected rows, escaped', async (t) => {
  const { token } = await formToken();
  const vendorsUpload = multipart({ name: 'vendors.csv', content: csv, type: 'text/csv' }, { publish: 'true' });
  const posted = await app.inject({ method: 'POST', url: `/admin/imports?_csrf=${encodeURIComponent(token)}`, headers: { ...vendorsUpload.headers, cookie }, payload: vendorsUpload.payload });
  t.equal(posted.statusCode, 303);
  t.match(posted.headers.location, /^\/admin\/imports\/[0-9a-f]{24}$/);
  const jobCookie = cookiesOf(posted) || cookie;

  const running = await app.inject({ method: 'GET', url: posted.headers.location as string, headers: { cookie: jobCookie } });
  t.equal(running.statusCode, 200);
  t.match(running.body, /已开始导入“vendors\.csv”/, 'flash after the redirect');
  t.match(running.body, /排队中/);
  t.match(running.body, /<progress id="imp-bar"/);
  t.match(running.body, /<meta http-equiv="refresh" content="2">/, 'reloads itself while running (no JavaScript needed)');
  t.equal(running.headers.refresh, '2');

  await app.imports.runPending('test-worker');
  const done = await app.inject({ method: 'GET', url: posted.headers.location as string, headers: { cookie } });
  t.match(done.body, /已完成/);
  t.match(done.body, /<progress id="imp-bar" max="1" value="1">100%<\/progress>/);
  t.notMatch(done.body, /http-equiv="refresh"/, 'stops reloading when done');
  t.notOk(done.headers.refresh);
  t.equal((await app.models.Vendor.findOne({ creditCode: creditCode(1) }).lean())?.status, 'approved', 'the publish box was honoured');

  const productUpload = multipart({ name: '<b>产品.csv', content: productsCsv });
  const second = await app.inject({ method: 'POST', url: `/admin/imports?_csrf=${encodeURIComponent(token)}`, headers: { ...productUpload.headers, cookie }, payload: productUpload.payload });
  t.equal(second.statusCode, 303);
  await app.imports.runPending('test-worker');
  const report = await app.inject({ method: 'GET', url: second.headers.location as string, headers: { cookie } });
  t.match(report.body, /被拒绝的行/);
  t.match(report.body, /<td>产品<\/td><td>3<\/td><td>类别<\/td><td>未知的产品类别：&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
  t.notMatch(report.body, /<img src=x/, 'user data is escaped');
  t.notMatch(report.body, /<b>产品/, 'the file name too');
  t.match(report.body, /&lt;b&gt;产品\.csv/);

  const list = await app.inject({ method: 'GET', url: '/admin/imports', headers: { cookie } });
  t.match(list.body, /vendors\.csv/);
  t.match(list.body, /直接发布/);
});

t.test('the upload needs the CSRF token, a file of the right type, and staff', async (t) => {
  const upload = multipart({ name: 'vendors.csv', content: csv });
  const noToken = await app.inject({ method: 'POST', url: '/admin/imports', headers: { ...upload.headers, cookie }, payload: upload.payload });
  t.equal(noToken.statusCode, 403, 'no token, no import');
  t.match(noToken.body, /表单已过期/);
  const jobs = await app.imports.ImportJob.countDocuments();

  const { token } = await formToken();
  const wrong = multipart({ name: 'list.docx', content: 'hello' });
  const refused = await app.inject({ method: 'POST', url: `/admin/imports?_csrf=${encodeURIComponent(token)}`, headers: { ...wrong.headers, cookie }, payload: wrong.payload });
  t.equal(refused.statusCode, 303);
  t.equal(refused.headers.location, '/admin/imports');
  const back = await app.inject({ method: 'GET', url: '/admin/imports', headers: { cookie } });
  t.match(back.body, /仅支持 \.xlsx 或 \.csv 文件/, 'the reason is shown on the page');

  const none = multipart(null);
  await app.inject({ method: 'POST', url: `/admin/imports?_csrf=${encodeURIComponent(token)}`, headers: { ...none.headers, cookie }, payload: none.payload });
  t.match((await app.inject({ method: 'GET', url: '/admin/imports', headers: { cookie } })).body, /请选择要上传的文件/);
  t.equal(await app.imports.ImportJob.countDocuments(), jobs, 'refused uploads create no job');

  const vendorUser = await createUser(app, 'vendor');
  const vendorCookie = await login(app, vendorUser.email, vendorUser.password);
  t.equal((await app.inject({ method: 'GET', url: '/admin/imports', headers: { cookie: vendorCookie } })).statusCode, 403);
  const guest = await app.inject({ method: 'GET', url: '/admin/imports' });
  t.equal(guest.statusCode, 303);
  t.match(guest.headers.location, /^\/login\?next=/);
  t.equal((await app.inject({ method: 'GET', url: '/admin/imports/0123456789abcdef01234567', headers: { cookie } })).statusCode, 404);
});

t.test('a cookie-authenticated multipart API upload needs the CSRF token too', async (t) => {
  const upload = multipart({ name: 'vendors.csv', content: csv });
  const res = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...upload.headers, cookie }, payload: upload.payload });
  t.equal(res.statusCode, 403);
  const { token } = await formToken();
  const ok = await app.inject({ method: 'POST', url: '/api/v1/imports', headers: { ...upload.headers, cookie, 'x-csrf-token': token }, payload: upload.payload });
  t.equal(ok.statusCode, 202);
});
