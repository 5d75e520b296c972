/**
 * Buyer–vendor conversations (对接对话) through the API on real MongoDB: who may read and write, when
 * contacts show, attachments checked by content, the other side notified, bad input refused with nothing
 * written.
 */
import t from 'tap';
import { buildTestApp, createUser, login } from '../helper.js';
import { followUpWorld, move } from '../followups/fixtures.js';

const cjk = /[\u4e00-\u9fff]/;
let now = new Date('2026-03-02T01:00:00.000Z');
const app = await buildTestApp(t, {}, { clock: () => now, background: false });
const w = await followUpWorld(app);
await app.models.Vendor.updateOne({ _id: w.v1._id }, { $set: { contact: { name: '李经理', phone: '0571-88886666', email: 'li@anfang.example.cn' } } });
const leader = await createUser(app, 'leader');
const leaderCookie = await login(app, leader.email, leader.password);

const base = `/api/v1/demands/${w.demandId}/threads/${w.v1Id}`;
const get = (cookie: string | undefined, url = base) => app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
const postJson = (cookie: string, body: unknown, url = `${base}/messages`) =>
  app.inject({ method: 'POST', url, headers: { cookie }, payload: body as Record<string, unknown> });

const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
function multipart(fields: Record<string, string>, file?: { name: string; type: string; data: Buffer }) {
  const boundary = '----threadtest';
  const parts: Buffer[] = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}
async function tokenOf(cookie: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/tokens', headers: { cookie }, payload: { name: '对话测试' } });
  return (res.json() as { token: string }).token;
}
const vendorToken = await tokenOf(w.cookies.vendor1);
const postMultipart = (token: string, m: ReturnType<typeof multipart>, url = `${base}/messages`) =>
  app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': m.type }, payload: m.payload });

const state = async () => ({
  messages: await app.models.ThreadMessage.countDocuments({}),
  threads: JSON.stringify(await app.models.Thread.find({}).sort({ _id: 1 }).lean()),
  outbox: await app.models.NotificationOutbox.countDocuments({}),
  files: await app.conn.db!.collection('thread_files.files').countDocuments({}),
  followUps: JSON.stringify(await app.models.FollowUp.find({}).sort({ _id: 1 }).lean()),
});

t.test('before the vendor shows interest there is no conversation, for anyone', async (t) => {
  for (const cookie of [w.cookies.vendor1, w.cookies.buyerA, w.cookies.organizer]) {
    const res = await get(cookie);
    t.equal(res.statusCode, 404);
    t.match(res.json().message, cjk);
  }
  const before = await state();
  const res = await postJson(w.cookies.vendor1, { text: '您好' });
  t.equal(res.statusCode, 404, 'no message before interest');
  t.same(await state(), before, 'nothing written');
});

