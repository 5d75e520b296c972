/**
 * What a user can hear about and through what: the kinds of notice the platform sends (with their Chinese
 * names and the roles that receive them) and the channels a user may turn each kind off on. Every kind goes
 * through every channel unless the user turned that pair off (stored on the user as `notificationsOff`).
 * A new kind of notice is added here so it gets a name in the inbox and a row in 通知设置.
 */
import type { Role } from '../accounts/index.js';

export interface NoticeKind {
  kind: string;
  label: string;
  /** Who receives this kind, so 通知设置 shows each person only what concerns them. */
  roles: readonly Role[];
}

export const noticeKinds: readonly NoticeKind[] = [
  { kind: 'demand.match', label: '新需求匹配', roles: ['vendor'] },
  { kind: 'followup.interest', label: '供应商意向', roles: ['buyer'] },
  { kind: 'followup.update', label: '对接进展', roles: ['vendor', 'buyer'] },
  { kind: 'thread.message', label: '对接消息', roles: ['vendor', 'buyer'] },
  { kind: 'thread.answer', label: '意向答复', roles: ['vendor'] },
  { kind: 'event-registration', label: '对接会报名审核', roles: ['vendor', 'buyer'] },
  { kind: 'event-agenda', label: '对接会日程发布', roles: ['vendor', 'buyer'] },
  { kind: 'event-agenda-change', label: '对接会日程变动', roles: ['vendor', 'buyer'] },
  { kind: 'visit-registration', label: '企业调研/现场考察报名审核', roles: ['buyer'] },
];

/** The channels a user chooses among. A channel not listed here (a log, a future SMS gateway) is not switchable. */
export const preferenceChannels = [
  { name: 'inapp', label: '站内信' },
  { name: 'email', label: '电子邮件' },
] as const;
export type PreferenceChannel = (typeof preferenceChannels)[number]['name'];

export const kindLabel = (kind: string): string => noticeKinds.find((k) => k.kind === kind)?.label ?? '通知';

/** The kinds shown in a user's 通知设置. Staff receive none of these today, so they see an empty list. */
export const kindsFor = (role: string): NoticeKind[] => noticeKinds.filter((k) => (k.roles as readonly string[]).includes(role));

/** One switch that is off: this kind of notice does not go through this channel for this user. */
export interface NoticeOff { kind: string; channel: string }

export const isOff = (off: readonly NoticeOff[] | null | undefined, kind: string, channel: string): boolean =>
  Boolean(off?.some((o) => o.kind === kind && o.channel === channel));
