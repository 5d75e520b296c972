/**
 * E-mail that really leaves: a real SMTP server (smtp-server) receives what the outbox sends and mailparser
 * reads it back — subject, Chinese body, link, the .ics of a schedule notice; refusals are retried with
 * backoff until exactly one mail arrives; 通知设置 turns kinds off per channel (API and account page).
 */
import t from 'tap';
import { buildTestApp, createUser, csrfFrom, login } from '../helper.js';
import { loadConfig } from '../../src/config.js';
import { renderEmail } from '../../src/notifications/index.js';
import { notificationModels } from '../../src/notifications/model.js';
import { addVendor } from '../search/fixtures.js';
import { api, createEvent, eventWorld, registerAll, wish } from '../events/support.js';
import { startMailServer } from './smtp.js';

const smtp = await startMailServer();
t.teardown(() => smtp.close());
const PUBLIC_BASE_URL = 'https://gongxu.example.cn';
const app = await buildTestApp(t, { SMTP_URL: smtp.url, MAIL_FROM: '滨江区供需对接平台 <noreply@gongxu.example.cn>', PUBLIC_BASE_URL }, { background: false });
const { Notification, NotificationOutbox } = notificationModels(app.conn);

const vendor = await addVendor(app, { name: '邮件测试企业' });
const org = await app.models.BuyerOrg.create({ name: '邮件测试医院', type: 'hospital', level: 'city', province: '浙江省', city: '杭州市' });
const vendorUser = await createUser(app, 'vendor', { vendor: vendor._id, name: '张经理' });
const buyerUser = await createUser(app, 'buyer', { buyerOrg: org._id });