t.test('after 有意向 both parties and organizers read the thread; contacts stay hidden', async (t) => {
  t.equal((await move(app, w.cookies.vendor1, w.demandId, { vendorId: w.v1Id, to: 'intent' })).statusCode, 200);
  const vendorView = await get(w.cookies.vendor1);
  t.equal(vendorView.statusCode, 200, vendorView.body);
  t.match(vendorView.json(), { viewer: 'vendor', mutual: false, readOnly: false, postRefusal: null, canAnswer: false, followUpStatus: 'intent' });
  t.same(vendorView.json().contacts, {}, 'the vendor does not see the buyer’s contact yet');
  const buyerView = await get(w.cookies.buyerA);
  t.equal(buyerView.statusCode, 200);
  t.match(buyerView.json(), { viewer: 'buyer', mutual: false, canAnswer: true });
  t.same(buyerView.json().contacts, {}, 'the buyer does not see the vendor’s contact yet');
  t.notMatch(buyerView.body, /李经理|0571-88886666|li@anfang/, 'nowhere in the answer');
  const staff = await get(w.cookies.organizer);
  t.equal(staff.statusCode, 200);
  t.match(staff.json(), { viewer: 'staff', readOnly: true, postRefusal: /只能查看/ });
  const page = await get(w.cookies.buyerA, `/demands/${w.demandId}/threads/${w.v1Id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, /本对话对平台组织方可见，用于跟进对接进展/, 'the page says organizers can read it');
  t.notMatch(page.body, /李经理|0571-88886666/);
  t.match(page.body, /接受/);
  const demandPage = await get(w.cookies.buyerA, `/demands/${w.demandId}`);
  t.match(demandPage.body, /待采购方答复/, 'the demand page lists the vendor awaiting an answer');
  t.match(demandPage.body, new RegExp(`action="/demands/${w.demandId}/threads/${w.v1Id}/answer"`), 'with 接受/婉拒 right there');
  const staffPage = await get(w.cookies.organizer, `/demands/${w.demandId}`);
  t.notMatch(staffPage.body, /\/answer"/, 'organizers get no answer buttons');
});

t.test('nobody else reaches the thread', async (t) => {
  for (const [who, cookie] of [['another vendor', w.cookies.vendor2], ['another buyer', w.cookies.buyerB], ['a district leader', leaderCookie]] as const) {
    const res = await get(cookie);
    t.equal(res.statusCode, 404, who);
    t.match(res.json().message, cjk, `${who}: Chinese`);
    const list = await get(cookie, `/api/v1/demands/${w.demandId}/threads`);
    if (who === 'another vendor') t.same(list.json().threads, [], 'another vendor lists only its own: none');
    else t.equal(list.statusCode, 404, `${who}: no list`);
  }
  const anon = await get(undefined);
  t.equal(anon.statusCode, 401, 'anonymous');
  t.match(anon.json().message, cjk);
  const anonPage = await get(undefined, `/demands/${w.demandId}/threads/${w.v1Id}`);
  t.equal(anonPage.statusCode, 303, 'the page sends a guest to the login');
  const before = await state();
  for (const cookie of [w.cookies.vendor2, w.cookies.buyerB]) {
    const res = await postJson(cookie, { text: '我也想聊聊' });
    t.equal(res.statusCode, 404);
    t.match(res.json().message, cjk);
  }
  const staff = await postJson(w.cookies.organizer, { text: '主办方插话' });
  t.equal(staff.statusCode, 403, 'organizers read only');
  t.match(staff.json().message, cjk);
  t.same(await state(), before, 'nothing written, nobody told');
});

t.test('a message is kept with the follow-up and notifies the other side', async (t) => {
  now = new Date('2026-03-02T02:00:00.000Z');
  const res = await postJson(w.cookies.vendor1, { text: '我司可提供 200 路高清网络摄像机，附报价单。' });
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { side: 'vendor', sideName: '供应商', text: /200 路/, by: { name: '供应商甲' } });
  const queued = await app.models.NotificationOutbox.findOne({ kind: 'thread.message' }).lean();
  t.equal(String(queued?.recipients?.buyerOrgId), String(w.orgA._id), 'the buyer organization is told');
  t.match(queued?.title, /滨江安防科技有限公司.*消息/);
  t.equal(queued?.link, `/demands/${w.demandId}/threads/${w.v1Id}`);
  const thread = await app.models.Thread.findOne({ demand: w.demand._id, vendor: w.v1._id }).lean();
  const fu = await app.models.FollowUp.findOne({ demand: w.demand._id, vendor: w.v1._id }).lean();
  t.equal(String(thread?.followUp), String(fu?._id), 'the thread is linked to the follow-up record');
  t.equal(thread?.messageCount, 1);
  const fus = await get(w.cookies.buyerA, `/api/v1/demands/${w.demandId}/follow-ups`);
  t.equal(fus.json().followUps.find((f: { vendorId: string }) => f.vendorId === w.v1Id).messageCount, 1, 'the follow-up view counts the messages');

  const reply = await postJson(w.cookies.buyerA2, { text: '收到，请补充交货周期。' });
  t.equal(reply.statusCode, 201, 'any account of the buyer organization answers');
  const toVendor = await app.models.NotificationOutbox.findOne({ kind: 'thread.message', 'recipients.vendorId': w.v1._id }).lean();
  t.ok(toVendor, 'the vendor is told of the buyer’s message');
  const msgs = await get(w.cookies.organizer, `${base}/messages`);
  t.same(msgs.json().messages.map((m: { side: string }) => m.side), ['vendor', 'buyer'], 'organizers read them, in order');
});

t.test('bad input: a clear Chinese 4xx and nothing written', async (t) => {
  const before = await state();
  const cases: Array<[string, unknown]> = [
    ['empty', {}],
    ['blank text', { text: '   ' }],
    ['too long', { text: '长'.repeat(2001) }],
    ['text not a string', { text: 42 }],
    ['file in JSON', { text: '附件', file: 'JVBERi0xLjQ=' }],
    ['operator object', { text: { $gt: '' } }],
  ];
  for (const [what, body] of cases) {
    const res = await postJson(w.cookies.vendor1, body);
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode}`);
    t.match(res.json().message, cjk, `${what}: Chinese`);
  }
  const badId = await postJson(w.cookies.vendor1, { text: '你好' }, `/api/v1/demands/not-an-id/threads/${w.v1Id}/messages`);
  t.equal(badId.statusCode, 400);
  const answerBad = await app.inject({ method: 'POST', url: `${base}/answer`, headers: { cookie: w.cookies.buyerA }, payload: { answer: 'maybe' } });
  t.equal(answerBad.statusCode, 400);
  t.match(answerBad.json().message, cjk);
  const declineNoReason = await app.inject({ method: 'POST', url: `${base}/answer`, headers: { cookie: w.cookies.buyerA }, payload: { answer: 'decline' } });
  t.equal(declineNoReason.statusCode, 400, '婉拒 needs a reason');
  t.same(await state(), before, 'nothing written');
});

