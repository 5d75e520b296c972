import { Meilisearch, MeilisearchRequestError } from 'meilisearch';
import { AppError } from '../web/errors.js';

export function createMeili(host: string, apiKey: string): Meilisearch {
  // fetch asks for compressed answers by default, and Meilisearch then brotli-compresses every search
  // result: CPU on both ends for a hop inside the data centre. Ask for plain JSON.
  return new Meilisearch({ host, apiKey, timeout: 10_000, requestInit: { headers: { 'Accept-Encoding': 'identity' } } });
}

/**
 * Where reads go: `read(fn)` runs fn on one Meilisearch server (with several, the search capability's pool
 * picks a healthy, caught-up one and moves on when it cannot be reached; see src/search/servers.ts).
 */
export interface MeiliReader {
  read<T>(fn: (client: Meilisearch) => Promise<T>): Promise<T>;
}

/** A reader for one server. */
export const onlyServer = (client: Meilisearch): MeiliReader => ({ read: (fn) => fn(client) });

export async function meiliAnswers(client: Meilisearch, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${client.config.host.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Meilisearch unreachable: a clear 503 ("<service>暂时不可用") rather than a 500, for the API routes that
 * read from it (writes still succeed and the sync catches up). Any other error passes unchanged.
 */
export async function unavailableAs503<T>(fn: () => Promise<T>, service: '搜索服务' | '匹配服务'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MeilisearchRequestError) throw new AppError(503, 'SEARCH_UNAVAILABLE', `${service}暂时不可用，请稍后再试。`);
    throw err;
  }
}
