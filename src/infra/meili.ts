import { Meilisearch } from 'meilisearch';

export function createMeili(host: string, apiKey: string): Meilisearch {
  return new Meilisearch({ host, apiKey, timeout: 10_000 });
}

export async function meiliAnswers(client: Meilisearch, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${client.config.host.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}
