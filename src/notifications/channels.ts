/**
 * Delivery channels. The in-app inbox is always there; email or SMS are added by implementing
 * `NotificationChannel` and registering it before the app is ready:
 *
 *   app.notifications.addChannel({
 *     name: 'email',
 *     accepts: (to) => Boolean(to.email),
 *     async deliver(message) { await mailer.send({ to: message.recipient.email, subject: message.title, text: message.body }); },
 *   });
 *
 * The outbox worker then creates one delivery per recipient for it too, retries failures with backoff and
 * records attempts, so callers of `app.notify()` never change. `deliver` must be idempotent per
 * `message.key` (a delivery may be retried after a crash between sending and recording it).
 */
import type { Model } from 'mongoose';
import type { NotificationDoc } from './model.js';

export interface Recipient { id: string; name: string; email: string; role: string }

export interface ChannelMessage {
  /** Unique per event and recipient: the idempotency key. */
  key: string;
  recipient: Recipient;
  kind: string;
  title: string;
  body: string;
  /** A path in this platform, e.g. /demands/…; channels outside the app prefix it with the public URL. */
  link?: string;
  createdAt: Date;
}

export interface NotificationChannel {
  name: string;
  /** Whether this channel can reach the recipient (an SMS channel needs a phone number); default yes. */
  accepts?(recipient: Recipient): boolean;
  deliver(message: ChannelMessage): Promise<void>;
}

/** The in-app inbox: one Notification document per message, keyed so a retry never duplicates. */
export function inAppChannel(Notification: Model<NotificationDoc>): NotificationChannel {
  return {
    name: 'inapp',
    async deliver(message) {
      await Notification.updateOne(
        { key: message.key },
        {
          $setOnInsert: {
            key: message.key,
            user: message.recipient.id,
            kind: message.kind,
            title: message.title,
            body: message.body,
            link: message.link,
            createdAt: message.createdAt,
            readAt: null,
          },
        },
        { upsert: true },
      );
    },
  };
}

/** An example of a second channel: writes each message to the log (stand-in for email/SMS). */
export function logChannel(log: { info(obj: object, msg: string): void }): NotificationChannel {
  return {
    name: 'log',
    async deliver(message) {
      log.info({ to: message.recipient.email, kind: message.kind, link: message.link }, `通知：${message.title}`);
    },
  };
}
