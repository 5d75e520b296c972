/**
 * Decides which MongoDB and Meilisearch the process talks to: the ones named in the environment, the
 * embedded ones another process already runs on this DATA_DIR (CLI only), or freshly spawned ones.
 */
import fs from 'node:fs';
import type { Config } from '../config.js';
import { meiliKeyFor, mongoUriFor, readLiveLock, startEmbedded } from './embedded.js';

export interface Servers {
  mongoUri: string;
  /** One or more Meilisearch servers (MEILI_HOST may list several); the embedded one is a single server. */
  meiliHosts: string[];
  meiliKey: string;
  /** True when this process spawned at least one server (and must stop it). */
  spawned: boolean;
  stop(): Promise<void>;
}

export async function resolveServers(
  config: Config,
  mode: 'app' | 'cli',
  onCrash?: (message: string) => void,
  signal?: AbortSignal,
): Promise<Servers> {
  const external = {
    mongoUri: config.MONGODB_URI,
    meiliHosts: config.MEILI_HOST,
    meiliKey: config.MEILI_HOST ? config.MEILI_MASTER_KEY : undefined,
  };
  if (external.mongoUri && external.meiliHosts && external.meiliKey) {
    const { mongoUri, meiliHosts, meiliKey } = external;
    return { mongoUri, meiliHosts, meiliKey, spawned: false, stop: async () => {} };
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  if (mode === 'cli') {
    // A running platform already owns the embedded servers of this DATA_DIR: talk to those.
    const live = await readLiveLock(config.dataDir);
    if (live) {
      return {
        mongoUri: external.mongoUri ?? mongoUriFor(live.mongoPort ?? config.EMBEDDED_MONGO_PORT),
        meiliHosts: external.meiliHosts ?? [`http://127.0.0.1:${live.meiliPort ?? config.EMBEDDED_MEILI_PORT}`],
        meiliKey: external.meiliKey ?? meiliKeyFor(config.dataDir),
        spawned: false,
        stop: async () => {},
      };
    }
  }
  const embedded = await startEmbedded({
    dataDir: config.dataDir,
    mongoPort: config.EMBEDDED_MONGO_PORT,
    meiliPort: config.EMBEDDED_MEILI_PORT,
    mongodBin: config.MONGOD_BIN,
    meiliBin: config.MEILI_BIN,
    spawnMongo: !external.mongoUri,
    spawnMeili: !external.meiliHosts,
    onCrash,
    signal,
  });
  return {
    mongoUri: external.mongoUri ?? embedded.mongoUri!,
    meiliHosts: external.meiliHosts ?? [embedded.meiliHost!],
    meiliKey: external.meiliKey ?? embedded.meiliKey!,
    spawned: true,
    stop: embedded.stop,
  };
}
