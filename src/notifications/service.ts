/**
 * `app.notify()` and the outbox worker. Callers describe an event and who should hear of it (users, a
 * vendor's users, a buyer organization's users); the event is stored in the outbox (inside the caller's
 * transaction when a session is given), and the worker resolves recipients into one delivery per user and
 * channel, delivers, retries with backoff and records every attempt.
 */
import { randomUUID } from 'node:crypto';
import { Types, type ClientSession } from 'mongoose';
import { z } from 'zod';
import type { Models } from '../infra/models.js';
import { instanceId } from '../infra/background.js';
import { badRequest, notFound } from '../web/errors.js';
import type { BuyerService } from '../buyers/index.js';
import type { MatchingService } from '../matching/index.js';
import { inAppChannel, type NotificationChannel, type Recipient } from './channels.js';
import { isOff, kindsFor, preferenceChannels, type NoticeOff, type PreferenceChannel } from './kinds.js';
import type { NotificationModels, NotificationOutboxDoc } from './model.js';

const objectId = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确');

export const NotifyEvent = z.object({
  kind: z.string().min(1).max(60),
  recipients: z
    .object({
      userIds: z.array(objectId).max(1000).optional(),
      vendorId: objectId.optional(),
      buyerOrgId: objectId.optional(),
    })
    .refine((r) => Boolean(r.userIds?.length || r.vendorId || r.buyerOrgId), '至少需要一个接收对象'),
  title: z.string().trim().min(1).max(200),
  body: z.string().max(2000).default(''),
  // Links stay inside the platform: a path, never another site.
  link: z.string().regex(/^\/(?!\/)/, '链接必须是本站路径').max(500).optional(),
  dedupeKey: z.string().max(200).optional(),
  /** Files for channels that carry them (e-mail), e.g. a participant's agenda .ics; the inbox ignores them. */
  attachments: z
    .array(z.object({
      filename: z.string().min(1).max(200).regex(/^[^/\\\r\n]+$/, '文件名不能包含路径或换行'),
      contentType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+(; ?charset=[A-Za-z0-9_-]+)?$/i, '文件类型格式不正确'),
      content: z.string().max(512_000, '附件过大'),
    }))
    .max(5)
    .optional(),
});
export type NotifyEventInput = z.input<typeof NotifyEvent>;

export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  link?: string;
  createdAt: Date;
  readAt: Date | null;
  read: boolean;
}

export interface NotificationServiceOptions {
  models: Models;
  nmodels: NotificationModels;
  clock: () => Date;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** The matching engine, looked up when a match alert runs. */
  matching: () => MatchingService | undefined;
  buyers: BuyerService;
  /** Vendors whose match score reaches this hear of a new demand. */
  matchThreshold: number;
  /** At most this many vendors hear of one demand. */
  matchTop?: number;
}

const MAX_ATTEMPTS = 8;
/**
 * A delivery (one recipient, one channel) is tried this often before it counts as failed: with the backoff
 * capped at 10 minutes that is about a day, so a mail server down for hours loses nothing.
 */
const MAX_DELIVERY_ATTEMPTS = 150;
const CLAIM_MS = 60_000;
const backoffMs = (attempts: number) => Math.min(10 * 60_000, 1000 * 2 ** Math.min(attempts, 12));

const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;