t.test('attachments: checked by content, not by name', async (t) => {
  const before = await state();
  const fake = multipart({ text: '报价单见附件' }, { name: '报价单.pdf', type: 'application/pdf', data: Buffer.from('这不是 PDF，只是改了扩展名的文本文件。'.repeat(5)) });
  const refused = await postMultipart(vendorToken, fake);
  t.equal(refused.statusCode, 415, refused.body);
  t.match(refused.json().message, /PDF|Excel/);
  t.same(await state(), before, 'no message, no file in GridFS, nobody told');

  const zipNotXlsx = multipart({ text: 'x' }, { name: '报价.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', data: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60)]) });
  t.equal((await postMultipart(vendorToken, zipNotXlsx)).statusCode, 415, 'a zip that is no workbook is refused too');

  const big = multipart({ text: '大文件' }, { name: '大.pdf', type: 'application/pdf', data: Buffer.concat([pdf, Buffer.alloc(10 * 1024 * 1024 + 10)]) });
  const tooBig = await postMultipart(vendorToken, big);
  t.equal(tooBig.statusCode, 413, 'over 10 MB');
  t.match(tooBig.json().message, /10 MB/);
  t.same(await state(), before, 'still nothing written');

  const m = multipart({ text: '游客' }, { name: 'a.pdf', type: 'application/pdf', data: pdf });
  const guest = await app.inject({ method: 'POST', url: `${base}/messages`, headers: { 'content-type': m.type }, payload: m.payload });
  t.equal(guest.statusCode, 401, 'a guest’s upload is refused before it is read');
  t.match(guest.json().message, cjk);
  const staff = await postMultipart(await tokenOf(w.cookies.organizer), m);
  t.equal(staff.statusCode, 403, 'an organizer’s upload too');
  t.same(await state(), before, 'still nothing written');

  const good = await postMultipart(vendorToken, multipart({ text: '正式报价单' }, { name: '../../报价单.pdf', type: 'application/octet-stream', data: pdf }));
  t.equal(good.statusCode, 201, good.body);
  const att = good.json().attachment;
  t.match(att, { filename: '报价单.pdf', contentType: 'application/pdf', size: pdf.length });
  const download = await get(w.cookies.buyerA, att.url);
  t.equal(download.statusCode, 200);
  t.equal(download.headers['content-type'], 'application/pdf');
  t.match(String(download.headers['content-disposition']), /^attachment;/);
  t.same(download.rawPayload, pdf, 'the same bytes');
  t.equal((await get(w.cookies.organizer, att.url)).statusCode, 200, 'organizers may read it');
  t.equal((await get(w.cookies.vendor2, att.url)).statusCode, 404, 'another vendor may not');
  t.equal((await get(w.cookies.buyerB, att.url)).statusCode, 404, 'another buyer may not');
});

