/**
 * The event pages' validated input: a malformed id in a page's URL is a Chinese 404 page (never a 500),
 * a malformed form comes back as the page with its errors in Chinese and nothing written, a strange query
 * never breaks a page.
 */
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { getPage, postForm, textOf } from '../suppliers/pages-support.js';
import { session } from '../demands/support.js';
import { createEventFromForm, vendorWithUser } from './pages-support.js';

const app = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100000' }, { background: false });
const organizer = await session(app, 'organizer');
const hik = await vendorWithUser(app, '杭州滨安视讯科技有限公司', 201);
const eventId = await createEventFromForm(app, organizer.cookie);
const other = '0123456789abcdef01234567';

t.test('a malformed id in the URL is a Chinese 404 page', async (t) => {
  const pages = [
    `/organizer/events/nonsense`, `/organizer/events/nonsense/grid`, `/organizer/events/nonsense/cards`, `/organizer/events/nonsense/dashboard`,
    `/events/nonsense`, `/events/nonsense/wishes`, `/events/${eventId}/agenda/nonsense`,
  ];
  for (const url of pages) {
    const res = await getPage(app, url, organizer.cookie);
    t.equal(res.statusCode, 404, url);
    t.match(textOf(res.body), /未找到/, `${url} says so in Chinese`);
  }
  const posts: Array<[string, Record<string, string>]> = [
    [`/organizer/events/nonsense/phase`, { to: 'registration' }],
    [`/organizer/events/${eventId}/participants/nonsense/review`, { decision: 'approve' }],
    [`/organizer/events/${eventId}/meetings/nonsense/move`, { slot: '0', table: '1' }],
    [`/organizer/events/${eventId}/meetings/nonsense/cancel`, {}],
    [`/events/nonsense/register`, {}],
    [`/events/${eventId}/participants/nonsense/withdraw`, {}],
  ];
  for (const [url, form] of posts) {
    const res = await postForm(app, url, organizer.cookie, form);
    t.equal(res.statusCode, 404, url);
    t.match(textOf(res.body), /未找到/);
  }
  t.equal((await getPage(app, `/organizer/events/${other}`, organizer.cookie)).statusCode, 404, 'a well-formed id of no event');
});

t.test('a malformed form is the page again with Chinese errors, nothing written', async (t) => {
  const before = (await app.models.Event.findById(eventId).lean())!;
  const phase = await postForm(app, `/organizer/events/${eventId}/phase`, organizer.cookie, { to: 'launched' });
  t.equal(phase.statusCode, 400);
  t.match(textOf(phase.body), /未知的阶段/);
  const vendor = await postForm(app, `/organizer/events/${eventId}/register-vendor`, organizer.cookie, { vendorCreditCode: hik.vendor.creditCode, representatives: '-3' });
  t.equal(vendor.statusCode, 400);
  t.match(textOf(vendor.body), /至少 1 名参会代表/);
  const add = await postForm(app, `/organizer/events/${eventId}/meetings`, organizer.cookie, { buyer: 'x', vendor: other, slot: '一', table: '1' });
  t.equal(add.statusCode, 400);
  t.match(textOf(add.body), /请选择采购方、供应商、时段和桌号/);
  t.match(textOf(add.body), /时段编号应为数字/);
  for (const res of [phase, vendor, add]) t.notMatch(res.body, /expected|Invalid input|数值过小/, 'no raw zod message');
  const after = (await app.models.Event.findById(eventId).lean())!;
  t.equal(after.revision, before.revision);
  t.equal(after.phase, 'draft');
  t.equal(await app.models.EventParticipant.countDocuments(), 0);
});

t.test('a strange query never breaks a page', async (t) => {
  t.equal((await getPage(app, `/organizer/events/${eventId}?vq=a&vq=b&bq[x]=1`, organizer.cookie)).statusCode, 200);
  t.equal((await getPage(app, `/organizer/events/${eventId}/grid?m=zzz&slot=a&table[]=1`, organizer.cookie)).statusCode, 200);
  t.equal((await getPage(app, `/events/${eventId}?p=nonsense`, organizer.cookie)).statusCode, 404, 'an organizer acting for no participant');
});