export function createNotificationService(options: NotificationServiceOptions) {
  const { models, nmodels, clock, log } = options;
  const { NotificationOutbox, Notification } = nmodels;
  const channels = new Map<string, NotificationChannel>();
  const top = options.matchTop ?? 20;
  const addChannel = (channel: NotificationChannel) => {
    channels.set(channel.name, channel);
  };
  addChannel(inAppChannel(Notification));

  /** Stores an event for delivery. With a session it commits (or not) with the caller's write. */
  async function notify(event: NotifyEventInput, opts: { session?: ClientSession } = {}): Promise<string | null> {
    const e = NotifyEvent.parse(event);
    const now = clock();
    try {
      const [doc] = await NotificationOutbox.create(
        [{
          type: 'message',
          kind: e.kind,
          title: e.title,
          body: e.body,
          link: e.link,
          ...(e.attachments?.length ? { attachments: e.attachments } : {}),
          recipients: e.recipients,
          ...(e.dedupeKey ? { dedupeKey: e.dedupeKey } : {}),
          dueAt: new Date(),
          createdAt: now,
        }],
        { session: opts.session },
      );
      return String(doc._id);
    } catch (err) {
      // A deduplicated event that already happened: nothing more to say.
      if (e.dedupeKey && !opts.session && isDuplicateKey(err)) return null;
      throw err;
    }
  }

  /**
   * Tells the vendors that match a demand well (score ≥ MATCH_NOTIFY_THRESHOLD, best 20) about it. Call it
   * when a demand becomes open, with the write's session if there is one: matching runs later in the
   * outbox worker, never in the request, and each vendor hears of a given demand once at most.
   */
  async function enqueueMatchAlert(demandId: string, opts: { session?: ClientSession } = {}): Promise<string> {
    if (!Types.ObjectId.isValid(demandId)) throw notFound('未找到该需求。');
    const [doc] = await NotificationOutbox.create(
      [{ type: 'match-alert', demand: new Types.ObjectId(demandId), dueAt: new Date(), createdAt: clock() }],
      { session: opts.session },
    );
    return String(doc._id);
  }

  type Addressee = Recipient & { off: NoticeOff[] };

  async function resolveRecipients(r: NotificationOutboxDoc['recipients']): Promise<Addressee[]> {
    const or: Record<string, unknown>[] = [];
    if (r?.userIds?.length) or.push({ _id: { $in: r.userIds } });
    if (r?.vendorId) or.push({ vendor: r.vendorId, role: 'vendor' });
    if (r?.buyerOrgId) or.push({ buyerOrg: r.buyerOrgId, role: 'buyer' });
    if (!or.length) return [];
    const users = await models.User.find({ $or: or, disabled: { $ne: true } }, { name: 1, email: 1, role: 1, notificationsOff: 1 }).lean();
    return users.map((u) => ({ id: String(u._id), name: u.name, email: u.email, role: u.role, off: (u.notificationsOff ?? []) as NoticeOff[] }));
  }

  type OutboxLean = NotificationOutboxDoc & { _id: Types.ObjectId };

  async function deliverMessage(doc: OutboxLean, owner: string): Promise<'done' | 'retry' | 'failed'> {
    type Delivery = { user: Types.ObjectId; channel: string; status: 'pending' | 'sent' | 'failed'; attempts: number; lastError?: string | null; sentAt?: Date | null };
    let deliveries = (doc.deliveries ?? []) as unknown as Delivery[];
    const recipients = await resolveRecipients(doc.recipients);
    const byId = new Map(recipients.map((r) => [r.id, r]));
    if (!doc.expanded) {
      deliveries = [];
      for (const recipient of recipients) {
        for (const channel of channels.values()) {
          if (channel.accepts && !channel.accepts(recipient)) continue;
          // 通知设置: the recipient turned this kind of notice off on this channel.
          if (isOff(recipient.off, doc.kind ?? '', channel.name)) continue;
          deliveries.push({ user: new Types.ObjectId(recipient.id), channel: channel.name, status: 'pending', attempts: 0 });
        }
      }
      await NotificationOutbox.updateOne({ _id: doc._id, owner }, { $set: { expanded: true, deliveries } });
    }
    for (const d of deliveries) {
      if (d.status !== 'pending') continue;
      const channel = channels.get(d.channel);
      const recipient = byId.get(String(d.user));
      if (!channel || !recipient) {
        // The channel was removed from this deployment, or the user was disabled or deleted meanwhile.
        d.status = 'failed';
        d.lastError = channel ? '接收人已停用或不存在' : `未注册的通知渠道 ${d.channel}`;
        continue;
      }
      d.attempts = (d.attempts ?? 0) + 1;
      try {
        await channel.deliver({
          key: `${String(doc._id)}:${recipient.id}`,
          recipient: { id: recipient.id, name: recipient.name, email: recipient.email, role: recipient.role },
          kind: doc.kind ?? 'info',
          title: doc.title ?? '',
          body: doc.body ?? '',
          link: doc.link ?? undefined,
          attachments: doc.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
          createdAt: doc.createdAt,
        });
        d.status = 'sent';
        d.sentAt = clock();
        d.lastError = undefined;
      } catch (err) {
        d.lastError = String((err as Error).message ?? err).slice(0, 500);
        if (d.attempts >= MAX_DELIVERY_ATTEMPTS) d.status = 'failed';
        log.warn({ err, channel: d.channel, outbox: String(doc._id) }, `通知发送失败（${d.channel}），稍后重试`);
      }
    }
    await NotificationOutbox.updateOne({ _id: doc._id, owner }, { $set: { deliveries } });
    if (deliveries.some((d) => d.status === 'pending')) return 'retry';
    return deliveries.length && deliveries.every((d) => d.status === 'failed') ? 'failed' : 'done';
  }

  async function runMatchAlert(doc: OutboxLean): Promise<'done'> {
    const demand = await models.Demand.findById(doc.demand).lean();
    // A demand withdrawn or closed before the worker got to it alerts no one.
    if (!demand || demand.status !== 'open') return 'done';
    const matching = options.matching();
    if (!matching) throw new Error('匹配服务尚未就绪');
    const org = await options.buyers.findById(demand.buyerOrg);
    const matches = await matching.matchDemandById(String(demand._id), { limit: top });
    const good = matches.filter((m) => m.score >= options.matchThreshold).slice(0, top);
    for (const m of good) {
      const reasons = m.reasons.filter((r) => r.value > 0).slice(0, 3).map((r) => r.text).join('；');
      await notify({
        kind: 'demand.match',
        recipients: { vendorId: m.vendor.id },
        title: `新需求与贵公司匹配：${demand.title}`,
        body: `${org?.name ?? '采购方'}发布了需求“${demand.title}”，与贵公司匹配度 ${Math.round(m.score * 100)}%${reasons ? `：${reasons}` : ''}。`,
        link: `/demands/${String(demand._id)}`,
        dedupeKey: `match:${String(demand._id)}:${m.vendor.id}`,
      });
    }
    return 'done';
  }

  /** Claims and processes up to `batch` due outbox entries. `force` ignores backoff (tests, drain). */
  async function round(force = false, batch = 50): Promise<{ claimed: number }> {
    let claimed = 0;
    const owner = `${instanceId}:${randomUUID()}`;
    for (; claimed < batch; claimed++) {
      const wallNow = new Date();
      const doc = (await NotificationOutbox.findOneAndUpdate(
        {
          status: 'pending',
          ...(force ? {} : { dueAt: { $lte: wallNow } }),
          $or: [{ lockedUntil: null }, { lockedUntil: { $lt: wallNow } }],
        },
        { $set: { lockedUntil: new Date(wallNow.getTime() + CLAIM_MS), owner } },
        { sort: { dueAt: 1 }, new: true },
      ).lean()) as OutboxLean | null;
      if (!doc) break;
      let outcome: 'done' | 'retry' | 'failed';
      let error: string | undefined;
      try {
        outcome = doc.type === 'match-alert' ? await runMatchAlert(doc) : await deliverMessage(doc, owner);
      } catch (err) {
        error = String((err as Error).message ?? err).slice(0, 500);
        outcome = (doc.attempts ?? 0) + 1 >= MAX_ATTEMPTS ? 'failed' : 'retry';
        log.warn({ err, outbox: String(doc._id), type: doc.type }, '通知任务失败，稍后重试');
      }
      const attempts = (doc.attempts ?? 0) + (outcome === 'done' ? 0 : 1);
      await NotificationOutbox.updateOne(
        { _id: doc._id, owner },
        {
          $set: {
            status: outcome === 'retry' ? 'pending' : outcome,
            attempts,
            lockedUntil: null,
            owner: null,
            dueAt: outcome === 'retry' ? new Date(Date.now() + backoffMs(attempts)) : doc.dueAt,
            ...(error ? { lastError: error } : {}),
            ...(outcome === 'retry' ? {} : { doneAt: clock() }),
          },
        },
      );
    }
    return { claimed };
  }

  const view = (n: { _id: unknown; kind: string; title: string; body?: string | null; link?: string | null; createdAt: Date; readAt?: Date | null }): NotificationView => ({
    id: String(n._id),
    kind: n.kind,
    title: n.title,
    body: n.body ?? '',
    link: n.link ?? undefined,
    createdAt: n.createdAt,
    readAt: n.readAt ?? null,
    read: Boolean(n.readAt),
  });

  /** 通知设置 of one user: each kind of notice that concerns their role, on or off per channel. */
  async function settings(userId: string): Promise<NotificationSettings> {
    const user = Types.ObjectId.isValid(userId) ? await models.User.findById(userId, { role: 1, notificationsOff: 1 }).lean() : null;
    if (!user) throw notFound('未找到该用户。');
    const off = (user.notificationsOff ?? []) as NoticeOff[];
    return {
      channels: preferenceChannels.map((c) => ({ name: c.name, label: c.label, active: channels.has(c.name) })),
      kinds: kindsFor(user.role).map((k) => ({
        kind: k.kind,
        label: k.label,
        channels: Object.fromEntries(preferenceChannels.map((c) => [c.name, !isOff(off, k.kind, c.name)])) as Record<PreferenceChannel, boolean>,
      })),
    };
  }

  /**
   * Turns kinds of notice on or off per channel for one user. Only the switches named change; a kind that
   * does not concern the user's role, or an unknown channel, is refused (400) and nothing is written.
   */
  async function updateSettings(userId: string, changes: SettingsChange[]): Promise<NotificationSettings> {
    const user = Types.ObjectId.isValid(userId) ? await models.User.findById(userId, { role: 1, notificationsOff: 1 }).lean() : null;
    if (!user) throw notFound('未找到该用户。');
    const allowed = new Set(kindsFor(user.role).map((k) => k.kind));
    const names = new Set<string>(preferenceChannels.map((c) => c.name));
    const details = changes.flatMap((c, i) => [
      ...(allowed.has(c.kind) ? [] : [{ path: `kinds.${i}.kind`, message: `“${c.kind}”不是您可以设置的通知类型` }]),
      ...Object.keys(c.channels).filter((n) => !names.has(n)).map((n) => ({ path: `kinds.${i}.channels.${n}`, message: `没有名为“${n}”的通知渠道` })),
    ]);
    if (details.length) throw badRequest(details[0].message, details);
    let off = ((user.notificationsOff ?? []) as NoticeOff[]).map((o) => ({ kind: o.kind, channel: o.channel }));
    for (const c of changes) {
      for (const [channel, on] of Object.entries(c.channels)) {
        if (on === undefined) continue;
        off = off.filter((o) => !(o.kind === c.kind && o.channel === channel));
        if (!on) off.push({ kind: c.kind, channel });
      }
    }
    await models.User.updateOne({ _id: user._id }, { $set: { notificationsOff: off } });
    return settings(userId);
  }

  return {
    notify,
    enqueueMatchAlert,
    settings,
    updateSettings,
    addChannel,
    channelNames: () => [...channels.keys()],
    round,
    /** Processes everything due now, including entries the round itself adds (match alerts → messages). */
    async drain(maxRounds = 20): Promise<void> {
      for (let i = 0; i < maxRounds; i++) {
        if ((await round(true)).claimed === 0) return;
      }
    },
    async unreadCount(userId: string): Promise<number> {
      if (!Types.ObjectId.isValid(userId)) return 0;
      return Notification.countDocuments({ user: userId, readAt: null });
    },
    async list(userId: string, opts: { unreadOnly?: boolean; page?: number; pageSize?: number } = {}) {
      const page = opts.page ?? 1;
      const pageSize = opts.pageSize ?? 20;
      const filter = { user: new Types.ObjectId(userId), ...(opts.unreadOnly ? { readAt: null } : {}) };
      const [total, unread, items] = await Promise.all([
        Notification.countDocuments(filter),
        Notification.countDocuments({ user: filter.user, readAt: null }),
        Notification.find(filter).sort({ createdAt: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize).lean(),
      ]);
      return { total, unread, page, pageSize, items: items.map(view) };
    },
    /** Marks one of the user's own notifications read; anyone else's does not exist for them. */
    async markRead(userId: string, id: string): Promise<NotificationView> {
      if (!Types.ObjectId.isValid(id)) throw notFound('未找到该消息。');
      await Notification.updateOne({ _id: id, user: userId, readAt: null }, { $set: { readAt: clock() } });
      const n = await Notification.findOne({ _id: id, user: userId }).lean();
      if (!n) throw notFound('未找到该消息。');
      return view(n);
    },
    async markAllRead(userId: string): Promise<number> {
      const res = await Notification.updateMany({ user: userId, readAt: null }, { $set: { readAt: clock() } });
      return res.modifiedCount;
    },
  };
}

export interface NotificationSettings {
  channels: Array<{ name: string; label: string; active: boolean }>;
  kinds: Array<{ kind: string; label: string; channels: Record<PreferenceChannel, boolean> }>;
}
export interface SettingsChange { kind: string; channels: Partial<Record<string, boolean>> }

export type NotificationService = ReturnType<typeof createNotificationService>;
