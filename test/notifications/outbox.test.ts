/** app.notify → outbox → worker → channels: recipients, retries, idempotency, the adapter interface. */
import t from 'tap';
import { buildTestApp, createUser } from '../helper.js';
import { notificationModels } from '../../src/notifications/model.js';
import type { ChannelMessage } from '../../src/notifications/index.js';
import { addVendor } from '../search/fixtures.js';

const now = new Date('2026-05-01T03:00:00.000Z');
const app = await buildTestApp(t, {}, { clock: () => now, background: false });
const { Notification, NotificationOutbox } = notificationModels(app.conn);

const received: ChannelMessage[] = [];
let failNext = 0;
// A second channel, as email or SMS would be plugged in; it fails on demand to show retries.
app.notifications.addChannel({
  name: 'test',
  accepts: (r) => r.role !== 'admin',
  async deliver(message) {
    if (failNext > 0) {
      failNext -= 1;
      throw new Error('短信网关超时');
    }
    received.push(message);
  },
});

const vendor = await addVendor(app, { name: '通知测试企业' });
const org = await app.models.BuyerOrg.create({ name: '通知测试医院', type: 'hospital', level: 'city', province: '浙江省', city: '杭州市' });
const vendorUser = await createUser(app, 'vendor', { vendor: vendor._id });
const buyer1 = await createUser(app, 'buyer', { buyerOrg: org._id });
const buyer2 = await createUser(app, 'buyer', { buyerOrg: org._id });
const retired = await createUser(app, 'buyer', { buyerOrg: org._id, disabled: true });
const admin = await createUser(app, 'admin');
const inbox = async (userId: string) => Notification.find({ user: userId }).lean();

t.test('an event reaches every user of the named vendor and organization, through every channel, once', async (t) => {
  const id = await app.notify({
    kind: 'followup.update',
    recipients: { vendorId: String(vendor._id), buyerOrgId: String(org._id), userIds: [admin.id] },
    title: '对接状态更新',
    body: '采购方将对接标记为“有意向”。',
    link: '/demands/abc',
  });
  t.equal(await Notification.countDocuments({}), 0, 'nothing is delivered in the request');
  await app.notifications.round(true);
  for (const user of [vendorUser, buyer1, buyer2, admin]) {
    const mine = await inbox(user.id);
    t.equal(mine.length, 1, `${user.role} has it in the inbox`);
    t.match(mine[0], { kind: 'followup.update', title: '对接状态更新', link: '/demands/abc', readAt: null });
    t.equal(mine[0].createdAt.toISOString(), now.toISOString());
  }
  t.equal((await inbox(retired.id)).length, 0, 'a disabled user hears nothing');
  t.same(received.map((m) => m.recipient.id).sort(), [vendorUser.id, buyer1.id, buyer2.id].sort(), 'the test channel got the ones it accepts');
  t.match(received[0], { kind: 'followup.update', title: '对接状态更新', body: /有意向/, link: '/demands/abc' });
  const entry = await NotificationOutbox.findById(id).lean();
  t.equal(entry?.status, 'done');
  t.equal(entry?.deliveries.length, 7, '4 in-app + 3 test-channel deliveries');
  t.ok(entry?.deliveries.every((d) => d.status === 'sent' && d.attempts === 1));

  await app.notifications.round(true);
  t.equal(await Notification.countDocuments({}), 4, 'a second round delivers nothing again');
  t.equal(received.length, 3);
});

t.test('a failing channel is retried with backoff; the other channel is not repeated', async (t) => {
  received.length = 0;
  failNext = 1;
  const id = await app.notify({ kind: 'followup.interest', recipients: { userIds: [buyer1.id] }, title: '供应商表示有意向' });
  await app.notifications.round();
  let entry = await NotificationOutbox.findById(id).lean();
  t.equal(entry?.status, 'pending', 'still pending after a failure');
  const failed = entry?.deliveries.find((d) => d.channel === 'test');
  t.match(failed, { status: 'pending', attempts: 1, lastError: '短信网关超时' });
  t.ok(entry!.dueAt.getTime() > Date.now(), 'backs off');
  await app.notifications.round();
  t.equal(received.length, 0, 'not retried before its time');
  await app.notifications.round(true);
  entry = await NotificationOutbox.findById(id).lean();
  t.equal(entry?.status, 'done');
  t.match(entry?.deliveries.find((d) => d.channel === 'test'), { status: 'sent', attempts: 2 });
  t.equal(received.length, 1);
  t.equal(await Notification.countDocuments({ user: buyer1.id, title: '供应商表示有意向' }), 1, 'the inbox copy was not duplicated');
});

t.test('inside a transaction the event commits or vanishes with the write', async (t) => {
  const before = await NotificationOutbox.countDocuments({});
  await t.rejects(app.conn.transaction(async (session) => {
    await app.notify({ kind: 'x', recipients: { userIds: [buyer1.id] }, title: '不应出现' }, { session });
    throw new Error('写入失败');
  }));
  t.equal(await NotificationOutbox.countDocuments({}), before, 'rolled back');
  await app.conn.transaction(async (session) => {
    await app.notify({ kind: 'x', recipients: { userIds: [buyer1.id] }, title: '应当出现' }, { session });
  });
  t.equal(await NotificationOutbox.countDocuments({}), before + 1);
});

t.test('events are validated: recipients needed, links stay on this site', async (t) => {
  await t.rejects(app.notify({ kind: 'x', recipients: {}, title: '无人' }));
  await t.rejects(app.notify({ kind: 'x', recipients: { userIds: [buyer1.id] }, title: '外链', link: '//evil.example/' }));
  await t.rejects(app.notify({ kind: 'x', recipients: { userIds: [{ $gt: '' }] as never }, title: '注入' }));
});
