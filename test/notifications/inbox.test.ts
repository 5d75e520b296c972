/** The inbox page and API: one's own messages only, escaped, unread count in the navigation, mark read. */
import t from 'tap';
import { buildTestApp, createUser, csrfFrom, login } from '../helper.js';

const app = await buildTestApp(t, {}, { background: false });
const alice = await createUser(app, 'buyer');
const bob = await createUser(app, 'vendor');
const aliceCookie = await login(app, alice.email, alice.password);
const bobCookie = await login(app, bob.email, bob.password);

await app.notify({ kind: 'followup.interest', recipients: { userIds: [alice.id] }, title: '<script>alert(1)</script>有意向', body: '留言：<b>你好</b>', link: '/demands/0123456789abcdef01234567' });
await app.notify({ kind: 'demand.match', recipients: { userIds: [alice.id] }, title: '第二条消息' });
await app.notify({ kind: 'demand.match', recipients: { userIds: [bob.id] }, title: '只给供应商的消息' });
await app.notifications.drain();

const page = (cookie: string) => app.inject({ method: 'GET', url: '/inbox', headers: { cookie } });

t.test('the inbox shows only one’s own messages, escaped, with the unread count in the navigation', async (t) => {
  const res = await page(aliceCookie);
  t.equal(res.statusCode, 200);
  t.match(res.body, /href="\/inbox"[^>]*>消息（2）</, 'the navigation counts unread messages');
  t.notMatch(res.body, /<script>alert/, 'no markup from a message gets through');
  t.match(res.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;有意向/);
  t.match(res.body, /留言：&lt;b&gt;你好&lt;\/b&gt;/);
  t.match(res.body, /供应商意向/);
  t.notMatch(res.body, /只给供应商的消息/);
  t.equal((await app.inject({ method: 'GET', url: '/inbox' })).headers.location, '/login?next=%2Finbox');
});

t.test('mark one read (and follow its link), mark all read', async (t) => {
  const list = await app.inject({ method: 'GET', url: '/api/v1/notifications', headers: { cookie: aliceCookie } });
  t.equal(list.statusCode, 200);
  t.match(list.json(), { total: 2, unread: 2 });
  const [second, first] = list.json().notifications;
  t.equal(second.title, '第二条消息', 'newest first');

  const html = (await page(aliceCookie)).body;
  const csrf = csrfFrom(html);
  const go = await app.inject({
    method: 'POST', url: `/inbox/${first.id}/read`, headers: { cookie: aliceCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(csrf)}&go=1`,
  });
  t.equal(go.statusCode, 303);
  t.equal(go.headers.location, '/demands/0123456789abcdef01234567', '查看 opens the page the message is about');
  t.match((await page(aliceCookie)).body, /消息（1）/);

  const bobsId = (await app.inject({ method: 'GET', url: '/api/v1/notifications', headers: { cookie: bobCookie } })).json().notifications[0].id;
  const foreign = await app.inject({
    method: 'POST', url: `/inbox/${bobsId}/read`, headers: { cookie: aliceCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(csrf)}`,
  });
  t.equal(foreign.statusCode, 404, "someone else's message does not exist for you");
  const foreignApi = await app.inject({ method: 'POST', url: `/api/v1/notifications/${bobsId}/read`, headers: { cookie: aliceCookie, 'content-type': 'application/json' }, payload: '{}' });
  t.equal(foreignApi.statusCode, 404);
  t.match(foreignApi.json().message, /[\u4e00-\u9fff]/);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notifications', headers: { cookie: bobCookie } })).json().unread, 1, "bob's stays unread");

  const noCsrf = await app.inject({ method: 'POST', url: '/inbox/read-all', headers: { cookie: aliceCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
  t.equal(noCsrf.statusCode, 403, 'the form needs its CSRF token');
  const all = await app.inject({
    method: 'POST', url: '/inbox/read-all', headers: { cookie: aliceCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(csrf)}`,
  });
  t.equal(all.statusCode, 303);
  const after = await page(aliceCookie);
  t.match(after.body, /已将 1 条消息标为已读/);
  t.match(after.body, /href="\/inbox"[^>]*>消息</);
  t.notMatch(after.body, /消息（/);
});

t.test('the API reads and marks read', async (t) => {
  const unread = await app.inject({ method: 'GET', url: '/api/v1/notifications?unread=true', headers: { cookie: bobCookie } });
  t.equal(unread.json().notifications.length, 1);
  const id = unread.json().notifications[0].id;
  const read = await app.inject({ method: 'POST', url: `/api/v1/notifications/${id}/read`, headers: { cookie: bobCookie, 'content-type': 'application/json' }, payload: '{}' });
  t.equal(read.statusCode, 200);
  t.match(read.json(), { id, read: true });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notifications?unread=true', headers: { cookie: bobCookie } })).json().notifications.length, 0);
  const bad = await app.inject({ method: 'GET', url: '/api/v1/notifications?page=0', headers: { cookie: bobCookie } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().details, [{ path: 'page', message: /[\u4e00-\u9fff]/ }]);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/notifications/nonsense/read', headers: { cookie: bobCookie, 'content-type': 'application/json' }, payload: '{}' })).statusCode, 404);
});
