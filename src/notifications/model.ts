/**
 * Notifications: an outbox of events in MongoDB (written in the caller's transaction when it passes one),
 * expanded by the worker into one delivery per recipient and channel, and the in-app inbox the default
 * channel writes to. Nothing lives in the process: any instance may deliver, claims lapse by themselves.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { bindModels } from '../infra/bind-model.js';

export const outboxTypes = ['message', 'match-alert'] as const;

const DeliverySchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, required: true },
    channel: { type: String, required: true },
    status: { type: String, enum: ['pending', 'sent', 'failed'], default: 'pending' },
    attempts: { type: Number, default: 0 },
    lastError: String,
    sentAt: Date,
  },
  { _id: false },
);

const NotificationOutboxSchema = new Schema(
  {
    /** 'message': deliver to recipients; 'match-alert': run matching for `demand`, then enqueue messages. */
    type: { type: String, enum: outboxTypes, required: true },
    kind: String,
    title: String,
    body: String,
    link: String,
    /** Files for channels that carry them (e-mail): a schedule notice's agenda .ics, built by the sender. */
    attachments: {
      type: [{ filename: { type: String, required: true }, contentType: { type: String, required: true }, content: { type: String, required: true }, _id: false }],
      default: undefined,
    },
    recipients: {
      userIds: { type: [Schema.Types.ObjectId], default: undefined },
      vendorId: Schema.Types.ObjectId,
      buyerOrgId: Schema.Types.ObjectId,
    },
    demand: Schema.Types.ObjectId,
    /** Set for events that must happen once at most (a vendor hears of a given demand once). */
    dedupeKey: String,
    status: { type: String, enum: ['pending', 'done', 'failed'], default: 'pending' },
    /** Recipients resolved into deliveries (once; later rounds only retry the pending ones). */
    expanded: { type: Boolean, default: false },
    deliveries: { type: [DeliverySchema], default: [] },
    attempts: { type: Number, default: 0 },
    lastError: String,
    /** Not before: backoff after a failure. */
    dueAt: { type: Date, required: true },
    lockedUntil: { type: Date, default: null },
    owner: { type: String, default: null },
    createdAt: { type: Date, required: true },
    doneAt: Date,
  },
  { versionKey: false },
);
NotificationOutboxSchema.index({ status: 1, dueAt: 1 });
// Delivered entries (with their delivery record) are kept half a year, then MongoDB removes them.
NotificationOutboxSchema.index({ doneAt: 1 }, { expireAfterSeconds: 180 * 86_400 });
NotificationOutboxSchema.index({ dedupeKey: 1 }, { unique: true, partialFilterExpression: { dedupeKey: { $exists: true } } });

const NotificationSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, required: true },
    title: { type: String, required: true },
    body: { type: String, default: '' },
    link: String,
    /** outbox id + recipient: a retried delivery never shows twice. */
    key: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true },
    readAt: { type: Date, default: null },
  },
  { versionKey: false },
);
NotificationSchema.index({ user: 1, createdAt: -1 });
NotificationSchema.index({ user: 1, readAt: 1 });

export type NotificationOutboxDoc = InferSchemaType<typeof NotificationOutboxSchema>;
export type NotificationDoc = InferSchemaType<typeof NotificationSchema>;

export const notificationModels = (conn: Connection) => bindModels(conn, {
  NotificationOutbox: [NotificationOutboxSchema, 'notification_outbox'],
  Notification: [NotificationSchema, 'notifications'],
});
export type NotificationModels = ReturnType<typeof notificationModels>;