t.test('the buyer accepts the interest: now each sees the other’s contact', async (t) => {
  const accept = await app.inject({ method: 'POST', url: `${base}/answer`, headers: { cookie: w.cookies.buyerA }, payload: { answer: 'accept' } });
  t.equal(accept.statusCode, 200, accept.body);
  t.match(accept.json(), { answer: 'accepted', answerName: '已接受', mutual: true });
  t.match(accept.json().contacts, { vendor: { organization: '滨江安防科技有限公司', name: '李经理', phone: '0571-88886666', email: 'li@anfang.example.cn' } });
  t.notOk(accept.json().contacts.buyer, 'the buyer is shown the vendor’s contact, not its own');
  const vendorView = (await get(w.cookies.vendor1)).json();
  t.match(vendorView.contacts, { buyer: { organization: '杭州市滨江区某某小学', name: '采购方甲', email: w.users.buyerA.email } });
  t.notOk(vendorView.contacts.vendor);
  const staff = (await get(w.cookies.organizer)).json();
  t.ok(staff.contacts.buyer && staff.contacts.vendor, 'organizers see both');
  const told = await app.models.NotificationOutbox.findOne({ kind: 'thread.answer', 'recipients.vendorId': w.v1._id }).lean();
  t.match(told?.title, /接受/);
  const again = await app.inject({ method: 'POST', url: `${base}/answer`, headers: { cookie: w.cookies.buyerA }, payload: { answer: 'decline', reason: '改主意' } });
  t.equal(again.statusCode, 409, 'answered once');
  t.match(again.json().message, /已答复/);
  const byVendor = await app.inject({ method: 'POST', url: `${base}/answer`, headers: { cookie: w.cookies.vendor1 }, payload: { answer: 'accept' } });
  t.equal(byVendor.statusCode, 403, 'only the buyer answers');
  const page = await get(w.cookies.vendor1, `/demands/${w.demandId}/threads/${w.v1Id}`);
  t.match(page.body, /采购方甲/);
});

t.test('婉拒 closes the follow-up as 不合适 and the conversation for new messages', async (t) => {
  const d2 = await app.models.Demand.create({ title: '校门口人脸识别闸机', buyerOrg: w.orgA._id, status: 'open', field: 'security' });
  const url = `/api/v1/demands/${String(d2._id)}/threads/${w.v2Id}`;
  t.equal((await move(app, w.cookies.vendor2, String(d2._id), { vendorId: w.v2Id, to: 'intent' })).statusCode, 200);
  const noticesBefore = await app.models.NotificationOutbox.countDocuments({ 'recipients.vendorId': w.v2._id });
  const decline = await app.inject({ method: 'POST', url: `${url}/answer`, headers: { cookie: w.cookies.buyerA }, payload: { answer: 'decline', reason: '已选定其他供应商' } });
  t.equal(decline.statusCode, 200, decline.body);
  const notices = await app.models.NotificationOutbox.find({ 'recipients.vendorId': w.v2._id }).sort({ _id: 1 }).lean();
  t.equal(notices.length - noticesBefore, 1, 'the vendor is told once, not once by the conversation and again by the follow-up');
  t.match(notices.at(-1)?.title, /婉拒了您对需求/);
  t.match(decline.json(), { answer: 'declined', mutual: false, followUpStatus: 'declined' });
  t.same(decline.json().contacts, {}, 'no contacts after a 婉拒');
  const fu = await app.models.FollowUp.findOne({ demand: d2._id, vendor: w.v2._id }).lean();
  t.equal(fu?.status, 'declined');
  t.match(fu?.declineReason, /已选定其他供应商/);
  const post = await postJson(w.cookies.vendor2, { text: '能否再考虑？' }, `${url}/messages`);
  t.equal(post.statusCode, 409);
  t.match(post.json().message, /婉拒/);
});

