import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

// Every validation message a person may read is Chinese.
z.config(z.locales.zhCN());

/** Thrown when the environment cannot run the platform; its message names the variable to fix. */
export class ConfigError extends Error {}

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(1).max(65535);

/** proxy-addr's named ranges, accepted as they are. */
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(value: string): boolean {
  if (namedRanges.has(value)) return true;
  const [address, prefix, extra] = value.split('/');
  const version = isIP(address);
  if (!version || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Which proxies may tell us the client address (X-Forwarded-For): a number of hops, or the proxies'
 * addresses/CIDRs. A blanket `true` would believe any client that sends the header, so every per-address
 * limit could be walked around; it is refused with a message saying what to set instead.
 */
export const TrustProxy = z.string().transform((raw, ctx): false | number | string[] => {
  const value = raw.trim().toLowerCase();
  if (['false', 'no', 'off', '0'].includes(value)) return false;
  if (['true', 'yes', 'on'].includes(value)) {
    ctx.addIssue({
      code: 'custom',
      message: '不再接受 true（任何人伪造的 X-Forwarded-For 都会被相信）。请填写本应用前面的代理层数（如 1），或代理的 IP 地址/网段，用逗号分隔（如 10.0.0.0/8,192.168.1.10）',
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) ctx.addIssue({ code: 'custom', message: '代理层数应在 0–10 之间' });
    return hops;
  }
  const list = value.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = list.find((v) => !isAddressOrCidr(v));
  if (bad !== undefined || list.length === 0) {
    ctx.addIssue({ code: 'custom', message: `“${bad ?? value}”不是代理层数、IP 地址或网段（如 10.0.0.0/8）` });
    return z.NEVER;
  }
  return list;
});

/**
 * MEILI_HOST: one http(s) address, or several separated by commas. Trailing slashes are dropped so one
 * server always has one name (its delivery state in MongoDB is keyed by it); a server listed twice is refused.
 */
export const MeiliHosts = z.string().transform((raw, ctx): string[] => {
  const hosts = raw.split(',').map((v) => v.trim()).filter(Boolean).map((v) => v.replace(/\/+$/, ''));
  for (const host of hosts) {
    if (!z.url({ protocol: /^https?$/ }).safeParse(host).success) {
      ctx.addIssue({ code: 'custom', message: `“${host}”不是 http(s):// 地址；多台服务器用逗号分隔` });
      return z.NEVER;
    }
  }
  const twice = hosts.find((h, i) => hosts.indexOf(h) !== i);
  if (twice) ctx.addIssue({ code: 'custom', message: `${twice} 重复出现` });
  if (!hosts.length) ctx.addIssue({ code: 'custom', message: '必须是 http(s):// 地址' });
  return hosts;
});

const EnvSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, '必须以 mongodb:// 或 mongodb+srv:// 开头')
    .optional(),
  /** One Meilisearch server, or several separated by commas (each gets every change; searches spread over them). */
  MEILI_HOST: MeiliHosts.optional(),
  MEILI_MASTER_KEY: z.string().min(16, '至少 16 个字符').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  SESSION_SECRET: z.string().min(32, '至少 32 个字符').optional(),
  SEED_SAMPLE_DATA: booleanString.default(true),
  MONGOD_BIN: z.string().min(1).optional(),
  MEILI_BIN: z.string().min(1).optional(),
  EMBEDDED_MONGO_PORT: port.default(27027),
  EMBEDDED_MEILI_PORT: port.default(7727),
  COOKIE_SECURE: booleanString.default(false),
  TRUST_PROXY: TrustProxy.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Conversation messages one person may post per minute, over all conversations (a flood is refused with 429). */
  MESSAGE_RATE_LIMIT: z.coerce.number().int().min(1).default(20),
  /** Login attempts per account (normalized email), whatever the client address, per LOGIN_ACCOUNT_WINDOW_MINUTES. */
  LOGIN_ACCOUNT_RATE_LIMIT: z.coerce.number().int().min(1).max(1000).default(10),
  LOGIN_ACCOUNT_WINDOW_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  /** Lifetime of a new API token when the caller names none, and the longest it may ask for. */
  API_TOKEN_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  API_TOKEN_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** Prefix of every Meilisearch index name, so several deployments (or test files) share one server. */
  MEILI_INDEX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/, '只能包含字母、数字、下划线和连字符').default(''),
  /** Fallback poll of the search outbox, in ms; a change stream wakes the sync worker at once anyway. */
  SEARCH_SYNC_POLL_MS: z.coerce.number('必须是数字').int('必须是整数').min(50, '至少 50').max(600_000, '最多 600000').default(1000),
  /** A vendor confirms its listings at least this often, else they are marked stale. */
  FRESHNESS_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Stale listings leave search after this many more days, until confirmed. */
  FRESHNESS_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Match factor weights as JSON, e.g. {"locality":0.3} (validated in src/matching/weights.ts). */
  MATCH_WEIGHTS: z.string().max(2000).optional(),
  /** Vendors whose match score (0–1) reaches this hear of a new open demand (src/notifications). */
  MATCH_NOTIFY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  /** Storage per vendor for its uploads (images, logo, certificate scans) in GridFS, in MB (src/suppliers/files.ts). */
  /** The public footer: 主办单位, contact telephone and ICP 备案号 (empty: that item is left out). */
  SITE_HOST_ORG: z.string().max(100, '最多 100 个字符').default('杭州高新开发区（滨江）管委会'),
  SITE_CONTACT_PHONE: z.string().max(40, '最多 40 个字符').regex(/^[0-9+\-() 转]*$/, '只能包含数字、空格、+、-、括号和“转”').optional(),
  SITE_ICP_NUMBER: z.string().max(60, '最多 60 个字符').optional(),
  VENDOR_STORAGE_QUOTA_MB: z.coerce.number('必须是数字').int('必须是整数').min(1, '至少 1').max(102_400, '最多 102400').default(50),
  /** 企业调研/现场考察: minutes between two stops when a stop does not give its travel time (src/visits/route.ts). */
  VISIT_TRAVEL_MINUTES: z.coerce.number('必须是数字').int('必须是整数分钟').min(0, '不能为负').max(600, '最多 600 分钟').default(30),
  /**
   * The site's public address, e.g. https://gongxu.example.gov.cn: links in e-mails, calendar files and on
   * paper (推介手册 QR codes) start with it. Unset: pages use the request's host; e-mail requires it.
   */
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, message: '必须是 http:// 或 https:// 开头的网址，如 https://gongxu.example.gov.cn' })
    .refine((v) => !/[?#]/.test(v), '不能包含 ? 或 #，只写网站地址（可带路径前缀）')
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  /** Outgoing mail server (src/notifications/email.ts); unset: no e-mail is sent, the in-app inbox still works. */
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, message: '必须是 smtp:// 或 smtps:// 开头的地址，如 smtps://用户名:密码@smtp.example.com:465' })
    .optional(),
  /** Sender of the platform's e-mails: an address, or a name with the address in angle brackets. */
  MAIL_FROM: z
    .string()
    .max(200, '最多 200 个字符')
    .regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/, '应为电子邮箱地址，或“名称 <地址>”，如 滨江区供需对接平台 <noreply@example.gov.cn>')
    .optional(),
});

