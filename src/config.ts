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

const EnvSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, '必须以 mongodb:// 或 mongodb+srv:// 开头')
    .optional(),
  MEILI_HOST: z.url('必须是 http(s):// 地址').optional(),
  MEILI_MASTER_KEY: z.string().min(16, '至少 16 个字符').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  SESSION_SECRET: z.string().min(32, '至少 32 个字符').optional(),
  SEED_SAMPLE_DATA: booleanString.default(true),
  MONGOD_BIN: z.string().min(1).optional(),
  MEILI_BIN: z.string().min(1).optional(),
  EMBEDDED_MONGO_PORT: port.default(27027),
  EMBEDDED_MEILI_PORT: port.default(7727),
  COOKIE_SECURE: booleanString.default(false),
  TRUST_PROXY: booleanString.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Prefix of every Meilisearch index name, so several deployments (or test files) share one server. */
  MEILI_INDEX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/, '只能包含字母、数字、下划线和连字符').default(''),
  /** A vendor confirms its listings at least this often, else they are marked stale. */
  FRESHNESS_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Stale listings leave search after this many more days, until confirmed. */
  FRESHNESS_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Match factor weights as JSON, e.g. {"locality":0.3} (validated in src/matching/weights.ts). */
  MATCH_WEIGHTS: z.string().max(2000).optional(),
  /** Vendors whose match score (0–1) reaches this hear of a new open demand (src/notifications). */
  MATCH_NOTIFY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  /** Storage per vendor for its uploads (images, logo, certificate scans) in GridFS, in MB (src/suppliers/files.ts). */
  VENDOR_STORAGE_QUOTA_MB: z.coerce.number('必须是数字').int('必须是整数').min(1, '至少 1').max(102_400, '最多 102400').default(50),
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
    throw new ConfigError(
      `环境变量 ${name} 的值无效（${JSON.stringify(cleaned[name] ?? '')}）：${issue.message}。请修改或删除 ${name} 后重试。`,
    );
  }
  if (parsed.data.MEILI_HOST && !parsed.data.MEILI_MASTER_KEY) {
    throw new ConfigError('设置了 MEILI_HOST 时必须同时设置 MEILI_MASTER_KEY（Meilisearch 主密钥）。');
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