t.test('configuration: SMTP_URL, MAIL_FROM and PUBLIC_BASE_URL are checked with Chinese messages', async (t) => {
  t.equal(loadConfig({}).SMTP_URL, undefined, 'e-mail is off by default');
  t.equal(loadConfig({ PUBLIC_BASE_URL: 'https://a.example.cn/' }).PUBLIC_BASE_URL, 'https://a.example.cn', 'trailing slash dropped');
  t.throws(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://a.example.cn' }), /PUBLIC_BASE_URL.*http:\/\/ 或 https:\/\//);
  t.throws(() => loadConfig({ SMTP_URL: 'http://user:geheim@mail.example.cn' }), /SMTP_URL.*已隐藏.*smtp:\/\//);
  t.notOk(/geheim/.test((() => { try { loadConfig({ SMTP_URL: 'http://user:geheim@x.cn' }); return ''; } catch (e) { return (e as Error).message; } })()), 'the password is not repeated');
  t.throws(() => loadConfig({ SMTP_URL: 'smtp://mail.example.cn', PUBLIC_BASE_URL }), /MAIL_FROM/);
  t.throws(() => loadConfig({ SMTP_URL: 'smtp://mail.example.cn', MAIL_FROM: 'a@b.cn' }), /PUBLIC_BASE_URL/);
  t.throws(() => loadConfig({ MAIL_FROM: '不是邮箱' }), /MAIL_FROM.*电子邮箱地址/);
  const ok = loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.cn:465', MAIL_FROM: '平台 <noreply@example.cn>', PUBLIC_BASE_URL });
  t.equal(ok.MAIL_FROM, '平台 <noreply@example.cn>');
  t.equal(loadConfig({ MAIL_FROM: 'noreply@example.cn' }).MAIL_FROM, 'noreply@example.cn', 'MAIL_FROM (the reserved name) is read as MAIL_FROM');
});

t.test('the HTML alternative escapes every value', async (t) => {
  const { html, text, subject } = renderEmail({
    key: 'k', kind: 'followup.update', title: '<script>alert(1)</script>\n标题', body: '“A&B” <b>粗</b>', link: '/demands/1?x="y"',
    recipient: { id: '1', name: '<i>王</i>', email: 'a@b.cn', role: 'buyer' }, createdAt: new Date(),
  }, PUBLIC_BASE_URL);
  t.notMatch(html, /<script>|<b>|<i>/);
  t.match(html, /&lt;script&gt;/);
  t.match(html, /href="https:\/\/gongxu\.example\.cn\/demands\/1\?x=&quot;y&quot;"/);
  t.match(text, /“A&B” <b>粗<\/b>/, 'the plain text stays as written');
  t.notMatch(subject, /\n/, 'the subject is one line');
});

t.test('a notice goes by e-mail too: Chinese subject and body, absolute link, HTML alternative; the inbox still has it', async (t) => {
  const before = smtp.received.length;
  await app.notify({
    kind: 'followup.update', recipients: { vendorId: String(vendor._id) },
    title: '需求“1000 路视频监控更新”的对接状态更新为“有意向”', body: '采购方将贵公司的对接标记为“有意向”，备注：请于周五前报价。', link: '/demands/abc',
  });
  t.equal(smtp.received.length, before, 'nothing is sent in the request');
  await app.notifications.drain();
  const mails = smtp.to(vendorUser.email);
  t.equal(mails.length, 1, 'one mail to the vendor user');
  const { mail } = mails[0];
  t.equal(mail.subject, '需求“1000 路视频监控更新”的对接状态更新为“有意向”', 'subject = the title, UTF-8 intact');
  t.match(mail.from?.text, /noreply@gongxu\.example\.cn/);
  t.match(mail.from?.value[0].name, '滨江区供需对接平台');
  t.match(mail.text, /张经理，您好/);
  t.match(mail.text, /采购方将贵公司的对接标记为“有意向”，备注：请于周五前报价。/);
  t.match(mail.text, /查看详情：https:\/\/gongxu\.example\.cn\/demands\/abc/, 'absolute link from PUBLIC_BASE_URL');
  t.match(mail.text, /通知设置/, 'says where to turn it off');
  t.match(String(mail.html), /<a href="https:\/\/gongxu\.example\.cn\/demands\/abc">查看详情<\/a>/);
  t.match(mail.messageId, /@gongxu\.example\.cn>?$/, 'Message-ID derived from the delivery key');
  t.equal(mail.attachments.length, 0);
  t.equal(await Notification.countDocuments({ user: vendorUser.id, title: /视频监控/ }), 1, 'the in-app inbox has it as well');
});

t.test('a refused mail is retried with backoff and arrives exactly once; the inbox copy is not repeated', async (t) => {
  for (const [how, arm] of [['RCPT TO', () => { smtp.control.rejectRcpt = 2; }], ['DATA', () => { smtp.control.rejectData = 2; }]] as const) {
    arm();
    const title = `临时拒收测试（${how}）`;
    const id = await app.notify({ kind: 'followup.interest', recipients: { userIds: [buyerUser.id] }, title, body: '供应商表示有意向。' });
    await app.notifications.round();
    let entry = await NotificationOutbox.findById(id).lean();
    const mailDelivery = () => entry!.deliveries.find((d) => d.channel === 'email');
    t.equal(entry?.status, 'pending', `${how}: still pending after a refusal`);
    t.match(mailDelivery(), { status: 'pending', attempts: 1, lastError: /451|暂时|繁忙/ }, `${how}: the attempt and the server's answer are recorded`);
    t.match(entry!.deliveries.find((d) => d.channel === 'inapp'), { status: 'sent', attempts: 1 });
    t.ok(entry!.dueAt.getTime() > Date.now(), `${how}: backs off`);
    await app.notifications.round();
    entry = await NotificationOutbox.findById(id).lean();
    t.equal(mailDelivery()?.attempts, 1, `${how}: not retried before its time`);
    // Time passes (force: one claim each, ignoring the backoff): refused once more, then accepted.
    await app.notifications.round(true, 1);
    entry = await NotificationOutbox.findById(id).lean();
    t.match(mailDelivery(), { status: 'pending', attempts: 2 });
    await app.notifications.round(true, 1);
    entry = await NotificationOutbox.findById(id).lean();
    t.equal(entry?.status, 'done');
    t.match(mailDelivery(), { status: 'sent', attempts: 3 });
    await app.notifications.round(true);
    t.equal(smtp.received.filter((r) => r.mail.subject === title).length, 1, `${how}: exactly one mail arrives`);
    t.equal(await Notification.countDocuments({ user: buyerUser.id, title }), 1, `${how}: one inbox entry`);
  }
  t.equal(smtp.control.refused, 4, 'the server did refuse four times');
});

t.test('a published and a changed schedule carry the participant\'s agenda .ics', async (t) => {
  const w = await eventWorld(app, { vendors: 2, buyers: 2 });
  const orgCookie = w.cookies.organizer;
  const id = await createEvent(app, orgCookie, {}, 4, 2);
  const { vendorIds: [v1, v2], buyerIds: [b1, b2] } = await registerAll(app, orgCookie, id, w);
  await wish(app, orgCookie, id, b1, v1, 'must');
  await wish(app, orgCookie, id, b2, v2, 'must');
  t.equal((await api(app, orgCookie, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 200);
  t.equal((await api(app, orgCookie, 'POST', `/api/v1/events/${id}/phase`, { to: 'published' })).statusCode, 200);
  await app.notifications.drain();
  const mails = smtp.to(w.users.vendorUser.email).filter((r) => /洽谈日程已发布/.test(r.mail.subject ?? ''));
  t.equal(mails.length, 1, 'the vendor user gets one schedule mail');
  const { mail } = mails[0];
  t.equal(mail.subject, '“滨江区安防产业供需对接会”洽谈日程已发布');
  t.match(mail.text, new RegExp(`https://gongxu\\.example\\.cn/events/${id}/agenda/${v1}`));
  t.equal(mail.attachments.length, 1, 'one attachment');
  const ics = mail.attachments[0];
  t.match(ics.filename, /滨江安防企业1有限公司-洽谈日程\.ics$/, 'named after the participant, Chinese intact');
  t.match(ics.contentType, /text\/calendar/);
  const body = ics.content.toString('utf8');
  t.match(body, /BEGIN:VCALENDAR/);
  const agenda = (await api(app, w.cookies.vendorUser, 'GET', `/api/v1/events/${id}/participants/${v1}/agenda`)).json() as { meetings: Array<{ counterpart?: { name: string } }> };
  t.ok(agenda.meetings.length >= 1);
  t.equal(body.match(/BEGIN:VEVENT/g)?.length, agenda.meetings.length, 'one calendar entry per meeting of this participant');
  t.match(body.replace(/\r\n[ \t]/g, ''), /SUMMARY:洽谈：采购单位1（\d+ 号桌）/, 'the counterpart, in Chinese');
  t.match(body, /@gongxu\.example\.cn/, 'stable UIDs on the public host');
  const buyerMail = smtp.to(w.users.buyerUser.email).find((r) => /洽谈日程已发布/.test(r.mail.subject ?? ''));
  t.match(buyerMail?.mail.attachments[0]?.content.toString('utf8').replace(/\r\n[ \t]/g, ''), /洽谈：滨江安防企业1有限公司/, "the buyer's .ics names its vendor");

  // A re-run after a new must-meet wish changes the schedule: the touched participants get the change with a fresh .ics.
  await wish(app, orgCookie, id, b1, v2, 'must');
  t.equal((await api(app, orgCookie, 'POST', `/api/v1/events/${id}/schedule`, {})).statusCode, 200);
  await app.notifications.drain();
  const changed = smtp.to(w.users.otherVendorUser.email).find((r) => /有变动/.test(r.mail.subject ?? ''));
  t.ok(changed, 'the vendor with a new meeting hears of the change');
  t.match(changed?.mail.attachments[0]?.content.toString('utf8').replace(/\r\n[ \t]/g, ''), /洽谈：采购单位1/, 'its new .ics has the added meeting');
});

t.test('通知设置: every kind on every channel by default; turned off per kind and channel; refused when unknown', async (t) => {
  const cookie = await login(app, vendorUser.email, vendorUser.password);
  const get = async () => (await api(app, cookie, 'GET', '/api/v1/me/notification-settings')).json();
  const initial = await get();
  t.same(initial.channels.map((c: { name: string; active: boolean }) => [c.name, c.active]), [['inapp', true], ['email', true]]);
  t.ok(initial.kinds.some((k: { kind: string }) => k.kind === 'demand.match'), 'a vendor can set new-demand alerts');
  t.notOk(initial.kinds.some((k: { kind: string }) => k.kind === 'followup.interest'), 'but not what only buyers receive');
  t.ok(initial.kinds.every((k: { channels: Record<string, boolean> }) => k.channels.inapp && k.channels.email), 'all on by default');

  const put = await api(app, cookie, 'PUT', '/api/v1/me/notification-settings', { kinds: [{ kind: 'followup.update', channels: { email: false } }] });
  t.equal(put.statusCode, 200);
  t.same(put.json().kinds.find((k: { kind: string }) => k.kind === 'followup.update').channels, { inapp: true, email: false });
  const stored = await app.models.User.findById(vendorUser.id).lean();
  t.same(stored?.notificationsOff, [{ kind: 'followup.update', channel: 'email' }], 'stored on the user');

  const sentBefore = smtp.to(vendorUser.email).length;
  await app.notify({ kind: 'followup.update', recipients: { vendorId: String(vendor._id) }, title: '设置后：对接进展', link: '/demands/x' });
  await app.notify({ kind: 'demand.match', recipients: { vendorId: String(vendor._id) }, title: '设置后：新需求匹配', link: '/demands/y' });
  await app.notifications.drain();
  const subjects = smtp.to(vendorUser.email).slice(sentBefore).map((r) => r.mail.subject);
  t.same(subjects, ['设置后：新需求匹配'], 'the kind turned off for e-mail is not mailed; the others are');
  t.equal(await Notification.countDocuments({ user: vendorUser.id, title: '设置后：对接进展' }), 1, 'it still reaches the inbox');

  // Bad input: a Chinese 400 and nothing written.
  for (const [payload, pattern] of [
    [{ kinds: [{ kind: 'followup.interest', channels: { email: false } }] }, /不是您可以设置的通知类型/],
    [{ kinds: [{ kind: 'nonsense', channels: { inapp: false } }] }, /不是您可以设置的通知类型/],
    [{ kinds: [{ kind: 'demand.match', channels: { sms: false } }] }, /渠道|sms|无法识别/],
    [{ kinds: [{ kind: 'demand.match', channels: { email: 'no' } }] }, /true 或 false/],
    [{ kinds: [] }, /至少/],
    [{ kinds: [{ kind: { $ne: 1 }, channels: {} }] }, /./],
  ] as const) {
    const res = await api(app, cookie, 'PUT', '/api/v1/me/notification-settings', payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(JSON.stringify(res.json()), pattern);
    t.match(res.json().message, /\p{Script=Han}/u, 'in Chinese');
  }
  t.same((await app.models.User.findById(vendorUser.id).lean())?.notificationsOff, [{ kind: 'followup.update', channel: 'email' }], 'nothing written');
  t.equal((await api(app, undefined, 'GET', '/api/v1/me/notification-settings')).statusCode, 401, 'guests have no settings');

  // Back on.
  await api(app, cookie, 'PUT', '/api/v1/me/notification-settings', { kinds: [{ kind: 'followup.update', channels: { email: true } }] });
  t.same((await app.models.User.findById(vendorUser.id).lean())?.notificationsOff, []);
});

t.test('the account page shows 通知设置 and saves it; the navigation keeps the unread count', async (t) => {
  const cookie = await login(app, buyerUser.email, buyerUser.password);
  const unread = await Notification.countDocuments({ user: buyerUser.id, readAt: null });
  t.ok(unread > 0);
  const page = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  t.equal(page.statusCode, 200);
  t.match(page.body, /<h2>通知设置<\/h2>/);
  t.match(page.body, new RegExp(`消息（${unread}）`), 'the navigation shows the unread count');
  t.match(page.body, /value="followup\.interest\|email"[^>]*checked/, 'on by default');
  t.notMatch(page.body, /demand\.match\|/, "a buyer does not see vendors' kinds");
  const csrf = csrfFrom(page.body);
  // Everything stays on except 供应商意向 by e-mail.
  const kinds = ['followup.interest', 'followup.update', 'thread.message', 'event-registration', 'event-agenda', 'event-agenda-change', 'visit-registration'];
  const on = kinds.flatMap((k) => [`${k}|inapp`, ...(k === 'followup.interest' ? [] : [`${k}|email`])]);
  const form = new URLSearchParams([['_csrf', csrf], ...on.map((v) => ['on', v] as [string, string])]).toString();
  const saved = await app.inject({ method: 'POST', url: '/account/notifications', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
  t.equal(saved.statusCode, 303);
  const settings = (await api(app, cookie, 'GET', '/api/v1/me/notification-settings')).json();
  t.same(settings.kinds.find((k: { kind: string }) => k.kind === 'followup.interest').channels, { inapp: true, email: false });
  t.ok(settings.kinds.filter((k: { kind: string }) => k.kind !== 'followup.interest').every((k: { channels: Record<string, boolean> }) => k.channels.inapp && k.channels.email));
  const again = await app.inject({ method: 'GET', url: '/account', headers: { cookie } });
  t.match(again.body, /通知设置已保存/);
  t.notMatch(again.body, /value="followup\.interest\|email"[^>]*checked/, 'the page shows it off');

  const bad = new URLSearchParams([['_csrf', csrfFrom(again.body)], ['on', 'demand.match|email']]).toString();
  const refused = await app.inject({ method: 'POST', url: '/account/notifications', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: bad });
  t.equal(refused.statusCode, 400);
  t.match(refused.body, /无法识别的选项/);
  t.same((await app.models.User.findById(buyerUser.id).lean())?.notificationsOff, [{ kind: 'followup.interest', channel: 'email' }], 'nothing written');
});

t.test('without SMTP_URL no e-mail channel exists and notices still reach the inbox', async (t) => {
  const plain = await buildTestApp(t, {}, { background: false });
  t.same(plain.notifications.channelNames(), ['inapp']);
  const res = (await plain.notifications.settings(vendorUser.id)).channels;
  t.same(res.map((c) => [c.name, c.active]), [['inapp', true], ['email', false]], 'the setting is kept but shown as not active');
});
