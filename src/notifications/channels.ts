/**
 * Delivery channels. The in-app inbox is always there; e-mail (email.ts) is registered when `SMTP_URL` is
 * set. Any other channel is added by implementing `NotificationChannel` and registering it before the app
 * is ready:
 *
 *   app.notifications.addChannel({ name, accepts, deliver });
 *
 * The outbox worker then creates one delivery per recipient for it too (unless the recipient turned that
 * kind of notice off on that channel, see kinds.ts), retries failures with backoff and records attempts,
 * so callers of `app.notify()` never change. `deliver` must be idempotent per `message.key` (a delivery
 * may be retried after a crash between sending and recording it); a thrown error means "not delivered,
 * try again later".
 *
 * SMS is an adapter, not a registered channel: the platform has no SMS gateway contract and users have no
 * phone numbers yet. A gateway is plugged in like this (a documented stub, deliberately not registered):
 *
 *   export function smsChannel(gateway: { send(phone: string, text: string, requestId: string): Promise<void> }): NotificationChannel {
 *     return {
 *       name: 'sms',
 *       // Only users with a mobile number (a `phone` on the user and on Recipient would be added first).
 *       accepts: (to) => Boolean((to as Recipient & { phone?: string }).phone),
 *       async deliver(message) {
 *         const phone = (message.recipient as Recipient & { phone?: string }).phone!;
 *         // 70 characters per SMS: the title and the link only; the gateway dedupes by requestId = message.key.
 *         await gateway.send(phone, `【滨江供需对接】${message.title}`.slice(0, 60), message.key);
 *       },
 *     };
 *   }
 *   // app.notifications.addChannel(smsChannel(myGateway)); and add { name: 'sms', label: '短信' } to
 *   // preferenceChannels in kinds.ts so users can turn it off per kind.
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
  /** Files the sender attached (a schedule notice carries the participant's agenda .ics); the inbox ignores them. */
  attachments?: ChannelAttachment[];
  createdAt: Date;
}

export interface ChannelAttachment {
  filename: string;
  contentType: string;
  /** Text content (UTF-8), e.g. an iCalendar file. */
  content: string;
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

/** An example of a further channel: writes each message to the log (development, or a stand-in for SMS). */
export function logChannel(log: { info(obj: object, msg: string): void }): NotificationChannel {
  return {
    name: 'log',
    async deliver(message) {
      log.info({ to: message.recipient.email, kind: message.kind, link: message.link }, `通知：${message.title}`);
    },
  };
}