t.test('a wish from both sides at an event is mutual interest', async (t) => {
  const orgC = await app.models.BuyerOrg.create({ name: '杭州市滨江区某某医院', type: 'hospital', level: 'district', province: '浙江省', city: '杭州市', district: '滨江区' });
  const buyerC = await createUser(app, 'buyer', { buyerOrg: orgC._id, name: '采购方丙' });
  const cookieC = await login(app, buyerC.email, buyerC.password);
  const d3 = await app.models.Demand.create({ title: '医院安防监控改造', buyerOrg: orgC._id, status: 'open', field: 'security' });
  const url = `/api/v1/demands/${String(d3._id)}/threads/${w.v1Id}`;
  const event = await app.models.Event.create({ title: '安防专场', slots: [{ start: new Date('2026-04-01T01:00:00Z'), end: new Date('2026-04-01T01:30:00Z') }], tables: 2, phase: 'preferences' });
  const vp = await app.models.EventParticipant.create({ event: event._id, kind: 'vendor', vendor: w.v1._id, name: '滨江安防科技有限公司', status: 'approved' });
  const bp = await app.models.EventParticipant.create({ event: event._id, kind: 'buyer', buyerOrg: orgC._id, name: orgC.name, status: 'approved', contactName: '赵主任', contactPhone: '13900001111' });
  t.equal((await get(w.cookies.vendor1, url)).statusCode, 404, 'registered, no wishes: no conversation');
  await app.models.EventPreference.create({ event: event._id, from: bp._id, to: vp._id, level: 'must' });
  t.equal((await get(w.cookies.vendor1, url)).statusCode, 404, 'a one-sided wish is not enough');
  await app.models.EventPreference.create({ event: event._id, from: vp._id, to: bp._id, level: 'no' });
  t.equal((await get(w.cookies.vendor1, url)).statusCode, 404, '不见 is no wish');
  await app.models.EventPreference.updateOne({ event: event._id, from: vp._id, to: bp._id }, { $set: { level: 'want' } });
  const vendorView = await get(w.cookies.vendor1, url);
  t.equal(vendorView.statusCode, 200, vendorView.body);
  t.match(vendorView.json(), { mutual: true, contacts: { buyer: { organization: '杭州市滨江区某某医院', name: '采购方丙', phone: '13900001111' } } });
  const buyerView = await get(cookieC, url);
  t.match(buyerView.json(), { mutual: true, canAnswer: false, contacts: { vendor: { name: '李经理' } } });
  const first = await postJson(cookieC, { text: '会前先沟通一下方案。' }, `${url}/messages`);
  t.equal(first.statusCode, 201, 'the buyer may open the conversation');
  const list = (await get(w.cookies.vendor1, '/api/v1/threads')).json().threads;
  t.ok(list.some((x: { demandId: string }) => x.demandId === String(d3._id)), 'the vendor’s list has it');
  const opp = await get(w.cookies.vendor1, '/vendor/threads');
  t.equal(opp.statusCode, 200);
  t.match(opp.body, /医院安防监控改造/);
});

t.test('the demand page lists the buyer’s conversations', async (t) => {
  const page = await get(w.cookies.buyerA, `/demands/${w.demandId}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, /对接对话（1）/);
  t.match(page.body, new RegExp(`/demands/${w.demandId}/threads/${w.v1Id}`));
  t.notMatch(page.body, /\/answer"/, 'answered: no buttons any more');
  t.match(page.body, /已接受/);
});

t.test('a flood of messages is refused with a Chinese 429, per person, and nothing past the limit is kept', async (t) => {
  const colleague = await createUser(app, 'buyer', { buyerOrg: w.orgA._id, name: '采购方甲三' });
  const cookie = await login(app, colleague.email, colleague.password);
  const before = await app.models.ThreadMessage.countDocuments({});
  const answers = [];
  for (let i = 0; i < 22; i++) answers.push((await postJson(cookie, { text: `第 ${i + 1} 条` })).statusCode);
  t.equal(answers.filter((s) => s === 201).length, 20, 'twenty a minute are accepted');
  t.same(answers.slice(20), [429, 429], 'then 429');
  const refused = await postJson(cookie, { text: '再来一条' });
  t.match(refused.json().message, /操作过于频繁/, 'in Chinese');
  t.equal(await app.models.ThreadMessage.countDocuments({}), before + 20, 'the refused ones are not kept');
  t.equal((await postJson(w.cookies.vendor1, { text: '供应商仍可发言' })).statusCode, 201, 'the other side is not affected');
});
