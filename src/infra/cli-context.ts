/**
 * What a CLI command works with: the configuration, the models and Meilisearch, on the servers the
 * platform uses (the running embedded pair of this DATA_DIR, the configured ones, or a pair started for
 * the duration of the command and stopped afterwards).
 */
import type { Meilisearch } from 'meilisearch';
import { loadConfig, type Config } from '../config.js';
import { connectMongo } from './db.js';
import { createMeili } from './meili.js';
import { createModels, type Models } from './models.js';
import { resolveServers } from './servers.js';

export interface CliContext {
  config: Config;
  models: Models;
  /** The first (or only) Meilisearch server. */
  meili: Meilisearch;
  /** Every configured Meilisearch server (MEILI_HOST may list several). */
  meilis: Meilisearch[];
}

export async function withDatabase<T>(fn: (context: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const servers = await resolveServers(config, 'cli');
  try {
    const conn = await connectMongo(servers.mongoUri);
    try {
      const models = createModels(conn);
      await Promise.all(Object.values(models).map((m) => m.init()));
      const meilis = servers.meiliHosts.map((host) => createMeili(host, servers.meiliKey));
      return await fn({ config, models, meili: meilis[0], meilis });
    } finally {
      await conn.close();
    }
  } finally {
    await servers.stop();
  }
}
