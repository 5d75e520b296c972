/**
 * What one product search costs the database, as an operator reading MongoDB's profiler would see it: a
 * guest's search reads nothing, a search with a session cookie or an API token reads once (the session with
 * its user, the token with its user). And the one read still ends access at once: a logged-out session or a
 * revoked token is refused on its very next request.
 */
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createUser, login } from '../helper.js';
import { addProduct, addVendor } from './fixtures.js';
import { SearchResult } from '../../src/search/schemas.js';

/** The operations MongoDB ran on the app's database while `fn` ran, from its profiler (level 2: everything). */
async function operationsDuring(app: FastifyInstance, fn: () => Promise<unknown>): Promise<string[]> {
  const db = app.conn.db!;
  await db.command({ profile: 0 });
  await db.collection('system.profile').drop().catch(() => {});
  await db.command({ profile: 2 });
  try {
    await fn();
  } finally {
    await db.command({ profile: 0 });
  }
  const entries = await db.collection('system.profile').find({}).toArray();
  return entries
    .filter((e) => !String(e.ns).endsWith('.system.profile') && !(e.command && 'profile' in e.command))
    .map((e) => `${e.op} ${String(e.ns).split('.').slice(1).join('.')}`);
}

t.test('a search reads MongoDB at most once, and a withdrawn credential stops at once', async (t) => {
  const app = await buildTestApp(t, {}, { background: false });
  const vendor = await addVendor(app, { name: '杭州往返光电有限公司' });
  await addProduct(app, vendor, { name: '红外枪型摄像机', model: 'RT-100', category: 'video-surveillance', description: '适合小区出入口' });
  await app.searchSync.drain();

  const user = await createUser(app, 'organizer');
  const cookie = await login(app, user.email, user.password);
  const created = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie, 'content-type': 'application/json' }, payload: {} });
  const { token, id: tokenId } = created.json() as { token: string; id: string };
  const search = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/api/v1/search?q=摄像机&pageSize=20', headers });

  // Once each, so that what happens once (the query vocabulary, the token's last use) is done.
  for (const headers of [{}, { authorization: `Bearer ${token}` }, { cookie }] as Array<Record<string, string>>) t.equal((await search(headers)).statusCode, 200);

  // The answer is exactly the documented shape (the route writes it without re-checking it).
  const answer = (await search()).json() as unknown;
  t.same(SearchResult.strict().parse(answer), answer, 'the answer has the documented fields and no others');
  const guest = await operationsDuring(app, async () => t.equal((await search()).json().total, 1));
  t.same(guest, [], 'a guest’s search does not touch MongoDB');
  const withToken = await operationsDuring(app, async () => t.equal((await search({ authorization: `Bearer ${token}` })).statusCode, 200));
  t.equal(withToken.length, 1, `one read with an API token: ${withToken.join(', ')}`);
  const withSession = await operationsDuring(app, async () => t.equal((await search({ cookie })).statusCode, 200));
  t.equal(withSession.length, 1, `one read with a session: ${withSession.join(', ')}`);

  // The session's user comes from the same read: a disabled account is refused at once.
  const me = () => app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } });
  t.equal((await me()).statusCode, 200);
  await app.models.User.updateOne({ _id: user.id }, { $set: { disabled: true } });
  t.equal((await me()).statusCode, 401, 'a disabled account’s session is refused on its next request');
  await app.models.User.updateOne({ _id: user.id }, { $set: { disabled: false } });

  const other = await createUser(app, 'organizer');
  const otherCookie = await login(app, other.email, other.password);
  const otherMe = () => app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: otherCookie } });
  t.equal((await otherMe()).statusCode, 200);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: otherCookie, 'content-type': 'application/json' }, payload: '{}' })).statusCode < 400, true);
  t.equal((await otherMe()).statusCode, 401, 'a logged-out session is refused on its next request');

  // A second login of the first user to revoke the token with (the first session was ended by disabling).
  const again = await login(app, user.email, user.password);
  const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/auth/tokens/${tokenId}`, headers: { cookie: again } });
  t.ok(revoked.statusCode < 400, `token revoked (${revoked.statusCode})`);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401, 'a revoked token is refused on its next request');
});
