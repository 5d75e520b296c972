/**
 * Notifications: `app.notify(event, { session })` stores an event in the MongoDB outbox; a background loop
 * (on every instance that runs background work; claims are leased per entry) delivers it through each
 * registered channel. The in-app inbox (/inbox, GET /api/v1/notifications) is always there; e-mail
 * (email.ts) when SMTP_URL is set; see channels.ts for SMS or any other channel without touching a caller.
 * Each user turns kinds of notice off per channel (通知设置, kinds.ts; GET/PUT /api/v1/me/notification-settings).
 */
import fp from 'fastify-plugin';
import type { ClientSession } from 'mongoose';
import { startLoop, type Loop } from '../infra/background.js';
import { createNotificationService, type NotificationService, type NotifyEventInput } from './service.js';
import { emailChannel, smtpTransport } from './email.js';
import notificationRoutes from './routes.js';
import notificationPages from './pages.js';

export type { NotificationChannel, ChannelMessage, ChannelAttachment, Recipient } from './channels.js';
export { logChannel } from './channels.js';
export { emailChannel, renderEmail, smtpTransport, type MailTransport } from './email.js';
export { kindLabel, kindsFor, noticeKinds, preferenceChannels } from './kinds.js';
export type { NotifyEventInput, NotificationSettings, SettingsChange } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The inbox and the outbox worker: `app.notifications.round()` / `.drain()` deliver now (tests). */
    notifications: NotificationService;
    /** Queues a notification; pass the write's session so it commits with it. Returns the outbox id. */
    notify(event: NotifyEventInput, options?: { session?: ClientSession }): Promise<string | null>;
  }
}

export default fp(async (app) => {
  const service = createNotificationService({
    models: app.models,
    nmodels: app.models,
    clock: app.clock,
    log: app.log,
    matching: () => app.matching,
    buyers: app.buyers,
    matchThreshold: app.config.MATCH_NOTIFY_THRESHOLD,
  });
  app.decorate('notifications', service);
  // E-mail stays optional: without SMTP_URL nothing is sent by mail (config.ts requires MAIL_FROM and PUBLIC_BASE_URL with it).
  const { SMTP_URL, MAIL_FROM, PUBLIC_BASE_URL } = app.config;
  if (SMTP_URL && MAIL_FROM && PUBLIC_BASE_URL) {
    const transport = smtpTransport(SMTP_URL);
    service.addChannel(emailChannel({ transport, from: MAIL_FROM, publicUrl: PUBLIC_BASE_URL }));
    app.addHook('onClose', async () => transport.close?.());
  }
  app.decorate('notify', (event: NotifyEventInput, options?: { session?: ClientSession }) => service.notify(event, options));

  let loop: Loop | undefined;
  app.addHook('onReady', async () => {
    if (!app.runsBackground) return;
    loop = startLoop({
      name: 'notifications',
      intervalMs: 500,
      round: async () => (await service.round()).claimed >= 50,
      log: app.log,
    });
  });
  app.addHook('onClose', async () => loop?.stop());

  await app.register(notificationRoutes);
  await app.register(notificationPages);
}, { name: 'notifications', dependencies: ['buyers', 'matching'] });
