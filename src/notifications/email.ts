/**
 * The e-mail channel: every notice also goes out by e-mail through the SMTP server `SMTP_URL` names, from
 * `MAIL_FROM`, unless the recipient turned that kind off for e-mail (通知设置). Registered only when
 * SMTP_URL is set (index.ts). Subject = the notice's title; a Chinese plain-text body with the absolute
 * link (PUBLIC_BASE_URL + the notice's path) and an HTML alternative in which every value is escaped; the
 * sender's attachments (a schedule notice's agenda .ics) go along.
 *
 * Idempotency: the Message-ID is derived from `message.key`, so a retry after a crash between the server's
 * acceptance and our record carries the same Message-ID (mail systems use it to drop duplicates). A refused
 * or failed send throws; the outbox retries it with backoff.
 */
import { createTransport } from 'nodemailer';
import type { ChannelMessage, NotificationChannel } from './channels.js';
import { kindLabel } from './kinds.js';

/** The one thing the channel needs from a mail transport (nodemailer's Transporter has it). */
export interface MailTransport {
  sendMail(mail: {
    from: string; to: string; subject: string; text: string; html: string; messageId: string;
    headers?: Record<string, string>;
    attachments?: Array<{ filename: string; content: string; contentType: string }>;
  }): Promise<unknown>;
  close?(): void;
}

/** A nodemailer SMTP transport with timeouts well inside the outbox claim (60 s), so a hung server is retried, not duplicated. */
export function smtpTransport(url: string): MailTransport {
  return createTransport({ url, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 });
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Mail header values stay on one line whatever a title contains. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

export const SITE_NAME = '滨江区设备更新供需对接平台';

/** The text and HTML of a notice's e-mail (pure; tested on its own). */
export function renderEmail(message: ChannelMessage, publicUrl: string) {
  const base = publicUrl.replace(/\/+$/, '');
  const url = message.link ? `${base}${message.link}` : undefined;
  const settingsUrl = `${base}/account#notification-settings`;
  const greeting = message.recipient.name ? `${message.recipient.name}，您好：` : '您好：';
  const files = (message.attachments ?? []).map((a) => a.filename);
  const text = [
    greeting,
    '',
    message.title,
    ...(message.body ? ['', message.body] : []),
    ...(url ? ['', `查看详情：${url}`] : []),
    ...(files.length ? ['', `附件：${files.join('、')}（可导入手机或电脑日历）`] : []),
    '',
    '——',
    `${SITE_NAME}（类别：${kindLabel(message.kind)}）`,
    `此邮件由平台自动发送，请勿直接回复。不想再以邮件接收此类通知，可在“我的账户 → 通知设置”中关闭：${settingsUrl}`,
  ].join('\n');
  const p = (s: string) => `<p>${escapeHtml(s)}</p>`;
  const html = [
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head><body style="font-family:sans-serif;line-height:1.6">',
    p(greeting),
    `<h2 style="font-size:18px">${escapeHtml(message.title)}</h2>`,
    ...(message.body ? [`<p>${message.body.split(/\r?\n/).map(escapeHtml).join('<br>')}</p>`] : []),
    ...(url ? [`<p><a href="${escapeHtml(url)}">查看详情</a>：${escapeHtml(url)}</p>`] : []),
    ...(files.length ? [p(`附件：${files.join('、')}（可导入手机或电脑日历）`)] : []),
    '<hr>',
    `<p style="color:#666;font-size:12px">${escapeHtml(SITE_NAME)}（类别：${escapeHtml(kindLabel(message.kind))}）<br>`,
    `此邮件由平台自动发送，请勿直接回复。不想再以邮件接收此类通知，可在<a href="${escapeHtml(settingsUrl)}">我的账户 → 通知设置</a>中关闭。</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: oneLine(message.title), text, html };
}

export function emailChannel(options: { transport: MailTransport; from: string; publicUrl: string }): NotificationChannel {
  const host = new URL(options.publicUrl).hostname || 'gongxu.local';
  return {
    name: 'email',
    accepts: (to) => /^[^\s@]+@[^\s@]+$/.test(to.email ?? ''),
    async deliver(message) {
      const { subject, text, html } = renderEmail(message, options.publicUrl);
      await options.transport.sendMail({
        from: options.from,
        to: message.recipient.email,
        subject,
        text,
        html,
        messageId: `<${message.key.replace(/[^A-Za-z0-9.-]/g, '.')}@${host}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
        attachments: (message.attachments ?? []).map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
    },
  };
}