export type Config = z.output<typeof EnvSchema> & { dataDir: string };

/** Reads and validates the environment once, at start. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    // A mail server address may carry its password: never repeat it in the message (logs).
    const shown = name === 'SMTP_URL' ? '已隐藏' : JSON.stringify(cleaned[name] ?? '');
    throw new ConfigError(
      `环境变量 ${name} 的值无效（${shown}）：${issue.message}。请修改或删除 ${name} 后重试。`,
    );
  }
  if (parsed.data.SMTP_URL && !parsed.data.MAIL_FROM) {
    throw new ConfigError('设置了 SMTP_URL 时必须同时设置 MAIL_FROM（发件人，如 滨江区供需对接平台 <noreply@example.gov.cn>）。');
  }
  if (parsed.data.SMTP_URL && !parsed.data.PUBLIC_BASE_URL) {
    throw new ConfigError('设置了 SMTP_URL 时必须同时设置 PUBLIC_BASE_URL（平台的对外网址，如 https://gongxu.example.gov.cn），邮件中的链接以它开头。');
  }
  if (parsed.data.MEILI_HOST && !parsed.data.MEILI_MASTER_KEY) {
    throw new ConfigError('设置了 MEILI_HOST 时必须同时设置 MEILI_MASTER_KEY（Meilisearch 主密钥，各台服务器相同）。');
  }
  if (parsed.data.API_TOKEN_DAYS > parsed.data.API_TOKEN_MAX_DAYS) {
    throw new ConfigError(
      `API_TOKEN_DAYS（${parsed.data.API_TOKEN_DAYS}）不能大于 API_TOKEN_MAX_DAYS（${parsed.data.API_TOKEN_MAX_DAYS}）。请调小 API_TOKEN_DAYS 或调大 API_TOKEN_MAX_DAYS。`,
    );
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
